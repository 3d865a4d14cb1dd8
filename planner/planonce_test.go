package planner_test

import (
	"context"
	"testing"
)

// TestDescribedPlanOnce: a query without parameters is bound and
// analyzed once when it is executed right after it was described (the
// simple protocol), and again whenever a statement ran in between (a
// prepared statement after ALTER TABLE or INSERT, the second statement of
// a multi-statement string, a statement after a transaction-local
// set_config): the results are those of a fresh plan.
func TestDescribedPlanOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mustQuery(`CREATE TABLE t (ts timestamptz NOT NULL, a int)`)
	h.mustQuery(`INSERT INTO t VALUES ('2024-01-01 00:00:00+00', 1)`)

	plans := func(sql, want string) int64 {
		t.Helper()
		n := h.eng.Plans()
		if got := h.mustQuery(sql); got != want {
			t.Errorf("%s = %q, want %q", sql, got, want)
		}
		return h.eng.Plans() - n
	}
	if n := plans(`SELECT a FROM t`, "1"); n != 1 {
		t.Errorf("SELECT described and executed at once: %d plans, want 1", n)
	}
	// Both statements are described first, then executed in turn: the
	// second is planned again after the first ran.
	if n := plans(`SELECT count(*) FROM t; SELECT count(*) + 1 FROM t`, "1\n2"); n != 3 {
		t.Errorf("two statements: %d plans, want 3", n)
	}

	// A prepared statement executed after other statements plans again
	// and sees what they did.
	stmts, err := h.s.Prepare(ctx, `SELECT * FROM t ORDER BY a`, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.mustQuery(`INSERT INTO t VALUES ('2024-01-01 01:00:00+00', 2)`)
	h.mustQuery(`ALTER TABLE t ADD COLUMN b text`)
	n := h.eng.Plans()
	for run := range 2 {
		rows, err := stmts[0].Execute(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for {
			r, err := rows.Next(ctx)
			if err != nil {
				break
			}
			count++
			if len(r) != 3 {
				t.Errorf("run %d: row %v has %d columns, want 3 (ts, a, b)", run, r, len(r))
			}
		}
		rows.Close()
		if count != 2 {
			t.Errorf("run %d: %d rows, want 2", run, count)
		}
	}
	if d := h.eng.Plans() - n; d != 2 {
		t.Errorf("two executions after other statements: %d plans, want 2", d)
	}

	// set_config(..., true) outside a block lasts one statement: the
	// next one, described while the setting held, runs without it.
	h.mustQuery(`SELECT set_config('TimeZone', 'Asia/Tokyo', true)`)
	if n := plans(`SELECT '2024-01-01 00:00:00'::timestamptz::text`, "2024-01-01 00:00:00+00"); n != 2 {
		t.Errorf("after a transaction-local set_config: %d plans, want 2", n)
	}
	// now() is the statement's (transaction's), not the plan's.
	a := h.mustQuery(`SELECT now()::text`)
	b := h.mustQuery(`SELECT now()::text`)
	if a == b {
		t.Errorf("now() twice: %s both times", a)
	}
}
