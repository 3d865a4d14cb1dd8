package pqfile_test

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// TestMissingRoundTrip: every stored type's value survives EncodeMissing
// and MissingArray, and AbsentArray repeats a field's missing value, or
// is NULL without one or with one that does not decode; no memory leaks.
func TestMissingRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dec := &arrow.Decimal128Type{Precision: 10, Scale: 2}
	for _, tc := range []struct {
		dt  arrow.DataType
		val any
	}{
		{arrow.PrimitiveTypes.Int16, int16(-7)},
		{arrow.PrimitiveTypes.Int32, int32(math.MaxInt32)},
		{arrow.PrimitiveTypes.Int64, int64(math.MinInt64)},
		{arrow.PrimitiveTypes.Float32, float32(1.1)},
		{arrow.PrimitiveTypes.Float64, math.Inf(-1)},
		{arrow.PrimitiveTypes.Float64, 0.1},
		{arrow.FixedWidthTypes.Boolean, true},
		{arrow.BinaryTypes.String, ""},
		{arrow.BinaryTypes.String, "a b\x00é"},
		{arrow.BinaryTypes.Binary, []byte{0, 1, 255}},
		{arrow.FixedWidthTypes.Date32, arrow.Date32(-3)},
		{arrow.FixedWidthTypes.Time64us, arrow.Time64(86399999999)},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, arrow.Timestamp(1767225600000000)},
		{dec, decimal128.FromI64(-314)},
	} {
		b := array.NewBuilder(mem, tc.dt)
		appendAny(t, b, tc.val)
		one := b.NewArray()
		b.Release()
		enc, err := pqfile.EncodeMissing(one, 0)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.dt, tc.val, err)
		}
		got, err := pqfile.MissingArray(mem, tc.dt, enc, 3)
		if err != nil {
			t.Fatalf("%s %q: %v", tc.dt, enc, err)
		}
		for i := range 3 {
			if got.IsNull(i) || got.ValueStr(i) != one.ValueStr(0) {
				t.Errorf("%s: row %d is %q, want %q (encoded %q)", tc.dt, i, got.ValueStr(i), one.ValueStr(0), enc)
			}
		}
		f := arrow.Field{Name: "c", Type: tc.dt, Metadata: arrow.NewMetadata([]string{pqfile.MissingKey}, []string{enc})}
		abs := pqfile.AbsentArray(mem, f, 2)
		if abs.Len() != 2 || abs.NullN() != 0 || abs.ValueStr(1) != one.ValueStr(0) {
			t.Errorf("%s: AbsentArray %v", tc.dt, abs)
		}
		nulls := pqfile.AbsentArray(mem, arrow.Field{Name: "c", Type: tc.dt}, 2)
		if nulls.NullN() != 2 {
			t.Errorf("%s: AbsentArray without a missing value: %v", tc.dt, nulls)
		}
		for _, a := range []arrow.Array{one, got, abs, nulls} {
			a.Release()
		}
	}
	bad := arrow.Field{Name: "c", Type: arrow.PrimitiveTypes.Int32, Metadata: arrow.NewMetadata([]string{pqfile.MissingKey}, []string{"x"})}
	if a := pqfile.AbsentArray(mem, bad, 2); a.NullN() != 2 {
		t.Errorf("undecodable missing value: %v, want NULLs", a)
	} else {
		a.Release()
	}
	nb := array.NewInt32Builder(mem)
	nb.AppendNull()
	null := nb.NewArray()
	nb.Release()
	defer null.Release()
	if _, err := pqfile.EncodeMissing(null, 0); err == nil {
		t.Error("EncodeMissing of NULL: no error")
	}
}

func appendAny(t *testing.T, b array.Builder, v any) {
	t.Helper()
	switch b := b.(type) {
	case *array.Int16Builder:
		b.Append(v.(int16))
	case *array.Int32Builder:
		b.Append(v.(int32))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float32Builder:
		b.Append(v.(float32))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BinaryBuilder:
		b.Append(v.([]byte))
	case *array.Date32Builder:
		b.Append(v.(arrow.Date32))
	case *array.Time64Builder:
		b.Append(v.(arrow.Time64))
	case *array.TimestampBuilder:
		b.Append(v.(arrow.Timestamp))
	case *array.Decimal128Builder:
		b.Append(v.(decimal128.Num))
	default:
		t.Fatalf("no append for %T", b)
	}
}

// BenchmarkAbsentArray: filling a 64Ki-row batch's absent column with
// NULLs, an int64 missing value and a text one.
func BenchmarkAbsentArray(b *testing.B) {
	const n = 64 << 10
	for _, bc := range []struct {
		name string
		f    arrow.Field
	}{
		{"null", arrow.Field{Name: "c", Type: arrow.PrimitiveTypes.Int64}},
		{"int64", arrow.Field{Name: "c", Type: arrow.PrimitiveTypes.Int64, Metadata: arrow.NewMetadata([]string{pqfile.MissingKey}, []string{"42"})}},
		{"text", arrow.Field{Name: "c", Type: arrow.BinaryTypes.String, Metadata: arrow.NewMetadata([]string{pqfile.MissingKey}, []string{"info"})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pqfile.AbsentArray(memory.DefaultAllocator, bc.f, n).Release()
			}
		})
	}
}
