package planner

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"openwit/internal/copyval"
	"openwit/internal/pgerror"
	"openwit/storage"
)

// copyAppender is how AppendValues stores one incoming column, chosen once
// per column per statement from the column's Arrow builder.
type copyAppender uint8

const (
	copyAppendAny       copyAppender = iota // appendCopyValue with the value boxed
	copyAppendTimestamp                     // *array.TimestampBuilder, with the column's range
	copyAppendDate                          // *array.Date32Builder
	copyAppendString                        // *array.StringBuilder (not jsonb: that is checked)
	copyAppendBinary                        // *array.BinaryBuilder
	copyAppendInt16
	copyAppendInt32
	copyAppendInt64
	copyAppendFloat32
	copyAppendFloat64
	copyAppendBool
)

// copyTyped is the per-statement state of AppendValues.
type copyTyped struct {
	appenders []copyAppender // per incoming column
	notNull   []bool         // per incoming column
	lo, hi    []int64        // per incoming column: a timestamp's range (Unix µs)
	row       []any          // the boxed row for the char(n) path
}

// initTyped chooses each incoming column's appender.
func (in *CopyIn) initTyped() {
	ty := &copyTyped{
		appenders: make([]copyAppender, len(in.cols)),
		notNull:   make([]bool, len(in.cols)),
		lo:        make([]int64, len(in.cols)),
		hi:        make([]int64, len(in.cols)),
	}
	for k := range in.cols {
		c := in.t.Columns[in.target[k]]
		ty.notNull[k] = c.NotNull
		a := copyAppendAny
		switch ft := in.schema.Field(in.target[k]).Type.(type) {
		case *arrow.TimestampType:
			if ft.Unit == arrow.Microsecond {
				a = copyAppendTimestamp
				ty.lo[k], ty.hi[k] = copyMinDatetime, copyMaxDatetime
				if c.Type == storage.TypeTimestampTZ {
					ty.lo[k], ty.hi[k] = copyMinTimestampTZ, copyMaxTimestampTZ
				}
			}
		case *arrow.Date32Type:
			a = copyAppendDate
		case *arrow.StringType:
			if c.Type != storage.TypeJSONB {
				a = copyAppendString
			}
		case *arrow.BinaryType:
			a = copyAppendBinary
		case *arrow.Int16Type:
			a = copyAppendInt16
		case *arrow.Int32Type:
			a = copyAppendInt32
		case *arrow.Int64Type:
			a = copyAppendInt64
		case *arrow.Float32Type:
			a = copyAppendFloat32
		case *arrow.Float64Type:
			a = copyAppendFloat64
		case *arrow.BooleanType:
			a = copyAppendBool
		}
		ty.appenders[k] = a
	}
	in.typed = ty
}

// AppendValues is Append for unboxed values (pgwire.CopyValueSink): each
// value goes straight into its column's builder by the appender chosen
// for the column, without boxing. Values of another kind than the column
// expects, and every error, take Append's path (appendCopyValue), so the
// errors are Append's.
func (in *CopyIn) AppendValues(ctx context.Context, row []copyval.Value) error {
	if in.done {
		return pgerror.New(pgerror.InternalError, "COPY already finished")
	}
	if len(row) != len(in.cols) {
		return pgerror.New(pgerror.InternalError, "COPY row has %d values for %d columns", len(row), len(in.cols))
	}
	if in.typed == nil {
		in.initTyped()
	}
	ty := in.typed
	if in.charLimit || in.arrays != nil {
		// char(n) and varchar(n) values are fitted, and arrays parsed,
		// on the boxed path.
		if ty.row == nil {
			ty.row = make([]any, len(row))
		}
		for k := range row {
			ty.row[k] = row[k].Any()
		}
		return in.Append(ctx, ty.row)
	}
	for k := range row {
		if row[k].Kind == copyval.Null && ty.notNull[k] {
			return pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", in.cols[k].Name, in.t.Name)
		}
	}
	if in.timeSrc >= 0 {
		if v := &row[in.timeSrc]; v.Kind != copyval.Time {
			return pgerror.New(pgerror.DatatypeMismatch, "column %q: expected a timestamp, got %T", in.cols[in.timeSrc].Name, v.Any())
		}
	}
	b := in.builder()
	for k := range row {
		v := &row[k]
		i := in.target[k]
		if v.Kind == copyval.String {
			in.bytes += int64(len(v.S)) + 4
		} else if x, ok := v.V.([]byte); ok && v.Kind == copyval.Other {
			in.bytes += int64(len(x)) + 4
		} else {
			in.bytes += 8
		}
		fb := b.Field(i)
		if v.Kind == copyval.Null {
			fb.AppendNull()
			continue
		}
		if appendTyped(fb, ty.appenders[k], v, ty.lo[k], ty.hi[k]) {
			continue
		}
		if err := appendCopyValue(fb, in.t.Columns[i], v.Any()); err != nil {
			return err
		}
	}
	for _, i := range in.absent {
		b.Field(i).AppendNull()
	}
	if err := in.appendDefaults(b); err != nil {
		return err
	}
	return in.rowAppended(ctx)
}

// appendTyped appends a non-NULL value of the kind appender a expects,
// within the column's range; false appends nothing.
func appendTyped(fb array.Builder, a copyAppender, v *copyval.Value, lo, hi int64) bool {
	switch a {
	case copyAppendTimestamp:
		if v.Kind != copyval.Time {
			return false
		}
		us := v.T.UnixMicro()
		if us < lo || us > hi {
			return false
		}
		fb.(*array.TimestampBuilder).Append(arrow.Timestamp(us))
	case copyAppendDate:
		if v.Kind != copyval.Time {
			return false
		}
		if us := v.T.UnixMicro(); us < copyMinDatetime || us > copyMaxDatetime {
			return false
		}
		fb.(*array.Date32Builder).Append(arrow.Date32FromTime(v.T))
	case copyAppendString:
		if v.Kind != copyval.String {
			return false
		}
		fb.(*array.StringBuilder).Append(v.S)
	case copyAppendBinary:
		if v.Kind != copyval.String {
			return false
		}
		fb.(*array.BinaryBuilder).AppendString(v.S)
	case copyAppendInt16:
		if v.Kind != copyval.Int || v.I != int64(int16(v.I)) {
			return false
		}
		fb.(*array.Int16Builder).Append(int16(v.I))
	case copyAppendInt32:
		if v.Kind != copyval.Int || v.I != int64(int32(v.I)) {
			return false
		}
		fb.(*array.Int32Builder).Append(int32(v.I))
	case copyAppendInt64:
		if v.Kind != copyval.Int {
			return false
		}
		fb.(*array.Int64Builder).Append(v.I)
	case copyAppendFloat32:
		if v.Kind != copyval.Float {
			return false
		}
		f, err := narrowFloat8(v.F)
		if err != nil {
			return false
		}
		fb.(*array.Float32Builder).Append(f)
	case copyAppendFloat64:
		if v.Kind != copyval.Float {
			return false
		}
		fb.(*array.Float64Builder).Append(v.F)
	case copyAppendBool:
		if v.Kind != copyval.Bool {
			return false
		}
		fb.(*array.BooleanBuilder).Append(v.I != 0)
	default:
		return false
	}
	return true
}
