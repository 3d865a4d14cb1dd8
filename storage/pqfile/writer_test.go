package pqfile_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"openwit/storage/pqfile"
)

// TestWriteMemoryOrStream: Write goes straight into a *bytes.Buffer and
// through its own buffer into any other writer; the files are identical
// and the byte counts match.
func TestWriteMemoryOrStream(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 5000, 700)
	defer release(batches)
	opts := pqfile.WriterOptions{RowGroupRows: 2048, Allocator: mem}
	var direct, streamed bytes.Buffer
	_, n1, err := pqfile.Write(&direct, schema, batches, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, n2, err := pqfile.Write(struct{ io.Writer }{&streamed}, schema, batches, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n1 != int64(direct.Len()) || n2 != int64(streamed.Len()) {
		t.Fatalf("counted %d and %d bytes, wrote %d and %d", n1, n2, direct.Len(), streamed.Len())
	}
	if !bytes.Equal(direct.Bytes(), streamed.Bytes()) {
		t.Fatalf("files differ: %d bytes in memory, %d streamed", direct.Len(), streamed.Len())
	}
	openReader(t, direct.Bytes(), mem)
}

// TestWriteDictionaryChoice: a string column whose sampled values are
// mostly distinct is written plain (no dictionary page), one with
// repeated values and a small file's columns get a dictionary, and both
// read back the same.
func TestWriteDictionaryChoice(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "trace", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "host", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for _, tc := range []struct {
		rows      int
		traceDict bool
	}{{20_000, false}, {300, true}} {
		b := array.NewRecordBuilder(mem, schema)
		for i := range tc.rows {
			if i%10 == 0 {
				b.Field(0).AppendNull()
			} else {
				b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%032x", uint64(i)*0x9E3779B97F4A7C15))
			}
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("host-%d", i%40))
		}
		rec := b.NewRecordBatch()
		b.Release()
		parts := []arrow.RecordBatch{rec.NewSlice(0, int64(tc.rows/3)), rec.NewSlice(int64(tc.rows/3), int64(tc.rows))}
		data := writeFile(t, schema, parts, pqfile.WriterOptions{Allocator: mem})
		release(parts)
		r := openReader(t, data, mem)
		md, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for c, want := range []bool{tc.traceDict, true} {
			cc, err := md.MetaData().RowGroup(0).ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if cc.HasDictionaryPage() != want {
				t.Errorf("%d rows, column %s: dictionary page %v, want %v", tc.rows, schema.Field(c).Name, cc.HasDictionaryPage(), want)
			}
		}
		md.Close()
		_, got := readAll(t, r, nil, nil, 4096)
		all := concat(t, mem, schema, got)
		assertBatchEqual(t, all, rec)
		all.Release()
		release(got)
		rec.Release()
	}
}
