package pqfile_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"openwit/storage/pqfile"
)

// TestNaNFree: a written file records which float columns hold a NaN (a
// NULL slot's bytes do not count), and a file another writer made records
// nothing, so none of its float columns is NaN-free.
func TestNaNFree(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "clean", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "nan", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	mk := func(nanAt int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for i := 0; i < 10; i++ {
			b.Field(0).(*array.Float64Builder).Append(float64(i))
			if i == nanAt {
				b.Field(1).(*array.Float64Builder).Append(math.NaN())
			} else {
				b.Field(1).(*array.Float64Builder).Append(float64(i))
			}
			b.Field(2).(*array.Float32Builder).Append(float32(i))
			b.Field(3).(*array.Int64Builder).Append(int64(i))
		}
		return b.NewRecordBatch()
	}
	// The NaN is in the second batch only.
	recs := []arrow.RecordBatch{mk(-1), mk(7)}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	r := openReader(t, writeFile(t, schema, recs, pqfile.WriterOptions{Allocator: mem}), mem)
	for col, want := range map[string]bool{"clean": true, "nan": false, "f32": true, "i": true, "nope": false} {
		if got := r.NaNFree(col); got != want {
			t.Errorf("NaNFree(%q) = %v, want %v", col, got, want)
		}
	}

	var buf bytes.Buffer
	tbl := array.NewTableFromRecords(schema, recs[:1])
	err := pqarrow.WriteTable(tbl, &buf, 10, nil, pqarrow.DefaultWriterProps())
	tbl.Release()
	if err != nil {
		t.Fatal(err)
	}
	foreign := openReader(t, buf.Bytes(), mem)
	if foreign.NaNFree("clean") || !foreign.NaNFree("i") {
		t.Errorf("foreign file: NaNFree(clean) = %v (want false), NaNFree(i) = %v (want true)", foreign.NaNFree("clean"), foreign.NaNFree("i"))
	}
}
