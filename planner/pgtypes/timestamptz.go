package pgtypes

import (
	"context"
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"openwit/internal/pgerror"
	"openwit/internal/pgtime"
)

// MinTimestampTZ and MaxTimestampTZ bound the finite timestamptz values
// OpenWit holds (internal/pgtime): 0001-01-01 00:00:00 .. 9999-12-31
// 23:59:59.999999 UTC. The date/time input reads no BC years and the text
// forms print four-digit years, so the range stops where both are exact;
// infinity and -infinity lie outside it.
var (
	MinTimestampTZ = pgtime.MinTimestampTZ
	MaxTimestampTZ = pgtime.MaxTimestampTZ
)

// TimestampTZType is the engine type of timestamp with time zone: an
// instant (time.Time in UTC, microsecond precision), compared as one and
// shown in the session TimeZone by the gateways, OID 1184. It wraps
// go-mysql-server's DATETIME(6), whose methods it keeps, with
// PostgreSQL's range (MinTimestampTZ .. MaxTimestampTZ plus the
// infinities) in place of MySQL TIMESTAMP's 1970 .. 2038. Its Type() is
// sqltypes.Timestamp, so code switching on the base type keeps treating
// it as the zoned timestamp.
var TimestampTZType sql.DatetimeType = timestamptzType{DatetimeType: types.DatetimeMaxPrecision}

type timestamptzType struct{ sql.DatetimeType }

// IsTimestampTZ reports whether t is the timestamptz engine type.
func IsTimestampTZ(t sql.Type) bool {
	_, ok := t.(timestamptzType)
	return ok
}

// IsTime reports whether t is a date, timestamp or timestamptz engine type
// (go-mysql-server's types.IsTime knows only its own).
func IsTime(t sql.Type) bool { return types.IsTime(t) || IsTimestampTZ(t) }

// CheckTimestampTZ returns t in UTC, or 22008 when a finite t lies
// outside MinTimestampTZ .. MaxTimestampTZ.
func CheckTimestampTZ(t time.Time) (time.Time, error) {
	if Infinite(t) != 0 {
		return t.UTC(), nil
	}
	t = t.UTC()
	if t.Before(MinTimestampTZ) || t.After(MaxTimestampTZ) {
		return time.Time{}, pgerror.New(pgerror.DatetimeOverflow, "timestamp out of range")
	}
	return t, nil
}

// Compare implements sql.Type: instants in time order (the infinities are
// the extreme instants).
func (t timestamptzType) Compare(ctx context.Context, a, b any) (int, error) {
	x, ok1 := a.(time.Time)
	y, ok2 := b.(time.Time)
	if ok1 && ok2 {
		return x.Compare(y), nil
	}
	if hasNulls, res := types.CompareNulls(a, b); hasNulls {
		return res, nil
	}
	{
		var err error
		if x, err = t.toTime(ctx, a); err != nil {
			return 0, err
		}
		if y, err = t.toTime(ctx, b); err != nil {
			return 0, err
		}
	}
	return x.Compare(y), nil
}

func (t timestamptzType) toTime(ctx context.Context, v any) (time.Time, error) {
	c, _, err := t.Convert(ctx, v)
	if err != nil {
		return time.Time{}, err
	}
	tm, ok := c.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("cannot compare %T as timestamptz", v)
	}
	return tm, nil
}

// Convert implements sql.Type: a time.Time is the instant (rounded to the
// microsecond, checked against the range); strings are read with
// go-mysql-server's layouts as UTC (PostgreSQL's input forms and the
// session zone are the casts' business, pgexpr).
func (t timestamptzType) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case nil:
		return nil, sql.InRange, nil
	case time.Time:
		if Infinite(x) != 0 {
			return x.UTC(), sql.InRange, nil
		}
		out, err := CheckTimestampTZ(x.Round(time.Microsecond))
		if err != nil {
			return nil, sql.OutOfRange, err
		}
		return out, sql.InRange, nil
	}
	tm, err := t.DatetimeType.ConvertWithoutRangeCheck(ctx, v)
	if err != nil {
		return nil, sql.OutOfRange, err
	}
	out, err := CheckTimestampTZ(tm.Round(time.Microsecond))
	if err != nil {
		return nil, sql.OutOfRange, err
	}
	return out, sql.InRange, nil
}

// Equals implements sql.Type: only timestamptz itself.
func (t timestamptzType) Equals(o sql.Type) bool { return IsTimestampTZ(o) }

// MaximumTime implements sql.DatetimeType.
func (t timestamptzType) MaximumTime() time.Time { return MaxTimestampTZ }

// MinimumTime implements sql.DatetimeType.
func (t timestamptzType) MinimumTime() time.Time { return MinTimestampTZ }

// Promote implements sql.Type.
func (t timestamptzType) Promote() sql.Type { return t }

// SQL implements sql.Type (MySQL's wire form; the gateways encode values
// themselves).
func (t timestamptzType) SQL(_ *sql.Context, dest []byte, v any) (sqltypes.Value, error) {
	if v == nil {
		return sqltypes.NULL, nil
	}
	tm, ok := v.(time.Time)
	if !ok {
		return sqltypes.Value{}, fmt.Errorf("timestamptz value %T is not a time", v)
	}
	return sqltypes.MakeTrusted(sqltypes.Timestamp, tm.UTC().AppendFormat(dest, "2006-01-02 15:04:05.999999")), nil
}

// String implements sql.Type.
func (t timestamptzType) String() string { return "timestamptz" }

// Type implements sql.Type.
func (t timestamptzType) Type() query.Type { return sqltypes.Timestamp }

// Zero implements sql.Type.
func (t timestamptzType) Zero() any { return time.Unix(0, 0).UTC() }
