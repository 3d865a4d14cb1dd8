package planner_test

import "testing"

// BenchmarkNumericArithmetic times numeric arithmetic and a numeric CASE
// in aggregates (design 091) with the vectorized executor on and off over
// numericBenchTable's rows: go test -bench BenchmarkNumericArithmetic
// -run '^$' ./planner/.
func BenchmarkNumericArithmetic(b *testing.B) {
	h := numericBenchTable(b)
	benchBothEngines(b, h, []struct{ name, sql string }{
		{"sum_mul", `SELECT sum(amount * rate) FROM nb`},
		{"group_arith", `SELECT svc, sum(amount * rate), avg(amount - rate) FROM nb WHERE amount * 2 > 1000 GROUP BY svc ORDER BY svc`},
		{"case_sum", `SELECT svc, sum(CASE WHEN rate > 5 THEN amount WHEN rate > 1 THEN amount * 2 ELSE 0.00 END) FROM nb GROUP BY svc ORDER BY svc`},
	})
}
