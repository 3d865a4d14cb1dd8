package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCaseVectorized: CASE with several branches, the simple form and text
// results group and aggregate on the executor (EXPLAIN shows the CASE in
// the VectorizedScan) and give the row engine's answer over Parquet files
// and buffered rows, with NULL conditions, NULL results and branches whose
// results are equal.
func TestCaseVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE d (ts timestamptz NOT NULL, level text, status int, v float8, code smallint, tag char(4)) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(7, 3))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO d VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			level := []string{"'error'", "'info'", "'warn'", "'debug'", "NULL"}[rng.IntN(5)]
			status := []string{"200", "204", "301", "404", "429", "500", "503", "NULL"}[rng.IntN(8)]
			v := "NULL"
			if rng.IntN(5) > 0 {
				v = fmt.Sprintf("%d.25", rng.IntN(2000)-100)
			}
			code := "NULL"
			if rng.IntN(4) > 0 {
				code = fmt.Sprint(rng.IntN(100) - 50)
			}
			fmt.Fprintf(&b, "('2024-03-01 00:00:00+00'::timestamptz + interval '%d seconds', %s, %s, %s, %s, 'ab')", rng.IntN(20000), level, status, v, code)
		}
		h.mustQuery(b.String())
	}
	insert(600)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(300)
	for _, q := range []string{
		`SELECT CASE WHEN status >= 500 THEN '5xx' WHEN status >= 400 THEN '4xx' ELSE 'ok' END AS class, count(*) FROM d GROUP BY 1 ORDER BY 1`,
		`SELECT CASE WHEN status >= 500 THEN 'bad' WHEN status >= 400 THEN 'bad' WHEN status >= 300 THEN 'moved' END AS class, level, count(*), avg(v) FROM d GROUP BY 1, 2 ORDER BY 1, 2`,
		`SELECT CASE level WHEN 'error' THEN 'E' WHEN 'warn' THEN 'W' ELSE level END AS l, count(*) FROM d GROUP BY 1 ORDER BY 1`,
		`SELECT CASE level WHEN 'error' THEN 3 WHEN 'warn' THEN 2 WHEN 'info' THEN 1 END AS sev, count(*) FROM d GROUP BY 1 ORDER BY 1`,
		// No two results are equal with different display scales (1 and
		// 1.0 form one group printed as whichever row came first).
		`SELECT CASE WHEN v > 1000 THEN 1 WHEN v > 100 THEN 2.0 WHEN v < 0 THEN -0.5 ELSE 0 END AS b, count(*) FROM d GROUP BY 1 ORDER BY 1`,
		`SELECT floor(extract(epoch from ts)/3600)*3600 AS "time", CASE WHEN status >= 500 THEN '5xx' WHEN status >= 400 THEN '4xx' ELSE 'ok' END AS class, count(*) FROM d GROUP BY 1, 2 ORDER BY 1, 2`,
		`SELECT level, sum(CASE WHEN status >= 500 THEN 2 WHEN status >= 400 THEN 1 ELSE 0 END), sum(CASE WHEN status >= 500 THEN v WHEN status >= 400 THEN code ELSE 0.5 END), max(CASE WHEN v > 1000 THEN 'big' WHEN v > 10 THEN 'mid' END) FROM d GROUP BY 1 ORDER BY 1`,
		`SELECT min(CASE WHEN status >= 400 THEN code WHEN status >= 200 THEN status END), max(CASE WHEN v > 0 THEN code WHEN v < 0 THEN status ELSE 0 END), count(CASE WHEN level = 'error' THEN 1 WHEN level = 'warn' THEN 2 END), min(CASE WHEN v > 1 THEN level ELSE 'zzz' END) FROM d`,
		`SELECT count(DISTINCT CASE WHEN status >= 400 THEN 'client' WHEN status >= 200 THEN level END) FROM d`,
	} {
		plan := h.mustQuery("EXPLAIN " + q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, "CASE WHEN") {
			t.Errorf("%s: the CASE is not pushed:\n%s", q, plan)
		}
		sameInBothEngines(t, h, q)
	}
	// A key whose results are all constants groups by the branch number.
	if plan := h.mustQuery(`EXPLAIN SELECT CASE WHEN status >= 500 THEN 'x' WHEN status >= 400 THEN 'y' ELSE 'x' END, count(*) FROM d GROUP BY 1`); !strings.Contains(plan, "THEN 0 WHEN status >= 400 THEN 1 ELSE 0 END") {
		t.Errorf("constant CASE key not numbered:\n%s", plan)
	}
	// Shapes the executor does not take stay on the row engine and still
	// answer: bpchar results (trailing blanks do not count), a numeric
	// value, a cast in a later condition (PostgreSQL would not evaluate
	// it on the rows an earlier branch took).
	for _, q := range []string{
		`SELECT CASE WHEN status >= 500 THEN tag WHEN status >= 400 THEN 'ab  ' END AS k, count(*) FROM d GROUP BY 1 ORDER BY 1`,
		`SELECT sum(CASE WHEN status >= 500 THEN 1.5 WHEN status >= 400 THEN 2 ELSE 0 END) FROM d`,
		`SELECT CASE WHEN level IS NULL OR level <> '7' THEN 'x' WHEN level::int > 3 THEN 'num' END AS k, count(*) FROM d GROUP BY 1 ORDER BY 1`,
	} {
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "CASE WHEN") {
			t.Errorf("%s: pushed:\n%s", q, plan)
		}
		sameInBothEngines(t, h, q)
	}
}
