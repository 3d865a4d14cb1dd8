package planner

import (
	"context"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// datetimeInsertType is a date, timestamp or timestamptz column as an
// INSERT stores it: text is read with PostgreSQL's date/time input
// (pgexpr.ParseDateTimeInput: 20240229, 'Feb 29, 2024', 'epoch', 'today',
// ...) and its errors (22007, 22008), where go-mysql-server reads only
// MySQL's forms. Like float4Type it is only the column type of an INSERT's
// destination (float4Dest).
type datetimeInsertType struct{ sql.DatetimeType }

// Convert implements sql.Type.
func (t datetimeInsertType) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	var s string
	switch x := v.(type) {
	case time.Time:
		if pgtypes.Infinite(x) != 0 {
			return x, sql.InRange, nil
		}
		return t.DatetimeType.Convert(ctx, v)
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return t.DatetimeType.Convert(ctx, v)
	}
	to := storage.TypeTimestamp
	switch t.DatetimeType.Type() {
	case sqltypes.Date:
		to = storage.TypeDate
	case sqltypes.Timestamp:
		to = storage.TypeTimestampTZ
	}
	sctx, _ := ctx.(*sql.Context)
	if sctx == nil {
		sctx = sql.NewEmptyContext()
	}
	out, err := pgexpr.CastValue(sctx, s, types.LongText, to)
	if err != nil {
		return nil, sql.InRange, err
	}
	if tm, ok := out.(time.Time); ok && pgtypes.Infinite(tm) != 0 {
		// infinity and -infinity lie outside go-mysql-server's range.
		return tm, sql.InRange, nil
	}
	return t.DatetimeType.Convert(ctx, out)
}

// isDatetimeColumn reports whether t is a date, timestamp or timestamptz
// column type.
func isDatetimeColumn(t sql.Type) (sql.DatetimeType, bool) {
	dt, ok := t.(sql.DatetimeType)
	if !ok {
		return nil, false
	}
	switch dt.Type() {
	case sqltypes.Date, sqltypes.Datetime, sqltypes.Timestamp:
		return dt, true
	}
	return nil, false
}

// timeInsertType is a time column as an INSERT stores it: text is read
// with PostgreSQL's time input (pgexpr.ParseTimeInput).
type timeInsertType struct{ timeEngineType }

// timeEngineType is sql.Type under a name that does not hide its Type
// method when embedded.
type timeEngineType interface{ sql.Type }

var _ sql.Type = timeInsertType{}

// Convert implements sql.Type.
func (t timeInsertType) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return t.timeEngineType.Convert(ctx, v)
	}
	sctx, _ := ctx.(*sql.Context)
	if sctx == nil {
		sctx = sql.NewEmptyContext()
	}
	out, err := pgexpr.CastValue(sctx, s, types.LongText, storage.TypeTime)
	if err != nil {
		return nil, sql.InRange, err
	}
	return out, sql.InRange, nil
}

// numericInsertType is a numeric column as an INSERT stores it: NaN,
// which a Parquet DECIMAL cannot hold, is refused with 0A000
// (docs/design/044-time-types-and-special-values.md).
type numericInsertType struct{ sql.DecimalType }

// Convert implements sql.Type.
func (t numericInsertType) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	if pgexpr.IsNumericNaNInput(v) {
		return nil, sql.InRange, pgexpr.ErrStoreNumericNaN()
	}
	return t.DecimalType.Convert(ctx, v)
}
