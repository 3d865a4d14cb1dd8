package pqfile_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"openwit/storage/pqfile"
)

// TestDictionaryDirectWrite: string columns chosen for dictionary encoding
// are written as dictionary indices with one dictionary per row group
// (docs/design/079-ingest-cpu.md). The file reads back the same and its
// statistics match the data, for low-cardinality columns with NULLs, one
// holding "" (written densely: arrow-go's dictionary statistics skip
// empty values), one whose dictionary passes the dictionary page limit
// (the writer falls back to plain in the middle of a chunk), over batches
// that cross row group boundaries.
func TestDictionaryDirectWrite(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "svc", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "empty", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "big", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	const rows, groupRows = 40_000, 15_000
	r := rand.New(rand.NewPCG(3, 4))
	b := array.NewRecordBuilder(mem, schema)
	for i := range rows {
		svc := b.Field(0).(*array.StringBuilder)
		switch {
		case i%13 == 0:
			svc.AppendNull()
		default:
			svc.Append(fmt.Sprintf("svc-%d-é", r.IntN(40)))
		}
		emp := b.Field(1).(*array.StringBuilder)
		switch r.IntN(5) {
		case 0:
			emp.Append("")
		case 1:
			emp.AppendNull()
		default:
			emp.Append(fmt.Sprintf("v%d", r.IntN(9)))
		}
		// About 3,000 distinct values of 400 bytes per row group: more
		// than the 1 MiB dictionary page limit, few enough (< 90%
		// distinct) for the dictionary to be chosen.
		b.Field(2).(*array.StringBuilder).Append(strings.Repeat("x", 390) + fmt.Sprintf("%010d", r.IntN(3000)))
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	parts := []arrow.RecordBatch{rec.NewSlice(0, 7_000), rec.NewSlice(7_000, 22_500), rec.NewSlice(22_500, rows)}
	data := writeFile(t, schema, parts, pqfile.WriterOptions{Allocator: mem, RowGroupRows: groupRows})
	release(parts)

	md, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if g := md.NumRowGroups(); g != 3 {
		t.Fatalf("%d row groups, want 3", g)
	}
	for g := range md.NumRowGroups() {
		for c := range schema.NumFields() {
			cc, err := md.MetaData().RowGroup(g).ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if !cc.HasDictionaryPage() {
				t.Errorf("row group %d column %s: no dictionary page", g, schema.Field(c).Name)
			}
			if c == 2 && !slices.Contains(cc.Encodings(), parquet.Encodings.Plain) {
				t.Errorf("row group %d column big: encodings %v, want a fallback to PLAIN", g, cc.Encodings())
			}
		}
	}
	md.Close()

	rd := openReader(t, data, mem)
	_, got := readAll(t, rd, nil, nil, 4096)
	all := concat(t, mem, schema, got)
	assertBatchEqual(t, all, rec)
	all.Release()
	release(got)

	for g := range rd.NumRowGroups() {
		from, to := g*groupRows, min(g*groupRows+groupRows, rows)
		for c := range schema.NumFields() {
			col := rec.Column(c).(*array.String)
			var lo, hi string
			var nulls int64
			seen := false
			for i := from; i < to; i++ {
				if col.IsNull(i) {
					nulls++
					continue
				}
				v := col.Value(i)
				if !seen || v < lo {
					lo = v
				}
				if !seen || v > hi {
					hi = v
				}
				seen = true
			}
			name := schema.Field(c).Name
			mn, mx, gotNulls, ok := rd.RowGroupStats(g, name)
			if !ok || mn != lo || mx != hi || gotNulls != nulls {
				t.Errorf("row group %d %s: stats %q..%q nulls %d ok %v; data %q..%q nulls %d", g, name, mn, mx, gotNulls, ok, lo, hi, nulls)
			}
		}
	}
}
