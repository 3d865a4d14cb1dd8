package pqfile_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"openwit/storage/pqfile"
)

// TestPageRowsNearPageSize: with the default options, pages of 50-byte
// strings close at the first 256-row boundary past 64 KiB (1,280 rows;
// arrow-go's default batch of 1,024 values made them 2,048), and pages
// of int64 still hold 8,192 rows (design 054).
func TestPageRowsNearPageSize(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64},
		{Name: "msg", Type: arrow.BinaryTypes.String},
	}, nil)
	const rows = 40_000
	nb, sb := array.NewInt64Builder(mem), array.NewStringBuilder(mem)
	defer nb.Release()
	defer sb.Release()
	for i := range rows {
		nb.Append(int64(i))
		sb.Append(fmt.Sprintf("Timeout waiting for lock on orders after %06d ms", i)) // 50 bytes
	}
	a, b := nb.NewArray(), sb.NewArray()
	rec := array.NewRecordBatch(schema, []arrow.Array{a, b}, rows)
	a.Release()
	b.Release()
	defer rec.Release()
	data := writeFile(t, schema, []arrow.RecordBatch{rec}, pqfile.WriterOptions{Allocator: mem})
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rg, err := pf.GetPageIndexReader().RowGroup(0)
	if err != nil {
		t.Fatal(err)
	}
	for col, want := range map[int]int64{0: 8192, 1: 1280} {
		oi, err := rg.GetOffsetIndex(col)
		if err != nil {
			t.Fatal(err)
		}
		locs := oi.GetPageLocations()
		for i := 0; i+1 < len(locs); i++ {
			if n := locs[i+1].FirstRowIndex - locs[i].FirstRowIndex; n != want {
				t.Fatalf("column %s page %d: %d rows, want %d", schema.Field(col).Name, i, n, want)
			}
		}
	}
}
