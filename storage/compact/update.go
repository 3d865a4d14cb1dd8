package compact

import (
	"context"
	"fmt"
	"math"
	"os"

	"github.com/apache/arrow-go/v18/arrow"

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
// in their order, the same shard: the updater must not move a row's time
// out of it) and uploaded, and one catalog.ReplaceFiles swaps all of them
// at once, as DeleteRows does, with the same catalog.ErrConflict contract.
// Rows is the number of rows changed.
func (j *Jobs) UpdateRows(ctx context.Context, t *catalog.Table, files []*catalog.File, update RowUpdater) (DeleteResult, error) {
	schema, err := storage.ArrowSchema(t)
	if err != nil {
		return DeleteResult{}, err
	}
	return j.swapRewrites(ctx, t, files, "update", func(f *catalog.File) (*catalog.File, int64, error) {
		return j.rewriteUpdated(ctx, t, schema, f, update)
	})
}

// rewriteUpdated reads f once, streaming every batch (as update returns
// it) into a temporary Parquet file, and uploads that file when some row
// changed: (nil, 0) when none did.
func (j *Jobs) rewriteUpdated(ctx context.Context, t *catalog.Table, schema *arrow.Schema, f *catalog.File, update RowUpdater) (*catalog.File, int64, error) {
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
	var changed, total int64
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
		if out.NumRows() == 0 {
			return nil
		}
		if hasTime(t, out) {
			lo, hi := storage.TimeRange(t, []arrow.RecordBatch{out})
			minT, maxT, anyTime = min(minT, lo), max(maxT, hi), true
		}
		return sw.Write(out)
	})
	if err == nil && total != f.Rows {
		err = fmt.Errorf("read %d rows from a file the catalog says holds %d", total, f.Rows)
	}
	if err != nil || changed == 0 {
		sw.Close() //nolint:errcheck // the file is discarded
		return nil, 0, err
	}
	out, err := j.publishRewrite(ctx, t, f, tmp, sw, total, minT, maxT, anyTime)
	if err != nil {
		return nil, 0, err
	}
	return out, changed, nil
}
