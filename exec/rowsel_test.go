package exec

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// TestLateMaterialization runs selective filters over files of many small
// pages: the rows that pass are read through the page index (the stats
// say so) and are the rows the reference filter keeps, NULLs included.
func TestLateMaterialization(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	const n = 12000
	bucket, src, rows := pagedFile(t, r, n)
	id := func(v int64) *Expr { return cmpE(OpEq, Col(13), Int(v)) }
	msgOf := func(i int) *Expr { // a value of msg some rows hold (or NULL)
		if rows[i][10] == nil {
			return Str("no such message")
		}
		return Str(rows[i][10].(string))
	}
	cases := []struct {
		name     string
		filter   *Expr
		selected bool // some row group is read for a selection of rows
	}{
		{"one row", id(7777), true},
		{"first and last rows", Call(OpOr, id(0), id(n-1)), true},
		{"rows in several pages and groups", Call(OpOr, id(3), id(2500), id(4999), id(5000), id(9001)), true},
		{"a run", Call(OpAnd, cmpE(OpGe, Col(13), Int(6000)), cmpE(OpLt, Col(13), Int(6030))), true},
		{"no row", id(-5), false},
		{"many rows", cmpE(OpGe, Col(13), Int(100)), false},
		{"NULL or a row", Call(OpAnd, Call(OpIsNull, Col(2)), cmpE(OpLt, Col(13), Int(60))), true},
		{"text equality", cmpE(OpEq, Col(10), msgOf(4321)), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, par := range []int{1, 2} {
				f := &Fragment{Schema: randSchema, Columns: names(randSchema), Filter: tc.filter, Sources: []Source{src}}
				p := Params{Mem: mem, Bucket: bucket, Parallelism: par, BatchRows: int64(500 + r.IntN(3000))}
				got, st := runFragment(t, t.Context(), p, f)
				sameRows(t, got, refFilter(tc.filter, rows))
				if tc.selected && st.RowGroupsSelected == 0 {
					t.Errorf("no row group read through the page index: %+v", st)
				}
				if !tc.selected && tc.name != "text equality" && st.RowGroupsSelected != 0 {
					t.Errorf("%d row groups read through the page index: %+v", st.RowGroupsSelected, st)
				}
			}
		})
	}
}

// pagedFile writes n random rows of randSchema as a file of row groups of
// 5,000 rows and data pages of 2 KiB (many pages per column chunk).
func pagedFile(t *testing.T, r *rand.Rand, n int) (*objstore.Local, Source, [][]any) {
	t.Helper()
	rows := normRows(randTable(r, n))
	bucket := newBucket(t)
	bs := mkBatches(t, memory.DefaultAllocator, randSchema, rows, randSizes(r, n)...)
	var buf bytes.Buffer
	if _, _, err := pqfile.Write(&buf, randSchema, bs, pqfile.WriterOptions{RowGroupRows: 5000, DataPageSize: 2048}); err != nil {
		t.Fatal(err)
	}
	releaseAll(bs)
	if err := bucket.Put(t.Context(), "sel.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
	return bucket, Source{File: &FileSource{ID: "sel", Path: "sel.parquet", Rows: int64(n)}}, rows
}

// TestTopKLateMaterialization runs random top-ks without a filter over a
// file of many pages: the result is the reference top-k's, and a top 10
// on a mostly distinct integer key reads its row groups' other columns
// (the row number) for a selection of rows.
func TestTopKLateMaterialization(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	const n = 12000
	bucket, src, rows := pagedFile(t, r, n)
	specs := []*TopKSpec{
		{K: 10, Keys: []SortKey{{Col: 13, Desc: true}}},
		{K: 10, Keys: []SortKey{{Col: 13}, {Col: 5}}},
		{K: 10, Keys: []SortKey{{Col: 5, Desc: true, NullsFirst: true}, {Col: 13}}}, // NULLs, ties on the maximum
		{K: 30, Keys: []SortKey{{Col: 8, Desc: true}, {Col: 13}}},                   // floats: NaN, ±Inf, -0
		{K: 5, Keys: []SortKey{{Col: 0, Desc: true}, {Col: 13}}},                    // 10 values: many ties
	}
	for range seeds(12) {
		specs = append(specs, randTopK(r, n, true))
	}
	for i, spec := range specs {
		for _, par := range []int{1, 2} {
			f := &Fragment{Schema: randSchema, Columns: names(randSchema), TopK: spec, Sources: []Source{src}}
			p := Params{Mem: mem, Bucket: bucket, Parallelism: par, BatchRows: int64(500 + r.IntN(3000))}
			got, st := runFragment(t, t.Context(), p, f)
			sameRows(t, got, refTopK(rows, spec))
			if i < 2 && st.RowGroupsSelected == 0 {
				t.Errorf("top-k %+v: no row group read for a selection: %+v", spec, st)
			}
			if t.Failed() {
				t.Fatalf("top-k %+v, parallelism %d", spec, par)
			}
		}
	}
}

// TestLateMaterializationOldFiles: files without a page index are read
// whole, with the same rows.
func TestLateMaterializationOldFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 9))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	rows := normRows(randTable(r, 3000))
	bucket := newBucket(t)
	bs := mkBatches(t, mem, randSchema, rows, 3000)
	data := writeWithoutPageIndex(t, bs[0])
	releaseAll(bs)
	if err := bucket.Put(t.Context(), "old.parquet", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	filter := Call(OpOr, cmpE(OpEq, Col(13), Int(17)), cmpE(OpEq, Col(13), Int(2900)))
	f := &Fragment{Schema: randSchema, Columns: names(randSchema), Filter: filter,
		Sources: []Source{{File: &FileSource{ID: "old", Path: "old.parquet", Rows: 3000}}}}
	got, st := runFragment(t, t.Context(), Params{Mem: mem, Bucket: bucket}, f)
	sameRows(t, got, refFilter(filter, rows))
	if st.RowGroupsSelected != 0 || st.RowGroups != 1 {
		t.Errorf("stats %+v, want one row group read whole", st)
	}
}

// writeWithoutPageIndex writes rec as a Parquet file the way files were
// written before the page index: plain pqarrow defaults.
func writeWithoutPageIndex(t *testing.T, rec arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(rec.Schema(), &buf, parquet.NewWriterProperties(parquet.WithPageIndexEnabled(false)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
