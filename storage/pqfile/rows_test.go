package pqfile_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// rowsColumns are typedColumns plus a mostly distinct text column (written
// plain, like trace ids) and a long one (several pages).
func rowsColumns() []column {
	return append(typedColumns(),
		column{"id", arrow.BinaryTypes.String, func(b array.Builder, i int) {
			if nullEvery(17, 3)(i) {
				b.AppendNull()
				return
			}
			b.(*array.StringBuilder).Append(fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15))
		}},
		column{"msg", arrow.BinaryTypes.String, func(b array.Builder, i int) {
			b.(*array.StringBuilder).Append(fmt.Sprintf("request %d took %d ms on host-%d", i, i*7%1000, i%31))
		}})
}

// takeRows returns the rows of want at positions rows, by slicing.
func takeRows(t testing.TB, mem memory.Allocator, want arrow.RecordBatch, rows []int64) arrow.RecordBatch {
	t.Helper()
	var parts []arrow.RecordBatch
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j] == rows[j-1]+1 {
			j++
		}
		parts = append(parts, want.NewSlice(rows[i], rows[j-1]+1))
		i = j
	}
	defer release(parts)
	return concat(t, mem, want.Schema(), parts)
}

// randomRows picks a sorted selection of [0, n) of one of several shapes.
func randomRows(rng *rand.Rand, n int64) []int64 {
	var out []int64
	switch rng.IntN(6) {
	case 0: // none
	case 1: // one
		out = []int64{rng.Int64N(n)}
	case 2: // all
		for i := range n {
			out = append(out, i)
		}
	case 3: // the first and last rows
		out = []int64{0, n - 1}
	case 4: // a few runs
		for range 1 + rng.IntN(4) {
			from := rng.Int64N(n)
			for i := from; i < min(n, from+1+rng.Int64N(50)); i++ {
				out = append(out, i)
			}
		}
	default: // sparse
		for i := range n {
			if rng.IntN(500) == 0 {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestReadRows reads random selections of rows of random files, through
// the page index and without one (a file written by plain pqarrow), and
// checks them against a full read of the row group.
func TestReadRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := rowsColumns()
	schema := schemaOf(cols)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	rng := rand.New(rand.NewPCG(3, 11))
	ctx := context.Background()
	for f := range 6 {
		rows := 2000 + rng.IntN(12000)
		batches := buildBatches(t, mem, schema, cols, rows, 1+rng.IntN(8000))
		opts := pqfile.WriterOptions{Allocator: mem, RowGroupRows: int64(1000 + rng.IntN(8000)), DataPageSize: int64(512 << rng.IntN(8))}
		data := writeFile(t, schema, batches, opts)
		old := f == 5
		if old {
			all := concat(t, mem, schema, batches)
			data = writeWithPqarrow(t, all, nil)
			all.Release()
		}
		release(batches)
		r := openReader(t, data, mem)
		t.Run(fmt.Sprintf("file%d", f), func(t *testing.T) {
			for g := range r.NumRowGroups() {
				if got := r.HasPageIndex(g, names); got == old {
					t.Fatalf("row group %d: HasPageIndex = %v", g, got)
				}
				_, full := readAll(t, r, names, []int{g}, 1<<20)
				want := concat(t, mem, full[0].Schema(), full)
				release(full)
				for range 8 {
					proj := slices.Clone(names)
					rng.Shuffle(len(proj), func(i, j int) { proj[i], proj[j] = proj[j], proj[i] })
					proj = proj[:1+rng.IntN(len(proj))]
					sel := randomRows(rng, want.NumRows())
					got, err := r.ReadRows(ctx, g, proj, sel)
					if err != nil {
						t.Fatalf("row group %d, %d rows of %v: %v", g, len(sel), proj, err)
					}
					idx := make([]int, len(proj))
					for i, p := range proj {
						idx[i] = slices.Index(names, p)
					}
					pw := projectBatch(want, idx)
					exp := takeRows(t, mem, pw, sel)
					assertBatchEqual(t, got, exp)
					assertSchema(t, got.Schema(), exp.Schema())
					got.Release()
					exp.Release()
					pw.Release()
				}
				want.Release()
			}
		})
	}
}

// projectBatch returns the columns idx of b.
func projectBatch(b arrow.RecordBatch, idx []int) arrow.RecordBatch {
	cols := make([]arrow.Array, len(idx))
	fields := make([]arrow.Field, len(idx))
	for i, j := range idx {
		cols[i] = b.Column(j)
		fields[i] = b.Schema().Field(j)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows())
}

// TestReadRowsErrors: positions out of range or not ascending, unknown or
// repeated columns, a missing row group are errors, not panics.
func TestReadRowsErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := rowsColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 3000, 1000)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 2000})
	release(batches)
	r := openReader(t, data, mem)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		g    int
		cols []string
		rows []int64
	}{
		{"row past the group", 1, []string{"i64"}, []int64{1000}},
		{"negative row", 0, []string{"i64"}, []int64{-1}},
		{"descending", 0, []string{"i64"}, []int64{5, 4}},
		{"repeated row", 0, []string{"i64"}, []int64{5, 5}},
		{"no row group", 2, []string{"i64"}, []int64{0}},
		{"no column", 0, []string{"nope"}, []int64{0}},
		{"column twice", 0, []string{"i64", "i64"}, []int64{0}},
		{"no columns", 0, nil, []int64{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec, err := r.ReadRows(ctx, tc.g, tc.cols, tc.rows); err == nil {
				rec.Release()
				t.Fatal("ReadRows succeeded")
			}
		})
	}
}

