package planner_test

import (
	"context"
	"fmt"
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

// TestCopyInBatchesAcrossShards: a COPY of two full batches and a short
// one, whose rows are time-ordered over a few hours, then alternate
// between two hours, stores every row whole (ts, v and s stay together)
// in its shard, with and without a transaction block: the one batch of
// all shards is split into slices, gathered per shard when the shards
// interleave, and the short batch after a full one is compacted.
func TestCopyInBatchesAcrossShards(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 2*65536 + 1000
	for _, table := range []string{"plain", "block"} {
		h.mustQuery("CREATE TABLE " + table + " (ts timestamptz NOT NULL, v int8, s text)")
		if table == "block" {
			h.mustQuery("BEGIN")
		}
		in, err := h.beginCopy("COPY " + table + " FROM STDIN")
		if err != nil {
			t.Fatal(err)
		}
		row := make([]copyval.Value, 3)
		for i := range n {
			ts := base.Add(time.Duration(i) * 100 * time.Millisecond) // 70,000 rows over two hours
			if i >= 70_000 {
				ts = base.Add(time.Duration(10+i%2)*time.Hour + time.Duration(i)*time.Millisecond)
			}
			row[0] = copyval.Value{Kind: copyval.Time, T: ts}
			row[1] = copyval.Value{Kind: copyval.Int, I: ts.UnixMicro()}
			row[2] = copyval.Value{Kind: copyval.String, S: fmt.Sprint(ts.UnixMicro())}
			if i%7 == 0 {
				row[2] = copyval.Value{}
			}
			if err := in.AppendValues(ctx, row); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := in.Commit(ctx); err != nil || got != n {
			t.Fatalf("%s: commit: %d, %v", table, got, err)
		}
		if table == "block" {
			h.mustQuery("COMMIT")
		}
		got := h.mustQuery("SELECT count(*), count(s), count(DISTINCT date_trunc('hour', ts)), " +
			"count(*) FILTER (WHERE (extract(epoch FROM ts) * 1000000)::int8 <> v), count(*) FILTER (WHERE s <> v::text) FROM " + table)
		if want := fmt.Sprintf("%d|%d|4|0|0", n, n-(n+6)/7); got != want {
			t.Errorf("%s: got %s, want %s", table, got, want)
		}
	}
}
