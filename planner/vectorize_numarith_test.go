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
	for _, tc := range []struct{ q, pushed string }{
		{`SELECT count(*) FROM nvt WHERE a * 2 > 10`, `filter=(a * 2) > 10`},
		{`SELECT count(*) FROM nvt WHERE a - b <= 0.5`, `filter=(a - b) <= 0.5`},
		{`SELECT count(*) FROM nvt WHERE -a > b * i`, `filter=-a > (b * i)`},
		{`SELECT count(*) FROM nvt WHERE abs(a) < f`, `filter=abs(a) < f`},
		{`SELECT count(*) FROM nvt WHERE a * -(2.5) < -(b)`, `filter=(a * -2.5) < -b`},
		{`SELECT sum(a * b), sum(a * 2.50), avg(a - b), min(a * i), max(b + 1.005) FROM nvt`, `aggregates=[`},
		{`SELECT k, sum(a * b), avg(abs(a)), count(a + b) FROM nvt WHERE a * 2 > 0 GROUP BY k ORDER BY k`, `group=[k]`},
		{`SELECT a * 2, count(*), sum(-b) FROM nvt GROUP BY a * 2 ORDER BY 1`, `group=[(a * 2)]`},
		{`SELECT a + b AS s, count(*) FROM nvt WHERE a + b IS NOT NULL GROUP BY a + b ORDER BY s DESC LIMIT 20`, `group=[(a + b)]`},
	} {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		if got := sameInBothEngines(t, h, tc.q); got == "" || got == "0" {
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
		sameInBothEngines(t, h, fmt.Sprintf(`SELECT sum(%s), min(%s), max(%s), count(*) FROM nvt WHERE %s %s %s`, e, e, e, e,
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

// TestCaseNumericTimestampVectorized: CASE whose values are numeric of one
// scale, or timestamps, as grouped outputs, aggregate arguments and GROUP
// BY keys runs in the vectorized executor and agrees with the row engine;
// a numeric CASE mixing display scales (PostgreSQL keeps each branch's)
// stays in the row engine and answers as PostgreSQL does.
func TestCaseNumericTimestampVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE nvt (ts timestamptz NOT NULL, k text, a numeric(10,2), b numeric(12,4), c numeric(38,0), i int, f float8) WITH (time_column = 'ts')`)
	h.mustQuery(`CREATE TABLE tsc (ts timestamptz NOT NULL, i int, t timestamp, u timestamp, tz timestamptz)`)
	rng := rand.New(rand.NewPCG(11, 2))
	numericRows(h, rng, 400)
	h.mustQuery(`INSERT INTO tsc VALUES ('2024-01-01 00:00:00+00', 1, '2024-03-01 10:00:00', '2020-01-01 00:00:00', '2024-03-01 10:00:00+00'),
		('2024-01-01 00:00:01+00', -1, '2024-03-02 11:30:00.5', NULL, '2024-03-02 11:30:00.5+00'),
		('2024-01-01 00:00:02+00', NULL, NULL, '2021-06-01 12:00:00', NULL),
		('2024-01-01 00:00:03+00', 5, '1999-12-31 23:59:59.999999', '2022-01-01 00:00:00', '1999-12-31 23:59:59.999999+00')`)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	numericRows(h, rng, 200)
	for _, tc := range []struct{ q, pushed string }{
		{`SELECT sum(CASE WHEN k = 'a' THEN a WHEN k = 'b' THEN -a ELSE 0.00 END), max(CASE WHEN i > 0 THEN a * 2 ELSE a + 1 END) FROM nvt`, `aggregates=[`},
		{`SELECT k, sum(CASE WHEN a > 0 THEN a * b ELSE NULL END), min(CASE WHEN i < 0 THEN b ELSE b - 1 END) FROM nvt GROUP BY k ORDER BY k`, `group=[k]`},
		{`SELECT CASE WHEN a > 0 THEN a ELSE -a END AS m, count(*) FROM nvt GROUP BY CASE WHEN a > 0 THEN a ELSE -a END ORDER BY m LIMIT 30`, `group=[CASE`},
		{`SELECT CASE WHEN i > 0 THEN t ELSE u END AS w, count(*) FROM tsc GROUP BY CASE WHEN i > 0 THEN t ELSE u END ORDER BY w`, `group=[CASE`},
		{`SELECT max(CASE WHEN i > 0 THEN t ELSE u END) FROM tsc`, `aggregates=[`},
		{`SELECT min(CASE WHEN i > 1 THEN tz WHEN i < 0 THEN ts END) FROM tsc`, `aggregates=[`},
	} {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		if got := sameInBothEngines(t, h, tc.q); got == "" || got == "0" {
			t.Errorf("%s: no rows; the data lost its point", tc.q)
		}
	}
	// Display scales that differ by branch: the row engine.
	for _, q := range []string{
		`SELECT max(CASE WHEN i > 0 THEN a ELSE 0 END) FROM nvt`,
		`SELECT max(CASE WHEN i > 0 THEN a ELSE b END) FROM nvt`,
		`SELECT max(CASE WHEN i > 0 THEN t ELSE tz END) FROM tsc`,
	} {
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "VectorizedScan") {
			t.Errorf("%s: vectorized:\n%s", q, plan)
		}
	}
	if got := h.mustQuery(`SELECT CASE WHEN a > 0 THEN a ELSE 0 END FROM nvt WHERE a = -1.00 OR a = 0.50 GROUP BY 1 ORDER BY 1`); got != "0\n0.50" && got != "0" && got != "0.50" {
		t.Errorf("mixed display scales: %q", got)
	}
}
