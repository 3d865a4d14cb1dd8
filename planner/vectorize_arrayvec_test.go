package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// arrayInetRows inserts n generated rows: random arrays of every element
// type (NULL arrays, NULL elements, empty arrays, NaN and -0) and random
// IPv4/IPv6 addresses and networks.
func arrayInetRows(h *harness, rng *rand.Rand, n int) {
	arr := func(draw func() string) string {
		switch rng.IntN(10) {
		case 0:
			return "NULL"
		case 1:
			return "'{}'"
		}
		parts := make([]string, 1+rng.IntN(4))
		for i := range parts {
			if rng.IntN(8) == 0 {
				parts[i] = "NULL"
			} else {
				parts[i] = draw()
			}
		}
		return "'{" + strings.Join(parts, ",") + "}'"
	}
	pick := func(vals ...string) func() string { return func() string { return vals[rng.IntN(len(vals))] } }
	ip := func(cidr bool) string {
		if rng.IntN(12) == 0 {
			return "NULL"
		}
		var addr string
		var bits int
		if rng.IntN(2) == 0 {
			addr = fmt.Sprintf("10.%d.%d.%d", rng.IntN(3), rng.IntN(3), rng.IntN(5))
			if rng.IntN(5) == 0 {
				addr = fmt.Sprintf("192.168.%d.%d", rng.IntN(2), rng.IntN(5))
			}
			bits = []int{8, 16, 24, 32, 32, 32}[rng.IntN(6)]
			if cidr {
				o := strings.Split(addr, ".")
				for i := bits / 8; i < 4; i++ {
					o[i] = "0"
				}
				addr = strings.Join(o, ".")
			}
		} else {
			addr = fmt.Sprintf("2001:db8:%x::%x", rng.IntN(3), rng.IntN(5))
			bits = []int{32, 48, 64, 128, 128}[rng.IntN(5)]
			if cidr && bits < 128 {
				addr = []string{"2001:db8::", "2001:db8:1::", "2001:db8:2::"}[rng.IntN(3)]
				bits = max(bits, 48)
				if bits == 48 {
					addr = "2001:db8::"
				}
			}
		}
		if !cidr && bits == 32 && !strings.Contains(addr, ":") {
			return "'" + addr + "'"
		}
		return fmt.Sprintf("'%s/%d'", addr, bits)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO av VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "('2024-01-01 00:00:00+00'::timestamptz + interval '%d second', %s, %s, %s, %s, %s, %s, %s)",
			rng.IntN(86400),
			arr(pick("prod", "dev", `"a b"`, `""`, "Prod", "x")),
			arr(pick("1", "2", "3", "-1", "100000")),
			arr(pick("1.5", "-0", "0", "NaN", "Infinity", "2")),
			arr(pick("t", "f")),
			arr(pick("2024-01-01", "2024-01-02", "2023-12-31")),
			ip(false), ip(true))
	}
	h.mustQuery(b.String())
}

