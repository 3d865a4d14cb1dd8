package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNumericArithmeticVectorized: + - * unary minus and abs on numeric
// values as filter operands, aggregate arguments, GROUP BY keys and
// grouped outputs run in the vectorized executor (EXPLAIN shows them
// pushed) and return what the row engine returns; expressions whose
// declared precisions allow more than 38 digits, division and arithmetic
// on an unconstrained numeric stay in the row engine.
func TestNumericArithmeticVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE nvt (ts timestamptz NOT NULL, k text, a numeric(10,2), b numeric(12,4), c numeric(38,0), i int, f float8) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(9, 1))
	numericRows(h, rng, 500)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	numericRows(h, rng, 300) // fresh rows in the ingest buffers
	same := func(q string) string {
		t.Helper()
		vec := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = off`)
		row := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != row {
			t.Errorf("%s: vectorized\n%s\nrow engine\n%s", q, vec, row)
		}
		return vec
	}
	for _, tc := range []struct{ q, pushed string }{
		{`SELECT count(*) FROM nvt WHERE a * 2 > 10`, `filter=(a * 2) > 10`},
		{`SELECT count(*) FROM nvt WHERE a - b <= 0.5`, `filter=(a - b) <= 0.5`},
		{`SELECT count(*) FROM nvt WHERE -a > b * i`, `filter=-a > (b * i)`},
		{`SELECT count(*) FROM nvt WHERE abs(a) < f`, `filter=abs(a) < f`},
		{`SELECT sum(a * b), sum(a * 2.50), avg(a - b), min(a * i), max(b + 1.005) FROM nvt`, `aggregates=[`},
		{`SELECT k, sum(a * b), avg(abs(a)), count(a + b) FROM nvt WHERE a * 2 > 0 GROUP BY k ORDER BY k`, `group=[k]`},
		{`SELECT a * 2, count(*), sum(-b) FROM nvt GROUP BY a * 2 ORDER BY 1`, `group=[(a * 2)]`},
		{`SELECT a + b AS s, count(*) FROM nvt WHERE a + b IS NOT NULL GROUP BY a + b ORDER BY s DESC LIMIT 20`, `group=[(a + b)]`},
	} {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		if got := same(tc.q); got == "" || got == "0" {
			t.Errorf("%s: no rows; the data lost its point", tc.q)
		}
	}
	// Random shapes, both engines agree.
	operands := []string{"a", "b", "i", "2", "-3", "1.5", "0.25", "100.125"}
	for range 12 {
		x := operands[rng.IntN(3)]
		y := operands[rng.IntN(len(operands))]
		op := []string{"+", "-", "*"}[rng.IntN(3)]
		e := fmt.Sprintf("(%s %s %s)", x, op, y)
		same(fmt.Sprintf(`SELECT sum(%s), min(%s), max(%s), count(*) FROM nvt WHERE %s %s %s`, e, e, e, e,
			[]string{"=", "<>", "<", ">="}[rng.IntN(4)], operands[3+rng.IntN(5)]))
	}
	// Left to the row engine.
	h.mustQuery(`CREATE TABLE nvu (ts timestamptz NOT NULL, u numeric, d numeric(30,2))`)
	h.mustQuery(`INSERT INTO nvu VALUES ('2024-01-01 00:00:00+00', 1.5, 2.25), ('2024-01-01 00:00:01+00', 2.5, 3)`)
	for _, q := range []string{
		`SELECT sum(u * 2) FROM nvu`,               // unconstrained: values keep their own scales
		`SELECT sum(d * d) FROM nvu`,               // numeric(30,2)²: up to 60 digits
		`SELECT count(*) FROM nvt WHERE c + 1 > 0`, // numeric(38,0) + 1 may carry to 39 digits
		`SELECT sum(a / 3) FROM nvt`,               // the scale of / depends on the values
	} {
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "VectorizedScan") && !strings.Contains(q, "nvt WHERE") {
			t.Errorf("%s: vectorized, but the executor does not run it:\n%s", q, plan)
		} else if strings.Contains(plan, "filter=(c + 1)") {
			t.Errorf("%s: pushed beyond 38 digits:\n%s", q, plan)
		}
	}
	if got := h.mustQuery(`SELECT sum(u * 2), sum(d * d) FROM nvu WHERE u > 1`); got != "8.0|14.0625" {
		t.Errorf("row engine: %q", got)
	}
}
