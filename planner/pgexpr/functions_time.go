package pgexpr

import (
	"fmt"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

var boolType = types.Boolean

// timeFuncs are PostgreSQL's date/time functions. timestamptz values are
// interpreted in the session's TimeZone, like PostgreSQL.
var timeFuncs = map[string]funcDef{
	"date_trunc": {args: []argKind{kText, kTime, kText}, opt: 1, result: dateTruncResult, evalCtx: evalDateTrunc},
	"date_bin":   {args: []argKind{kAny, kTime, kTime}, check: dateBinArgs, result: secondArgType, evalCtx: evalDateBin},
	"date_part":  {args: []argKind{kText, kAny}, result: floatResult, evalCtx: evalDatePartFloat, check: datePartArgs},
	"extract":    {args: []argKind{kText, kAny}, result: numericResult, evalCtx: evalExtract},
	"to_timestamp": {args: []argKind{kAny, kText}, opt: 1, check: toTimestampArgs, result: tstzResult, evalCtx: func(ctx *sql.Context, a []any, _ []sql.Type) (any, error) {
		if len(a) == 2 {
			return evalToTimestampText(ctx, a[0].(string), a[1].(string))
		}
		f, err := castFloat(a[0], "float8")
		if err != nil {
			return nil, err
		}
		return toTimestampFloat(f)
	}},
	"age": {args: []argKind{kTime, kTime}, opt: 1, result: intervalResult, evalCtx: evalAgeN},
	// timezone(zone, ts) is `ts AT TIME ZONE zone`: timestamptz → the wall
	// clock in zone (timestamp); timestamp → that wall clock in zone
	// (timestamptz).
	"timezone": {args: []argKind{kText, kTime}, result: atTimeZoneResult, evalCtx: func(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
		loc, err := loadZone(a[0].(string))
		if err != nil {
			return nil, err
		}
		t := a[1].(time.Time)
		if oid, _ := pgtypes.OID(ts[1]); oid == pgtypes.OIDTimestampTZ || types.IsText(ts[1]) {
			w := t.In(loc)
			return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC), nil
		}
		return wallToUTC(t.UTC(), loc), nil
	}},
	"justify_hours":    {args: []argKind{kAny}, check: intervalArg, result: intervalResult, eval: justifyFunc(justifyHours)},
	"justify_days":     {args: []argKind{kAny}, check: intervalArg, result: intervalResult, eval: justifyFunc(justifyDays)},
	"justify_interval": {args: []argKind{kAny}, check: intervalArg, result: intervalResult, eval: justifyFunc(justifyInterval)},
	"pg_now": {args: nil, result: tstzResult, evalCtx: func(ctx *sql.Context, _ []any, _ []sql.Type) (any, error) {
		return ctx.QueryTime().UTC().Round(time.Microsecond), nil
	}},
}

func secondArgType(args []sql.Expression) sql.Type {
	if t := args[1].Type(); pgtypes.IsTime(t) {
		if t == types.Date {
			return pgtypes.TimestampTZType
		}
		return t
	}
	return pgtypes.TimestampTZType
}

// dateTruncResult: the three-argument form is timestamptz only.
func dateTruncResult(args []sql.Expression) sql.Type {
	if len(args) == 3 {
		return pgtypes.TimestampTZType
	}
	return secondArgType(args)
}

func numericResult([]sql.Expression) sql.Type { return types.MustCreateDecimalType(38, 6) }
func tstzResult([]sql.Expression) sql.Type    { return pgtypes.TimestampTZType }

// zoned returns t in the zone its type is interpreted in: the session zone
// for timestamptz, UTC (wall clock) for timestamp and date.
func zoned(ctx *sql.Context, t time.Time, typ sql.Type) time.Time {
	if oid, _ := pgtypes.OID(typ); oid == pgtypes.OIDTimestampTZ || types.IsText(typ) {
		return t.In(SessionLocation(ctx))
	}
	return t.UTC()
}

