package planner_test

import "testing"

// BenchmarkNumericDivision: division-heavy aggregates over
// numericBenchTable, vectorized and on the row engine (design 096); the
// answers and EXPLAIN are checked first.
func BenchmarkNumericDivision(b *testing.B) {
	h := numericBenchTable(b)
	benchBothEngines(b, h, []struct{ name, sql string }{
		{"div_filter", `SELECT count(*), sum(amount) FROM nb WHERE amount / 100 > rate`},
		{"group_div", `SELECT svc, count(*), sum(rate) FROM nb WHERE amount / 7 > 1000 AND rate / 3 < 2.5 GROUP BY svc ORDER BY svc`},
		{"count_distinct", `SELECT svc, count(DISTINCT amount) FROM nb GROUP BY svc ORDER BY svc`},
	})
}
