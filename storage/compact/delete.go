package compact

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/pqfile"
)

// RowMatcher marks the rows of rec that a DELETE removes: match[i] is
// true for row i. rec has the table's schema (Config: storage.ArrowSchema);
// it is valid only during the call. DeleteRows calls it from several
// goroutines at once.
type RowMatcher func(ctx context.Context, rec arrow.RecordBatch) (match []bool, err error)

// DeleteResult says what a DeleteRows swap did.
type DeleteResult struct {
	// Rows is the number of rows removed.
	Rows int64
	// Rewritten counts the files replaced by a copy without the removed
	// rows, Dropped the files all of whose rows were removed.
	Rewritten, Dropped int
	// Moved (UpdateRows) counts the changed rows whose new time fell in
	// another shard than their file's, Added the files of other shards
	// that hold them.
	Moved int64
	Added int
}

// rewriteParallelism is how many files DeleteRows rewrites at once.
const rewriteParallelism = 4

// maxSwapAttempts bounds how often Truncate lists the files again after
// losing a swap to a concurrent compaction or DELETE.
const maxSwapAttempts = 20

// DeleteRows removes the rows match marks from files (published files of
// t): each file holding such rows is read, written again without them
// (same shard and MaxLSN, rows in their order, a fresh name
// t<table>-s<shard>-d<max LSN>-<random>, with its index artifact) and
// uploaded; a file whose rows all match is dropped. Then one
// catalog.ReplaceFiles swaps all of them at once, so queries see every
// file before or every file after. A file that is gone by then (a
// concurrent compaction, DELETE, TRUNCATE or retention took it) fails the
// swap with catalog.ErrConflict and nothing changes: the caller lists the
// files again and retries (the rows may have moved to a merged file). The
// uploads of a lost swap are deleted at once; other failures leave them
// to Collect as orphans. Files without a matching row are not touched.
func (j *Jobs) DeleteRows(ctx context.Context, t *catalog.Table, files []*catalog.File, match RowMatcher) (DeleteResult, error) {
	schema, err := storage.ArrowSchema(t)
	if err != nil {
		return DeleteResult{}, err
	}
	return j.swapRewrites(ctx, t, files, "delete", func(f *catalog.File) (*catalog.File, int64, error) {
		return j.rewriteWithout(ctx, t, schema, f, match)
	}, nil)
}

