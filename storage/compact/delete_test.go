package compact

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"openwit/storage"
	"openwit/storage/catalog"
)

// hostMatcher marks the rows whose host is one of hosts.
func hostMatcher(hosts ...string) RowMatcher {
	return func(_ context.Context, rec arrow.RecordBatch) ([]bool, error) {
		hs := rec.Column(1).(*array.String)
		out := make([]bool, rec.NumRows())
		for i := range out {
			out[i] = !hs.IsNull(i) && slices.Contains(hosts, hs.Value(i))
		}
		return out, nil
	}
}

// matching counts the rows of files match marks, reading them as
// DeleteRows does.
func (r *rig) matching(t *testing.T, tbl *catalog.Table, files []*catalog.File, match RowMatcher) (n int64) {
	t.Helper()
	schema, err := storage.ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		recs, err := r.jobs.readFile(t.Context(), schema, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			m, err := match(t.Context(), rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range m {
				if x {
					n++
				}
			}
			rec.Release()
		}
	}
	return n
}

func fileIDs(files []*catalog.File) []string {
	ids := make([]string, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}
	slices.Sort(ids)
	return ids
}

// TestDeleteRows: the files holding matching rows are rewritten without
// them, a file of matching rows only is dropped, the others stay as they
// are; the count is exact and the old objects become garbage.
func TestDeleteRows(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		tbl := r.createTable(t, "logs", nil)
		rnd := rand.New(rand.NewPCG(1, 2))
		for i := range 4 {
			r.publish(t, tbl, 0, 200, uint64(10+i), rnd)
		}
		r.publish(t, tbl, hour, 150, 20, rnd)
		before := r.files(t, tbl)
		all, _ := r.read(t, before)
		match := hostMatcher("host-3", "host-7")
		if r.matching(t, tbl, before, match) == 0 {
			t.Fatal("no matching rows: the test data is wrong")
		}
		// Shard 1's file: one whose rows all match is dropped.
		one := before[len(before)-1]
		res, err := r.jobs.DeleteRows(t.Context(), tbl, before[:len(before)-1], match)
		if err != nil {
			t.Fatal(err)
		}
		inShard0 := r.matching(t, tbl, before[:len(before)-1], match)
		if res.Rows != inShard0 || res.Rewritten != 4 || res.Dropped != 0 {
			t.Fatalf("DeleteRows = %+v, want %d rows from 4 rewritten files", res, inShard0)
		}
		everything := func(_ context.Context, rec arrow.RecordBatch) ([]bool, error) {
			out := make([]bool, rec.NumRows())
			for i := range out {
				out[i] = true
			}
			return out, nil
		}
		res2, err := r.jobs.DeleteRows(t.Context(), tbl, []*catalog.File{one}, everything)
		if err != nil {
			t.Fatal(err)
		}
		if res2.Rows != one.Rows || res2.Dropped != 1 || res2.Rewritten != 0 {
			t.Fatalf("DeleteRows of a whole file = %+v, want %d rows, one dropped", res2, one.Rows)
		}
		after := r.files(t, tbl)
		got, _ := r.read(t, after)
		if got.count != all.count-inShard0-one.Rows {
			t.Errorf("%d rows left, want %d - %d - %d", got.count, all.count, inShard0, one.Rows)
		}
		if n := r.matching(t, tbl, after, match); n != 0 {
			t.Errorf("%d matching rows left", n)
		}
		if len(after) != 4 {
			t.Errorf("%d files left, want the 4 rewritten ones", len(after))
		}
		for _, f := range after {
			if f.Index == nil {
				t.Errorf("rewritten file %s has no index artifact", f.ID)
			}
		}
		// Nothing matches now: nothing is rewritten.
		res3, err := r.jobs.DeleteRows(t.Context(), tbl, after, match)
		if err != nil || res3 != (DeleteResult{}) {
			t.Fatalf("DeleteRows with no match = %+v, %v", res3, err)
		}
		if ids := fileIDs(r.files(t, tbl)); !slices.Equal(ids, fileIDs(after)) {
			t.Errorf("files changed without a match: %v, was %v", ids, fileIDs(after))
		}
		// The replaced objects are garbage, readable until the grace ends.
		gs, err := r.cat.ListGarbage(t.Context(), time.Now().Add(24*time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		retired := map[string]bool{}
		for _, g := range gs {
			retired[g.Path] = true
		}
		for _, f := range before {
			if !retired[f.Path] || !r.exists(t, f.Path) {
				t.Errorf("replaced file %s: retired %v, still there %v", f.Path, retired[f.Path], r.exists(t, f.Path))
			}
		}
	})
}

