package pqfile_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// column describes one test column: its type and how row i is filled.
type column struct {
	name   string
	typ    arrow.DataType
	append func(b array.Builder, i int)
}

// nullEvery makes row i null when i%k == phase, so columns differ in
// where their nulls are.
func nullEvery(k, phase int) func(int) bool {
	return func(i int) bool { return i%k == phase }
}

// typedColumns are the column types OpenWit stores, each with nulls and
// edge values.
func typedColumns() []column {
	dec := &arrow.Decimal128Type{Precision: 18, Scale: 3}
	return []column{
		{"ts_utc", arrow.FixedWidthTypes.Timestamp_us, func(b array.Builder, i int) {
			if nullEvery(7, 0)(i) {
				b.AppendNull()
				return
			}
			// Before and after the epoch.
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i-50)*1_000_003 + 1_700_000_000_000_000))
		}},
		{"ts_local", &arrow.TimestampType{Unit: arrow.Microsecond}, func(b array.Builder, i int) {
			if nullEvery(5, 1)(i) {
				b.AppendNull()
				return
			}
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(-int64(i) * 86_400_000_000))
		}},
		{"str", arrow.BinaryTypes.String, func(b array.Builder, i int) {
			switch {
			case nullEvery(6, 2)(i):
				b.AppendNull()
			case i%11 == 0:
				b.(*array.StringBuilder).Append("") // empty is not null
			default:
				b.(*array.StringBuilder).Append(fmt.Sprintf("value-%d-é✓", i%13))
			}
		}},
		{"i16", arrow.PrimitiveTypes.Int16, func(b array.Builder, i int) {
			if nullEvery(4, 3)(i) {
				b.AppendNull()
				return
			}
			v := []int16{math.MinInt16, -1, 0, 1, math.MaxInt16}[i%5]
			b.(*array.Int16Builder).Append(v)
		}},
		{"i32", arrow.PrimitiveTypes.Int32, func(b array.Builder, i int) {
			if nullEvery(3, 0)(i) {
				b.AppendNull()
				return
			}
			v := []int32{math.MinInt32, -7, 0, 200, math.MaxInt32}[i%5]
			b.(*array.Int32Builder).Append(v)
		}},
		{"i64", arrow.PrimitiveTypes.Int64, func(b array.Builder, i int) {
			if nullEvery(8, 5)(i) {
				b.AppendNull()
				return
			}
			v := []int64{math.MinInt64, -123456789012, 0, int64(i), math.MaxInt64}[i%5]
			b.(*array.Int64Builder).Append(v)
		}},
		{"f32", arrow.PrimitiveTypes.Float32, func(b array.Builder, i int) {
			if nullEvery(9, 4)(i) {
				b.AppendNull()
				return
			}
			v := []float32{float32(math.Inf(-1)), -1.5, 0, math.SmallestNonzeroFloat32, math.MaxFloat32, float32(math.Inf(1))}[i%6]
			b.(*array.Float32Builder).Append(v)
		}},
		{"f64", arrow.PrimitiveTypes.Float64, func(b array.Builder, i int) {
			if nullEvery(10, 9)(i) {
				b.AppendNull()
				return
			}
			b.(*array.Float64Builder).Append(float64(i)*0.25 - 3)
		}},
		{"bool", arrow.FixedWidthTypes.Boolean, func(b array.Builder, i int) {
			if nullEvery(3, 1)(i) {
				b.AppendNull()
				return
			}
			b.(*array.BooleanBuilder).Append(i%2 == 0)
		}},
		{"date", arrow.FixedWidthTypes.Date32, func(b array.Builder, i int) {
			if nullEvery(4, 0)(i) {
				b.AppendNull()
				return
			}
			b.(*array.Date32Builder).Append(arrow.Date32(i*37 - 1000))
		}},
		{"bin", arrow.BinaryTypes.Binary, func(b array.Builder, i int) {
			switch {
			case nullEvery(5, 3)(i):
				b.AppendNull()
			case i%7 == 0:
				b.(*array.BinaryBuilder).Append([]byte{})
			default:
				b.(*array.BinaryBuilder).Append([]byte{0, byte(i), 0xff, byte(i >> 8)})
			}
		}},
		{"dec", dec, func(b array.Builder, i int) {
			if nullEvery(6, 5)(i) {
				b.AppendNull()
				return
			}
			// -999999999999999.999 .. 999999999999999.999 within precision 18.
			v := []int64{-999_999_999_999_999_999, -1, 0, 12345, 999_999_999_999_999_999}[i%5]
			b.(*array.Decimal128Builder).Append(decimal128.FromI64(v))
		}},
	}
}

