package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Test values are plain Go values: nil for NULL, int64 for every integer
// type, timestamps (Unix microseconds) and dates, float64 for both float
// types, string, bool, dec (the decimal digits of a Decimal128 with scale 0)
// for integer sums, and []any for lists.

// dec is a Decimal128(38,0) value as decimal digits.
type dec string

// decOf returns v as a dec.
func decOf(v *big.Int) dec { return dec(v.String()) }

var (
	tsType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	dtDate = arrow.FixedWidthTypes.Date32
)

// field returns a nullable field.
func field(name string, dt arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: dt, Nullable: true}
}

// schemaOf returns a schema of nullable fields.
func schemaOf(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }

// names returns the field names of s.
func names(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i := range out {
		out[i] = s.Field(i).Name
	}
	return out
}

func toInt64(tb testing.TB, v any) int64 {
	tb.Helper()
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	}
	tb.Fatalf("not an integer: %T %v", v, v)
	return 0
}

func toFloat64(tb testing.TB, v any) float64 {
	tb.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	tb.Fatalf("not a float: %T %v", v, v)
	return 0
}

// appendValue appends the Go value v to b.
func appendValue(tb testing.TB, b array.Builder, v any) {
	tb.Helper()
	if v == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.Int8Builder:
		bb.Append(int8(toInt64(tb, v)))
	case *array.Int16Builder:
		bb.Append(int16(toInt64(tb, v)))
	case *array.Int32Builder:
		bb.Append(int32(toInt64(tb, v)))
	case *array.Int64Builder:
		bb.Append(toInt64(tb, v))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(toInt64(tb, v)))
	case *array.Date32Builder:
		bb.Append(arrow.Date32(toInt64(tb, v)))
	case *array.Float32Builder:
		bb.Append(float32(toFloat64(tb, v)))
	case *array.Float64Builder:
		bb.Append(toFloat64(tb, v))
	case *array.StringBuilder:
		bb.Append(v.(string))
	case *array.BooleanBuilder:
		bb.Append(v.(bool))
	default:
		tb.Fatalf("appendValue: builder %T", b)
	}
}

// mkBatch builds a batch of schema from rows of Go values.
func mkBatch(tb testing.TB, mem memory.Allocator, schema *arrow.Schema, rows [][]any) arrow.RecordBatch {
	tb.Helper()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		if len(r) != schema.NumFields() {
			tb.Fatalf("row %v has %d values, schema %d", r, len(r), schema.NumFields())
		}
		for c, v := range r {
			appendValue(tb, b.Field(c), v)
		}
	}
	return b.NewRecordBatch()
}

// mkBatches cuts rows into batches of the given sizes (the last batch takes
// the rest).
func mkBatches(tb testing.TB, mem memory.Allocator, schema *arrow.Schema, rows [][]any, sizes ...int) []arrow.RecordBatch {
	tb.Helper()
	var out []arrow.RecordBatch
	for _, n := range sizes {
		n = min(n, len(rows))
		out = append(out, mkBatch(tb, mem, schema, rows[:n]))
		rows = rows[n:]
	}
	if len(rows) > 0 || len(out) == 0 {
		out = append(out, mkBatch(tb, mem, schema, rows))
	}
	return out
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// valueAt reads element i of a as a Go value.
func valueAt(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Int8:
		return int64(x.Value(i))
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int64:
		return x.Value(i)
	case *array.Timestamp:
		return int64(x.Value(i))
	case *array.Date32:
		return int64(x.Value(i))
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.String:
		// Value aliases the array's buffer, which a Pool reuses once
		// the batch is released.
		return strings.Clone(x.Value(i))
	case *array.Boolean:
		return x.Value(i)
	case *array.Decimal128:
		return decOf(x.Value(i).BigInt())
	case *array.List:
		start, end := x.ValueOffsets(i)
		vals := x.ListValues()
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, valueAt(vals, int(j)))
		}
		return out
	}
	panic(fmt.Sprintf("valueAt: %T", a))
}

