// Package pgtime holds what the planner and the wire encoder both need to
// know about PostgreSQL's time values: how infinity and -infinity are
// represented as time.Time.
package pgtime

import (
	"math"
	"time"
)

// PosInfinity and NegInfinity stand for PostgreSQL's infinity and
// -infinity timestamps and dates: the largest and smallest microsecond
// counts, so they sort after and before every finite value.
var (
	PosInfinity = time.UnixMicro(math.MaxInt64).UTC()
	NegInfinity = time.UnixMicro(math.MinInt64).UTC()
)

// Infinite returns 1 for infinity, -1 for -infinity and 0 for a finite
// time (their years lie far beyond any finite value).
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
	return [...]string{"-infinity", "", "infinity"}[Infinite(t)+1]
}

// MinTimestampTZ and MaxTimestampTZ bound the finite timestamptz values
// OpenWit holds, the instants 0001-01-01 00:00:00 .. 9999-12-31
// 23:59:59.999999 UTC (PostgreSQL's range is wider: 4713 BC .. 294276 AD;
// docs/design/051). The planner, COPY, Flight SQL ingest and Kafka
// ingest all check this range.
var (
	MinTimestampTZ = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTimestampTZ = time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)
)
