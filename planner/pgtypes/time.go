package pgtypes

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/proto/query"
)

// MicrosPerDay is the length of a day in microseconds; a time of day is
// in [0, MicrosPerDay] (24:00:00 is a valid time, as in PostgreSQL).
const MicrosPerDay = 86_400_000_000

// TimeOfDay is a PostgreSQL time (without time zone): microseconds since
// midnight.
type TimeOfDay int64

// String formats t like PostgreSQL's time output: "13:45:00" or
// "13:45:30.5".
func (t TimeOfDay) String() string {
	us := int64(t)
	h := us / 3_600_000_000
	us -= h * 3_600_000_000
	m := us / 60_000_000
	us -= m * 60_000_000
	s := us / 1_000_000
	frac := us % 1_000_000
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if frac != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return out
}

// TimeType is the engine type of time values (TimeOfDay).
var TimeType sql.Type = timeType{}

type timeType struct{}

func (timeType) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

func (t timeType) Compare(_ context.Context, a, b any) (int, error) {
	x, ok1 := a.(TimeOfDay)
	y, ok2 := b.(TimeOfDay)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("cannot compare %T with %T", a, b)
	}
	switch {
	case x < y:
		return -1, nil
	case x > y:
		return 1, nil
	}
	return 0, nil
}

// Convert accepts TimeOfDay values; text input is read by the casts
// (pgexpr), which know the session.
func (t timeType) Convert(_ context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case nil:
		return nil, sql.InRange, nil
	case TimeOfDay:
		return x, sql.InRange, nil
	case int64:
		return TimeOfDay(x), sql.InRange, nil
	}
	return nil, sql.OutOfRange, fmt.Errorf("cannot convert %T to time", v)
}

func (t timeType) Equals(o sql.Type) bool                        { _, ok := o.(timeType); return ok }
func (t timeType) MaxTextResponseByteLength(*sql.Context) uint32 { return 16 }
func (t timeType) Promote() sql.Type                             { return t }
func (t timeType) SQL(_ *sql.Context, dest []byte, v any) (sqltypes.Value, error) {
	if v == nil {
		return sqltypes.NULL, nil
	}
	return sqltypes.MakeTrusted(sqltypes.Text, append(dest, fmt.Sprint(v)...)), nil
}
func (t timeType) Type() query.Type        { return sqltypes.Text }
func (t timeType) ValueType() reflect.Type { return reflect.TypeOf(TimeOfDay(0)) }
func (t timeType) Zero() any               { return TimeOfDay(0) }
func (t timeType) String() string          { return "time" }
