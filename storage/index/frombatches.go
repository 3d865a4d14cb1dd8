package index

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"openwit/storage/pqfile"
)

// BuildFromBatches returns the index of the Parquet file rd that
// pqfile.Write wrote from batches, the same as Build returns, without
// decoding the file again: the row groups and zone maps come from rd's
// footer, and the values the filters hold from batches, cut at the
// footer's row group boundaries (Write fills row groups in batch order,
// across batch boundaries). The batches must be the ones written, in
// order; a schema or row count that differs from the file's is an error.
// BuildFromBatches neither retains nor releases them.
func BuildFromBatches(ctx context.Context, rd *pqfile.Reader, batches []arrow.RecordBatch, opt Options) (*Index, error) {
	schema := rd.Schema()
	var rows int64
	for i, b := range batches {
		if !sameFields(b.Schema(), schema) {
			return nil, fmt.Errorf("index from batches: batch %d schema %s differs from the file's %s", i, b.Schema(), schema)
		}
		rows += b.NumRows()
	}
	starts := make([]int64, rd.NumRowGroups()+1)
	for g := range rd.NumRowGroups() {
		starts[g+1] = starts[g] + rd.RowGroupRows(g)
	}
	if rows != starts[len(starts)-1] {
		return nil, fmt.Errorf("index from batches: the batches hold %d rows, the file %d", rows, starts[len(starts)-1])
	}
	return build(ctx, rd, opt, func(_ context.Context, names []string, g int) (groupReader, error) {
		r := &batchGroupReader{batches: batches, lo: starts[g], hi: starts[g+1]}
		fields := make([]arrow.Field, len(names))
		for i, n := range names {
			idx := schema.FieldIndices(n)
			if len(idx) != 1 {
				return nil, fmt.Errorf("index from batches: column %q is not in the file schema once", n)
			}
			r.cols = append(r.cols, idx[0])
			fields[i] = schema.Field(idx[0])
		}
		r.schema = arrow.NewSchema(fields, nil)
		return r, nil
	})
}

// sameFields reports whether a and b have the same field names, types and
// nullability, in the same order (metadata aside).
func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Nullable != fb.Nullable || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}

// batchGroupReader returns the rows [lo, hi) of batches (rows counted
// across them), projected on cols, as zero-copy slices.
type batchGroupReader struct {
	batches []arrow.RecordBatch
	cols    []int
	schema  *arrow.Schema
	lo, hi  int64

	next int   // index of the next batch to look at
	off  int64 // first row of batches[next]
	cur  arrow.RecordBatch
}

func (r *batchGroupReader) Next() bool {
	r.Release()
	for r.next < len(r.batches) && r.off < r.hi {
		b := r.batches[r.next]
		start, end := r.off, r.off+b.NumRows()
		r.next++
		r.off = end
		a, z := max(start, r.lo), min(end, r.hi)
		if a >= z {
			continue
		}
		cols := make([]arrow.Array, len(r.cols))
		for i, c := range r.cols {
			cols[i] = array.NewSlice(b.Column(c), a-start, z-start)
		}
		r.cur = array.NewRecordBatch(r.schema, cols, z-a)
		for _, c := range cols {
			c.Release()
		}
		return true
	}
	return false
}

func (r *batchGroupReader) RecordBatch() arrow.RecordBatch { return r.cur }

func (r *batchGroupReader) Err() error { return nil }

// Release releases the current batch; Next may still be called.
func (r *batchGroupReader) Release() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}