func evalDateTrunc(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	if t, ok := a[1].(time.Time); ok && pgtypes.Infinite(t) != 0 {
		return t, nil
	}
	t := zoned(ctx, a[1].(time.Time), ts[1])
	if len(a) == 3 {
		// date_trunc(field, timestamptz, zone) truncates the wall clock
		// in zone instead of the session zone.
		loc, err := loadZone(a[2].(string))
		if err != nil {
			return nil, err
		}
		t = a[1].(time.Time)
		if oid, _ := pgtypes.OID(ts[1]); oid != pgtypes.OIDTimestampTZ && !types.IsText(ts[1]) {
			// timestamp and date cast to timestamptz in the session zone.
			t = wallToUTC(t.UTC(), SessionLocation(ctx))
		}
		t = t.In(loc)
	}
	return truncTime(a[0].(string), t)
}

// truncTime truncates t's wall clock in t's location, PostgreSQL's way:
// below a day the original UTC offset is kept; from a day up the offset
// is looked up again for the truncated wall clock (localToUTC).
func truncTime(field string, t time.Time) (any, error) {
	loc := t.Location()
	y, mo, d := t.Date()
	keep := func(h, mi, s, ns int) time.Time {
		_, off := t.Zone()
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC).Add(-time.Duration(off) * time.Second)
	}
	var r time.Time
	switch strings.ToLower(field) {
	case "microseconds":
		r = t.Truncate(time.Microsecond)
	case "milliseconds":
		r = keep(t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6*1e6)
	case "second":
		r = keep(t.Hour(), t.Minute(), t.Second(), 0)
	case "minute":
		r = keep(t.Hour(), t.Minute(), 0, 0)
	case "hour":
		r = keep(t.Hour(), 0, 0, 0)
	case "day":
		r = localToUTC(y, mo, d, loc)
	case "week":
		wd := (int(t.Weekday()) + 6) % 7 // ISO: Monday first
		r = localToUTC(y, mo, d-wd, loc)
	case "month":
		r = localToUTC(y, mo, 1, loc)
	case "quarter":
		r = localToUTC(y, mo-(mo-1)%3, 1, loc)
	case "year":
		r = localToUTC(y, 1, 1, loc)
	case "decade":
		r = localToUTC(y-y%10, 1, 1, loc)
	case "century": // centuries start in years ending in 01
		r = localToUTC((y-1)/100*100+1, 1, 1, loc)
	case "millennium":
		r = localToUTC((y-1)/1000*1000+1, 1, 1, loc)
	default:
		return nil, pgerror.New(pgerror.InvalidParameterValue, "unit %q not recognized for type timestamp", field)
	}
	return r.UTC(), nil
}

// localToUTC is midnight of the given day in loc.
func localToUTC(y int, mo time.Month, d int, loc *time.Location) time.Time {
	return wallToUTC(time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), loc)
}

// wallToUTC reads the wall clock w (a UTC time.Time holding the local
// fields) in loc the way PostgreSQL's DetermineTimeZoneOffset does: a
// time in a spring-forward gap takes the offset from before the change, an
// ambiguous fall-back time the offset from after it (Go's time.Date
// leaves both cases unspecified).
func wallToUTC(w time.Time, loc *time.Location) time.Time {
	if loc == time.UTC {
		return w
	}
	prev := w.Add(-24 * time.Hour).In(loc)
	_, offBefore := prev.Zone()
	before := w.Add(-time.Duration(offBefore) * time.Second)
	_, boundary := prev.ZoneBounds()
	if boundary.IsZero() || boundary.Sub(w) > 48*time.Hour {
		return before
	}
	_, offAfter := boundary.In(loc).Zone()
	after := w.Add(-time.Duration(offAfter) * time.Second)
	switch {
	case before.Before(boundary) && after.Before(boundary):
		return before
	case !before.Before(boundary) && !after.Before(boundary):
		return after
	case before.After(after):
		return before
	}
	return after
}

