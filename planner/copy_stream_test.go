package planner_test

import (
	"context"
	"testing"
	"time"

	"openwit/internal/copyval"
	"openwit/internal/pgerror"
)

// TestCopyInStreamsToWAL: a COPY larger than one batch writes
// provisional WAL records while it runs; a bad row after them fails the
// COPY with nothing visible, and a good COPY shows every row at Commit.
func TestCopyInStreamsToWAL(t *testing.T) {
	h := newHarness(t)
	h.mustQuery("CREATE TABLE s (ts timestamptz NOT NULL, v int8)")
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 150_000 // over two batches, over 5 one-hour shards
	for _, fail := range []bool{true, false} {
		in, err := h.beginCopy("COPY s FROM STDIN")
		if err != nil {
			t.Fatal(err)
		}
		row := make([]copyval.Value, 2)
		for i := range n {
			row[0] = copyval.Value{Kind: copyval.Time, T: base.Add(time.Duration(i) * 100 * time.Millisecond)}
			row[1] = copyval.Value{Kind: copyval.Int, I: int64(i)}
			if err := in.AppendValues(ctx, row); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.mustQuery("SELECT count(*) FROM s"); got != "0" {
			t.Fatalf("rows visible before the COPY ends: %s", got)
		}
		if fail {
			row[0] = copyval.Value{}
			if err := in.AppendValues(ctx, row); pgerror.Code(err) != pgerror.NotNullViolation {
				t.Fatalf("bad row: %v", err)
			}
			in.Abort()
			if got := h.mustQuery("SELECT count(*) FROM s"); got != "0" {
				t.Fatalf("failed COPY left %s rows", got)
			}
			continue
		}
		if got, err := in.Commit(ctx); err != nil || got != n {
			t.Fatalf("commit: %d, %v", got, err)
		}
	}
	if got, want := h.mustQuery("SELECT count(*), count(DISTINCT v), min(v), max(v) FROM s"), "150000|150000|0|149999"; got != want {
		t.Errorf("after COPY: %s, want %s", got, want)
	}
}