// TestArrayInetVectorized: predicates on array and inet/cidr columns run
// in the vectorized executor (EXPLAIN shows them pushed) and return what
// the row engine returns, over Parquet files and buffered rows.
func TestArrayInetVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE av (ts timestamptz NOT NULL, tags text[], codes int4[], ratios float8[], flags bool[], days date[], ip inet, net cidr) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(5, 6))
	arrayInetRows(h, rng, 500)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	arrayInetRows(h, rng, 300) // fresh rows in the ingest buffers
	queries := []struct{ q, pushed string }{
		{`SELECT count(*) FROM av WHERE 'prod' = ANY(tags)`, `filter='prod' = ANY(tags)`},
		{`SELECT count(*) FROM av WHERE NOT ('prod' = ANY(tags))`, `NOT 'prod' = ANY(tags)`},
		{`SELECT count(*) FROM av WHERE 'prod' <> ALL(tags)`, `'prod' <> ALL(tags)`},
		{`SELECT count(*) FROM av WHERE 'm' < ANY(tags)`, `'m' < ANY(tags)`},
		{`SELECT count(*) FROM av WHERE 'a b' >= ALL(tags)`, `'a b' >= ALL(tags)`},
		{`SELECT count(*) FROM av WHERE 2 = ANY(codes)`, `2 = ANY(codes)`},
		{`SELECT count(*) FROM av WHERE 2 > ALL(codes)`, `2 > ALL(codes)`},
		{`SELECT count(*) FROM av WHERE 0::float8 = ANY(ratios)`, `= ANY(ratios)`},
		{`SELECT count(*) FROM av WHERE 'NaN'::float8 <= ANY(ratios)`, `<= ANY(ratios)`},
		{`SELECT count(*) FROM av WHERE true = ANY(flags)`, `= ANY(flags)`},
		{`SELECT count(*) FROM av WHERE date '2024-01-01' = ANY(days)`, `= ANY(days)`},
		{`SELECT count(*) FROM av WHERE tags @> ARRAY['prod']`, `tags @> ARRAY['prod']`},
		{`SELECT count(*) FROM av WHERE tags @> '{prod,dev}'`, `tags @> ARRAY['prod', 'dev']`},
		{`SELECT count(*) FROM av WHERE tags <@ ARRAY['prod', 'dev', 'x']`, `tags <@ ARRAY['prod', 'dev', 'x']`},
		{`SELECT count(*) FROM av WHERE tags && ARRAY['x', 'Prod']`, `tags && ARRAY['x', 'Prod']`},
		{`SELECT count(*) FROM av WHERE ARRAY['dev'] <@ tags`, `tags @> ARRAY['dev']`},
		{`SELECT count(*) FROM av WHERE codes @> ARRAY[1, 2]`, `codes @> ARRAY[1, 2]`},
		{`SELECT count(*) FROM av WHERE codes && '{3,100000}'`, `codes && ARRAY[3, 100000]`},
		{`SELECT count(*) FROM av WHERE ratios @> ARRAY['NaN'::float8]`, `ratios @> ARRAY[NaN]`},
		{`SELECT count(*) FROM av WHERE ratios && ARRAY[0::float8]`, `ratios && ARRAY[0]`},
		{`SELECT count(*) FROM av WHERE flags <@ ARRAY[true]`, `flags <@ ARRAY[true]`},
		{`SELECT count(*) FROM av WHERE tags[1] = 'prod'`, `tags[1] = 'prod'`},
		{`SELECT count(*) FROM av WHERE codes[2] >= 2`, `codes[2] >= 2`},
		{`SELECT count(*) FROM av WHERE cardinality(tags) > 2`, `cardinality(tags) > 2`},
		{`SELECT count(*) FROM av WHERE array_length(codes, 1) = 1`, `array_length(codes, 1) = 1`},
		{`SELECT count(*) FROM av WHERE tags IS NULL`, `tags IS NULL`},
		{`SELECT count(*) FROM av WHERE tags IS NOT NULL AND ('dev' = ANY(tags) OR 3 = ANY(codes))`, `'dev' = ANY(tags)`},
		{`SELECT ts, tags FROM av WHERE 'x' = ANY(tags) ORDER BY ts DESC LIMIT 5`, `'x' = ANY(tags)`},
		{`SELECT count(*) FROM av WHERE cardinality(tags) = 0`, `cardinality(tags) = 0`},
		{`SELECT count(*) FROM av WHERE ip = '10.1.1.1'`, `ip = '10.1.1.1'`},
		{`SELECT count(*) FROM av WHERE ip < '10.1.1.1/24'`, `ip < '10.1.1.1/24'`},
		{`SELECT count(*) FROM av WHERE ip >= '2001:db8:1::/48'`, `ip >= '2001:db8:1::/48'`},
		{`SELECT count(*) FROM av WHERE ip <> '192.168.0.1'`, `NOT ip = '192.168.0.1'`},
		{`SELECT count(*) FROM av WHERE ip << '10.0.0.0/8'`, `ip << '10.0.0.0/8'`},
		{`SELECT count(*) FROM av WHERE ip <<= '10.1.0.0/16'`, `ip <<= '10.1.0.0/16'`},
		{`SELECT count(*) FROM av WHERE '10.1.0.0/16' >> ip`, `ip << '10.1.0.0/16'`},
		{`SELECT count(*) FROM av WHERE ip >>= '10.1.1.1'`, `ip >>= '10.1.1.1'`},
		{`SELECT count(*) FROM av WHERE ip && '2001:db8::/32'`, `ip && '2001:db8::/32'`},
		{`SELECT count(*) FROM av WHERE net >> '10.1.2.3'`, `net >> '10.1.2.3'`},
		{`SELECT count(*) FROM av WHERE net = '10.1.0.0/16'`, `net = '10.1.0.0/16'`},
		{`SELECT count(*) FROM av WHERE ip IN ('10.1.1.1', '10.2.2.2/24', '2001:db8:1::1')`, `ip = '10.1.1.1'`},
		{`SELECT count(*) FROM av WHERE family(ip) = 6`, `family(ip) = 6`},
		{`SELECT count(*) FROM av WHERE masklen(net) < 24 AND ip IS NOT NULL`, `masklen(net) < 24`},
		{`SELECT count(*) FROM av WHERE ip IS NULL`, `ip IS NULL`},
		{`SELECT count(*) FROM av WHERE NOT (ip << '10.0.0.0/8') OR 'prod' = ANY(tags)`, `ip << '10.0.0.0/8'`},
		{`SELECT ts, ip FROM av WHERE ip << '192.168.0.0/16' ORDER BY ts LIMIT 5`, `ip << '192.168.0.0/16'`},
	}
	for _, tc := range queries {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		vec := h.mustQuery(tc.q)
		h.mustQuery(`SET openwit.vectorize = off`)
		if plan := h.mustQuery("EXPLAIN " + tc.q); strings.Contains(plan, "VectorizedScan") {
			t.Errorf("%s: vectorized with openwit.vectorize = off", tc.q)
		}
		row := h.mustQuery(tc.q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != row {
			t.Errorf("%s: vectorized\n%s\nrow engine\n%s", tc.q, vec, row)
		}
		if vec == "" || vec == "0" {
			t.Errorf("%s: no rows; the data lost its point", tc.q)
		}
	}
	// Random constants with every operator: both engines agree.
	same := func(q string) {
		t.Helper()
		vec := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = off`)
		row := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != row {
			t.Errorf("%s: vectorized %s, row engine %s", q, vec, row)
		}
	}
	for range 12 {
		c := []string{"10.1.1.1", "10.0.0.0/8", "10.1.0.0/16", "10.2.1.0/24", "192.168.0.0/16", "192.168.1.3", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:2::3", "0.0.0.0/0", "::/0", "10.1.2.4/30"}[rng.IntN(12)]
		for _, op := range []string{"=", "<>", "<", "<=", ">", ">=", "<<", "<<=", ">>", ">>=", "&&"} {
			same(fmt.Sprintf(`SELECT count(*) FROM av WHERE ip %s '%s'`, op, c))
			same(fmt.Sprintf(`SELECT count(*) FROM av WHERE net %s '%s'`, op, c))
		}
	}
	for range 6 {
		tag := []string{"prod", "dev", "a b", "", "Prod", "x", "zzz"}[rng.IntN(7)]
		code := []int{-1, 1, 2, 3, 100000, 7}[rng.IntN(6)]
		for _, op := range []string{"=", "<>", "<", "<=", ">", ">="} {
			for _, q := range []string{"ANY", "ALL"} {
				same(fmt.Sprintf(`SELECT count(*) FROM av WHERE '%s' %s %s(tags)`, tag, op, q))
				same(fmt.Sprintf(`SELECT count(*) FROM av WHERE %d %s %s(codes)`, code, op, q))
			}
		}
		for _, op := range []string{"@>", "<@", "&&"} {
			same(fmt.Sprintf(`SELECT count(*) FROM av WHERE tags %s ARRAY['%s', 'prod']`, op, tag))
			same(fmt.Sprintf(`SELECT count(*) FROM av WHERE codes %s '{%d,2}'`, op, code))
		}
	}
	// varchar[]: the translator casts its subscripts to text.
	h.mustQuery(`CREATE TABLE avv (ts timestamptz NOT NULL, names varchar[])`)
	h.mustQuery(`INSERT INTO avv VALUES ('2024-01-01 00:00:00+00', '{a,b}'), ('2024-01-01 00:00:01+00', '{b,NULL}'), ('2024-01-01 00:00:02+00', NULL)`)
	for _, tc := range []struct{ q, pushed string }{
		{`SELECT count(*) FROM avv WHERE names[1] = 'b'`, `names[1] = 'b'`},
		{`SELECT count(*) FROM avv WHERE 'b' = ANY(names)`, `'b' = ANY(names)`},
	} {
		if plan := h.mustQuery("EXPLAIN " + tc.q); !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		same(tc.q)
	}
	// Left to the row engine: a constant of another type family, float4
	// elements, a non-constant operand, an inet column as a value.
	for _, q := range []string{
		`SELECT count(*) FROM av WHERE 1 = ANY(ratios)`,
		`SELECT count(*) FROM av WHERE tags @> ARRAY[tags[2]]`,
		`SELECT count(*) FROM av WHERE host(ip) = '10.1.1.1'`,
	} {
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "filter=") {
			t.Errorf("%s: pushed, but the executor does not run it:\n%s", q, plan)
		}
	}
	// Bad constants: the row engine's error, nothing pushed.
	for _, q := range []string{
		`SELECT count(*) FROM av WHERE ip << 'not an address'`,
		`SELECT count(*) FROM av WHERE codes @> '{a}'`,
	} {
		if _, err := h.query(q); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
}
