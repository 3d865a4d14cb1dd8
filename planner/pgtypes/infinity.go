package pgtypes

import (
	"math"
	"time"
)

// PostgreSQL's special date and timestamp values infinity and -infinity
// are these times: the largest and smallest microsecond counts since the
// Unix epoch, so that they order after and before every finite value (as
// time.Time and as stored microseconds) and survive a round trip through
// Parquet's timestamp micros. A date holds the day of one (Date32 has no
// room for the count): Infinite classifies by year, far past any finite
// value OpenWit accepts (go-mysql-server's years end at 9999).
var (
	PosInfinity = time.UnixMicro(math.MaxInt64).UTC()
	NegInfinity = time.UnixMicro(math.MinInt64).UTC()
)

// Infinite returns 1 for infinity, -1 for -infinity and 0 for a finite
// time.
func Infinite(t time.Time) int {
	switch y := t.Year(); {
	case y >= 200_000:
		return 1
	case y <= -200_000:
		return -1
	}
	return 0
}

// InfinityText is the text form of an infinite time ("infinity" or
// "-infinity"), or "" for a finite one.
func InfinityText(t time.Time) string {
	switch Infinite(t) {
	case 1:
		return "infinity"
	case -1:
		return "-infinity"
	}
	return ""
}
