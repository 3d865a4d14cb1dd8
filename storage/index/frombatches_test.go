package index

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// randomBatches returns batches of random sizes (some empty) with a
// column of every zone kind, nulls, NaNs, repeated and unique values, and
// invalid UTF-8 in a few rows.
func randomBatches(t testing.TB, mem memory.Allocator, r *rand.Rand, rows int) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "raw", Type: arrow.BinaryTypes.Binary, Nullable: true},
	}, nil)
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	row := 0
	for row < rows {
		n := min(r.IntN(300), rows-row)
		if r.IntN(10) == 0 {
			n = 0
		}
		for range n {
			null := r.IntN(9) == 0
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(row)*1000))
			for i := 1; i < schema.NumFields(); i++ {
				if null && i != 7 {
					b.Field(i).AppendNull()
					continue
				}
				switch fb := b.Field(i).(type) {
				case *array.Int16Builder:
					fb.Append(int16(r.IntN(200) - 100))
				case *array.Int32Builder:
					fb.Append(int32(row))
				case *array.Int64Builder:
					fb.Append(r.Int64())
				case *array.Date32Builder:
					fb.Append(arrow.Date32(19000 + r.IntN(5)))
				case *array.Float64Builder:
					if r.IntN(50) == 0 {
						fb.Append(math.NaN())
					} else {
						fb.Append(r.NormFloat64())
					}
				case *array.BooleanBuilder:
					fb.Append(r.IntN(2) == 0)
				case *array.StringBuilder:
					switch schema.Field(i).Name {
					case "id":
						fb.Append(fmt.Sprintf("req-%08X", r.Uint32()))
					case "level":
						fb.Append([]string{"INFO", "warn", "Error"}[r.IntN(3)])
					default:
						v := fmt.Sprintf("Request %d TIMEOUT after %dms on Shard-Ä%d", row, r.IntN(900), r.IntN(7))
						if row >= 700 && row < 710 {
							v += "\xff\xfe" // invalid UTF-8: that row group gets no trigram filter
						}
						fb.Append(v)
					}
				case *array.Decimal128Builder:
					fb.Append(decimal128.FromI64(r.Int64N(1e9)))
				case *array.BinaryBuilder:
					fb.Append([]byte(strings.Repeat("x", r.IntN(5))))
				}
			}
			row++
		}
		out = append(out, b.NewRecordBatch())
	}
	return schema, out
}

// TestBuildFromBatchesMatchesBuild requires the artifact built from the
// written batches to be byte for byte the one built by decoding the file,
// over row groups that start and end inside batches.
func TestBuildFromBatchesMatchesBuild(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(3, 1))
	for _, tc := range []struct {
		name string
		rows int
		rg   int64
		opt  Options
	}{
		{"auto", 2000, 250, Options{}},
		{"explicit", 2000, 333, Options{BloomColumns: []string{"level", "i16", "ts"}, GramColumns: []string{"id"}}},
		{"none", 500, 100, Options{BloomColumns: []string{}, GramColumns: []string{}}},
		{"one-group", 1500, 0, Options{}},
		{"single-row-groups", 40, 1, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema, batches := randomBatches(t, mem, r, tc.rows)
			defer func() {
				for _, b := range batches {
					b.Release()
				}
			}()
			var buf bytes.Buffer
			_, _, dicts, err := pqfile.WriteDictionaries(&buf, schema, batches, pqfile.WriterOptions{RowGroupRows: tc.rg, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer dicts.Release()
			rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			want, err := Build(ctx, rd, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := BuildFromBatches(ctx, rd, batches, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Encode(), want.Encode()) {
				t.Fatalf("artifacts differ:\nfrom batches %+v\nfrom file    %+v", got, want)
			}
			withDicts := tc.opt
			withDicts.Dictionaries = dicts
			got, err = BuildFromBatches(ctx, rd, batches, withDicts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Encode(), want.Encode()) {
				t.Fatalf("artifacts differ:\nfrom batches and dictionaries %+v\nfrom file                     %+v", got, want)
			}
			if _, _, ok := dicts.Column(0, schema.FieldIndices("level")[0]); !ok {
				t.Fatal("level was not written with a dictionary: the test does not exercise the dictionary path")
			}
			if tc.name == "auto" {
				msg := want.Column("msg")
				if msg.Grams == nil || msg.Grams[2] != nil || msg.Grams[0] == nil {
					t.Fatalf("the data does not exercise a dropped trigram filter: %v", msg.Grams)
				}
			}
		})
	}
}

// TestBuildFromBatchesRejectsOthers: batches that cannot be the file's
// are an error, not a wrong artifact.
func TestBuildFromBatchesRejectsOthers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 5))
	schema, batches := randomBatches(t, mem, r, 600)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	var buf bytes.Buffer
	if _, _, err := pqfile.Write(&buf, schema, batches, pqfile.WriterOptions{RowGroupRows: 100}); err != nil {
		t.Fatal(err)
	}
	rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := BuildFromBatches(ctx, rd, batches[1:], Options{}); err == nil || !strings.Contains(err.Error(), "rows") {
		t.Errorf("missing batch: %v", err)
	}
	other := array.NewRecordBatch(arrow.NewSchema(schema.Fields()[:3], nil), batches[0].Columns()[:3], batches[0].NumRows())
	defer other.Release()
	mixed := append([]arrow.RecordBatch{other}, batches[1:]...)
	if _, err := BuildFromBatches(ctx, rd, mixed, Options{}); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("other schema: %v", err)
	}
}
