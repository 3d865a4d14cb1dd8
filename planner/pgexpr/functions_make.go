package pgexpr

import (
	"math"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

// makeFuncs build dates and timestamps from their fields: make_date,
// make_timestamp and make_timestamptz (the last in the session's TimeZone
// or the zone named by its seventh argument). Fields out of range are
// 22008, as in PostgreSQL; years before 1 (BC) are refused the same way.
var makeFuncs = map[string]funcDef{
	"make_date": {args: []argKind{kInt, kInt, kInt}, result: func([]sql.Expression) sql.Type { return types.Date }, eval: func(a []any, _ []sql.Type) (any, error) {
		f, err := ints(a)
		if err != nil {
			return nil, err
		}
		return makeDate(f[0], f[1], f[2])
	}},
	"make_timestamp": {args: []argKind{kInt, kInt, kInt, kInt, kInt, kNumber}, result: func([]sql.Expression) sql.Type { return types.DatetimeMaxPrecision }, eval: func(a []any, _ []sql.Type) (any, error) {
		return makeTimestamp(a)
	}},
	"make_timestamptz": {args: []argKind{kInt, kInt, kInt, kInt, kInt, kNumber, kText}, opt: 1, result: tstzResult, evalCtx: func(ctx *sql.Context, a []any, _ []sql.Type) (any, error) {
		w, err := makeTimestamp(a[:6])
		if err != nil {
			return nil, err
		}
		loc := SessionLocation(ctx)
		if len(a) == 7 {
			if loc, err = loadZone(a[6].(string)); err != nil {
				return nil, err
			}
		}
		return wallToUTC(w, loc), nil
	}},
}

func ints(a []any) ([]int64, error) {
	out := make([]int64, len(a))
	for i, v := range a {
		n, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func makeDate(y, m, d int64) (time.Time, error) {
	t := time.Date(int(y), time.Month(m), int(d), 0, 0, 0, 0, time.UTC)
	if y < 1 || y > 294276 || m < 1 || m > 12 || int64(t.Day()) != d || int64(t.Month()) != m {
		return time.Time{}, pgerror.New(pgerror.DatetimeOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	return t, nil
}

// makeTimestamp is the wall clock (UTC) of year, month, mday, hour, min,
// sec; like PostgreSQL it accepts 24:00:00 and a leap second's 60.
func makeTimestamp(a []any) (time.Time, error) {
	f, err := ints(a[:5])
	if err != nil {
		return time.Time{}, err
	}
	sec, err := castFloat(a[5], "float8")
	if err != nil {
		return time.Time{}, err
	}
	day, err := makeDate(f[0], f[1], f[2])
	if err != nil {
		return time.Time{}, err
	}
	us := int64(math.Round(sec * 1e6))
	h, mi := f[3], f[4]
	if math.IsNaN(sec) || h < 0 || mi < 0 || mi > 59 || us < 0 || us > 60e6 || h > 24 || (h == 24 && (mi > 0 || us > 0)) {
		return time.Time{}, pgerror.New(pgerror.DatetimeOverflow, "time field value out of range: %d:%02d:%02g", h, mi, sec)
	}
	return day.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(us)*time.Microsecond), nil
}
