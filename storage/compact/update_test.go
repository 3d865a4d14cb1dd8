package compact

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage"
	"openwit/storage/catalog"
)

// timeUpdater is the RowUpdater of an UPDATE of the time column: a row
// for which shift returns a non-zero delta gets ts + delta.
func timeUpdater(shift func(host string, ts int64) int64) RowUpdater {
	return func(_ context.Context, rec arrow.RecordBatch) (int, arrow.RecordBatch, error) {
		ts := rec.Column(0).(*array.Timestamp)
		hs := rec.Column(1).(*array.String)
		b := array.NewTimestampBuilder(memory.DefaultAllocator, ts.DataType().(*arrow.TimestampType))
		defer b.Release()
		n := 0
		for i := range ts.Len() {
			v := int64(ts.Value(i))
			if d := shift(hs.Value(i), v); d != 0 {
				v += d
				n++
			}
			b.Append(arrow.Timestamp(v))
		}
		if n == 0 {
			return 0, nil, nil
		}
		col := b.NewArray()
		defer col.Release()
		cols := append([]arrow.Array{col}, rec.Columns()[1:]...)
		return n, array.NewRecordBatch(rec.Schema(), cols, rec.NumRows()), nil
	}
}

// rowsOf reads every row of files as "ts|host|v" and checks that each
// file's rows lie in its shard and its [MinTime, MaxTime], the bounds
// being exact.
func (r *rig) rowsOf(t *testing.T, tbl *catalog.Table, files []*catalog.File) map[string]int {
	t.Helper()
	schema, err := storage.ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range files {
		recs, err := r.jobs.readFile(t.Context(), schema, f)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := int64(1<<63-1), int64(-1<<63)
		for _, rec := range recs {
			ts := rec.Column(0).(*array.Timestamp)
			for i := range ts.Len() {
				v := int64(ts.Value(i))
				if s := tbl.ShardOf(v); s != f.Shard {
					t.Errorf("file %s of shard %d holds a row of shard %d", f.ID, f.Shard, s)
				}
				lo, hi = min(lo, v), max(hi, v)
				out[fmt.Sprintf("%d|%s|%d", v, rec.Column(1).(*array.String).Value(i), rec.Column(2).(*array.Int64).Value(i))]++
			}
			rec.Release()
		}
		if lo != f.MinTime || hi != f.MaxTime {
			t.Errorf("file %s: times %d..%d, catalog says %d..%d", f.ID, lo, hi, f.MinTime, f.MaxTime)
		}
	}
	return out
}

