package flightsql

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner"
	"openwit/planner/pgtypes"
)

// Arrow types of the PostgreSQL types OpenWit returns.
var (
	timestampTZ = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	timestamp   = &arrow.TimestampType{Unit: arrow.Microsecond}
)

// numericPrecision is the Decimal128 precision of every numeric result
// column: PostgreSQL's numeric has no fixed precision, Arrow's 128-bit
// decimal holds 38 digits.
const numericPrecision = 38

// arrowType maps a PostgreSQL type OID to the Arrow type its values travel
// as. scale is the numeric scale (typmod), -1 when unknown: numeric with an
// unknown scale travels as its exact decimal text (Utf8), because a
// Decimal128 needs one scale for the whole column before the first row is
// seen. resultSchema passes -1 as well when the planner's precision exceeds
// 38 digits (its generic decimal(65,30) of avg() and division): such
// values may not fit a Decimal128 at that scale.
func arrowType(oid uint32, scale int32) arrow.DataType {
	switch oid {
	case pgtypes.OIDBool:
		return arrow.FixedWidthTypes.Boolean
	case pgtypes.OIDInt2:
		return arrow.PrimitiveTypes.Int16
	case pgtypes.OIDInt4:
		return arrow.PrimitiveTypes.Int32
	case pgtypes.OIDInt8:
		return arrow.PrimitiveTypes.Int64
	case pgtypes.OIDFloat4:
		return arrow.PrimitiveTypes.Float32
	case pgtypes.OIDFloat8:
		return arrow.PrimitiveTypes.Float64
	case pgtypes.OIDNumeric:
		if scale < 0 || scale > numericPrecision {
			return arrow.BinaryTypes.String
		}
		return &arrow.Decimal128Type{Precision: numericPrecision, Scale: scale}
	case pgtypes.OIDTimestampTZ:
		return timestampTZ
	case pgtypes.OIDTimestamp:
		return timestamp
	case pgtypes.OIDDate:
		return arrow.FixedWidthTypes.Date32
	case pgtypes.OIDBytea:
		return arrow.BinaryTypes.Binary
	}
	// text, varchar, jsonb, interval and anything else: text.
	return arrow.BinaryTypes.String
}

// resultSchema builds the Arrow schema of a statement's result columns,
// with the Flight SQL column metadata JDBC and ODBC drivers read
// (ARROW:FLIGHT:SQL:TYPE_NAME, precision, scale, ...).
func resultSchema(ctx context.Context, p *planner.Prepared) (*arrow.Schema, error) {
	cols := p.Columns()
	var typmods []planner.Typmod
	for _, c := range cols {
		if c.TypeOID == pgtypes.OIDNumeric {
			var err error
			if typmods, err = p.NumericTypmods(ctx); err != nil {
				return nil, err
			}
			break
		}
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		scale, prec := int32(-1), int32(0)
		if typmods != nil && typmods[i].Precision <= numericPrecision {
			scale, prec = typmods[i].Scale, typmods[i].Precision
		}
		dt := arrowType(c.TypeOID, scale)
		md := flightsql.NewColumnMetadataBuilder().TypeName(pgtypes.TypeName(c.TypeOID)).
			IsAutoIncrement(false).IsCaseSensitive(isText(c.TypeOID)).IsReadOnly(true).IsSearchable(true)
		if d, ok := dt.(*arrow.Decimal128Type); ok {
			if prec <= 0 || prec > numericPrecision {
				prec = numericPrecision
			}
			md.Precision(prec).Scale(d.Scale)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: dt, Nullable: true, Metadata: md.Metadata()}
	}
	return arrow.NewSchema(fields, nil), nil
}

func isText(oid uint32) bool { return arrowType(oid, 0).ID() == arrow.STRING }

// rowBatcher turns planner rows into record batches of one schema.
type rowBatcher struct {
	schema   *arrow.Schema
	b        *array.RecordBuilder
	appends  []func(v any) error
	rows     int
	bytes    int // variable-length payload appended so far
	rowWidth int // bytes per row of the fixed-width buffers and offsets
}

