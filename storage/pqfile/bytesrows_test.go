package pqfile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestScanBytesRows: reading random sorted row selections of a text
// column gives the selected rows' values and NULLs, as a full read does;
// over files with and without a page index (small pages, so the reader
// seeks past whole pages), dictionary and plain encoded, with NULLs.
// Rows out of order or range are an error.
func TestScanBytesRows(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	const nrows, groupRows = 3000, 1300
	want := make([]*string, nrows)
	bld := array.NewStringBuilder(mem)
	for i := range want {
		if rng.IntN(9) == 0 {
			bld.AppendNull()
			continue
		}
		s := fmt.Sprintf("row %d %s", i, []string{"waiting for lock", "timeout", "ok"}[rng.IntN(3)])
		want[i] = &s
		bld.Append(s)
	}
	col := bld.NewArray()
	bld.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, nrows)
	col.Release()
	defer rec.Release()
	for _, tc := range []struct {
		name       string
		pageIndex  bool
		dictionary bool
	}{{"plain", false, false}, {"plain, page index", true, false}, {"dictionary, page index", true, true}, {"dictionary", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			props := parquet.NewWriterProperties(parquet.WithPageIndexEnabled(tc.pageIndex), parquet.WithDataPageSize(512),
				parquet.WithDictionaryDefault(tc.dictionary), parquet.WithCompression(compress.Codecs.Zstd),
				parquet.WithMaxRowGroupLength(groupRows), parquet.WithBatchSize(100))
			w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			rd, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
			if err != nil {
				t.Fatal(err)
			}
			if rd.NumRowGroups() != 3 {
				t.Fatalf("%d row groups, want 3", rd.NumRowGroups())
			}
			base := int64(0)
			for g := range rd.NumRowGroups() {
				n := rd.RowGroupRows(g)
				for k := range 30 {
					var rows []uint32
					p := []float64{0.001, 0.01, 0.2, 1}[k%4]
					for r := range uint32(n) {
						if rng.Float64() < p {
							rows = append(rows, r)
						}
					}
					if k == 5 {
						rows = []uint32{uint32(n - 1)}
					}
					var got []uint32
					err := rd.ScanBytesRows(ctx, g, "msg", rows, func(row uint32, v []byte, null bool) error {
						got = append(got, row)
						w := want[base+int64(row)]
						if null != (w == nil) || (w != nil && string(v) != *w) {
							return fmt.Errorf("row %d: got %q (null %v), want %v", row, v, null, w)
						}
						return nil
					})
					if err != nil {
						t.Fatalf("row group %d, %d rows: %v", g, len(rows), err)
					}
					if !slices.Equal(got, rows) {
						t.Fatalf("row group %d: called for %d rows, want %d", g, len(got), len(rows))
					}
				}
				// The page index case must have pages to seek past.
				pages := 0
				if rg, err := rd.pf.GetPageIndexReader().RowGroup(g); err == nil && rg != nil {
					if oi, err := rg.GetOffsetIndex(0); err == nil && oi != nil {
						pages = len(oi.GetPageLocations())
					}
				}
				if tc.pageIndex != (pages > 3) {
					t.Fatalf("row group %d: %d pages in the offset index (page index %v)", g, pages, tc.pageIndex)
				}
				base += n
			}
			for _, bad := range [][]uint32{{5, 5}, {7, 3}, {groupRows}} {
				if err := rd.ScanBytesRows(ctx, 0, "msg", bad, func(uint32, []byte, bool) error { return nil }); err == nil {
					t.Errorf("rows %v: no error", bad)
				}
			}
		})
	}
}
