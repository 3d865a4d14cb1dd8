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

// TestReadDictDirect: dictionary columns decoded straight from the pages
// (required and nullable, with and without NULLs, runs and bit-packed
// indices of several widths, several pages and row groups, next to plain
// columns read through pqarrow) read back the values written, in batches
// that never cross a row group.
func TestReadDictDirect(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "req", Type: arrow.BinaryTypes.String},
		{Name: "opt", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "wide", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "allnull", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	const n = 300_000 // several ~1 MiB pages per chunk
	val := func(c, i int) (string, bool) {
		switch c {
		case 0:
			if (i/1000)%2 == 0 {
				return fmt.Sprintf("r%d", (i/1000)%6), true // long runs
			}
			return fmt.Sprintf("r%d", (uint32(i)*2654435761>>11)%6), true
		case 1:
			return fmt.Sprintf("o%d", (uint32(i)*2246822519>>13)%7), i%13 != 0
		case 2:
			return fmt.Sprintf("w%d", (uint32(i)*2654435761>>9)%1500), i%5000 != 1 // 11-bit indices
		}
		return "", false
	}
	b := array.NewRecordBuilder(mem, schema)
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			if v, ok := val(c, i); ok {
				b.Field(c).(*array.StringBuilder).Append(v)
			} else {
				b.Field(c).AppendNull()
			}
		}
		b.Field(3).(*array.Int64Builder).Append(int64(i))
		b.Field(4).AppendNull()
	}
	rec := b.NewRecordBatch()
	b.Release()
	data := writeFile(t, schema, []arrow.RecordBatch{rec}, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 110_000})
	rec.Release()
	r := openReader(t, data, mem)
	for _, c := range []string{"req", "opt", "wide"} {
		if !r.DictEncoded(0, c) {
			t.Fatalf("%s is not dictionary-encoded", c)
		}
	}
	cols := []string{"n", "wide", "req", "opt"}
	for _, groups := range [][]int{nil, {2, 0}} {
		rr, err := r.ReadDict(t.Context(), cols, []string{"req", "opt", "wide"}, groups, 40_000)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for rr.Next() {
			rec := rr.RecordBatch()
			ns := rec.Column(0).(*array.Int64)
			first := int(ns.Value(0))
			if first/110_000 != int(ns.Value(ns.Len()-1))/110_000 {
				t.Fatalf("a batch crosses row groups at row %d", first)
			}
			for k, c := range []int{2, 0, 1} {
				d, ok := rec.Column(k + 1).(*array.Dictionary)
				if !ok {
					t.Fatalf("%s read as %s", cols[k+1], rec.Column(k+1).DataType())
				}
				vals := d.Dictionary().(*array.String)
				for j := 0; j < d.Len(); j++ {
					i := int(ns.Value(j))
					want, ok := val(c, i)
					if d.IsValid(j) != ok || (ok && vals.Value(d.GetValueIndex(j)) != want) {
						t.Fatalf("%s row %d: valid %v %q, want %v %q", cols[k+1], i, d.IsValid(j), vals.Value(d.GetValueIndex(j)), ok, want)
					}
				}
			}
			got += int(rec.NumRows())
		}
		if err := rr.Err(); err != nil {
			t.Fatal(err)
		}
		rr.Release()
		want := n
		if groups != nil {
			want = 110_000 + (n - 220_000)
		}
		if got != want {
			t.Fatalf("groups %v: read %d rows, want %d", groups, got, want)
		}
	}
	// A column of NULLs only.
	rr, err := r.ReadDict(t.Context(), []string{"allnull"}, []string{"allnull"}, []int{0}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for rr.Next() {
		if c := rr.RecordBatch().Column(0); c.NullN() != c.Len() {
			t.Fatalf("allnull: %d NULLs of %d", c.NullN(), c.Len())
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	rr.Release()
}