// rowsOf copies the rows of rec into Go values.
func rowsOf(rec arrow.RecordBatch) [][]any {
	out := make([][]any, rec.NumRows())
	for i := range out {
		row := make([]any, rec.NumCols())
		for c := range row {
			row[c] = valueAt(rec.Column(c), i)
		}
		out[i] = row
	}
	return out
}

// drain opens op, reads every batch into Go values, checks each batch
// against op's schema and closes op.
func drain(tb testing.TB, ctx context.Context, op Operator) [][]any {
	tb.Helper()
	rows, err := tryDrain(ctx, op)
	if err != nil {
		tb.Fatalf("drain: %v", err)
	}
	return rows
}

func tryDrain(ctx context.Context, op Operator) (rows [][]any, err error) {
	defer func() {
		if cerr := op.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := op.Open(ctx); err != nil {
		return nil, err
	}
	for {
		rec, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		if !rec.Schema().Equal(op.Schema()) {
			return rows, fmt.Errorf("batch schema %s differs from operator schema %s", rec.Schema(), op.Schema())
		}
		rows = append(rows, rowsOf(rec)...)
	}
}

// memScan returns a scan of every column of in-memory batches.
func memScan(tb testing.TB, p Params, schema *arrow.Schema, bs []arrow.RecordBatch) *Scan {
	tb.Helper()
	s, err := NewScan(p, Source{Batches: bs}, schema, names(schema), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// fmtValue renders a Go value canonically (NaN equals NaN, -0 differs
// from 0).
func fmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
		if x == 0 && math.Signbit(x) {
			return "-0"
		}
		return fmt.Sprintf("f%v", x)
	case int64:
		return fmt.Sprintf("i%d", x)
	case string:
		return fmt.Sprintf("%q", x)
	case dec:
		return "d" + string(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmtValue(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func fmtRow(r []any) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = fmtValue(v)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func fmtRows(rs [][]any) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmtRow(r)
	}
	return out
}

// valueEqual compares two Go values as fmtValue would, without
// formatting them.
func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return x == y && math.Signbit(x) == math.Signbit(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valueEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// rowsEqual reports whether got and want hold the same rows in the same
// order.
func rowsEqual(got, want [][]any) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if len(got[i]) != len(want[i]) {
			return false
		}
		for j := range got[i] {
			if !valueEqual(got[i][j], want[i][j]) {
				return false
			}
		}
	}
	return true
}

// sameRows checks that got and want hold the same rows in the same order.
func sameRows(tb testing.TB, got, want [][]any) {
	tb.Helper()
	if rowsEqual(got, want) {
		return
	}
	g, w := fmtRows(got), fmtRows(want)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		tb.Errorf("rows differ\n got (%d):\n  %s\nwant (%d):\n  %s", len(g), strings.Join(head(g), "\n  "), len(w), strings.Join(head(w), "\n  "))
	}
}

// sameRowSet checks that got and want hold the same rows in any order.
func sameRowSet(tb testing.TB, got, want [][]any) {
	tb.Helper()
	g, w := fmtRows(got), fmtRows(want)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		tb.Errorf("row sets differ\n got (%d):\n  %s\nwant (%d):\n  %s", len(g), strings.Join(head(g), "\n  "), len(w), strings.Join(head(w), "\n  "))
	}
}

func head(s []string) []string {
	if len(s) > 40 {
		return append(s[:40:40], fmt.Sprintf("... %d more", len(s)-40))
	}
	return s
}

// col returns column c of rows.
func column(rows [][]any, c int) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r[c]
	}
	return out
}

// decimalOf returns v as a Decimal128.
func decimalOf(v int64) decimal128.Num { return decimal128.FromI64(v) }

// nan is a quiet NaN.
var nan = math.NaN()

// negZero is -0.0.
var negZero = math.Copysign(0, -1)
