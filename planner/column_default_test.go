package planner_test

import (
	"context"
	"testing"
	"time"

	"openwit/internal/pgerror"
)

// TestCopyColumnDefaults: COPY gives the columns it leaves out their
// DEFAULT, as INSERT does (a NOT NULL column with a DEFAULT may be left
// out); the time column must be listed.
func TestCopyColumnDefaults(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mustQuery(`CREATE TABLE t (ts timestamptz NOT NULL DEFAULT now(), v int8, s text NOT NULL DEFAULT 'none', n numeric(6,2) DEFAULT 1.5 * 2, b boolean DEFAULT true, f real DEFAULT 0.5)`)
	in, err := h.beginCopy("COPY t (ts, v) FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := in.Append(ctx, []any{base.Add(time.Duration(i) * time.Second), int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := in.Commit(ctx); err != nil || n != 3 {
		t.Fatalf("Commit: %d, %v", n, err)
	}
	if got := h.mustQuery(`SELECT count(*), min(s), max(s), sum(n), bool_and(b), sum(f) FROM t`); got != "3|none|none|9.00|true|1.5" {
		t.Fatalf("defaults after COPY: %s", got)
	}
	if _, err := h.beginCopy("COPY t (v) FROM STDIN"); pgerror.Code(err) != pgerror.FeatureNotSupported {
		t.Fatalf("COPY without the time column: %v, want 0A000", err)
	}
}
