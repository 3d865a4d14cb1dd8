package pgexpr

import (
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
)

// toCharFuncs are to_char over timestamps, numbers and intervals, and
// to_date.
var toCharFuncs = map[string]funcDef{
	"to_char": {args: []argKind{kAny, kText}, check: toCharArgs, result: textResult, evalCtx: func(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
		switch x := a[0].(type) {
		case pgtypes.Interval:
			return evalToCharInterval(x, a[1].(string)), nil
		case time.Time:
			return evalToChar(ctx, a, ts)
		case string:
			t, err := castTime(ctx, x, "timestamptz")
			if err != nil {
				return nil, err
			}
			return evalToChar(ctx, []any{t, a[1]}, ts)
		}
		return evalToCharNumber(a[0], ts[0], a[1].(string))
	}},
	// to_date(text, format) reads a date as to_timestamp does and keeps
	// its day.
	"to_date": {args: []argKind{kText, kText}, result: func([]sql.Expression) sql.Type { return types.Date }, evalCtx: func(ctx *sql.Context, a []any, _ []sql.Type) (any, error) {
		v, err := evalToTimestampText(ctx, a[0].(string), a[1].(string))
		if err != nil || v == nil {
			return v, err
		}
		w := v.(time.Time).In(SessionLocation(ctx))
		return time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC), nil
	}},
}

// toCharArgs accepts to_char(timestamp | timestamptz | date | number |
// interval, text); a text first argument only as a literal (read as
// timestamptz).
func toCharArgs(args []sql.Expression) bool {
	t := args[0].Type()
	return t == types.Null || pgtypes.IsTime(t) || isNumberType(t) || isInterval(t) || types.IsText(t) && isLiteral(args[0])
}

// evalToCharInterval is to_char(interval, format): the interval's fields
// as PostgreSQL's interval2itm splits them (years and months from the
// months, the days, and hours that may pass 24 from the time).
func evalToCharInterval(iv pgtypes.Interval, pat string) string {
	years, mons := int64(iv.Months)/12, int64(iv.Months)%12
	days := int64(iv.Days)
	us := iv.Micros
	hour := us / 3_600_000_000
	mi := us / 60_000_000 % 60
	sec := us / 1_000_000 % 60
	fsec := us % 1_000_000
	// num pads to width digits after a minus sign; plain pads the whole
	// text to width (PostgreSQL's DD and DDD).
	num := func(v int64, width int) string {
		if v < 0 {
			width++
		}
		return fmt.Sprintf("%0*d", width, v)
	}
	plain := func(v int64, width int) string { return fmt.Sprintf("%0*d", width, v) }
	h12 := hour % 12
	if h12 == 0 {
		h12 = 12
	}
	ampm := func(am, pm string) func() string {
		return func() string {
			if hour%24 >= 12 {
				return pm
			}
			return am
		}
	}
	tokens := []dchToken{
		{"YYYY", func() string { return num(years, 4) }},
		{"YYY", func() string { return num(years%1000, 3) }},
		{"YY", func() string { return num(years%100, 2) }},
		{"HH24", func() string { return num(hour, 2) }},
		{"HH12", func() string { return num(h12, 2) }},
		{"DDD", func() string { return plain((years*12+mons)*30+days, 3) }},
		{"SSSS", func() string { return fmt.Sprint(hour*3600 + mi*60 + sec) }},
		{"MM", func() string { return num(mons, 2) }},
		{"DD", func() string { return plain(days, 2) }},
		{"HH", func() string { return num(h12, 2) }},
		{"MI", func() string { return num(mi, 2) }},
		{"SS", func() string { return num(sec, 2) }},
		{"MS", func() string { return fmt.Sprintf("%03d", fsec/1000) }},
		{"US", func() string { return fmt.Sprintf("%06d", fsec) }},
		{"AM", ampm("AM", "PM")}, {"PM", ampm("AM", "PM")},
		{"am", ampm("am", "pm")}, {"pm", ampm("am", "pm")},
		{"Y", func() string { return fmt.Sprint(years % 10) }},
	}
	return formatDCH(pat, tokens)
}
