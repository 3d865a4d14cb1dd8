package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"openwit/internal/pgerror"
)

// TestNumericDivisionVectorized: numeric division as an operand of a
// comparison (filters, behind a divisor test, in aggregates' groups)
// runs in the vectorized executor (EXPLAIN shows it pushed) and returns
// what the row engine returns over Parquet files and buffered rows; a
// zero divisor is 22012 in both engines; divisions that are projected or
// aggregated (their display scale would be lost) or whose quotients may
// pass 38 digits stay in the row engine. count(DISTINCT) of a numeric
// column is vectorized too.
func TestNumericDivisionVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE nvt (ts timestamptz NOT NULL, k text, a numeric(10,2), b numeric(12,4), c numeric(38,0), i int, f float8) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(96, 4))
	numericRows(h, rng, 500)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	numericRows(h, rng, 300) // fresh rows in the ingest buffers
	for _, tc := range []struct{ q, pushed string }{
		{`SELECT count(*) FROM nvt WHERE a <> 0 AND b / a > 1.5`, `(b / a) > 1.5`},
		{`SELECT count(*), sum(a) FROM nvt WHERE a / 3 < b`, `filter=(a / 3) < b`},
		{`SELECT count(*) FROM nvt WHERE a / 2.50 >= -10 AND a / 7 <> 0`, `(a / 2.50) >= -10`},
		{`SELECT k, count(*), max(b) FROM nvt WHERE a <> 0 AND i / a > 2 GROUP BY k ORDER BY k`, `(i / a) > 2`},
		{`SELECT count(*) FROM nvt WHERE a <> 0 AND 0.5 < b / a`, `0.5 < (b / a)`},
		{`SELECT count(*) FROM nvt WHERE (a + b) / 3 > a`, `((a + b) / 3) > a`},
		{`SELECT count(*) FROM nvt WHERE a <> 0 AND b / a = 1`, `(b / a) = 1`},
		{`SELECT k, count(DISTINCT a), count(DISTINCT b) FROM nvt GROUP BY k ORDER BY k`, `count_distinct(a)`},
		{`SELECT count(DISTINCT a), count(DISTINCT c) FROM nvt WHERE a > 0`, `count_distinct(a)`},
		{`SELECT a, count(*) FROM nvt GROUP BY a ORDER BY a LIMIT 20`, `group=[a]`},
	} {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		if got := sameInBothEngines(t, h, tc.q); got == "" || got == "0" {
			t.Errorf("%s: no rows; the data lost its point", tc.q)
		}
	}
	// An unconstrained numeric is stored at scale 10: 1.5 and 1.50 are
	// one value, as in PostgreSQL's count(DISTINCT).
	h.mustQuery(`CREATE TABLE nvu (ts timestamptz NOT NULL, u numeric)`)
	h.mustQuery(`INSERT INTO nvu VALUES ('2024-01-01 00:00:00+00', 1.5), ('2024-01-01 00:00:01+00', 1.50), ('2024-01-01 00:00:02+00', 2), ('2024-01-01 00:00:03+00', NULL)`)
	if plan := h.mustQuery(`EXPLAIN SELECT count(DISTINCT u) FROM nvu`); !strings.Contains(plan, "count_distinct(u)") {
		t.Errorf("count(DISTINCT u) not pushed:\n%s", plan)
	}
	if got := sameInBothEngines(t, h, `SELECT count(DISTINCT u) FROM nvu`); got != "2" {
		t.Errorf("count(DISTINCT u) = %s, want 2", got)
	}
	// Random comparisons, both engines agree.
	divs := []string{"b / a", "a / 3", "i / a", "a / -7", "(a - b) / 9", "b / 2.5"}
	for range 12 {
		d := divs[rng.IntN(len(divs))]
		q := fmt.Sprintf(`SELECT count(*), min(a), max(b) FROM nvt WHERE a <> 0 AND %s %s %s`, d,
			[]string{"=", "<>", "<", ">="}[rng.IntN(4)], []string{"0", "1", "-0.5", "1.0000000000000000", "33.3333333333333333"}[rng.IntN(5)])
		if plan := h.mustQuery("EXPLAIN " + q); !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, "filter=") {
			t.Errorf("%s: not pushed:\n%s", q, plan)
		}
		sameInBothEngines(t, h, q)
	}
	// A zero divisor: 22012 in both engines.
	for _, vec := range []string{"on", "off"} {
		h.mustQuery(`SET openwit.vectorize = ` + vec)
		_, err := h.query(`SELECT count(*) FROM nvt WHERE b / a > 1`)
		if pgerror.Code(err) != pgerror.DivisionByZero || !strings.Contains(err.Error(), "division by zero") {
			t.Errorf("vectorize %s: a zero divisor gave %v, want 22012", vec, err)
		}
	}
	h.mustQuery(`SET openwit.vectorize = on`)
	// Left to the row engine.
	for _, q := range []string{
		`SELECT sum(b / 3) FROM nvt`,               // the sum's scale follows each row's
		`SELECT b / 3 AS q FROM nvt LIMIT 5`,       // projected: each row its own scale
		`SELECT count(*) FROM nvt WHERE a / b > 1`, // (10,2)/(12,4): 28 decimals + 12 digits
		`SELECT count(*) FROM nvt WHERE a / i > 1`, // an int4 divisor: 32 decimals + 8 digits
	} {
		plan := h.mustQuery("EXPLAIN " + q)
		if strings.Contains(plan, " / ") && strings.Contains(plan, "VectorizedScan") && strings.Contains(plan[strings.Index(plan, "VectorizedScan"):], "/") {
			t.Errorf("%s: division pushed:\n%s", q, plan)
		}
	}
}
