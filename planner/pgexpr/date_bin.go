package pgexpr

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// dateBinArgs accepts date_bin(interval, timestamp[tz], timestamp[tz]); a
// string literal stride is read as an interval.
func dateBinArgs(args []sql.Expression) bool {
	t := args[0].Type()
	return isInterval(t) || types.IsText(t) && isLiteral(args[0])
}

// evalDateBin is date_bin(stride, source, origin): the start of the
// stride-wide bin, counted from origin, that source falls in. Bins are
// plain microsecond arithmetic (no time zone), so a stride must not hold
// months or years.
func evalDateBin(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	var stride pgtypes.Interval
	switch x := a[0].(type) {
	case pgtypes.Interval:
		stride = x
	case string:
		iv, err := pgtypes.ParseInterval(x)
		if err != nil {
			return nil, err
		}
		stride = iv
	default:
		return nil, pgerror.New(pgerror.UndefinedFunction, "date_bin: the stride is not an interval")
	}
	if stride.Months != 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	us := int64(stride.Days)*86_400_000_000 + stride.Micros
	if us <= 0 {
		return nil, pgerror.New(pgerror.DatetimeOverflow, "stride must be greater than zero")
	}
	src, origin := a[1].(time.Time), a[2].(time.Time)
	if srcOID, _ := pgtypes.OID(ts[1]); srcOID == pgtypes.OIDTimestamp && types.IsText(ts[2]) {
		// A string origin was read as timestamptz; a timestamp source
		// wants its wall clock.
		w := origin.In(SessionLocation(ctx))
		origin = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
	}
	diff := src.UnixMicro() - origin.UnixMicro()
	delta := diff - diff%us
	if diff < 0 && diff%us != 0 {
		delta -= us
	}
	return time.UnixMicro(origin.UnixMicro() + delta).UTC(), nil
}