// datePart returns the field value as a decimal (PostgreSQL's extract is
// numeric; date_part is float8).
func datePart(ctx *sql.Context, field string, t time.Time, typ sql.Type) (decimal.Decimal, error) {
	t = zoned(ctx, t, typ)
	switch strings.ToLower(field) {
	case "epoch":
		return decimal.New(t.UnixMicro(), -6), nil
	case "year":
		return decimal.NewFromInt(int64(pgYear(t.Year()))), nil
	case "month":
		return decimal.NewFromInt(int64(t.Month())), nil
	case "day":
		return decimal.NewFromInt(int64(t.Day())), nil
	case "hour":
		return decimal.NewFromInt(int64(t.Hour())), nil
	case "minute":
		return decimal.NewFromInt(int64(t.Minute())), nil
	case "second":
		return decimal.New(int64(t.Second())*1_000_000+int64(t.Nanosecond()/1000), -6), nil
	case "milliseconds":
		return decimal.New(int64(t.Second())*1_000_000+int64(t.Nanosecond()/1000), -3), nil
	case "microseconds":
		return decimal.NewFromInt(int64(t.Second())*1_000_000 + int64(t.Nanosecond()/1000)), nil
	case "dow":
		return decimal.NewFromInt(int64(t.Weekday())), nil
	case "isodow":
		return decimal.NewFromInt(int64((int(t.Weekday())+6)%7 + 1)), nil
	case "doy":
		return decimal.NewFromInt(int64(t.YearDay())), nil
	case "week":
		_, w := t.ISOWeek()
		return decimal.NewFromInt(int64(w)), nil
	case "quarter":
		return decimal.NewFromInt(int64((t.Month()-1)/3 + 1)), nil
	case "decade", "century", "millennium":
		return decimal.NewFromInt(int64(yearPeriod(strings.ToLower(field), t.Year()))), nil
	case "isoyear":
		y, _ := t.ISOWeek()
		return decimal.NewFromInt(int64(y)), nil
	case "timezone":
		_, off := t.Zone()
		return decimal.NewFromInt(int64(off)), nil
	}
	return decimal.Decimal{}, pgerror.New(pgerror.InvalidParameterValue, "unit %q not recognized for type timestamp with time zone", field)
}

func evalExtract(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	if t, ok := a[1].(pgtypes.TimeOfDay); ok {
		return timePart(a[0].(string), t)
	}
	if iv, ok := a[1].(pgtypes.Interval); ok {
		return intervalPart(a[0].(string), iv)
	}
	if s, ok := a[1].(string); ok {
		t, err := castTime(ctx, s, "timestamptz")
		if err != nil {
			return nil, err
		}
		a[1] = t
	}
	tm, ok := a[1].(time.Time)
	if !ok {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function extract(unknown, %s) does not exist", TypeOfName(ts[1]))
	}
	if pgtypes.Infinite(tm) != 0 {
		if _, monotonic := infiniteField(a[0].(string), tm); monotonic {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "extract(%s from %s) is numeric infinity, which OpenWit's numeric cannot hold", a[0].(string), pgtypes.InfinityText(tm))
		}
		return nil, nil
	}
	d, err := datePart(ctx, a[0].(string), tm, ts[1])
	if err != nil {
		return nil, err
	}
	return d, nil
}

func evalDatePartFloat(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	if t, ok := a[1].(pgtypes.TimeOfDay); ok {
		d, err := timePart(a[0].(string), t)
		if err != nil {
			return nil, err
		}
		f, _ := d.Float64()
		return f, nil
	}
	if s, ok := a[1].(string); ok {
		t, err := castTime(ctx, s, "timestamptz")
		if err != nil {
			return nil, err
		}
		a[1] = t
	}
	if tm, ok := a[1].(time.Time); ok && pgtypes.Infinite(tm) != 0 {
		if f, monotonic := infiniteField(a[0].(string), tm); monotonic {
			return f, nil
		}
		return nil, nil
	}
	d, err := datePart(ctx, a[0].(string), a[1].(time.Time), ts[1])
	if err != nil {
		return nil, err
	}
	f, _ := d.Float64()
	return f, nil
}

