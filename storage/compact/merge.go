package compact

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/pqfile"
)

// The merge is an external merge sort, so that compacting a group of
// files holds about one input file and one output row group in memory
// rather than the whole group three times (decoded, concatenated, sorted):
//
//  1. each input file is read and sorted by time on its own (inputs are
//     the small files) and spilled as an Arrow IPC file of runBatchRows
//     batches to a temporary directory;
//  2. the runs are merged by time with a heap, one batch of each run in
//     memory, into output batches of outBatchRows rows;
//  3. those stream into a pqfile.StreamWriter on a temporary file, which
//     is then uploaded.
//
// Ties keep the order of the one-shot sort it replaces: group order, then
// row order within a file (each run is sorted stably), nulls last.
const (
	runBatchRows = 8 << 10
	outBatchRows = 64 << 10
)

// mergeResult is the merged file, on disk until uploaded.
type mergeResult struct {
	f          *os.File
	rows       int64
	bytes      int64
	minT, maxT int64
}

// writeMerged merges the rows of group, sorted by t's time column, into
// one Parquet file in dir. The caller closes and removes res.f.
func (j *Jobs) writeMerged(ctx context.Context, t *catalog.Table, schema *arrow.Schema, group []*catalog.File, dir string) (res *mergeResult, err error) {
	runs := make([]*run, 0, len(group))
	defer func() {
		for _, r := range runs {
			r.close()
		}
	}()
	for i, f := range group {
		r, err := j.spill(ctx, t, schema, f, filepath.Join(dir, fmt.Sprintf("run-%d.arrow", i)))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		r.order = i
		runs = append(runs, r)
	}
	out, err := os.Create(filepath.Join(dir, "merged.parquet"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			out.Close()
		}
	}()
	sw, err := pqfile.NewStreamWriter(out, schema, j.cfg.Writer)
	if err != nil {
		return nil, err
	}
	res = &mergeResult{f: out, minT: int64(^uint64(0) >> 1), maxT: -int64(^uint64(0)>>1) - 1}
	emit := func(b arrow.RecordBatch) error {
		lo, hi := storage.TimeRange(t, []arrow.RecordBatch{b})
		if lo != 0 || hi != 0 || hasTime(t, b) {
			res.minT, res.maxT = min(res.minT, lo), max(res.maxT, hi)
		}
		return sw.Write(b)
	}
	if err := j.mergeRuns(ctx, schema, t.TimeField(), runs, emit); err != nil {
		sw.Close() //nolint:errcheck // the file is discarded
		return nil, err
	}
	if res.rows, res.bytes, err = sw.Close(); err != nil {
		return nil, err
	}
	if res.minT > res.maxT {
		res.minT, res.maxT = 0, 0
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return res, nil
}

// hasTime reports whether b has a non-null time value (TimeRange answers
// 0, 0 both for none and for a single value at the epoch).
func hasTime(t *catalog.Table, b arrow.RecordBatch) bool {
	idx := b.Schema().FieldIndices(t.TimeField())
	if len(idx) == 0 {
		return false
	}
	return b.Column(idx[0]).NullN() < b.Column(idx[0]).Len()
}

// run is one input file, sorted, spilled to an Arrow IPC file and read
// back one batch at a time.
type run struct {
	order int // position of the file in the group: ties go to the lower
	f     *os.File
	rd    *ipc.FileReader
	next  int // next batch index

	cur arrow.RecordBatch // current batch, nil when the run is done
	ts  *array.Timestamp  // its time column, or nil
	pos int               // next row of cur
}

// spill reads and sorts one file and writes it to path as an IPC file.
func (j *Jobs) spill(ctx context.Context, t *catalog.Table, schema *arrow.Schema, f *catalog.File, path string) (*run, error) {
	rec, err := j.readSorted(ctx, t, schema, []*catalog.File{f})
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r := &run{f: file}
	w, err := ipc.NewFileWriter(file, ipc.WithSchema(schema), ipc.WithAllocator(j.mem))
	if err != nil {
		r.close()
		return nil, err
	}
	for off := int64(0); off < rec.NumRows(); off += runBatchRows {
		s := rec.NewSlice(off, min(off+runBatchRows, rec.NumRows()))
		err := w.Write(s)
		s.Release()
		if err != nil {
			w.Close()
			r.close()
			return nil, fmt.Errorf("spill: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		r.close()
		return nil, fmt.Errorf("spill: %w", err)
	}
	if r.rd, err = ipc.NewFileReader(file, ipc.WithAllocator(j.mem), ipc.WithSchema(schema)); err != nil {
		r.close()
		return nil, fmt.Errorf("spill: %w", err)
	}
	return r, nil
}

// advance loads the run's next non-empty batch (cur nil at the end).
func (r *run) advance(timeCol string) error {
	if r.cur != nil {
		r.cur.Release()
		r.cur, r.ts = nil, nil
	}
	for r.next < r.rd.NumRecords() {
		b, err := r.rd.RecordAt(r.next)
		r.next++
		if err != nil {
			return fmt.Errorf("read spilled run: %w", err)
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		r.cur, r.pos = b, 0
		if idx := b.Schema().FieldIndices(timeCol); len(idx) > 0 {
			r.ts, _ = b.Column(idx[0]).(*array.Timestamp)
		}
		return nil
	}
	return nil
}

func (r *run) close() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.rd != nil {
		r.rd.Close()
	}
	if r.f != nil {
		r.f.Close()
	}
}

// runHeap orders runs by their current row: time (nulls last), then
// group order.
type runHeap []*run

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(a, b int) bool {
	ra, rb := h[a], h[b]
	an, bn := ra.ts == nil || ra.ts.IsNull(ra.pos), rb.ts == nil || rb.ts.IsNull(rb.pos)
	switch {
	case an != bn:
		return bn // a non-null sorts before a null
	case !an:
		if c := cmp.Compare(ra.ts.Value(ra.pos), rb.ts.Value(rb.pos)); c != 0 {
			return c < 0
		}
	}
	return ra.order < rb.order
}
func (h runHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// mergeRuns merges the sorted runs into batches of up to outBatchRows rows
// and passes each to emit, which must not keep it.
func (j *Jobs) mergeRuns(ctx context.Context, schema *arrow.Schema, timeCol string, runs []*run, emit func(arrow.RecordBatch) error) error {
	h := make(runHeap, 0, len(runs))
	for _, r := range runs {
		if err := r.advance(timeCol); err != nil {
			return err
		}
		if r.cur != nil {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	// One output batch picks rows from source batches; a run whose batch
	// ends mid-way moves to its next one while the old one is kept until
	// the output batch is built.
	var (
		srcs  []arrow.RecordBatch
		srcOf = map[arrow.RecordBatch]int{}
		picks [][2]int // (source, row)
	)
	build := func() error {
		defer func() {
			for _, s := range srcs {
				s.Release()
			}
			srcs, picks = srcs[:0], picks[:0]
			clear(srcOf)
		}()
		if len(picks) == 0 {
			return nil
		}
		b, err := gather(ctx, j, schema, srcs, picks)
		if err != nil {
			return err
		}
		defer b.Release()
		return emit(b)
	}
	for h.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := h[0]
		src, ok := srcOf[r.cur]
		if !ok {
			r.cur.Retain()
			src = len(srcs)
			srcs = append(srcs, r.cur)
			srcOf[r.cur] = src
		}
		picks = append(picks, [2]int{src, r.pos})
		r.pos++
		if r.pos == int(r.cur.NumRows()) {
			if err := r.advance(timeCol); err != nil {
				return err
			}
			if r.cur == nil {
				heap.Pop(&h)
			} else {
				heap.Fix(&h, 0)
			}
		} else {
			heap.Fix(&h, 0)
		}
		if len(picks) == outBatchRows {
			if err := build(); err != nil {
				return err
			}
		}
	}
	return build()
}

// gather builds the batch of the picked (source, row) pairs, in order:
// each source's rows are taken once (one Take per source), the pieces are
// concatenated, and one more Take puts them in the picked order.
func gather(ctx context.Context, j *Jobs, schema *arrow.Schema, srcs []arrow.RecordBatch, picks [][2]int) (arrow.RecordBatch, error) {
	// Rows of each source in pick order, and where each pick lands in the
	// concatenation of the per-source pieces.
	per := make([][]int64, len(srcs))
	for _, p := range picks {
		per[p[0]] = append(per[p[0]], int64(p[1]))
	}
	base := make([]int64, len(srcs))
	var n int64
	for i := range per {
		base[i] = n
		n += int64(len(per[i]))
	}
	seen := make([]int64, len(srcs))
	final := make([]int64, len(picks))
	for i, p := range picks {
		final[i] = base[p[0]] + seen[p[0]]
		seen[p[0]]++
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	finalIdx := int64Array(j, final)
	defer finalIdx.Release()
	for c := range cols {
		pieces := make([]arrow.Array, 0, len(srcs))
		release := func() {
			for _, p := range pieces {
				p.Release()
			}
		}
		for s, rows := range per {
			if len(rows) == 0 {
				continue
			}
			idx := int64Array(j, rows)
			p, err := compute.TakeArray(ctx, srcs[s].Column(c), idx)
			idx.Release()
			if err != nil {
				release()
				return nil, fmt.Errorf("merge column %s: %w", schema.Field(c).Name, err)
			}
			pieces = append(pieces, p)
		}
		var whole arrow.Array
		if len(pieces) == 1 {
			whole = pieces[0]
			whole.Retain()
		} else {
			var err error
			if whole, err = array.Concatenate(pieces, j.mem); err != nil {
				release()
				return nil, fmt.Errorf("merge column %s: %w", schema.Field(c).Name, err)
			}
		}
		release()
		col, err := compute.TakeArray(ctx, whole, finalIdx)
		whole.Release()
		if err != nil {
			return nil, fmt.Errorf("merge column %s: %w", schema.Field(c).Name, err)
		}
		cols[c] = col
	}
	return array.NewRecordBatch(schema, cols, int64(len(picks))), nil
}

func int64Array(j *Jobs, v []int64) arrow.Array {
	b := array.NewInt64Builder(j.mem)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}