// size estimates the bytes the batch under construction occupies.
func (rb *rowBatcher) size() int { return rb.bytes + rb.rows*rb.rowWidth }

func newRowBatcher(mem memory.Allocator, schema *arrow.Schema) (*rowBatcher, error) {
	rb := &rowBatcher{schema: schema, b: array.NewRecordBuilder(mem, schema)}
	for i, f := range schema.Fields() {
		fn, err := rb.appender(rb.b.Field(i), f)
		if err != nil {
			rb.b.Release()
			return nil, err
		}
		rb.appends = append(rb.appends, fn)
		if fw, ok := f.Type.(arrow.FixedWidthDataType); ok {
			rb.rowWidth += max(fw.BitWidth()/8, 1)
		} else {
			rb.rowWidth += 4 // offset
		}
	}
	return rb, nil
}

// append adds one row; values are those of planner.Rows.Next.
func (rb *rowBatcher) append(row []any) error {
	if len(row) != len(rb.appends) {
		return fmt.Errorf("row has %d values, schema %d columns", len(row), len(rb.appends))
	}
	for i, v := range row {
		if err := rb.appends[i](v); err != nil {
			return &pgerror.Error{Code: codeOf(err, pgerror.InternalError),
				Message: fmt.Sprintf("column %q: %s", rb.schema.Field(i).Name, messageOf(err)), Err: err}
		}
	}
	rb.rows++
	return nil
}

// flush returns the rows appended so far as one batch (owned by the caller)
// and resets the builder.
func (rb *rowBatcher) flush() arrow.RecordBatch {
	rows := rb.rows
	rec := rb.b.NewRecordBatch()
	// The next batch is likely the same size: reserve for it rather than
	// growing the buffers by doubling.
	rb.b.Reserve(rows)
	for i := range rb.schema.NumFields() {
		bufs := rec.Column(i).Data().Buffers()
		if len(bufs) < 3 || bufs[2] == nil {
			continue
		}
		switch sb := rb.b.Field(i).(type) {
		case *array.StringBuilder:
			sb.ReserveData(bufs[2].Len())
		case *array.BinaryBuilder:
			sb.ReserveData(bufs[2].Len())
		}
	}
	rb.rows, rb.bytes = 0, 0
	return rec
}

func (rb *rowBatcher) release() { rb.b.Release() }

func (rb *rowBatcher) appender(b array.Builder, f arrow.Field) (func(any) error, error) {
	null := func(v any) bool {
		if v == nil {
			b.AppendNull()
			return true
		}
		return false
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		return func(v any) error {
			if null(v) {
				return nil
			}
			x, ok := v.(bool)
			if !ok {
				return mismatch(v, f.Type)
			}
			bb.Append(x)
			return nil
		}, nil
	case *array.Int16Builder:
		return intAppender(null, f.Type, math.MinInt16, math.MaxInt16, func(x int64) { bb.Append(int16(x)) }), nil
	case *array.Int32Builder:
		return intAppender(null, f.Type, math.MinInt32, math.MaxInt32, func(x int64) { bb.Append(int32(x)) }), nil
	case *array.Int64Builder:
		return intAppender(null, f.Type, math.MinInt64, math.MaxInt64, bb.Append), nil
	case *array.Float32Builder:
		return func(v any) error {
			if null(v) {
				return nil
			}
			x, err := floatValue(v)
			if err != nil {
				return err
			}
			bb.Append(float32(x))
			return nil
		}, nil
	case *array.Float64Builder:
		return func(v any) error {
			if null(v) {
				return nil
			}
			x, err := floatValue(v)
			if err != nil {
				return err
			}
			bb.Append(x)
			return nil
		}, nil
	case *array.StringBuilder:
		return func(v any) error {
			if null(v) {
				return nil
			}
			s, err := textValue(v)
			if err != nil {
				return err
			}
			rb.bytes += len(s)
			bb.Append(s)
			return nil
		}, nil
	case *array.BinaryBuilder:
		return func(v any) error {
			if null(v) {
				return nil
			}
			switch x := v.(type) {
			case []byte:
				rb.bytes += len(x)
				bb.Append(x)
			case string:
				rb.bytes += len(x)
				bb.AppendString(x)
			default:
				return mismatch(v, f.Type)
			}
			return nil
		}, nil
	case *array.TimestampBuilder:
		return func(v any) error {
			if null(v) {
				return nil
			}
			t, ok := v.(time.Time)
			if !ok {
				return mismatch(v, f.Type)
			}
			bb.Append(arrow.Timestamp(t.UnixMicro()))
			return nil
		}, nil
	case *array.Date32Builder:
		return func(v any) error {
			if null(v) {
				return nil
			}
			t, ok := v.(time.Time)
			if !ok {
				return mismatch(v, f.Type)
			}
			bb.Append(arrow.Date32FromTime(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)))
			return nil
		}, nil
	case *array.Decimal128Builder:
		scale := f.Type.(*arrow.Decimal128Type).Scale
		return func(v any) error {
			if null(v) {
				return nil
			}
			d, err := decimalValue(v)
			if err != nil {
				return err
			}
			n, err := toDecimal128(d, scale)
			if err != nil {
				return err
			}
			bb.Append(n)
			return nil
		}, nil
	}
	return nil, fmt.Errorf("no row appender for %s", f.Type)
}

