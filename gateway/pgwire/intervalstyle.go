package pgwire

import (
	"fmt"
	"strconv"
	"strings"
)

// IntervalStyle values (the session's IntervalStyle setting, lower case).
const (
	intervalPostgres        = "postgres"
	intervalPostgresVerbose = "postgres_verbose"
	intervalSQLStandard     = "sql_standard"
	intervalISO8601         = "iso_8601"
)

// intervalFields splits an interval as PostgreSQL's interval2itm does:
// every field is truncated toward zero, so each carries the sign of the
// part (months, days or time) it comes from.
type intervalFields struct {
	year, mon, mday, hour, min, sec, fsec int64
}

func splitInterval(months, days int32, micros int64) intervalFields {
	return intervalFields{
		year: int64(months / 12), mon: int64(months % 12), mday: int64(days),
		hour: micros / 3600e6, min: micros / 60e6 % 60, sec: micros / 1e6 % 60, fsec: micros % 1e6,
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// appendSeconds is PostgreSQL's AppendSeconds: |sec| (two digits when
// fill), then the fraction of |fsec| without trailing zeros.
func appendSeconds(buf []byte, sec, fsec int64, fill bool) []byte {
	if fill && abs64(sec) < 10 {
		buf = append(buf, '0')
	}
	buf = strconv.AppendInt(buf, abs64(sec), 10)
	return appendFraction(buf, abs64(fsec))
}

// appendIntervalStyle appends an interval's text in the given IntervalStyle,
// as PostgreSQL's EncodeInterval writes it.
func appendIntervalStyle(buf []byte, months, days int32, micros int64, style string) []byte {
	f := splitInterval(months, days, micros)
	switch style {
	case intervalISO8601:
		return appendIntervalISO(buf, f)
	case intervalSQLStandard:
		return appendIntervalSQL(buf, f)
	case intervalPostgresVerbose:
		return appendIntervalVerbose(buf, f)
	}
	return appendInterval(buf, months, days, micros)
}

// appendIntervalISO: "P1Y2M3DT4H5M6.5S", "PT0S" for zero.
func appendIntervalISO(buf []byte, f intervalFields) []byte {
	if f == (intervalFields{}) {
		return append(buf, "PT0S"...)
	}
	part := func(v int64, unit byte) {
		if v != 0 {
			buf = strconv.AppendInt(buf, v, 10)
			buf = append(buf, unit)
		}
	}
	buf = append(buf, 'P')
	part(f.year, 'Y')
	part(f.mon, 'M')
	part(f.mday, 'D')
	if f.hour != 0 || f.min != 0 || f.sec != 0 || f.fsec != 0 {
		buf = append(buf, 'T')
	}
	part(f.hour, 'H')
	part(f.min, 'M')
	if f.sec != 0 || f.fsec != 0 {
		if f.sec < 0 || f.fsec < 0 {
			buf = append(buf, '-')
		}
		buf = appendSeconds(buf, f.sec, f.fsec, false)
		buf = append(buf, 'S')
	}
	return buf
}

// appendIntervalSQL: "1-2" (years-months), "3 4:05:06" (days and time),
// "-1 2:00:00" with one sign for the whole value, and every part signed
// ("+1-2 +3 +4:05:06") when the value mixes signs or both kinds of parts.
func appendIntervalSQL(buf []byte, f intervalFields) []byte {
	neg := f.year < 0 || f.mon < 0 || f.mday < 0 || f.hour < 0 || f.min < 0 || f.sec < 0 || f.fsec < 0
	pos := f.year > 0 || f.mon > 0 || f.mday > 0 || f.hour > 0 || f.min > 0 || f.sec > 0 || f.fsec > 0
	yearMonth := f.year != 0 || f.mon != 0
	dayTime := f.mday != 0 || f.hour != 0 || f.min != 0 || f.sec != 0 || f.fsec != 0
	standard := !(neg && pos) && !(yearMonth && dayTime)
	if neg && standard {
		buf = append(buf, '-')
		f = intervalFields{-f.year, -f.mon, -f.mday, -f.hour, -f.min, -f.sec, -f.fsec}
	}
	switch {
	case !neg && !pos:
		return append(buf, '0')
	case !standard:
		sign := func(neg bool) byte {
			if neg {
				return '-'
			}
			return '+'
		}
		buf = fmt.Appendf(buf, "%c%d-%d %c%d %c%d:%02d:",
			sign(f.year < 0 || f.mon < 0), abs64(f.year), abs64(f.mon),
			sign(f.mday < 0), abs64(f.mday),
			sign(f.hour < 0 || f.min < 0 || f.sec < 0 || f.fsec < 0), abs64(f.hour), abs64(f.min))
		return appendSeconds(buf, f.sec, f.fsec, true)
	case yearMonth:
		return fmt.Appendf(buf, "%d-%d", f.year, f.mon)
	case f.mday != 0:
		buf = fmt.Appendf(buf, "%d %d:%02d:", f.mday, f.hour, f.min)
		return appendSeconds(buf, f.sec, f.fsec, true)
	}
	buf = fmt.Appendf(buf, "%d:%02d:", f.hour, f.min)
	return appendSeconds(buf, f.sec, f.fsec, true)
}

// appendIntervalVerbose: "@ 1 year 2 mons 3 days 4 hours 5 mins 6.5 secs",
// negative values as positive ones followed by "ago".
func appendIntervalVerbose(buf []byte, f intervalFields) []byte {
	buf = append(buf, '@')
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if zero {
			before = v < 0
			v = abs64(v)
		} else if before {
			v = -v
		}
		buf = fmt.Appendf(buf, " %d %s", v, unit)
		if v != 1 {
			buf = append(buf, 's')
		}
		zero = false
	}
	part(f.year, "year")
	part(f.mon, "mon")
	part(f.mday, "day")
	part(f.hour, "hour")
	part(f.min, "min")
	if f.sec != 0 || f.fsec != 0 {
		buf = append(buf, ' ')
		if f.sec < 0 || (f.sec == 0 && f.fsec < 0) {
			if zero {
				before = true
			} else if !before {
				buf = append(buf, '-')
			}
		} else if before {
			buf = append(buf, '-')
		}
		buf = appendSeconds(buf, f.sec, f.fsec, false)
		buf = append(buf, " sec"...)
		if abs64(f.sec) != 1 || f.fsec != 0 {
			buf = append(buf, 's')
		}
		zero = false
	}
	if zero {
		buf = append(buf, " 0"...)
	}
	if before {
		buf = append(buf, " ago"...)
	}
	return buf
}

// normIntervalStyle is the setting's canonical value, or "" when it is
// not one of PostgreSQL's four styles.
func normIntervalStyle(v string) string {
	switch s := strings.ToLower(strings.TrimSpace(v)); s {
	case intervalPostgres, intervalPostgresVerbose, intervalSQLStandard, intervalISO8601:
		return s
	}
	return ""
}
