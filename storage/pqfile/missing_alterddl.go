package pqfile

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Missing values (docs/design/071). A column added by ALTER TABLE ... ADD
// COLUMN ... DEFAULT reads, in rows stored before it (files, buffers and
// WAL records without its field), the default evaluated once at ALTER
// time, as PostgreSQL's attmissingval. The catalog keeps that value
// (catalog.Column.Missing) in the storage form EncodeMissing gives;
// storage.ArrowSchema puts it in the field's metadata under MissingKey,
// so every place that fills a column a batch lacks (storage.Widen and
// Conform, FillAbsent, the scans of exec) reads it from the schema it
// already has: AbsentArray.

// MissingKey is the Arrow field metadata key of a column's missing value.
const MissingKey = "openwit.missing"

// EncodeMissing returns the storage form of a's value at i, which must not
// be NULL: integers, dates, times and timestamps in decimal (days,
// microseconds), floats in Go's shortest form, bool as true/false, text as
// itself, bytea in hex, numeric as its unscaled decimal integer.
func EncodeMissing(a arrow.Array, i int) (string, error) {
	if a.IsNull(i) {
		return "", fmt.Errorf("encode missing value: NULL")
	}
	switch a := a.(type) {
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10), nil
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10), nil
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10), nil
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(i)), 'g', -1, 32), nil
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64), nil
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i)), nil
	case *array.String:
		return a.Value(i), nil
	case *array.Binary:
		return hex.EncodeToString(a.Value(i)), nil
	case *array.Date32:
		return strconv.FormatInt(int64(a.Value(i)), 10), nil
	case *array.Time64:
		return strconv.FormatInt(int64(a.Value(i)), 10), nil
	case *array.Timestamp:
		return strconv.FormatInt(int64(a.Value(i)), 10), nil
	case *array.Decimal128:
		return a.Value(i).BigInt().String(), nil
	}
	return "", fmt.Errorf("encode missing value: unsupported type %s", a.DataType())
}

// MissingArray returns n copies of the missing value v (EncodeMissing's
// form) as an array of type dt. The caller releases it.
func MissingArray(mem memory.Allocator, dt arrow.DataType, v string, n int) (arrow.Array, error) {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	b.Reserve(n)
	bad := func(err error) (arrow.Array, error) {
		return nil, fmt.Errorf("missing value %q of type %s: %w", v, dt, err)
	}
	switch b := b.(type) {
	case *array.Int16Builder:
		x, err := strconv.ParseInt(v, 10, 16)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, int16(x)), nil)
	case *array.Int32Builder:
		x, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, int32(x)), nil)
	case *array.Int64Builder:
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, x), nil)
	case *array.Float32Builder:
		x, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, float32(x)), nil)
	case *array.Float64Builder:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, x), nil)
	case *array.BooleanBuilder:
		x, err := strconv.ParseBool(v)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, x), nil)
	case *array.StringBuilder:
		b.ReserveData(n * len(v))
		for range n {
			b.Append(v)
		}
	case *array.BinaryBuilder:
		x, err := hex.DecodeString(v)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, x), nil)
	case *array.Date32Builder:
		x, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, arrow.Date32(x)), nil)
	case *array.Time64Builder:
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, arrow.Time64(x)), nil)
	case *array.TimestampBuilder:
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad(err)
		}
		b.AppendValues(repeat(n, arrow.Timestamp(x)), nil)
	case *array.Decimal128Builder:
		x, ok := new(big.Int).SetString(v, 10)
		if !ok {
			return bad(fmt.Errorf("not an integer"))
		}
		d := decimal128.FromBigInt(x)
		b.AppendValues(repeat(n, d), nil)
	default:
		return bad(fmt.Errorf("unsupported type"))
	}
	return b.NewArray(), nil
}

// AbsentArray returns the column f of n rows that lack it: n copies of
// f's missing value (MissingKey), else n NULLs. A missing value that does
// not decode (the catalog stores only EncodeMissing's output) reads NULL.
// The caller releases the result.
func AbsentArray(mem memory.Allocator, f arrow.Field, n int) arrow.Array {
	if i := f.Metadata.FindKey(MissingKey); i >= 0 {
		if a, err := MissingArray(mem, f.Type, f.Metadata.Values()[i], n); err == nil {
			return a
		}
	}
	return array.MakeArrayOfNull(mem, f.Type, n)
}

// repeat returns n copies of x.
func repeat[T any](n int, x T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = x
	}
	return out
}