// evalToChar formats a timestamp with the common to_char patterns (and
// the FM prefix).
func evalToChar(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	t := zoned(ctx, a[0].(time.Time), ts[0])
	pat := a[1].(string)
	tokens := []dchToken{
		{"YYYY", func() string { return fmt.Sprintf("%04d", bcYear(t.Year())) }},
		{"IYYY", func() string { y, _ := t.ISOWeek(); return fmt.Sprintf("%04d", y) }},
		{"IW", func() string { _, w := t.ISOWeek(); return fmt.Sprintf("%02d", w) }},
		{"HH24", func() string { return fmt.Sprintf("%02d", t.Hour()) }},
		{"HH12", func() string { return fmt.Sprintf("%02d", (t.Hour()+11)%12+1) }},
		{"Month", func() string { return fmt.Sprintf("%-9s", t.Month().String()) }},
		{"MONTH", func() string { return fmt.Sprintf("%-9s", strings.ToUpper(t.Month().String())) }},
		{"Mon", func() string { return t.Month().String()[:3] }},
		{"MON", func() string { return strings.ToUpper(t.Month().String()[:3]) }},
		{"Day", func() string { return fmt.Sprintf("%-9s", t.Weekday().String()) }},
		{"DAY", func() string { return fmt.Sprintf("%-9s", strings.ToUpper(t.Weekday().String())) }},
		{"Dy", func() string { return t.Weekday().String()[:3] }},
		{"DY", func() string { return strings.ToUpper(t.Weekday().String()[:3]) }},
		{"DDD", func() string { return fmt.Sprintf("%03d", t.YearDay()) }},
		{"YY", func() string { return fmt.Sprintf("%02d", bcYear(t.Year())%100) }},
		{"MM", func() string { return fmt.Sprintf("%02d", int(t.Month())) }},
		{"DD", func() string { return fmt.Sprintf("%02d", t.Day()) }},
		{"HH", func() string { return fmt.Sprintf("%02d", (t.Hour()+11)%12+1) }},
		{"MI", func() string { return fmt.Sprintf("%02d", t.Minute()) }},
		{"SS", func() string { return fmt.Sprintf("%02d", t.Second()) }},
		{"MS", func() string { return fmt.Sprintf("%03d", t.Nanosecond()/1e6) }},
		{"US", func() string { return fmt.Sprintf("%06d", t.Nanosecond()/1e3) }},
		{"AM", func() string { return map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12] }},
		{"PM", func() string { return map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12] }},
		{"TZ", func() string { z, _ := t.Zone(); return z }},
		{"Q", func() string { return fmt.Sprint((int(t.Month())-1)/3 + 1) }},
		{"D", func() string { return fmt.Sprint(int(t.Weekday()) + 1) }},
	}
	return formatDCH(pat, tokens), nil
}

// dchToken is a to_char template pattern and the text it writes.
type dchToken struct {
	tok string
	f   func() string
}

// formatDCH writes pat with its patterns (the first of tokens that
// matches, so longer ones first) replaced, "quoted" text copied, and FM
// dropping the padding of the pattern that follows.
func formatDCH(pat string, tokens []dchToken) string {
	var b strings.Builder
	for i := 0; i < len(pat); {
		if pat[i] == '"' {
			j := strings.IndexByte(pat[i+1:], '"')
			if j < 0 {
				b.WriteString(pat[i+1:])
				break
			}
			b.WriteString(pat[i+1 : i+1+j])
			i += j + 2
			continue
		}
		// FM (fill mode) drops the padding of the field that follows:
		// trailing blanks of names, leading zeros of numbers.
		fm := strings.HasPrefix(pat[i:], "FM")
		if fm {
			i += 2
		}
		matched := false
		for _, tk := range tokens {
			if strings.HasPrefix(pat[i:], tk.tok) {
				out := tk.f()
				if fm {
					out = strings.TrimRight(out, " ")
					// Leading zeros go, after a minus sign too.
					neg := strings.HasPrefix(out, "-")
					if digits := strings.TrimPrefix(out, "-"); digits != "" && strings.Trim(digits, "0123456789") == "" {
						if digits = strings.TrimLeft(digits, "0"); digits == "" {
							digits = "0"
						}
						out = digits
						if neg {
							out = "-" + digits
						}
					}
				}
				b.WriteString(out)
				i += len(tk.tok)
				matched = true
				break
			}
		}
		if !matched && i < len(pat) {
			b.WriteByte(pat[i])
			i++
		}
	}
	return b.String()
}

