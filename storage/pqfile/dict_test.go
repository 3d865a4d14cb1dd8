package pqfile_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// TestReadDict: a low-cardinality string column is dictionary-encoded and
// reads back as an Arrow dictionary with the same values; a column of
// unique long strings whose dictionary overflowed is not reported as
// dictionary-encoded.
func TestReadDict(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	const n = 40_000
	levels := []string{"debug", "info", "warn", "error"}
	for i := 0; i < n; i++ {
		if i%97 == 0 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(levels[i%4])
		}
		// 40k unique 64-byte values overflow the 1 MiB dictionary page.
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%064d", i))
		// 2k distinct 48-byte values fit in a dictionary page, but the
		// dictionary is most of the chunk.
		k := uint64(i%2000 + 1)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("%016x%016x%016x", k*0x9E3779B97F4A7C15, k*0xC2B2AE3D27D4EB4F, k*0x165667B19E3779F9))
	}
	rec := b.NewRecordBatch()
	b.Release()
	data := writeFile(t, schema, []arrow.RecordBatch{rec}, pqfile.WriterOptions{Allocator: mem})
	rec.Release()
	r := openReader(t, data, mem)
	if !r.DictEncoded(0, "level") {
		t.Error("level is not reported as dictionary-encoded")
	}
	if r.DictEncoded(0, "id") {
		t.Error("id fell back to plain encoding but is reported as dictionary-encoded")
	}
	if r.DictEncoded(0, "msg") {
		t.Error("msg has a dictionary as large as its data but is reported worth reading as one")
	}
	if r.DictEncoded(0, "nope") || r.DictEncoded(7, "level") {
		t.Error("DictEncoded of a missing column or row group")
	}
	rr, err := r.ReadDict(context.Background(), []string{"level"}, []string{"level"}, nil, 8192)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	i := 0
	for rr.Next() {
		d, ok := rr.RecordBatch().Column(0).(*array.Dictionary)
		if !ok {
			t.Fatalf("level read as %s, want a dictionary", rr.RecordBatch().Column(0).DataType())
		}
		vals := d.Dictionary().(*array.String)
		for j := 0; j < d.Len(); j, i = j+1, i+1 {
			switch {
			case i%97 == 0:
				if d.IsValid(j) {
					t.Fatalf("row %d: want NULL", i)
				}
			case vals.Value(d.GetValueIndex(j)) != levels[i%4]:
				t.Fatalf("row %d: %q, want %q", i, vals.Value(d.GetValueIndex(j)), levels[i%4])
			}
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("read %d rows, want %d", i, n)
	}
}
