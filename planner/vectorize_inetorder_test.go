package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// inetOrderRows inserts n rows into io: ids from next, random inet values
// of both families with and without host bits and masks, cidr networks,
// NULLs.
func inetOrderRows(h *harness, rng *rand.Rand, next, n int) {
	var b strings.Builder
	b.WriteString("INSERT INTO io VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		ip := "NULL"
		switch rng.IntN(7) {
		case 0:
			ip = fmt.Sprintf("'2001:db8::%x/%d'", rng.IntN(8), []int{32, 64, 128}[rng.IntN(3)])
		case 1:
			ip = fmt.Sprintf("'10.%d.%d.%d/%d'", rng.IntN(2), rng.IntN(4), rng.IntN(3), []int{0, 8, 16, 24, 31, 32}[rng.IntN(6)])
		case 2, 3:
			ip = fmt.Sprintf("'%d.0.0.%d'", []int{0, 9, 10, 192, 255}[rng.IntN(5)], rng.IntN(4))
		case 4:
			ip = []string{"'::'", "'::1'", "'::ffff:10.0.0.1'", "'::10.0.0.1'", "'0.0.0.0/0'", "'::/0'"}[rng.IntN(6)]
		case 5:
			ip = fmt.Sprintf("'10.0.0.%d'", rng.IntN(3))
		}
		net := []string{"'10.0.0.0/8'", "'10.0.0.0/16'", "'10.0.0.0/32'", "'10.1.0.0/16'", "'192.168.0.0/16'", "'::/0'", "'2001:db8::/32'", "'0.0.0.0/0'", "NULL"}[rng.IntN(9)]
		fmt.Fprintf(&b, "('2024-03-01 00:00:00+00'::timestamptz + interval '%d seconds', %d, %s, %s, %d)", rng.IntN(20000), next+i, ip, net, rng.IntN(5))
	}
	h.mustQuery(b.String())
}

// TestInetOrderVectorized: ORDER BY inet/cidr LIMIT (both directions,
// explicit NULLS FIRST/LAST, mixed with other keys) and min/max of inet
// and cidr run on the executor (EXPLAIN shows them pushed) and give the
// row engine's answer over Parquet files and buffered rows.
func TestInetOrderVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE io (ts timestamptz NOT NULL, id int, ip inet, net cidr, v int) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(9, 2))
	inetOrderRows(h, rng, 0, 400)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	inetOrderRows(h, rng, 400, 300)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	inetOrderRows(h, rng, 700, 200) // buffered
	for _, tc := range []struct{ q, want string }{
		{`SELECT id, ip FROM io ORDER BY ip, id LIMIT 40`, "topk=40 by [ip, id]"},
		{`SELECT id, ip FROM io ORDER BY ip DESC, id LIMIT 40`, "topk=40 by [ip DESC, id]"},
		{`SELECT ip, id FROM io ORDER BY ip NULLS FIRST, id DESC LIMIT 30`, "topk=30 by [ip NULLS FIRST, id DESC]"},
		{`SELECT ip, id FROM io ORDER BY ip DESC NULLS LAST, id LIMIT 30`, "topk=30 by [ip DESC NULLS LAST, id]"},
		{`SELECT id, net, ip FROM io ORDER BY net, ip DESC, id LIMIT 60`, "topk=60 by [net, ip DESC, id]"},
		{`SELECT id, net FROM io WHERE v < 3 ORDER BY net DESC, id LIMIT 25`, "topk=25 by [net DESC, id]"},
		{`SELECT id, ip FROM io WHERE ip << '10.0.0.0/8' ORDER BY ip, id LIMIT 20`, "topk=20 by [ip, id]"},
		{`SELECT v, id, ip FROM io ORDER BY v, ip, id LIMIT 50`, "topk=50 by [v, ip, id]"},
		{`SELECT ip, net, id FROM io ORDER BY ip DESC, id DESC LIMIT 10`, "topk=10 by [ip DESC, id DESC]"},
		{`SELECT id, ip FROM io ORDER BY ip, id LIMIT 1000`, "topk=1000 by [ip, id]"},
		{`SELECT min(ip), max(ip), min(net), max(net), count(*) FROM io`, "max_inet(ip), max_inet(net), min_inet(ip), min_inet(net)"},
		{`SELECT v, min(ip), max(ip), max(net) FROM io GROUP BY v ORDER BY v`, "group=[v]"},
		{`SELECT net, min(ip), max(ip) FROM io GROUP BY net ORDER BY net`, "min_inet(ip)"},
		{`SELECT min(ip), max(net) FROM io WHERE v = 7`, "min_inet(ip)"},
		{`SELECT max(ip) FROM io WHERE family(ip) = 6`, "max_inet(ip)"},
		{`SELECT count(DISTINCT ip), count(DISTINCT net) FROM io`, "count_distinct(ip)"},
	} {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.want) {
			t.Errorf("%s: not on the executor (%s):\n%s", tc.q, tc.want, plan)
		}
		if vec := sameInBothEngines(t, h, tc.q); vec == "" {
			t.Errorf("%s: %q: no rows", tc.q, vec)
		}
	}
}
