package pgexpr

import "time"

// WallToInstant reads the wall clock of w (a date or timestamp without
// time zone: the fields of a UTC time.Time) in loc and returns the instant,
// as PostgreSQL converts a timestamp or date to timestamptz in the session
// TimeZone: a time in a spring-forward gap takes the offset from before the
// change, an ambiguous fall-back time the one after it.
func WallToInstant(w time.Time, loc *time.Location) time.Time {
	w = w.UTC()
	return wallToUTC(w, loc).UTC()
}