func intAppender(null func(any) bool, t arrow.DataType, lo, hi int64, app func(int64)) func(any) error {
	return func(v any) error {
		if null(v) {
			return nil
		}
		x, err := intValue(v)
		if err != nil {
			return err
		}
		if x < lo || x > hi {
			return pgerror.New(pgerror.NumericOutOfRange, "value %d out of range for %s", x, t)
		}
		app(x)
		return nil
	}
}

// intValue and floatValue accept, besides the planner's usual int64 and
// float64, the other numeric forms a column's values take when the
// planner's described type and its runtime values disagree (sum(numeric) is
// described as float8 but yields decimals).
func intValue(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), nil
		}
	case decimal.Decimal:
		if x.IsInteger() && x.Cmp(decimal.NewFromInt(math.MinInt64)) >= 0 && x.Cmp(decimal.NewFromInt(math.MaxInt64)) <= 0 {
			return x.IntPart(), nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("cannot encode %T value %v as an integer", v, v)
}

func floatValue(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case decimal.Decimal:
		f, _ := x.Float64()
		return f, nil
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("cannot encode %T value %v as a float", v, v)
}

func mismatch(v any, t arrow.DataType) error {
	return fmt.Errorf("cannot encode %T value as %s", v, t)
}

// textValue renders a value of a text-typed column.
func textValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case decimal.Decimal:
		return x.String(), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case time.Time:
		return x.Format("2006-01-02 15:04:05.999999Z07:00"), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	return "", fmt.Errorf("cannot encode %T value as text", v)
}

func decimalValue(v any) (decimal.Decimal, error) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x, nil
	case int64:
		return decimal.NewFromInt(x), nil
	case float64:
		return decimal.NewFromFloat(x), nil
	case string:
		d, err := decimal.NewFromString(x)
		if err != nil {
			return decimal.Decimal{}, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type numeric: %q", x)
		}
		return d, nil
	}
	return decimal.Decimal{}, fmt.Errorf("cannot encode %T value as numeric", v)
}

// maxDecimal128 is 10^38, the exclusive bound of a 38-digit decimal.
var maxDecimal128 = new(big.Int).Exp(big.NewInt(10), big.NewInt(numericPrecision), nil)

// toDecimal128 scales d to scale digits (rounding half away from zero, as
// PostgreSQL's numeric does) and checks that it fits 38 digits.
func toDecimal128(d decimal.Decimal, scale int32) (decimal128.Num, error) {
	r := d.Round(scale)
	n := r.Coefficient()
	if exp := r.Exponent() + scale; exp > 0 {
		n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	}
	if new(big.Int).Abs(n).Cmp(maxDecimal128) >= 0 {
		return decimal128.Num{}, pgerror.New(pgerror.NumericOutOfRange, "numeric value %s does not fit numeric(%d,%d)", d, numericPrecision, scale)
	}
	return decimal128.FromBigInt(n), nil
}
