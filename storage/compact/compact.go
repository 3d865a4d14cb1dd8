package compact

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// Defaults of Config.
const (
	DefaultTargetBytes int64 = 256 << 20
	DefaultGrace             = time.Hour
)

// Config configures the jobs.
type Config struct {
	Catalog catalog.Catalog
	Bucket  objstore.Bucket
	// TargetBytes is the size of a compacted file: files smaller than it
	// are merged, per (table, shard), into files of at most about this
	// many bytes (sum of the inputs' Parquet sizes). 0: DefaultTargetBytes.
	TargetBytes int64
	// Grace is how long a retired object stays readable before Collect
	// deletes it, and how old an object no catalog row names must be
	// before Collect deletes it as an orphan. It must exceed the longest
	// query. 0: DefaultGrace.
	Grace time.Duration
	// Writer encodes compacted files.
	Writer pqfile.WriterOptions
	// TempDir holds a merge's sorted runs and output until the upload (about
	// the group's size on disk); empty: os.TempDir().
	TempDir string
	// OnReplace, when set, is called after every committed swap (removed
	// file IDs, added files) so that in-memory file lists follow the
	// catalog (the ingester's).
	OnReplace func(tableID int64, removed []string, added []*catalog.File)
	// Logger; nil discards.
	Logger *slog.Logger
	// Registerer registers the metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Failpoint, when set, is called at "before-swap" (output uploaded,
	// catalog unchanged) and "after-swap" (catalog swapped, OnReplace not
	// yet called): crash tests stop the process there.
	Failpoint func(ctx context.Context, point string)
}

// Jobs runs compaction, retention and garbage collection steps.
type Jobs struct {
	cfg Config
	mem memory.Allocator
	m   metrics
}

type metrics struct {
	filesCompacted prometheus.Counter
	bytesWritten   prometheus.Counter
	filesWritten   prometheus.Counter
	shardsDropped  prometheus.Counter
	filesDropped   prometheus.Counter
	garbageDeleted *prometheus.CounterVec
	conflicts      prometheus.Counter
}

// New checks cfg and returns the jobs.
func New(cfg Config) (*Jobs, error) {
	if cfg.Catalog == nil || cfg.Bucket == nil {
		return nil, errors.New("compact: catalog and bucket are required")
	}
	if cfg.TargetBytes < 0 || cfg.Grace < 0 {
		return nil, fmt.Errorf("compact: negative target size %d or grace %v", cfg.TargetBytes, cfg.Grace)
	}
	if cfg.TargetBytes == 0 {
		cfg.TargetBytes = DefaultTargetBytes
	}
	if cfg.Grace == 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := promauto.With(cfg.Registerer)
	return &Jobs{cfg: cfg, mem: memory.DefaultAllocator, m: metrics{
		filesCompacted: f.NewCounter(prometheus.CounterOpts{Name: "openwit_compaction_input_files_total",
			Help: "Small files merged away by compaction."}),
		filesWritten: f.NewCounter(prometheus.CounterOpts{Name: "openwit_compaction_output_files_total",
			Help: "Files written and published by compaction."}),
		bytesWritten: f.NewCounter(prometheus.CounterOpts{Name: "openwit_compaction_output_bytes_total",
			Help: "Bytes of files written and published by compaction."}),
		conflicts: f.NewCounter(prometheus.CounterOpts{Name: "openwit_compaction_conflicts_total",
			Help: "Swaps abandoned because an input was already gone (concurrent compaction, retention or drop)."}),
		shardsDropped: f.NewCounter(prometheus.CounterOpts{Name: "openwit_retention_shards_dropped_total",
			Help: "Time shards dropped by retention."}),
		filesDropped: f.NewCounter(prometheus.CounterOpts{Name: "openwit_retention_files_dropped_total",
			Help: "Files dropped by retention."}),
		garbageDeleted: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_garbage_objects_deleted_total",
			Help: "Objects deleted by garbage collection: retired (replaced, dropped) or orphan (never published)."},
			[]string{"kind"}),
	}}, nil
}

