package index

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// TestDictionaryPathMatchesBuild requires the artifact built from the
// Parquet writer's dictionaries (design 085) to be byte for byte the one
// built by decoding the file, for text columns the writer encodes with a
// dictionary: values sharing tokens, NULLs, digits-only and non-ASCII
// tokens, a column whose vocabulary passes the postings bound, and one
// holding "" in some row groups (written dense there).
func TestDictionaryPathMatchesBuild(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "service", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "host", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "tags", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "maybe_empty", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	services := []string{"api-gateway", "api-search", "checkout", "Zürich-edge", "gateway_v2", "api 42", "x"}
	r := rand.New(rand.NewPCG(7, 7))
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	var batches []arrow.RecordBatch
	defer func() {
		for _, rec := range batches {
			rec.Release()
		}
	}()
	const rows = 12_000
	for row := 0; row < rows; {
		for range min(1+r.IntN(900), rows-row) {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(row)))
			if r.IntN(11) == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(services[r.IntN(len(services))])
			}
			svc := services[r.IntN(3)]
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("%s-%d", svc, r.IntN(12)))
			// 1,500 values of three tokens each: 4,500 terms, past the
			// bound of a 4,000-row group (rows/4 + 64).
			k := r.IntN(1500)
			b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("t%da u%db v%dc", k, k, k))
			if row >= 4000 && row < 8000 && r.IntN(50) == 0 {
				b.Field(4).(*array.StringBuilder).Append("")
			} else {
				b.Field(4).(*array.StringBuilder).Append([]string{"alpha beta", "beta", "gamma-alpha"}[r.IntN(3)])
			}
			b.Field(5).(*array.Int64Builder).Append(int64(r.IntN(5)))
			row++
		}
		batches = append(batches, b.NewRecordBatch())
	}
	var buf bytes.Buffer
	_, _, dicts, err := pqfile.WriteDictionaries(&buf, schema, batches, pqfile.WriterOptions{RowGroupRows: 4000, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer dicts.Release()
	for _, c := range []struct {
		col   string
		group int
		dict  bool
	}{{"service", 0, true}, {"host", 2, true}, {"tags", 1, true}, {"maybe_empty", 0, true}, {"maybe_empty", 1, false}, {"ts", 0, false}} {
		if _, _, ok := dicts.Column(c.group, schema.FieldIndices(c.col)[0]); ok != c.dict {
			t.Fatalf("%s in row group %d: written with a dictionary %v, want %v", c.col, c.group, ok, c.dict)
		}
	}
	rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, opt := range []Options{{TimeColumn: "ts"}, {BloomColumns: []string{"service", "tags"}, GramColumns: []string{"host", "tags"}}} {
		want, err := Build(ctx, rd, opt)
		if err != nil {
			t.Fatal(err)
		}
		opt.Dictionaries = dicts
		got, err := BuildFromBatches(ctx, rd, batches, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Encode(), want.Encode()) {
			t.Fatalf("artifacts differ:\nfrom dictionaries %+v\nfrom file         %+v", got, want)
		}
		if c := want.Column("tags"); c.Postings != nil && c.Postings[0] != nil {
			t.Fatal("tags got postings: the data does not pass the vocabulary bound")
		}
		if c := want.Column("host"); c.Postings == nil || c.Postings[0] == nil || len(c.Postings[0].Terms) != 4 {
			t.Fatalf("host postings: %+v, want the terms api, checkout, gateway, search", c.Postings)
		}
	}
}
