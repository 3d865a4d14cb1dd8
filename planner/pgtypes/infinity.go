package pgtypes

import (
	"time"

	"openwit/internal/pgtime"
)

// PostgreSQL's special date and timestamp values infinity and -infinity
// are these times: the largest and smallest microsecond counts since the
// Unix epoch, so that they order after and before every finite value (as
// time.Time and as stored microseconds) and survive a round trip through
// Parquet's timestamp micros. A date holds the day of one (Date32 has no
// room for the count): Infinite classifies by year, far past any finite
// value OpenWit accepts (go-mysql-server's years end at 9999). The wire
// encoder shares them through internal/pgtime.
var (
	PosInfinity = pgtime.PosInfinity
	NegInfinity = pgtime.NegInfinity
)

// Infinite returns 1 for infinity, -1 for -infinity and 0 for a finite
// time.
func Infinite(t time.Time) int { return pgtime.Infinite(t) }

// InfinityText is the text form of an infinite time ("infinity" or
// "-infinity"), or "" for a finite one.
func InfinityText(t time.Time) string { return pgtime.InfinityText(t) }