// intervalPart is extract(field FROM interval).
func intervalPart(field string, iv pgtypes.Interval) (any, error) {
	switch strings.ToLower(field) {
	case "epoch":
		// PostgreSQL counts a month as 30 days and a year as 365.25 days.
		secs := decimal.New(iv.Micros, -6).
			Add(decimal.NewFromInt(int64(iv.Days) * 86400)).
			Add(decimal.NewFromInt(int64(iv.Months/12) * 31557600)).
			Add(decimal.NewFromInt(int64(iv.Months%12) * 30 * 86400))
		return secs.Round(6), nil
	case "year":
		return decimal.NewFromInt(int64(iv.Months / 12)), nil
	case "month":
		return decimal.NewFromInt(int64(iv.Months % 12)), nil
	case "day":
		return decimal.NewFromInt(int64(iv.Days)), nil
	case "hour":
		return decimal.NewFromInt(iv.Micros / 3_600_000_000), nil
	case "minute":
		return decimal.NewFromInt(iv.Micros / 60_000_000 % 60), nil
	case "second":
		return decimal.New(iv.Micros%60_000_000, -6), nil
	}
	return nil, pgerror.New(pgerror.InvalidParameterValue, "unit %q not supported for type interval", field)
}

func atTimeZoneResult(args []sql.Expression) sql.Type {
	if oid, _ := pgtypes.OID(args[1].Type()); oid == pgtypes.OIDTimestampTZ || types.IsText(args[1].Type()) {
		return types.DatetimeMaxPrecision
	}
	return pgtypes.TimestampTZType
}

func loadZone(name string) (*time.Location, error) {
	switch strings.ToUpper(name) {
	case "UTC", "GMT", "Z", "UCT", "ZULU":
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "time zone %q not recognized", name)
	}
	return loc, nil
}

func intervalResult([]sql.Expression) sql.Type { return pgtypes.IntervalType }

// evalAge is age(a, b): the symbolic difference in years, months, days
// and time, field by field in the session's zone (timestamptz) or as wall
// clocks (timestamp), as PostgreSQL's timestamp_age computes it: negative
// fields borrow from the next larger one, a borrowed month counting the
// days of the earlier argument's month.
func evalAge(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	t1 := zoned(ctx, a[0].(time.Time), ts[0])
	t2 := zoned(ctx, a[1].(time.Time), ts[1])
	return ageOf(t1, t2), nil
}

func evalAgeN(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	if len(a) == 1 {
		return evalAge1(ctx, a, ts)
	}
	return evalAge(ctx, a, ts)
}

// evalAge1 is age(ts): age(current_date at midnight, ts).
func evalAge1(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	t := zoned(ctx, a[0].(time.Time), ts[0])
	now := ctx.QueryTime().In(t.Location())
	if oid, _ := pgtypes.OID(ts[0]); oid != pgtypes.OIDTimestampTZ && !types.IsText(ts[0]) {
		now = ctx.QueryTime().In(SessionLocation(ctx))
		now = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	} else {
		now = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	}
	return ageOf(now, t), nil
}

func ageOf(t1, t2 time.Time) pgtypes.Interval {
	neg := t1.Before(t2)
	usec := int64(t1.Nanosecond()/1000 - t2.Nanosecond()/1000)
	sec := t1.Second() - t2.Second()
	minute := t1.Minute() - t2.Minute()
	hour := t1.Hour() - t2.Hour()
	mday := t1.Day() - t2.Day()
	mon := int(t1.Month()) - int(t2.Month())
	year := t1.Year() - t2.Year()
	if neg {
		usec, sec, minute, hour, mday, mon, year = -usec, -sec, -minute, -hour, -mday, -mon, -year
	}
	for usec < 0 {
		usec += 1_000_000
		sec--
	}
	for sec < 0 {
		sec += 60
		minute--
	}
	for minute < 0 {
		minute += 60
		hour--
	}
	for hour < 0 {
		hour += 24
		mday--
	}
	for mday < 0 {
		ref := t2
		if neg {
			ref = t1
		}
		mday += daysIn(ref.Year(), ref.Month())
		mon--
	}
	for mon < 0 {
		mon += 12
		year--
	}
	if neg {
		usec, sec, minute, hour, mday, mon, year = -usec, -sec, -minute, -hour, -mday, -mon, -year
	}
	return pgtypes.Interval{
		Months: int32(year*12 + mon),
		Days:   int32(mday),
		Micros: ((int64(hour)*60+int64(minute))*60+int64(sec))*1_000_000 + usec,
	}
}

// daysIn is the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