// Compact merges, in every (table, shard), the files smaller than the
// target size into files sorted by the table's time column, and swaps them
// in the catalog. A swap that loses a race (ErrConflict) is abandoned: its
// output object becomes an orphan for Collect. Errors of one table do not
// stop the others; they are joined.
func (j *Jobs) Compact(ctx context.Context) error {
	tables, err := j.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	var errs []error
	for _, t := range tables {
		if err := j.compactTable(ctx, t); err != nil {
			if errors.Is(err, catalog.ErrNotFound) {
				continue // dropped meanwhile
			}
			errs = append(errs, fmt.Errorf("compact table %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (j *Jobs) compactTable(ctx context.Context, t *catalog.Table) error {
	files, err := j.cfg.Catalog.ListFiles(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, group := range groups(files, j.cfg.TargetBytes) {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := j.merge(ctx, t, group)
		if errors.Is(err, catalog.ErrConflict) {
			j.m.conflicts.Inc()
			j.cfg.Logger.Info("compaction lost a race", "table", t.Name, "shard", group[0].Shard, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("shard %d: %w", group[0].Shard, err)
		}
	}
	return nil
}

// groups packs the small files of each shard (ListFiles order) into groups
// of at least two files whose sizes add up to at most target.
func groups(files []*catalog.File, target int64) [][]*catalog.File {
	var out [][]*catalog.File
	var cur []*catalog.File
	var size int64
	flush := func() {
		if len(cur) >= 2 {
			out = append(out, cur)
		}
		cur, size = nil, 0
	}
	for _, f := range files {
		if f.Bytes >= target {
			continue
		}
		if len(cur) > 0 && (cur[0].Shard != f.Shard || size+f.Bytes > target) {
			flush()
		}
		cur = append(cur, f)
		size += f.Bytes
	}
	flush()
	return out
}

// merge writes the rows of group as one file sorted by time, uploads it,
// and swaps it for group in the catalog.
func (j *Jobs) merge(ctx context.Context, t *catalog.Table, group []*catalog.File) error {
	schema, err := storage.ArrowSchema(t)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(j.cfg.TempDir, "openwit-compact-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	m, err := j.writeMerged(ctx, t, schema, group, dir)
	if err != nil {
		return err
	}
	defer m.f.Close()
	rows := m.rows
	out := &catalog.File{TableID: t.ID, Shard: group[0].Shard, Rows: rows, Bytes: m.bytes, MinTime: m.minT, MaxTime: m.maxT}
	var inRows int64
	removed := make([]string, len(group))
	for i, f := range group {
		// The checkpoint rule: the merged file holds every row of its
		// inputs, so its MaxLSN is theirs.
		out.MaxLSN = max(out.MaxLSN, f.MaxLSN)
		inRows += f.Rows
		removed[i] = f.ID
	}
	if rows != inRows {
		return fmt.Errorf("merged %d rows from inputs that publish %d", rows, inRows)
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	// A fresh name per attempt: an abandoned upload never collides with a
	// published object.
	out.ID = fmt.Sprintf("t%d-s%d-c%d-%s", t.ID, out.Shard, out.MaxLSN, hex.EncodeToString(suffix[:]))
	out.Path = storage.FileKey(t.ID, out.Shard, out.ID)
	start := j.cfg.Now()
	if err := j.cfg.Bucket.Put(ctx, out.Path, m.f, m.bytes); err != nil {
		return fmt.Errorf("upload %s: %w", out.Path, err)
	}
	// Collect deletes unnamed objects older than the grace period; an
	// upload that took that long must not be published any more.
	if took := j.cfg.Now().Sub(start); took > j.cfg.Grace/2 {
		return fmt.Errorf("upload of %s took %v, more than half the garbage grace %v: not published", out.Path, took, j.cfg.Grace)
	}
	j.failpoint(ctx, "before-swap")
	if err := j.cfg.Catalog.ReplaceFiles(ctx, t.ID, removed, []*catalog.File{out}); err != nil {
		return err
	}
	j.failpoint(ctx, "after-swap")
	j.m.filesCompacted.Add(float64(len(group)))
	j.m.filesWritten.Inc()
	j.m.bytesWritten.Add(float64(out.Bytes))
	j.cfg.Logger.Info("compacted", "table", t.Name, "shard", out.Shard, "inputs", len(group), "file", out.ID,
		"rows", out.Rows, "bytes", out.Bytes)
	if j.cfg.OnReplace != nil {
		j.cfg.OnReplace(t.ID, removed, []*catalog.File{out})
	}
	return nil
}

// readSorted reads every row of files into one record of schema, sorted
// (stably) by the table's time column, nulls last.
func (j *Jobs) readSorted(ctx context.Context, t *catalog.Table, schema *arrow.Schema, files []*catalog.File) (arrow.RecordBatch, error) {
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, f := range files {
		rs, err := j.readFile(ctx, schema, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		recs = append(recs, rs...)
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var n int64
	for i := range cols {
		parts := make([]arrow.Array, 0, len(recs))
		for _, r := range recs {
			parts = append(parts, r.Column(i))
		}
		if len(parts) == 0 {
			cols[i] = array.MakeArrayOfNull(j.mem, schema.Field(i).Type, 0)
			continue
		}
		c, err := array.Concatenate(parts, j.mem)
		if err != nil {
			return nil, fmt.Errorf("concatenate column %s: %w", schema.Field(i).Name, err)
		}
		cols[i] = c
		n = int64(c.Len())
	}
	idx := schema.FieldIndices(t.TimeColumn)
	if len(idx) == 0 {
		return array.NewRecordBatch(schema, cols, n), nil
	}
	ts, ok := cols[idx[0]].(*array.Timestamp)
	if !ok {
		return array.NewRecordBatch(schema, cols, n), nil
	}
	order := make([]int64, n)
	for i := range order {
		order[i] = int64(i)
	}
	slices.SortStableFunc(order, func(a, b int64) int {
		an, bn := ts.IsNull(int(a)), ts.IsNull(int(b))
		switch {
		case an || bn:
			return cmp.Compare(boolInt(an), boolInt(bn))
		}
		return cmp.Compare(ts.Value(int(a)), ts.Value(int(b)))
	})
	ib := array.NewInt64Builder(j.mem)
	ib.AppendValues(order, nil)
	indices := ib.NewArray()
	ib.Release()
	defer indices.Release()
	sorted := make([]arrow.Array, len(cols))
	for i, c := range cols {
		s, err := compute.TakeArray(ctx, c, indices)
		if err != nil {
			for _, p := range sorted[:i] {
				p.Release()
			}
			return nil, fmt.Errorf("sort column %s: %w", schema.Field(i).Name, err)
		}
		sorted[i] = s
	}
	rec := array.NewRecordBatch(schema, sorted, n)
	for _, s := range sorted {
		s.Release()
	}
	return rec, nil
}

func (j *Jobs) failpoint(ctx context.Context, point string) {
	if j.cfg.Failpoint != nil {
		j.cfg.Failpoint(ctx, point)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// readFile returns the batches of one data file, relabelled with schema
// (the table's); a file whose column types differ is an error.
func (j *Jobs) readFile(ctx context.Context, schema *arrow.Schema, f *catalog.File) ([]arrow.RecordBatch, error) {
	data, err := j.fetch(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []arrow.RecordBatch
	err = j.scanFile(ctx, schema, data, func(b arrow.RecordBatch) error {
		b.Retain()
		out = append(out, b)
		return nil
	})
	if err != nil {
		for _, o := range out {
			o.Release()
		}
		return nil, err
	}
	return out, nil
}

// fetch returns the bytes of a data file.
func (j *Jobs) fetch(ctx context.Context, f *catalog.File) ([]byte, error) {
	rc, err := j.cfg.Bucket.Get(ctx, f.Path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// scanFile calls fn with each batch (64Ki rows) of the Parquet file data,
// relabelled with schema (the table's): columns added to the table after
// the file was written read as NULL, and a column whose type differs is
// an error. A batch is valid only during its call.
func (j *Jobs) scanFile(ctx context.Context, schema *arrow.Schema, data []byte, fn func(arrow.RecordBatch) error) error {
	rd, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), j.mem)
	if err != nil {
		return err
	}
	defer rd.Close()
	names := make([]string, schema.NumFields())
	for i, fl := range schema.Fields() {
		names[i] = fl.Name
	}
	read, absent := rd.Absent(names)
	if absent != nil && len(read) == 0 {
		read = []string{rd.Schema().Field(0).Name} // for the row counts
	}
	rr, err := rd.Read(ctx, read, nil, 64<<10)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		b := rr.RecordBatch()
		if absent != nil {
			b = pqfile.FillAbsent(j.mem, b, schema, absent)
		}
		for i, fl := range schema.Fields() {
			if !arrow.TypeEqual(b.Column(i).DataType(), fl.Type) {
				if absent != nil {
					b.Release()
				}
				return fmt.Errorf("column %s is %s in the file, %s in the table", fl.Name, b.Column(i).DataType(), fl.Type)
			}
		}
		rel := array.NewRecordBatch(schema, b.Columns(), b.NumRows())
		if absent != nil {
			b.Release()
		}
		err := fn(rel)
		rel.Release()
		if err != nil {
			return err
		}
	}
	return rr.Err()
}