// swapRewrites runs rewrite on files (a few at once: a rewrite mostly
// waits for its read, its upload and the upload of its index artifact)
// and swaps every file it changed for its rewrite in one
// catalog.ReplaceFiles. rewrite returns the rows it changed (0: the file
// stays) and the file replacing f (nil with rows changed: f is dropped).
// what names the statement in failpoints and logs. more, when not nil,
// runs once every rewrite succeeded and returns further files to publish
// in the same swap (uploaded, with their index artifacts: UPDATE's rows
// moved to other shards).
func (j *Jobs) swapRewrites(ctx context.Context, t *catalog.Table, files []*catalog.File, what string,
	rewrite func(*catalog.File) (*catalog.File, int64, error), more func() ([]*catalog.File, error)) (DeleteResult, error) {
	var res DeleteResult
	type result struct {
		out *catalog.File
		n   int64
		err error
	}
	done := make([]result, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(rewriteParallelism, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out, n, err := rewrite(files[i])
				if err != nil {
					err = fmt.Errorf("rewrite %s: %w", files[i].Path, err)
				}
				done[i] = result{out, n, err}
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	var (
		removed []string
		added   []*catalog.File
		errs    []error
	)
	for i, r := range done {
		if r.out != nil {
			added = append(added, r.out)
		}
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if r.n == 0 {
			continue
		}
		res.Rows += r.n
		removed = append(removed, files[i].ID)
		if r.out == nil {
			res.Dropped++
		} else {
			res.Rewritten++
		}
	}
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		j.discard(added)
		return DeleteResult{}, err
	}
	if len(removed) == 0 {
		return res, nil
	}
	if more != nil {
		extra, err := more()
		if err != nil {
			j.discard(added)
			return DeleteResult{}, err
		}
		added = append(added, extra...)
		res.Added = len(extra)
	}
	j.failpoint(ctx, what+"-before-swap")
	if err := j.cfg.Catalog.ReplaceFiles(ctx, t.ID, removed, added); err != nil {
		if errors.Is(err, catalog.ErrConflict) {
			j.m.conflicts.Inc()
			j.discard(added) // never published: nobody reads them
		}
		return DeleteResult{}, err
	}
	j.failpoint(ctx, what+"-after-swap")
	j.cfg.Logger.Info(what+"d rows", "table", t.Name, "rows", res.Rows, "rewritten", res.Rewritten, "dropped", res.Dropped,
		"added", res.Added)
	if j.cfg.OnReplace != nil {
		j.cfg.OnReplace(t.ID, removed, added)
	}
	return res, nil
}

// rewriteWithout reads f and returns how many of its rows match and, when
// some but not all do, the uploaded file holding the others (not yet
// published). No match: (nil, 0). Every row matches: (nil, f.Rows). It
// holds the file's bytes and one decoded batch at a time: a first pass
// marks the rows, a second streams the kept ones into a temporary Parquet
// file (Config.TempDir), which is uploaded.
func (j *Jobs) rewriteWithout(ctx context.Context, t *catalog.Table, schema *arrow.Schema, f *catalog.File, match RowMatcher) (*catalog.File, int64, error) {
	data, err := j.fetch(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var (
		masks          [][]bool
		matched, total int64
	)
	err = j.scanFile(ctx, schema, data, func(rec arrow.RecordBatch) error {
		m, err := match(ctx, rec)
		if err != nil {
			return err
		}
		if len(m) != int(rec.NumRows()) {
			return fmt.Errorf("matcher marked %d rows of a %d-row batch", len(m), rec.NumRows())
		}
		total += rec.NumRows()
		for _, x := range m {
			if x {
				matched++
			}
		}
		masks = append(masks, m)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if total != f.Rows {
		return nil, 0, fmt.Errorf("read %d rows from a file the catalog says holds %d", total, f.Rows)
	}
	if matched == 0 || matched == total {
		return nil, matched, nil
	}
	tmp, err := os.CreateTemp(j.cfg.TempDir, "openwit-delete-*.parquet")
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
	minT, maxT, anyTime := int64(math.MaxInt64), int64(math.MinInt64), false
	next := 0
	err = j.scanFile(ctx, schema, data, func(rec arrow.RecordBatch) error {
		m := masks[next]
		next++
		keep := array.NewBooleanBuilder(j.mem)
		defer keep.Release()
		for _, x := range m {
			keep.Append(!x)
		}
		mask := keep.NewBooleanArray()
		defer mask.Release()
		out, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
		if err != nil {
			return fmt.Errorf("filter rows: %w", err)
		}
		defer out.Release()
		if out.NumRows() == 0 {
			return nil
		}
		if hasTime(t, out) {
			lo, hi := storage.TimeRange(t, []arrow.RecordBatch{out})
			minT, maxT, anyTime = min(minT, lo), max(maxT, hi), true
		}
		return sw.Write(out)
	})
	if err != nil {
		sw.Close() //nolint:errcheck // the file is discarded
		return nil, 0, err
	}
	out, err := j.publishRewrite(ctx, t, f, "d", tmp, sw, total-matched, minT, maxT, anyTime)
	if err != nil {
		return nil, 0, err
	}
	return out, matched, nil
}

// publishRewrite closes sw, which wrote the rewrite of f into tmp (want
// rows, times minT..maxT when anyTime), and uploads it with its index
// artifact as a file to replace f (same shard, MaxLSN and creation time, a
// fresh name t<table>-s<shard>-<tag><max LSN>-<random>), not yet
// published.
func (j *Jobs) publishRewrite(ctx context.Context, t *catalog.Table, f *catalog.File, tag string, tmp *os.File, sw *pqfile.StreamWriter,
	want, minT, maxT int64, anyTime bool) (*catalog.File, error) {
	rows, size, err := sw.Close()
	if err != nil {
		return nil, fmt.Errorf("write parquet: %w", err)
	}
	if rows != want {
		return nil, fmt.Errorf("wrote %d rows, want %d", rows, want)
	}
	if !anyTime {
		minT, maxT = 0, 0
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	out := &catalog.File{TableID: t.ID, Shard: f.Shard, Rows: rows, Bytes: size, MaxLSN: f.MaxLSN, CreatedAt: f.CreatedAt,
		MinTime: minT, MaxTime: maxT}
	out.ID = fmt.Sprintf("t%d-s%d-%s%d-%s", t.ID, out.Shard, tag, out.MaxLSN, hex.EncodeToString(suffix[:]))
	out.Path = storage.FileKey(t.ID, out.Shard, out.ID)
	start := j.cfg.Now()
	if err := j.cfg.Bucket.Put(ctx, out.Path, io.NewSectionReader(tmp, 0, size), size); err != nil {
		return nil, fmt.Errorf("upload %s: %w", out.Path, err)
	}
	// The artifact keeps the rewritten file prunable at once; without it
	// the file is queued for the indexer role.
	if ix, err := storage.BuildIndex(ctx, j.cfg.Bucket, t, out.Path, tmp, size); err == nil {
		out.Index = ix
	} else {
		j.cfg.Logger.Warn("index build failed, file queued for the indexer", "file", out.ID, "err", err)
	}
	if took := j.cfg.Now().Sub(start); took > j.cfg.Grace/2 {
		j.discard([]*catalog.File{out})
		return nil, fmt.Errorf("upload of %s took %v, more than half the garbage grace %v: not published", out.Path, took, j.cfg.Grace)
	}
	return out, nil
}

// discard deletes the objects of files that were uploaded but will not be
// published; a failure leaves them to Collect as orphans.
func (j *Jobs) discard(files []*catalog.File) {
	ctx := context.Background()
	for _, f := range files {
		_ = j.cfg.Bucket.Delete(ctx, f.Path)
		if f.Index != nil {
			_ = j.cfg.Bucket.Delete(ctx, f.Index.Path)
		}
	}
}

// Truncate removes every published file of t from the catalog in one
// ReplaceFiles (the objects become garbage, deleted after the grace
// period, as retention's) and returns the rows they held. A swap lost to
// a concurrent compaction or DELETE is retried with the files listed
// again. Files published after the listing (rows written while TRUNCATE
// runs) stay.
func (j *Jobs) Truncate(ctx context.Context, t *catalog.Table) (int64, error) {
	for range maxSwapAttempts {
		files, err := j.cfg.Catalog.ListFiles(ctx, t.ID)
		if err != nil {
			return 0, err
		}
		if len(files) == 0 {
			return 0, nil
		}
		ids := make([]string, len(files))
		var rows int64
		for i, f := range files {
			ids[i] = f.ID
			rows += f.Rows
		}
		j.failpoint(ctx, "truncate-before-swap")
		err = j.cfg.Catalog.ReplaceFiles(ctx, t.ID, ids, nil)
		if errors.Is(err, catalog.ErrConflict) {
			j.m.conflicts.Inc()
			continue
		}
		if err != nil {
			return 0, err
		}
		j.cfg.Logger.Info("truncated", "table", t.Name, "files", len(ids), "rows", rows)
		if j.cfg.OnReplace != nil {
			j.cfg.OnReplace(t.ID, ids, nil)
		}
		return rows, nil
	}
	return 0, fmt.Errorf("truncate %s: lost %d swaps to concurrent changes: %w", t.Name, maxSwapAttempts, catalog.ErrConflict)
}