// TestUpdateRowsMovesShards: rows whose new time leaves their file's shard
// are written to one new file per shard (a new shard and an existing one),
// in the same swap as the rewrites; a file all of whose rows move is
// dropped; every row is found exactly once, in a file of its shard with
// exact time bounds and an index artifact; the WAL checkpoints stay.
func TestUpdateRowsMovesShards(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		tbl := r.createTable(t, "logs", nil)
		rnd := rand.New(rand.NewPCG(9, 10))
		r.publish(t, tbl, base, 200, 10, rnd)
		r.publish(t, tbl, base, 150, 11, rnd)
		r.publish(t, tbl, base+hour, 100, 12, rnd)
		whole := r.publish(t, tbl, base+3*hour, 40, 13, rnd)
		before := r.files(t, tbl)
		cpBefore, err := r.cat.Checkpoints(t.Context(), "w1", tbl.ID)
		if err != nil {
			t.Fatal(err)
		}
		// host-1..host-4 of the first shard move two shards on (a new
		// shard), host-5 one on (a shard with a file), host-6 one minute
		// on (stays unless it crosses the hour), every row of the last
		// shard one hour back (a new shard; its file is dropped).
		shift := func(host string, ts int64) int64 {
			switch {
			case tbl.ShardOf(ts) == base+3*hour:
				return -hour
			case tbl.ShardOf(ts) != base:
				return 0
			case host == "host-1" || host == "host-2" || host == "host-3" || host == "host-4":
				return 2 * hour
			case host == "host-5":
				return hour
			case host == "host-6":
				return 60_000_000
			}
			return 0
		}
		want := map[string]int{}
		var changed, moved int64
		for k, n := range r.rowsOf(t, tbl, before) {
			var ts, v int64
			var host string
			if _, err := fmt.Sscanf(strings.ReplaceAll(k, "|", " "), "%d %s %d", &ts, &host, &v); err != nil {
				t.Fatal(err)
			}
			if d := shift(host, ts); d != 0 {
				changed += int64(n)
				if tbl.ShardOf(ts+d) != tbl.ShardOf(ts) {
					moved += int64(n)
				}
				ts += d
			}
			want[fmt.Sprintf("%d|%s|%d", ts, host, v)] += n
		}
		if moved == 0 || moved == changed {
			t.Fatalf("%d rows change, %d move: the test data should have both", changed, moved)
		}
		res, err := r.jobs.UpdateRows(t.Context(), tbl, before, timeUpdater(shift))
		if err != nil {
			t.Fatal(err)
		}
		// Shards base+2h and base+3h-1h=base+2h get the moved rows of
		// both shards in one new file, base+1h another: 2 new files.
		if res.Rows != changed || res.Moved != moved || res.Added != 2 || res.Dropped != 1 || res.Rewritten != 2 {
			t.Fatalf("UpdateRows = %+v, want %d rows changed, %d moved, 2 added, 1 dropped, 2 rewritten", res, changed, moved)
		}
		after := r.files(t, tbl)
		got := r.rowsOf(t, tbl, after)
		if len(got) != len(want) {
			t.Errorf("%d distinct rows after the UPDATE, want %d", len(got), len(want))
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("row %s: %d times, want %d", k, got[k], n)
			}
		}
		shards := map[int64]int{}
		for _, f := range after {
			shards[f.Shard]++
			if f.Index == nil {
				t.Errorf("file %s has no index artifact", f.ID)
			}
			if f.ID == whole.ID {
				t.Errorf("the file whose rows all moved is still published")
			}
		}
		if shards[base] != 2 || shards[base+hour] != 2 || shards[base+2*hour] != 1 || shards[base+3*hour] != 0 {
			t.Errorf("files per shard %v, want 2 in the first two, 1 in the third, none in the fourth", shards)
		}
		cp, err := r.cat.Checkpoints(t.Context(), "w1", tbl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(cp) != fmt.Sprint(cpBefore) {
			t.Errorf("checkpoints %v after the UPDATE, were %v", cp, cpBefore)
		}
	})
}

// TestUpdateRowsMovedLoseSwap: an UPDATE that moves rows and loses its
// swap to a concurrent DELETE changes nothing: its rewrites and the files
// of the moved rows are deleted at once, the catalog holds the DELETE's
// files only.
func TestUpdateRowsMovedLoseSwap(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		tbl := r.createTable(t, "logs", nil)
		rnd := rand.New(rand.NewPCG(11, 12))
		r.publish(t, tbl, base, 100, 10, rnd)
		r.publish(t, tbl, base, 100, 11, rnd)
		files := r.files(t, tbl)
		var deleted int64
		updater, err := New(Config{Catalog: r.cat, Bucket: r.bucket, Grace: grace,
			Failpoint: func(ctx context.Context, point string) {
				if point != "update-before-swap" || deleted != 0 {
					return
				}
				res, err := r.jobs.DeleteRows(ctx, tbl, files[:1], hostMatcher("host-9"))
				if err != nil {
					t.Errorf("DeleteRows while the UPDATE waits: %v", err)
				}
				deleted = res.Rows
			}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = updater.UpdateRows(t.Context(), tbl, files, timeUpdater(func(string, int64) int64 { return 5 * hour }))
		if !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("UpdateRows after a concurrent DELETE: %v, want ErrConflict", err)
		}
		if deleted == 0 {
			t.Fatal("the DELETE removed nothing: the test data is wrong")
		}
		after := r.files(t, tbl)
		for _, f := range after {
			if f.Shard != base {
				t.Errorf("file %s of shard %d published by a lost swap", f.ID, f.Shard)
			}
		}
		var objects []string
		err = r.bucket.List(t.Context(), strings.TrimSuffix(storage.FileKey(tbl.ID, base+5*hour, ""), ".parquet"), func(key string, _ int64) error {
			objects = append(objects, key)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(objects) != 0 {
			t.Errorf("objects of the moved rows left after the lost swap: %v", objects)
		}
		if n := int64(len(r.rowsOf(t, tbl, after))); n == 0 {
			t.Error("no rows left")
		}
	})
}
