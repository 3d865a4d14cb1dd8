package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// numericRows inserts n generated rows: numeric columns of several scales
// (NULLs, negatives, values at the precision limit), an integer and a
// float8 column.
func numericRows(h *harness, rng *rand.Rand, n int) {
	num := func(p, s int) string {
		switch rng.IntN(10) {
		case 0:
			return "NULL"
		case 1:
			// The largest magnitude of numeric(p,s).
			v := strings.Repeat("9", p-s)
			if s > 0 {
				v += "." + strings.Repeat("9", s)
			}
			if rng.IntN(2) == 0 {
				v = "-" + v
			}
			return v
		}
		v := fmt.Sprintf("%d", rng.IntN(101)-50)
		if s > 0 {
			v += "." + []string{"0", "5", "25"}[rng.IntN(3)] + strings.Repeat("0", s-1)
			v = v[:len(v)-len(v[strings.Index(v, ".")+1:])+s]
		}
		return v
	}
	var b strings.Builder
	b.WriteString("INSERT INTO nvt VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		a, bv := num(10, 2), num(12, 4)
		if rng.IntN(4) == 0 {
			bv = a // the same number at another scale
		}
		iv, fv := "NULL", "NULL"
		if rng.IntN(8) > 0 {
			iv = fmt.Sprint(rng.IntN(2001) - 1000)
		}
		if rng.IntN(8) > 0 {
			fv = fmt.Sprintf("%g", float64(rng.IntN(4001)-2000)/4)
		}
		fmt.Fprintf(&b, "('2024-01-01 00:00:00+00'::timestamptz + interval '%d second', '%s', %s, %s, %s, %s, %s)",
			rng.IntN(86400), []string{"a", "b", "c"}[rng.IntN(3)], a, bv, num(38, 0), iv, fv)
	}
	h.mustQuery(b.String())
}

// TestNumericVectorized: filters, aggregates, GROUP BY and ORDER BY over
// numeric columns run in the vectorized executor (EXPLAIN shows them
// pushed) and return what the row engine returns, over Parquet files and
// buffered rows.
func TestNumericVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE nvt (ts timestamptz NOT NULL, k text, a numeric(10,2), b numeric(12,4), c numeric(38,0), i int, f float8) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(8, 7))
	numericRows(h, rng, 500)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	numericRows(h, rng, 300) // fresh rows in the ingest buffers
	same := func(q string) string {
		t.Helper()
		vec := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = off`)
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "VectorizedScan") {
			t.Errorf("%s: vectorized with openwit.vectorize = off", q)
		}
		row := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != row {
			t.Errorf("%s: vectorized\n%s\nrow engine\n%s", q, vec, row)
		}
		return vec
	}
	for _, tc := range []struct{ q, pushed string }{
		{`SELECT count(*) FROM nvt WHERE a > 1`, `filter=a > 1,`},
		{`SELECT count(*) FROM nvt WHERE a >= 1.499`, `filter=a >= 1.499,`},
		{`SELECT count(*) FROM nvt WHERE a < -3.5`, `filter=a < -3.5,`},
		{`SELECT count(*) FROM nvt WHERE a = 0.5::float8`, `filter=a = 0.5,`},
		{`SELECT count(*) FROM nvt WHERE a BETWEEN -10 AND 10.5`, `filter=(a >= -10 AND a <= 10.5)`},
		{`SELECT count(*) FROM nvt WHERE a IN (1.5, 2, 0.5)`, `a = 1.5 OR`},
		{`SELECT count(*) FROM nvt WHERE a IS NULL`, `filter=a IS NULL`},
		{`SELECT count(*) FROM nvt WHERE a = b`, `filter=a = b`},
		{`SELECT count(*) FROM nvt WHERE b < c`, `filter=b < c`},
		{`SELECT count(*) FROM nvt WHERE a <= i`, `filter=a <= i`},
		{`SELECT count(*) FROM nvt WHERE b > f`, `filter=b > f`},
		{`SELECT count(*) FROM nvt WHERE c >= 99999999999999999999999999999999999999`, `filter=c >= `},
		{`SELECT sum(a), min(a), max(a), count(a), avg(a) FROM nvt`, `aggregates=[`},
		{`SELECT k, sum(b), avg(b), min(c), max(c), sum(c) FROM nvt WHERE a > 0 GROUP BY k ORDER BY k`, `group=[k]`},
		{`SELECT a, count(*), sum(b) FROM nvt GROUP BY a ORDER BY a`, `group=[a]`},
		{`SELECT k, b, count(*) FROM nvt WHERE a < 0 GROUP BY k, b ORDER BY k, b`, `group=[k, b]`},
		{`SELECT ts, a FROM nvt ORDER BY a, ts LIMIT 7`, `topk=7 by [a, ts]`},
		{`SELECT ts, b FROM nvt WHERE b IS NOT NULL ORDER BY b DESC, ts LIMIT 7`, `topk=7 by [b DESC, ts]`},
	} {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		if got := same(tc.q); got == "" || got == "0" {
			t.Errorf("%s: no rows; the data lost its point", tc.q)
		}
	}
	// Random constants, every operator, both engines agree.
	for range 8 {
		c := []string{"0", "1", "-1", "1.5", "1.499", "-0.005", "999.9999", "99999999.99", "-99999999.991", "12345678901234567890", "0.5::float8", "-2.25::float8"}[rng.IntN(12)]
		for _, op := range []string{"=", "<>", "<", "<=", ">", ">="} {
			same(fmt.Sprintf(`SELECT count(*) FROM nvt WHERE a %s %s`, op, c))
			same(fmt.Sprintf(`SELECT count(*) FROM nvt WHERE %s %s b`, c, op))
			same(fmt.Sprintf(`SELECT count(*), sum(c) FROM nvt WHERE c %s %s`, op, c))
		}
	}
	// Left to the row engine: sum over an unconstrained numeric (its
	// values' display scales are not stored). count(DISTINCT numeric) is
	// vectorized since design 096 (TestNumericDivisionVectorized).
	h.mustQuery(`CREATE TABLE nvu (ts timestamptz NOT NULL, u numeric)`)
	h.mustQuery(`INSERT INTO nvu VALUES ('2024-01-01 00:00:00+00', 1.5), ('2024-01-01 00:00:01+00', 2.5)`)
	for _, q := range []string{`SELECT sum(u) FROM nvu`} {
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "VectorizedScan") {
			t.Errorf("%s: vectorized, but the executor does not run it:\n%s", q, plan)
		}
	}
	if got := h.mustQuery(`SELECT sum(u), min(u), max(u) FROM nvu WHERE u > 1`); got != "4.0|1.5|2.5" {
		t.Errorf("unconstrained numeric: %q", got)
	}
}
