package pgexpr

import (
	"math"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// This file is PostgreSQL's time (without time zone): its input, casts,
// make_time, arithmetic (time - time, time ± interval, date + time) and
// extract/date_part fields.

// ParseTimeInput reads s as PostgreSQL's time input: a time of day
// (13:45, 13:45:30.5, 1:45 pm, 134500, allballs, now) with an optional date
// and zone, which are read and dropped. Errors are 22007 and 22008.
func ParseTimeInput(s string, loc *time.Location, now time.Time) (pgtypes.TimeOfDay, error) {
	const name = "time without time zone"
	t := strings.TrimSpace(s)
	if allDigits(t) && (len(t) == 4 || len(t) == 6) {
		t = t[:2] + ":" + t[2:4] + map[bool]string{true: ":" + t[4:], false: ""}[len(t) == 6]
	}
	f, err := decodeDateTime(t, name)
	if err != nil {
		return 0, err
	}
	if f.isNow {
		w := now.In(loc)
		return pgtypes.TimeOfDay(int64(w.Hour())*3_600_000_000 + int64(w.Minute())*60_000_000 +
			int64(w.Second())*1_000_000 + int64(w.Nanosecond()/1000)), nil
	}
	if !f.hasTime || f.relative {
		return 0, pgerror.New(pgerror.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", name, s)
	}
	if f.ampm != 0 {
		if f.hour > 12 {
			return 0, pgerror.New(pgerror.DatetimeOverflow, "date/time field value out of range: %q", s)
		}
		if f.ampm == 1 && f.hour == 12 {
			f.hour = 0
		} else if f.ampm == 2 && f.hour != 12 {
			f.hour += 12
		}
	}
	return timeOfDay(int64(f.hour), int64(f.min), int64(f.sec)*1_000_000+int64(f.nsec/1000), func() error {
		return pgerror.New(pgerror.DatetimeOverflow, "date/time field value out of range: %q", s)
	})
}

// timeOfDay checks and joins hours, minutes and microseconds of a second;
// 24:00:00 is valid, as in PostgreSQL.
func timeOfDay(h, m, us int64, bad func() error) (pgtypes.TimeOfDay, error) {
	if h < 0 || h > 24 || m < 0 || m > 59 || us < 0 || us > 60_000_000 ||
		h == 24 && (m != 0 || us != 0) {
		return 0, bad()
	}
	v := h*3_600_000_000 + m*60_000_000 + us
	if v > pgtypes.MicrosPerDay {
		return 0, bad()
	}
	return pgtypes.TimeOfDay(v), nil
}

// castToTime is PostgreSQL's cast to time from text, timestamp and
// timestamptz (the wall clock in the session zone), interval (its time
// part modulo a day) and time.
func castToTime(ctx *sql.Context, v any, fromOID uint32) (any, error) {
	switch x := v.(type) {
	case pgtypes.TimeOfDay:
		return x, nil
	case string:
		return ParseTimeInput(x, SessionLocation(ctx), ctx.QueryTime())
	case time.Time:
		if pgtypes.Infinite(x) != 0 {
			return nil, nil // PostgreSQL's time of an infinite timestamp is NULL
		}
		switch fromOID {
		case pgtypes.OIDDate:
			return nil, pgerror.New(CannotCoerce, "cannot cast type date to time without time zone")
		case pgtypes.OIDTimestampTZ:
			x = x.In(SessionLocation(ctx))
		}
		x = x.Round(time.Microsecond)
		return pgtypes.TimeOfDay(int64(x.Hour())*3_600_000_000 + int64(x.Minute())*60_000_000 +
			int64(x.Second())*1_000_000 + int64(x.Nanosecond()/1000)), nil
	case pgtypes.Interval:
		us := x.Micros % pgtypes.MicrosPerDay
		if us < 0 {
			us += pgtypes.MicrosPerDay
		}
		return pgtypes.TimeOfDay(us), nil
	}
	return nil, pgerror.New(CannotCoerce, "cannot cast type %s to time without time zone", pgtypes.TypeName(fromOID))
}

// timeFuncs2 are make_time and the time overloads of extract/date_part.
var timeFuncs2 = map[string]funcDef{
	"isfinite": isfiniteFunc,
	"make_time": {args: []argKind{kInt, kInt, kNumber}, result: func([]sql.Expression) sql.Type { return pgtypes.TimeType }, eval: func(a []any, _ []sql.Type) (any, error) {
		f, err := ints(a[:2])
		if err != nil {
			return nil, err
		}
		sec, err := castFloat(a[2], "float8")
		if err != nil {
			return nil, err
		}
		us := int64(math.Round(sec * 1e6))
		return timeOfDay(f[0], f[1], us, func() error {
			return pgerror.New(pgerror.DatetimeOverflow, "time field value out of range: %d:%02d:%02g", f[0], f[1], sec)
		})
	}},
}

// timePart is extract(field FROM time) as numeric.
func timePart(field string, t pgtypes.TimeOfDay) (decimal.Decimal, error) {
	us := int64(t)
	switch strings.ToLower(field) {
	case "hour":
		return decimal.NewFromInt(us / 3_600_000_000), nil
	case "minute":
		return decimal.NewFromInt(us / 60_000_000 % 60), nil
	case "second":
		return decimal.New(us%60_000_000, -6), nil
	case "milliseconds":
		return decimal.New(us%60_000_000, -3), nil
	case "microseconds":
		return decimal.NewFromInt(us % 60_000_000), nil
	case "epoch":
		return decimal.New(us, -6), nil
	}
	return decimal.Decimal{}, pgerror.New(pgerror.FeatureNotSupported, "unit %q not supported for type time without time zone", strings.ToLower(field))
}

func isTimeOfDay(t sql.Type) bool { return t == pgtypes.TimeType }

// timeOfDayArith is time - time (interval), time ± interval (time, wrapping
// around midnight; months and days are ignored), interval + time, and
// date + time, time + date (timestamp).
func timeOfDayArith(op string, l, r any) (func() (any, error), bool) {
	wrap := func(us int64) pgtypes.TimeOfDay {
		us %= pgtypes.MicrosPerDay
		if us < 0 {
			us += pgtypes.MicrosPerDay
		}
		return pgtypes.TimeOfDay(us)
	}
	switch x := l.(type) {
	case pgtypes.TimeOfDay:
		switch y := r.(type) {
		case pgtypes.TimeOfDay:
			if op == "-" {
				return func() (any, error) { return pgtypes.Interval{Micros: int64(x) - int64(y)}, nil }, true
			}
		case pgtypes.Interval:
			switch op {
			case "+":
				return func() (any, error) { return wrap(int64(x) + y.Micros), nil }, true
			case "-":
				return func() (any, error) { return wrap(int64(x) - y.Micros), nil }, true
			}
		case time.Time:
			if op == "+" {
				return func() (any, error) { return y.Add(time.Duration(x) * time.Microsecond), nil }, true
			}
		}
	case pgtypes.Interval:
		if y, ok := r.(pgtypes.TimeOfDay); ok && op == "+" {
			return func() (any, error) { return wrap(int64(y) + x.Micros), nil }, true
		}
	case time.Time:
		if y, ok := r.(pgtypes.TimeOfDay); ok && op == "+" {
			return func() (any, error) { return x.Add(time.Duration(y) * time.Microsecond), nil }, true
		}
	}
	return nil, false
}

// timeOfDayArithType is the result type of an operation with a time
// operand, and whether PostgreSQL has the operator.
func timeOfDayArithType(op string, lt, rt sql.Type) (sql.Type, bool) {
	switch {
	case isTimeOfDay(lt) && isTimeOfDay(rt) && op == "-":
		return pgtypes.IntervalType, true
	case isTimeOfDay(lt) && isInterval(rt) && (op == "+" || op == "-"),
		isInterval(lt) && isTimeOfDay(rt) && op == "+":
		return pgtypes.TimeType, true
	case isTimeOfDay(lt) && rt == types.Date && op == "+",
		lt == types.Date && isTimeOfDay(rt) && op == "+":
		return types.DatetimeMaxPrecision, true
	}
	return nil, false
}

// datePartArgs admits date_part's second argument: a timestamp,
// timestamptz, date, time or an untyped literal.
func datePartArgs(args []sql.Expression) bool {
	t := args[1].Type()
	return pgtypes.IsTime(t) || isTimeOfDay(t) || t == types.Null || types.IsText(t) && isLiteral(args[1])
}

// isTextLiteral reports an untyped string constant.
func isTextLiteral(e sql.Expression) bool { return isLiteral(e) && types.IsText(e.Type()) }

// CoerceTimeLiteral returns comparison c with an untyped string literal
// compared against a time cast to time, as PostgreSQL resolves the
// unknown-typed literal ('13:45'::time = '13:45:00'); ok is false when c
// has no such pair.
func CoerceTimeLiteral(c expression.Comparer) (sql.Expression, bool) {
	return coerceUntypedLiteral(c, isTimeOfDay, "time", pgtypes.TimeType)
}

// coerceUntypedLiteral returns comparison c with an untyped string literal
// compared against an operand of a type is accepts cast to that type (to,
// typ), as PostgreSQL resolves the unknown literal; ok is false when c has
// no such pair.
func coerceUntypedLiteral(c expression.Comparer, is func(sql.Type) bool, to string, typ sql.Type) (sql.Expression, bool) {
	l, r := c.Left(), c.Right()
	switch {
	case is(l.Type()) && isTextLiteral(r):
		r = &Cast{Child: r, To: to, typ: typ}
	case is(r.Type()) && isTextLiteral(l):
		l = &Cast{Child: l, To: to, typ: typ}
	default:
		return nil, false
	}
	out, err := c.WithChildren(l, r)
	if err != nil {
		return nil, false
	}
	return out, true
}

// infiniteField is date_part(field, ±infinity): ±Infinity for the fields
// that grow with time (year, epoch, ...), and monotonic false (NULL) for
// the others, as in PostgreSQL.
func infiniteField(field string, t time.Time) (float64, bool) {
	switch strings.ToLower(field) {
	case "epoch", "year", "decade", "century", "millennium", "julian", "isoyear":
		return math.Inf(pgtypes.Infinite(t)), true
	}
	return 0, false
}

// isfinite is PostgreSQL's isfinite(date | timestamp | timestamptz |
// interval).
var isfiniteFunc = funcDef{args: []argKind{kAny}, result: boolResult, check: func(args []sql.Expression) bool {
	t := args[0].Type()
	return pgtypes.IsTime(t) || isInterval(t) || t == types.Null
}, eval: func(a []any, _ []sql.Type) (any, error) {
	if t, ok := a[0].(time.Time); ok {
		return pgtypes.Infinite(t) == 0, nil
	}
	return true, nil
}}
