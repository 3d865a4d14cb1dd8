package compact

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/pqfile"
)

// RowUpdater returns how many rows of rec an UPDATE changes and, when
// some, a batch with rec's schema and rows in which the changed rows hold
// their new values and the others are as they were (the caller releases
// it). rec is valid only during the call. UpdateRows calls it from
// several goroutines at once.
type RowUpdater func(ctx context.Context, rec arrow.RecordBatch) (n int, out arrow.RecordBatch, err error)

// UpdateRows changes the rows update picks in files (published files of
// t): each file holding such rows is written again with them changed (rows
// in their order) and uploaded, and one catalog.ReplaceFiles swaps all of
// them at once, as DeleteRows does, with the same catalog.ErrConflict
// contract. Rows is the number of rows changed.
//
// A changed row whose new time falls in another shard than its file's
// (UPDATE of the time column, docs/design/086-time-column-update.md)
// leaves the rewrite: the rows moved to one shard, from every file, are
// written to one new file of that shard (name t<table>-s<shard>-m<max
// LSN>-<random>, MaxLSN the highest of the files they came from, with
// its index artifact and time range), published in the same
// ReplaceFiles, so a reader sees every row either in its old file or in
// its new one, never in both or neither. A file all of whose rows moved
// is dropped.
func (j *Jobs) UpdateRows(ctx context.Context, t *catalog.Table, files []*catalog.File, update RowUpdater) (DeleteResult, error) {
	schema, err := storage.ArrowSchema(t)
	if err != nil {
		return DeleteResult{}, err
	}
	mv := &moved{j: j, t: t, schema: schema, shards: map[int64]*movedShard{}}
	defer mv.close()
	res, err := j.swapRewrites(ctx, t, files, "update", func(f *catalog.File) (*catalog.File, int64, error) {
		return j.rewriteUpdated(ctx, t, schema, f, update, mv)
	}, func() ([]*catalog.File, error) { return mv.publish(ctx) })
	if err != nil {
		return res, err
	}
	res.Moved = mv.rows
	return res, nil
}