// TestDeleteLosesToCompaction: a compaction that swaps the files a DELETE
// read makes the DELETE's swap fail with ErrConflict, changing nothing
// and leaving no upload behind; listed again, the DELETE removes the rows
// from the merged file.
func TestDeleteLosesToCompaction(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		tbl := r.createTable(t, "logs", nil)
		rnd := rand.New(rand.NewPCG(3, 4))
		for i := range 5 {
			r.publish(t, tbl, 0, 100, uint64(10+i), rnd)
		}
		files := r.files(t, tbl)
		all, _ := r.read(t, files)
		match := hostMatcher("host-5")
		want := r.matching(t, tbl, files, match)
		var compacted atomic.Bool
		racing := func(ctx context.Context, rec arrow.RecordBatch) ([]bool, error) {
			if compacted.CompareAndSwap(false, true) {
				if err := r.jobs.Compact(ctx); err != nil {
					return nil, err
				}
			}
			return match(ctx, rec)
		}
		_, err := r.jobs.DeleteRows(t.Context(), tbl, files, racing)
		if !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("DeleteRows after a compaction took its files: %v, want ErrConflict", err)
		}
		merged := r.files(t, tbl)
		if len(merged) != 1 {
			t.Fatalf("%d files after the compaction, want 1", len(merged))
		}
		if got, _ := r.read(t, merged); got.count != all.count || got.sum != all.sum {
			t.Fatalf("after the lost DELETE %+v, want every row %+v", got, all)
		}
		res, err := r.jobs.DeleteRows(t.Context(), tbl, merged, match)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != want {
			t.Errorf("deleted %d rows, want %d", res.Rows, want)
		}
		got, _ := r.read(t, r.files(t, tbl))
		if got.count != all.count-want {
			t.Errorf("%d rows left, want %d", got.count, all.count-want)
		}
	})
}

// TestCompactionLosesToDelete: a DELETE that swaps the files a compaction
// merged (between its upload and its swap) wins; the compaction's swap
// fails, so the deleted rows do not come back through its output and no
// row is lost or doubled.
func TestCompactionLosesToDelete(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		tbl := r.createTable(t, "logs", nil)
		rnd := rand.New(rand.NewPCG(5, 6))
		for i := range 5 {
			r.publish(t, tbl, 0, 100, uint64(10+i), rnd)
		}
		files := r.files(t, tbl)
		all, _ := r.read(t, files)
		match := hostMatcher("host-1", "host-2")
		want := r.matching(t, tbl, files, match)
		var deleted int64
		compactor, err := New(Config{Catalog: r.cat, Bucket: r.bucket, Grace: grace,
			Failpoint: func(ctx context.Context, point string) {
				if point != "before-swap" || deleted != 0 {
					return
				}
				res, err := r.jobs.DeleteRows(ctx, tbl, r.files(t, tbl), match)
				if err != nil {
					t.Errorf("DeleteRows while compaction waits: %v", err)
				}
				deleted = res.Rows
			}})
		if err != nil {
			t.Fatal(err)
		}
		if err := compactor.Compact(t.Context()); err != nil {
			t.Fatal(err)
		}
		if deleted != want {
			t.Fatalf("deleted %d rows, want %d", deleted, want)
		}
		after := r.files(t, tbl)
		got, _ := r.read(t, after)
		if got.count != all.count-want {
			t.Errorf("%d rows after the race, want %d", got.count, all.count-want)
		}
		if n := r.matching(t, tbl, after, match); n != 0 {
			t.Errorf("%d deleted rows came back", n)
		}
		if len(after) != 5 {
			t.Errorf("%d files, want the DELETE's 5 (the compaction lost)", len(after))
		}
	})
}

// TestTruncate removes every file in one swap and counts their rows.
func TestTruncate(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		tbl := r.createTable(t, "logs", nil)
		rnd := rand.New(rand.NewPCG(7, 8))
		r.publish(t, tbl, 0, 100, 10, rnd)
		r.publish(t, tbl, hour, 120, 11, rnd)
		n, err := r.jobs.Truncate(t.Context(), tbl)
		if err != nil || n != 220 {
			t.Fatalf("Truncate = %d, %v; want 220 rows", n, err)
		}
		if fs := r.files(t, tbl); len(fs) != 0 {
			t.Errorf("%d files after TRUNCATE", len(fs))
		}
		// The checkpoints stay: a WAL replay skips the truncated rows.
		cp, err := r.cat.Checkpoints(t.Context(), "w1", tbl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cp[0] != 10 || cp[hour] != 11 {
			t.Errorf("checkpoints after TRUNCATE %v, want shard 0 at 10 and shard 1h at 11", cp)
		}
		if n, err := r.jobs.Truncate(t.Context(), tbl); err != nil || n != 0 {
			t.Errorf("Truncate of an empty table = %d, %v", n, err)
		}
	})
}
