package pgexpr

import (
	"math"
	"strconv"
	"time"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// toTimestampFloat is to_timestamp(double precision): seconds since the
// Unix epoch, rounded to the microsecond. ±Infinity are infinity and
// -infinity, NaN and instants outside timestamptz's range are 22008, as in
// PostgreSQL (whose range is wider: pgtypes.MinTimestampTZ).
func toTimestampFloat(f float64) (any, error) {
	switch {
	case math.IsNaN(f):
		return nil, pgerror.New(pgerror.DatetimeOverflow, "timestamp cannot be NaN")
	case math.IsInf(f, 1):
		return pgtypes.PosInfinity, nil
	case math.IsInf(f, -1):
		return pgtypes.NegInfinity, nil
	}
	lo, hi := float64(pgtypes.MinTimestampTZ.Unix()), float64(pgtypes.MaxTimestampTZ.Unix()+1)
	if f < lo || f >= hi {
		return nil, pgerror.New(pgerror.DatetimeOverflow, "timestamp out of range: %q", strconv.FormatFloat(f, 'g', -1, 64))
	}
	sec, frac := math.Modf(f)
	return pgtypes.CheckTimestampTZ(time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000))
}