// rewriteUpdated reads f once, streaming every batch (as update returns
// it) into a temporary Parquet file, and uploads that file when some row
// changed: (nil, 0) when none did. Changed rows whose time left f's shard
// go to mv instead; when every row did, f is dropped: (nil, changed).
func (j *Jobs) rewriteUpdated(ctx context.Context, t *catalog.Table, schema *arrow.Schema, f *catalog.File, update RowUpdater, mv *moved) (*catalog.File, int64, error) {
	data, err := j.fetch(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	tmp, err := os.CreateTemp(j.cfg.TempDir, "openwit-update-*.parquet")
	if err != nil {
		return nil, 0, fmt.Errorf("temporary file: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	sw, err := pqfile.NewStreamWriter(tmp, schema, j.cfg.Writer)
	if err != nil {
		return nil, 0, err
	}
	var changed, total, kept int64
	minT, maxT, anyTime := int64(math.MaxInt64), int64(math.MinInt64), false
	err = j.scanFile(ctx, schema, data, func(rec arrow.RecordBatch) error {
		n, out, err := update(ctx, rec)
		if err != nil {
			return err
		}
		if out == nil {
			if n != 0 {
				return fmt.Errorf("updater changed %d rows but returned no batch", n)
			}
			out = rec
			out.Retain()
		}
		defer out.Release()
		if out.NumRows() != rec.NumRows() {
			return fmt.Errorf("updater returned %d rows for a %d-row batch", out.NumRows(), rec.NumRows())
		}
		changed += int64(n)
		total += rec.NumRows()
		if n > 0 {
			stay, err := mv.split(ctx, f, out)
			if err != nil {
				return err
			}
			defer stay.Release()
			out = stay
		}
		if out.NumRows() == 0 {
			return nil
		}
		kept += out.NumRows()
		if hasTime(t, out) {
			lo, hi := storage.TimeRange(t, []arrow.RecordBatch{out})
			minT, maxT, anyTime = min(minT, lo), max(maxT, hi), true
		}
		return sw.Write(out)
	})
	if err == nil && total != f.Rows {
		err = fmt.Errorf("read %d rows from a file the catalog says holds %d", total, f.Rows)
	}
	if err != nil || changed == 0 || kept == 0 {
		sw.Close() //nolint:errcheck // the file is discarded
		return nil, changed, err
	}
	out, err := j.publishRewrite(ctx, t, f, "d", tmp, sw, kept, minT, maxT, anyTime)
	if err != nil {
		return nil, 0, err
	}
	return out, changed, nil
}

// moved collects the rows an UpdateRows moves to other shards: per shard,
// one temporary Parquet file that every rewrite appends to.
type moved struct {
	j      *Jobs
	t      *catalog.Table
	schema *arrow.Schema

	mu     sync.Mutex
	shards map[int64]*movedShard
	rows   int64
	closed bool
}

// movedShard is the file being written for the rows moved to one shard.
type movedShard struct {
	tmp        *os.File
	sw         *pqfile.StreamWriter
	rows       int64
	minT, maxT int64
	maxLSN     uint64
}

// split returns the rows of rec (a batch of f after the update) whose
// time is in f's shard, and writes the others to the files of their
// shards. A row without a time stays.
func (mv *moved) split(ctx context.Context, f *catalog.File, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	idx := rec.Schema().FieldIndices(mv.t.TimeField())
	var col *array.Timestamp
	if len(idx) > 0 {
		col, _ = rec.Column(idx[0]).(*array.Timestamp)
	}
	if col == nil {
		rec.Retain()
		return rec, nil
	}
	shardOf := make([]int64, col.Len())
	var others []int64 // the other shards met, in order
	for i := range shardOf {
		shardOf[i] = f.Shard
		if col.IsNull(i) {
			continue
		}
		if s := mv.t.ShardOf(int64(col.Value(i))); s != f.Shard {
			shardOf[i] = s
			if !slices.Contains(others, s) {
				others = append(others, s)
			}
		}
	}
	if len(others) == 0 {
		rec.Retain()
		return rec, nil
	}
	for _, s := range others {
		part, err := mv.j.filterRows(ctx, rec, func(i int) bool { return shardOf[i] == s })
		if err != nil {
			return nil, err
		}
		err = mv.add(s, f.MaxLSN, part)
		part.Release()
		if err != nil {
			return nil, err
		}
	}
	return mv.j.filterRows(ctx, rec, func(i int) bool { return shardOf[i] == f.Shard })
}

// filterRows returns the rows i of rec for which keep(i) is true.
func (j *Jobs) filterRows(ctx context.Context, rec arrow.RecordBatch, keep func(i int) bool) (arrow.RecordBatch, error) {
	b := array.NewBooleanBuilder(j.mem)
	defer b.Release()
	for i := range int(rec.NumRows()) {
		b.Append(keep(i))
	}
	mask := b.NewBooleanArray()
	defer mask.Release()
	out, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("filter rows: %w", err)
	}
	return out, nil
}

// add appends rec, rows moved to shard from a file whose MaxLSN is lsn,
// to that shard's file.
func (mv *moved) add(shard int64, lsn uint64, rec arrow.RecordBatch) error {
	mv.mu.Lock()
	defer mv.mu.Unlock()
	if mv.closed {
		return errors.New("rows moved after the update ended")
	}
	ms := mv.shards[shard]
	if ms == nil {
		tmp, err := os.CreateTemp(mv.j.cfg.TempDir, "openwit-update-moved-*.parquet")
		if err != nil {
			return fmt.Errorf("temporary file: %w", err)
		}
		sw, err := pqfile.NewStreamWriter(tmp, mv.schema, mv.j.cfg.Writer)
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return err
		}
		ms = &movedShard{tmp: tmp, sw: sw, minT: math.MaxInt64, maxT: math.MinInt64}
		mv.shards[shard] = ms
	}
	lo, hi := storage.TimeRange(mv.t, []arrow.RecordBatch{rec})
	ms.minT, ms.maxT = min(ms.minT, lo), max(ms.maxT, hi)
	ms.maxLSN = max(ms.maxLSN, lsn)
	ms.rows += rec.NumRows()
	mv.rows += rec.NumRows()
	return ms.sw.Write(rec)
}

// publish closes the files of the moved rows and uploads them, with their
// index artifacts, as files of their shards (not yet published). On an
// error the uploads are deleted.
func (mv *moved) publish(ctx context.Context) ([]*catalog.File, error) {
	mv.mu.Lock()
	defer mv.mu.Unlock()
	shards := make([]int64, 0, len(mv.shards))
	for s := range mv.shards {
		shards = append(shards, s)
	}
	slices.Sort(shards)
	var out []*catalog.File
	for _, s := range shards {
		ms := mv.shards[s]
		// Every moved row has a time (rows without one stay): the range
		// is always recorded, also for a single row at the epoch.
		f, err := mv.j.publishRewrite(ctx, mv.t, &catalog.File{Shard: s, MaxLSN: ms.maxLSN}, "m", ms.tmp, ms.sw, ms.rows, ms.minT, ms.maxT, true)
		ms.sw = nil // closed by publishRewrite
		if err != nil {
			mv.j.discard(out)
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// close removes the temporary files; it is safe after publish.
func (mv *moved) close() {
	mv.mu.Lock()
	defer mv.mu.Unlock()
	mv.closed = true
	for _, ms := range mv.shards {
		if ms.sw != nil {
			ms.sw.Close() //nolint:errcheck // the file is discarded
		}
		ms.tmp.Close()
		os.Remove(ms.tmp.Name())
	}
}
