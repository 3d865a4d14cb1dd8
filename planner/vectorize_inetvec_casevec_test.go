package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestInetGroupVectorized: inet and cidr columns are GROUP BY keys, first
// values, count and count(DISTINCT) arguments on the executor (their
// stored canonical text has network equality) and give the row engine's
// answer, sorted in network order above, over Parquet files and buffered
// rows.
func TestInetGroupVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE ni (ts timestamptz NOT NULL, ip inet, net cidr, v int) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(6, 1))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO ni VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			ip := "NULL"
			switch rng.IntN(5) {
			case 0:
				ip = fmt.Sprintf("'2001:db8::%x'", rng.IntN(8))
			case 1:
				ip = fmt.Sprintf("'10.0.%d.%d/%d'", rng.IntN(2), rng.IntN(4), []int{24, 32}[rng.IntN(2)])
			case 2, 3:
				ip = fmt.Sprintf("'%d.0.0.%d'", []int{9, 10, 192}[rng.IntN(3)], rng.IntN(4))
			}
			net := []string{"'10.0.0.0/8'", "'10.0.0.0/16'", "'192.168.0.0/16'", "'::/0'", "NULL"}[rng.IntN(5)]
			fmt.Fprintf(&b, "('2024-03-01 00:00:00+00'::timestamptz + interval '%d seconds', %s, %s, %d)", rng.IntN(20000), ip, net, rng.IntN(100))
		}
		h.mustQuery(b.String())
	}
	insert(500)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(200)
	for _, tc := range []struct{ q, want string }{
		{`SELECT ip, count(*), sum(v) FROM ni GROUP BY ip ORDER BY ip`, "group=[ip]"},
		{`SELECT net, count(ip), max(v) FROM ni GROUP BY net ORDER BY net DESC`, "count(ip)"},
		{`SELECT net, ip, count(*) FROM ni GROUP BY 1, 2 ORDER BY 1, 2`, "group=[net, ip]"},
		{`SELECT net, count(DISTINCT ip) FROM ni GROUP BY net ORDER BY net`, "count_distinct(ip)"},
	} {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.want) {
			t.Errorf("%s: not on the executor (%s):\n%s", tc.q, tc.want, plan)
		}
		if vec := sameInBothEngines(t, h, tc.q); strings.Count(vec, "\n") < 4 {
			t.Errorf("%s: %q: too few groups", tc.q, vec)
		}
	}
}
