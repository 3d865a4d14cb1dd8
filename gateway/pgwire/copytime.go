package pgwire

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// parseTimestampFast parses the shape COPY input usually has, in Unix
// microseconds: "YYYY-MM-DD HH:MM:SS" ('T' allowed for the space), up to
// six fraction digits, then no zone (timestamptz: only when loc is UTC),
// "Z", or an offset "+HH", "+HHMM" or "+HH:MM" (east positive, as
// parseOffset). It computes the instant with integer arithmetic, without
// time.Date. Anything else, and every out-of-range field, returns false:
// parseTimestamp decides it and words its error. The two agree on
// everything this accepts (TestParseTimestampFast).
func parseTimestampFast(s []byte, oid uint32, loc *time.Location) (int64, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	year, ok1 := digits4(s[0:4])
	month, ok2 := digits2(s[5:7])
	day, ok3 := digits2(s[8:10])
	hour, ok4 := digits2(s[11:13])
	minute, ok5 := digits2(s[14:16])
	sec, ok6 := digits2(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || year < 1 || month < 1 || month > 12 || day < 1 ||
		day > daysInMonth(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	i := 19
	var frac int64
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && i-start < 6 && s[i] >= '0' && s[i] <= '9' {
			frac = frac*10 + int64(s[i]-'0')
			i++
		}
		if i == start || (i < len(s) && s[i] >= '0' && s[i] <= '9') {
			return 0, false // no digits, or more than six (rounded by parseTimestamp)
		}
		for k := i - start; k < 6; k++ {
			frac *= 10
		}
	}
	off := 0 // seconds east of UTC
	switch zone := s[i:]; {
	case len(zone) == 0:
		if oid == pgtype.TimestamptzOID && loc != time.UTC {
			return 0, false
		}
	case len(zone) == 1 && (zone[0] == 'Z' || zone[0] == 'z'):
	case zone[0] == '+' || zone[0] == '-':
		var hh, mm int
		var ok bool
		switch len(zone) {
		case 3:
			hh, ok = digits2(zone[1:3])
		case 5:
			var okM bool
			hh, ok = digits2(zone[1:3])
			mm, okM = digits2(zone[3:5])
			ok = ok && okM
		case 6:
			var okM bool
			hh, ok = digits2(zone[1:3])
			mm, okM = digits2(zone[4:6])
			ok = ok && okM && zone[3] == ':'
		}
		if !ok || hh > 15 || mm > 59 {
			return 0, false
		}
		off = hh*3600 + mm*60
		if zone[0] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	if oid != pgtype.TimestamptzOID {
		off = 0 // timestamp without time zone: the zone is checked, not applied
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - int64(off)
	return secs*1_000_000 + frac, true
}

func digits2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	return int(d0)*10 + int(d1), d0 <= 9 && d1 <= 9
}

func digits4(b []byte) (int, bool) {
	hi, ok1 := digits2(b[0:2])
	lo, ok2 := digits2(b[2:4])
	return hi*100 + lo, ok1 && ok2
}

// daysInMonth is the length of a month of the proleptic Gregorian
// calendar.
func daysInMonth(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to a date of the
// proleptic Gregorian calendar (year ≥ 1): March-based years make the
// leap day the last day of a year, so a year's day count is one formula.
func daysFromCivil(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400 // y ≥ 0 here
	yoe := y - era*400
	m := int64(month)
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
