package planner_test

import (
	"context"
	"testing"
	"time"

	"openwit/internal/pgerror"
)

// TestAlterDDLCopyAndFlush (design 071): COPY FROM treats a dropped
// column's name as unknown (42703) and fills an added column's DEFAULT
// for rows it leaves it out of; rows buffered before the DROP and ADD and
// flushed after them, and a file written before, read NULL for the
// re-added column and the DEFAULT for the other, also after another flush.
func TestAlterDDLCopyAndFlush(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mustQuery(`CREATE TABLE cp (ts timestamptz NOT NULL, svc text, msg text)`)
	h.mustQuery(`INSERT INTO cp VALUES ('2026-01-01 10:00:00+00', 'file', 'old')`)
	if err := h.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.mustQuery(`INSERT INTO cp VALUES ('2026-01-01 11:00:00+00', 'buffered', 'old')`)
	h.mustQuery(`ALTER TABLE cp DROP COLUMN msg`)
	h.mustQuery(`ALTER TABLE cp ADD COLUMN msg text, ADD COLUMN n int8 NOT NULL DEFAULT 42, ADD COLUMN lbl text DEFAULT 'info words'`)

	re, err := h.beginCopy("COPY cp (ts, svc, msg) FROM STDIN")
	if err != nil {
		t.Fatalf("COPY naming the re-added column: %v", err)
	}
	re.Abort()
	in, err := h.beginCopy("COPY cp (ts, svc) FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Append(ctx, []any{time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), "copied"}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	h.mustQuery(`ALTER TABLE cp DROP COLUMN msg`)
	if _, err := h.beginCopy("COPY cp (ts, msg) FROM STDIN"); pgerror.Code(err) != pgerror.UndefinedColumn {
		t.Fatalf("COPY naming a dropped column: %v, want 42703", err)
	}
	const want = "file|42\nbuffered|42\ncopied|42"
	for _, stage := range []string{"buffered", "flushed"} {
		if got := h.mustQuery(`SELECT svc, n FROM cp ORDER BY ts`); got != want {
			t.Errorf("%s: got %q, want %q", stage, got, want)
		}
		// Files written before lack the columns in their data and in their
		// index artifacts: zone maps, Bloom filters, trigrams and token
		// postings must not rule them out or count them as no match.
		for _, q := range []string{`SELECT count(*) FROM cp WHERE n = 42`, `SELECT count(*) FROM cp WHERE n > 41 AND n < 43`,
			`SELECT count(*) FROM cp WHERE lbl LIKE '%words%'`, `SELECT count(*) FROM cp WHERE lbl = 'info words'`,
			`SELECT count(*) FROM cp WHERE match(lbl, 'words')`, `SELECT count(*) FROM cp WHERE lbl ILIKE 'INFO%'`} {
			if got := h.mustQuery(q); got != "3" {
				t.Errorf("%s: %s: %q, want 3", stage, q, got)
			}
		}
		if err := h.ing.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.query(`SELECT msg FROM cp`); pgerror.Code(err) != pgerror.UndefinedColumn {
		t.Errorf("dropped column: %v, want 42703", err)
	}
}