// TestStreamWriterPageIndex: the compaction writer writes the page index
// too.
func TestStreamWriterPageIndex(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := rowsColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 5000, 700)
	defer release(batches)
	var buf bytes.Buffer
	sw, err := pqfile.NewStreamWriter(&buf, schema, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 2000, DataPageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := sw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, buf.Bytes(), mem)
	for g := range r.NumRowGroups() {
		if !r.HasPageIndex(g, []string{"msg", "i64", "id"}) {
			t.Errorf("row group %d has no page index", g)
		}
	}
	got, err := r.ReadRows(context.Background(), 2, []string{"msg", "id"}, []int64{0, 999})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if v := got.Column(0).(*array.String).Value(1); v != "request 4999 took 993 ms on host-8" {
		t.Errorf("last row's msg = %q", v)
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r *bytes.Reader
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestReadRowsReadsPages: one row of a long column chunk costs the pages
// around it, not the chunk; without a page index it costs the chunk.
func TestReadRowsReadsPages(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := rowsColumns()
	schema := schemaOf(cols)
	const rows = 60000
	batches := buildBatches(t, mem, schema, cols, rows, 10000)
	defer release(batches)
	indexed := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem, RowGroupRows: rows, DataPageSize: 8192, Compression: pqfile.CompressionNone})
	all := concat(t, mem, schema, batches)
	plain := writeWithPqarrow(t, all, nil)
	all.Release()
	read := func(data []byte) int64 {
		c := &countingReaderAt{r: bytes.NewReader(data)}
		r, err := pqfile.NewReader(c, int64(len(data)), mem)
		if err != nil {
			t.Fatal(err)
		}
		c.n = 0
		rec, err := r.ReadRows(context.Background(), 0, []string{"msg"}, []int64{rows / 2})
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		if v := rec.Column(0).(*array.String).Value(0); v != "request 30000 took 0 ms on host-23" {
			t.Errorf("msg = %q", v)
		}
		return c.n
	}
	// The msg chunk holds some 2 MB uncompressed.
	if n := read(indexed); n > 256<<10 {
		t.Errorf("with a page index, one row read %d bytes", n)
	}
	if n := read(plain); n < 1<<20 {
		t.Errorf("without a page index, one row read %d bytes, less than its chunk", n)
	}
}