// buildBatch builds rows [from, to) of cols as one batch.
func buildBatch(t testing.TB, mem memory.Allocator, schema *arrow.Schema, cols []column, from, to int) arrow.RecordBatch {
	t.Helper()
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for c, col := range cols {
		fb := rb.Field(c)
		for i := from; i < to; i++ {
			col.append(fb, i)
		}
	}
	return rb.NewRecordBatch()
}

func schemaOf(cols []column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// buildBatches builds rows [0, rows) in batches of batchRows.
func buildBatches(t testing.TB, mem memory.Allocator, schema *arrow.Schema, cols []column, rows, batchRows int) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	for from := 0; from < rows; from += batchRows {
		out = append(out, buildBatch(t, mem, schema, cols, from, min(from+batchRows, rows)))
	}
	return out
}

func release(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}

func writeFile(t testing.TB, schema *arrow.Schema, batches []arrow.RecordBatch, opts pqfile.WriterOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	rows, n, err := pqfile.Write(&buf, schema, batches, opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	var want int64
	for _, b := range batches {
		want += b.NumRows()
	}
	if rows != want {
		t.Errorf("Write rows = %d, want %d", rows, want)
	}
	if n != int64(buf.Len()) {
		t.Errorf("Write bytes = %d, but %d were written", n, buf.Len())
	}
	return buf.Bytes()
}

func openReader(t testing.TB, data []byte, mem memory.Allocator) *pqfile.Reader {
	t.Helper()
	r, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), mem)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// readAll reads every batch of a Read and returns them retained, checking
// the batch size limit on the way.
func readAll(t testing.TB, r *pqfile.Reader, columns []string, rowGroups []int, batchRows int64) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	rr, err := r.Read(context.Background(), columns, rowGroups, batchRows)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	defer rr.Release()
	var out []arrow.RecordBatch
	for {
		b, err := rr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			release(out)
			t.Fatalf("reading batches: %v", err)
		}
		if b.NumRows() > batchRows {
			t.Errorf("batch of %d rows, limit %d", b.NumRows(), batchRows)
		}
		b.Retain()
		out = append(out, b)
	}
	return rr.Schema(), out
}

// concat joins batches into one; the result is released by the caller.
func concat(t testing.TB, mem memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	if len(batches) == 0 {
		cols := emptyColumns(mem, schema)
		defer func() {
			for _, c := range cols {
				c.Release()
			}
		}()
		return array.NewRecordBatch(schema, cols, 0)
	}
	tbl := array.NewTableFromRecords(schema, batches)
	defer tbl.Release()
	cols := make([]arrow.Array, tbl.NumCols())
	for i := range cols {
		a, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = a
		defer a.Release()
	}
	return array.NewRecordBatch(schema, cols, tbl.NumRows())
}

func emptyColumns(mem memory.Allocator, schema *arrow.Schema) []arrow.Array {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		b := array.NewBuilder(mem, f.Type)
		cols[i] = b.NewArray()
		b.Release()
	}
	return cols
}

// assertSchema compares two schemas field by field, time zones included.
func assertSchema(t testing.TB, got, want *arrow.Schema) {
	t.Helper()
	if got.NumFields() != want.NumFields() {
		t.Fatalf("schema has %d fields, want %d:\n%s\nwant\n%s", got.NumFields(), want.NumFields(), got, want)
	}
	for i := range want.NumFields() {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || !arrow.TypeEqual(g.Type, w.Type) || g.Nullable != w.Nullable {
			t.Errorf("field %d = %s, want %s", i, g, w)
		}
	}
}

// assertBatchEqual compares got with want column by column.
func assertBatchEqual(t testing.TB, got, want arrow.RecordBatch) {
	t.Helper()
	if got.NumRows() != want.NumRows() || got.NumCols() != want.NumCols() {
		t.Fatalf("batch is %dx%d, want %dx%d", got.NumRows(), got.NumCols(), want.NumRows(), want.NumCols())
	}
	for i := range int(want.NumCols()) {
		g, w := got.Column(i), want.Column(i)
		if !array.Equal(g, w) {
			t.Errorf("column %q differs:\n got %v\nwant %v", want.ColumnName(i), g, w)
		}
		if g.NullN() != w.NullN() {
			t.Errorf("column %q has %d nulls, want %d", want.ColumnName(i), g.NullN(), w.NullN())
		}
	}
}
