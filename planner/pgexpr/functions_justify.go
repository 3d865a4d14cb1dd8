package pgexpr

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

const (
	usecsPerDay  = 86_400_000_000
	daysPerMonth = 30
)

// intervalArg accepts one interval (or NULL) argument.
func intervalArg(args []sql.Expression) bool {
	t := args[0].Type()
	return t == types.Null || isInterval(t)
}

func justifyFunc(f func(m, d, us int64) (int64, int64, int64)) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		iv, ok := a[0].(pgtypes.Interval)
		if !ok {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function argument is not an interval")
		}
		m, d, us := f(int64(iv.Months), int64(iv.Days), iv.Micros)
		if m < math.MinInt32 || m > math.MaxInt32 || d < math.MinInt32 || d > math.MaxInt32 {
			return nil, pgerror.New(pgerror.DatetimeOverflow, "interval out of range")
		}
		return pgtypes.Interval{Months: int32(m), Days: int32(d), Micros: us}, nil
	}
}

// justifyHours moves whole 24-hour periods of the time part into days,
// then makes the time part's sign match the days' sign (PostgreSQL's
// interval_justify_hours).
func justifyHours(m, d, us int64) (int64, int64, int64) {
	d += us / usecsPerDay
	us %= usecsPerDay
	d, us = signMatch(d, us, usecsPerDay)
	return m, d, us
}

// signMatch gives lo the sign of hi by moving one unit (lo's worth of one
// hi) from hi to lo when their signs differ.
func signMatch(hi, lo, unit int64) (int64, int64) {
	switch {
	case hi > 0 && lo < 0:
		return hi - 1, lo + unit
	case hi < 0 && lo > 0:
		return hi + 1, lo - unit
	}
	return hi, lo
}

// justifyDays moves whole 30-day periods into months, then makes the
// days' sign match the months' sign.
func justifyDays(m, d, us int64) (int64, int64, int64) {
	m += d / daysPerMonth
	d %= daysPerMonth
	m, d = signMatch(m, d, daysPerMonth)
	return m, d, us
}

// justifyInterval is justify_days(justify_hours(iv)) with all three
// fields brought to one sign, in PostgreSQL's order of steps.
func justifyInterval(m, d, us int64) (int64, int64, int64) {
	if (d > 0 && us > 0) || (d < 0 && us < 0) {
		m += d / daysPerMonth
		d %= daysPerMonth
	}
	d += us / usecsPerDay
	us %= usecsPerDay
	m += d / daysPerMonth
	d %= daysPerMonth
	switch {
	case m > 0 && (d < 0 || (d == 0 && us < 0)):
		d += daysPerMonth
		m--
	case m < 0 && (d > 0 || (d == 0 && us > 0)):
		d -= daysPerMonth
		m++
	}
	d, us = signMatch(d, us, usecsPerDay)
	return m, d, us
}
