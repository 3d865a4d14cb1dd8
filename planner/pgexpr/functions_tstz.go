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

// pgYear is PostgreSQL's year field of an astronomical year y (Go's: 0
// is 1 BC): there is no year 0, 1 BC is -1.
func pgYear(y int) int {
	if y > 0 {
		return y
	}
	return y - 1
}

// bcYear is the year to_char prints for astronomical year y: 1 BC is
// 0001 (the era is a separate pattern).
func bcYear(y int) int {
	if y > 0 {
		return y
	}
	return 1 - y
}

// yearPeriod is extract's decade, century or millennium of astronomical
// year y, as PostgreSQL's timestamptz_part computes them (negative for
// BC, and no century or millennium 0).
func yearPeriod(field string, y int) int {
	switch field {
	case "decade":
		if y >= 0 {
			return y / 10
		}
		return -((8 - (y - 1)) / 10)
	case "century":
		if y > 0 {
			return (y + 99) / 100
		}
		return -((99 - (y - 1)) / 100)
	}
	if y > 0 {
		return (y + 999) / 1000
	}
	return -((999 - (y - 1)) / 1000)
}
