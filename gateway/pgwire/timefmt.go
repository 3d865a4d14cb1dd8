package pgwire

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
	"openwit/internal/pgtime"
)

// appendDate appends t's calendar date in ISO form ("2006-01-02", with a
// " BC" suffix before year 1).
func appendDate(buf []byte, t time.Time) []byte {
	if s := pgtime.InfinityText(t); s != "" {
		return append(buf, s...)
	}
	y, m, d := t.Date()
	buf, bc := appendYear(buf, y)
	buf = append(buf, '-')
	buf = append2(buf, int(m))
	buf = append(buf, '-')
	buf = append2(buf, d)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendTimestamp appends t as PostgreSQL prints timestamp (withZone false:
// "2006-01-02 15:04:05.999999") or timestamptz in t's location (withZone
// true: the same followed by the UTC offset as "-07", "+05:30" or
// "+00:53:28"). Fractional seconds are rounded to microseconds and
// trailing zeros dropped.
func appendTimestamp(buf []byte, t time.Time, withZone bool) []byte {
	if s := pgtime.InfinityText(t); s != "" {
		return append(buf, s...)
	}
	t = t.Round(time.Microsecond)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	buf, bc := appendYear(buf, y)
	buf = append(buf, '-')
	buf = append2(buf, int(mo))
	buf = append(buf, '-')
	buf = append2(buf, d)
	buf = append(buf, ' ')
	buf = append2(buf, h)
	buf = append(buf, ':')
	buf = append2(buf, mi)
	buf = append(buf, ':')
	buf = append2(buf, s)
	buf = appendFraction(buf, int64(t.Nanosecond()/1000))
	if withZone {
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign = '-'
			off = -off
		}
		buf = append(buf, sign)
		buf = append2(buf, off/3600)
		if off%3600 != 0 {
			buf = append(buf, ':')
			buf = append2(buf, off%3600/60)
			if off%60 != 0 {
				buf = append(buf, ':')
				buf = append2(buf, off%60)
			}
		}
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendYear appends a year of at least four digits; years before 1 are
// written as BC years (Go's year 0 is 1 BC).
func appendYear(buf []byte, y int) ([]byte, bool) {
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	s := strconv.Itoa(y)
	for i := len(s); i < 4; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...), bc
}

// append2 appends n with at least two digits.
func append2(buf []byte, n int) []byte {
	if n < 10 {
		buf = append(buf, '0')
	}
	return strconv.AppendInt(buf, int64(n), 10)
}

// appendFraction appends ".ffffff" without trailing zeros, nothing for 0.
func appendFraction(buf []byte, micros int64) []byte {
	if micros == 0 {
		return buf
	}
	var tmp [6]byte
	for i := 5; i >= 0; i-- {
		tmp[i] = byte('0' + micros%10)
		micros /= 10
	}
	n := 6
	for n > 0 && tmp[n-1] == '0' {
		n--
	}
	buf = append(buf, '.')
	return append(buf, tmp[:n]...)
}

// dateDays is t's calendar date as days since 2000-01-01.
func dateDays(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400 - pgEpochDays
}

// wallMicros is t's wall-clock reading (its own location) as microseconds
// since the Unix epoch, as if it were UTC: the timestamp-without-time-zone
// value of t.
func wallMicros(t time.Time) int64 {
	t = t.Round(time.Microsecond)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC).UnixMicro()
}

// interval is PostgreSQL's interval: months, days and microseconds are
// kept apart because their lengths vary.
type interval struct {
	months int32
	days   int32
	micros int64
}

// appendInterval appends an interval in IntervalStyle postgres
// ("1 year 2 mons 3 days 04:05:06.5", "-1 days +02:00:00", "00:00:00").
func appendInterval(buf []byte, months, days int32, micros int64) []byte {
	start := len(buf)
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			buf = append(buf, ' ')
		}
		if before && v > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		before = v < 0
		zero = false
	}
	part(int64(months/12), "year")
	part(int64(months%12), "mon")
	part(int64(days), "day")
	if zero || micros != 0 {
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		neg := micros < 0
		u := uint64(micros)
		if neg {
			u = -u
			buf = append(buf, '-')
		} else if before {
			buf = append(buf, '+')
		}
		hours := u / 3600e6
		if hours < 10 {
			buf = append(buf, '0')
		}
		buf = strconv.AppendUint(buf, hours, 10)
		buf = append(buf, ':')
		buf = append2(buf, int(u/60e6%60))
		buf = append(buf, ':')
		buf = append2(buf, int(u/1e6%60))
		buf = appendFraction(buf, int64(u%1e6))
	}
	return buf
}

// parseInterval parses the interval text clients and backends commonly
// produce: "<n> <unit>" pairs (year, mon/month, week, day, hour, min/minute,
// sec/second, ms/millisecond, us/microsecond, singular or plural, with an
// optional leading "@" and trailing "ago") followed by an optional
// "[+-]HH:MM[:SS[.ffffff]]".
func parseInterval(s string) (interval, error) {
	var iv interval
	bad := func() (interval, error) {
		return interval{}, pgerror.New(pgerror.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) > 0 && fields[0] == "@" {
		fields = fields[1:]
	}
	ago := false
	if len(fields) > 0 && fields[len(fields)-1] == "ago" {
		ago = true
		fields = fields[:len(fields)-1]
	}
	if len(fields) == 0 {
		return bad()
	}
	var micros float64
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			m, ok := parseClock(f)
			if !ok {
				return bad()
			}
			micros += float64(m)
			continue
		}
		n, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) || i+1 >= len(fields) {
			return bad()
		}
		i++
		whole := n == math.Trunc(n)
		unit := fields[i]
		switch unit {
		case "ms", "msec", "msecs", "millisecond", "milliseconds":
			micros += n * 1e3
			continue
		case "us", "usec", "usecs", "microsecond", "microseconds":
			micros += n
			continue
		}
		switch strings.TrimSuffix(unit, "s") {
		case "year", "yr", "y":
			if !whole {
				return bad()
			}
			iv.months += int32(n * 12)
		case "mon", "month":
			if !whole {
				return bad()
			}
			iv.months += int32(n)
		case "week", "w":
			if !whole {
				return bad()
			}
			iv.days += int32(n * 7)
		case "day", "d":
			if !whole {
				return bad()
			}
			iv.days += int32(n)
		case "hour", "hr", "h":
			micros += n * 3600e6
		case "min", "minute", "m":
			micros += n * 60e6
		case "sec", "second", "":
			micros += n * 1e6
		default:
			return bad()
		}
	}
	if math.Abs(micros) >= 0x1p63 {
		return bad()
	}
	iv.micros = int64(math.Round(micros))
	if ago {
		iv.months, iv.days, iv.micros = -iv.months, -iv.days, -iv.micros
	}
	return iv, nil
}

// parseClock parses "[+-]H:MM[:SS[.f]]" into microseconds.
func parseClock(s string) (int64, bool) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg = true
		s = s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.ParseUint(parts[0], 10, 31)
	m, err2 := strconv.ParseUint(parts[1], 10, 8)
	if err1 != nil || err2 != nil || m > 59 {
		return 0, false
	}
	total := int64(h)*3600e6 + int64(m)*60e6
	if len(parts) == 3 {
		sec, frac, _ := strings.Cut(parts[2], ".")
		sv, err := strconv.ParseUint(sec, 10, 8)
		if err != nil || sv > 59 {
			return 0, false
		}
		total += int64(sv) * 1e6
		if frac != "" {
			us, ok := parseFractionMicros(frac)
			if !ok {
				return 0, false
			}
			total += us
		}
	}
	if neg {
		total = -total
	}
	return total, true
}

// parseFractionMicros converts the digits after a decimal point to
// microseconds. Past six digits it rounds as PostgreSQL does: the fraction
// read as a float8, times a million, rounded half to even (so .1234565,
// just below half in binary, is .123456, and .9999995 carries to 1e6).
func parseFractionMicros(frac string) (int64, bool) {
	var us int64
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if i < 6 {
			us = us*10 + int64(c-'0')
		}
	}
	if len(frac) > 6 {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, false
		}
		return int64(math.RoundToEven(f * 1e6)), true
	}
	for i := len(frac); i < 6; i++ {
		us *= 10
	}
	return us, true
}

// parseTimestamp parses date, timestamp and timestamptz input text:
// "YYYY-MM-DD", optionally followed by " " or "T" and "HH:MM[:SS[.f]]",
// optionally followed by a zone ("Z", "UTC", "+HH[:MM[:SS]]", "+HHMM" or
// an IANA name) and " BC". Dates ignore the time; timestamp (without time
// zone) ignores the zone and returns the wall clock in UTC; timestamptz
// without a zone is read in loc. "epoch" is accepted; infinities are not
// representable and rejected.
func parseTimestamp(s string, oid uint32, loc *time.Location) (time.Time, error) {
	bad := func() (time.Time, error) {
		return time.Time{}, pgerror.New(pgerror.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", typeName(oid), s)
	}
	t := strings.TrimSpace(s)
	switch {
	case strings.EqualFold(t, "epoch"):
		return time.Unix(0, 0).UTC(), nil
	case equalFoldAny(t, "infinity", "+infinity", "-infinity"):
		return time.Time{}, pgerror.New(pgerror.FeatureNotSupported, "%s value %q is not supported", typeName(oid), t)
	}
	bc := false
	if len(t) > 3 && strings.EqualFold(t[len(t)-3:], " bc") {
		bc = true
		t = strings.TrimSpace(t[:len(t)-3])
	}
	p := tsParser{s: t}
	year, ok1 := p.digits(1, 7)
	ok2 := p.lit('-')
	month, ok3 := p.digits(1, 2)
	ok4 := p.lit('-')
	day, ok5 := p.digits(1, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return bad()
	}
	var hour, minute, sec int
	var micros int64
	if p.more() && (p.peek() == ' ' || p.peek() == 'T' || p.peek() == 't') && p.digitAt(1) {
		p.i++
		var okH, okM bool
		hour, okH = p.digits(1, 2)
		okC := p.lit(':')
		minute, okM = p.digits(1, 2)
		if !(okH && okC && okM) {
			return bad()
		}
		if p.lit(':') {
			var okS bool
			sec, okS = p.digits(1, 2)
			if !okS {
				return bad()
			}
			if p.lit('.') {
				start := p.i
				for p.more() && p.peek() >= '0' && p.peek() <= '9' {
					p.i++
				}
				us, ok := parseFractionMicros(p.s[start:p.i])
				if !ok || p.i == start {
					return bad()
				}
				micros = us
			}
		}
	}
	zone := strings.TrimSpace(p.s[p.i:])
	if zone != "" && (zone[0] == '+' || zone[0] == '-') {
		if _, shape, inRange := parseOffsetRange(zone); shape && !inRange {
			return time.Time{}, pgerror.New(pgerror.InvalidTimeZoneDisplacementValue, "time zone displacement out of range: %q", s)
		}
	}
	if bc {
		year = 1 - year
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 24 || minute > 59 || sec > 60 || (hour == 24 && (minute != 0 || sec != 0 || micros != 0)) {
		return time.Time{}, pgerror.New(pgerror.DatetimeOverflow, "date/time field value out of range: %q", s)
	}
	switch oid {
	case pgtype.DateOID:
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), nil
	case pgtype.TimestamptzOID:
		zl := loc
		if zone != "" {
			var ok bool
			if zl, ok = zoneLocation(zone); !ok {
				return bad()
			}
		}
		return time.Date(year, time.Month(month), day, hour, minute, sec, int(micros)*1000, zl).UTC(), nil
	default:
		if zone != "" {
			if _, ok := zoneLocation(zone); !ok {
				return bad()
			}
		}
		return time.Date(year, time.Month(month), day, hour, minute, sec, int(micros)*1000, time.UTC), nil
	}
}

// tsParser is a cursor over timestamp text.
type tsParser struct {
	s string
	i int
}

func (p *tsParser) more() bool { return p.i < len(p.s) }
func (p *tsParser) peek() byte { return p.s[p.i] }

func (p *tsParser) digitAt(off int) bool {
	j := p.i + off
	return j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9'
}

func (p *tsParser) lit(c byte) bool {
	if p.more() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *tsParser) digits(lo, hi int) (int, bool) {
	start := p.i
	n := 0
	for p.more() && p.i-start < hi && p.peek() >= '0' && p.peek() <= '9' {
		n = n*10 + int(p.peek()-'0')
		p.i++
	}
	return n, p.i-start >= lo
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// zoneLocation interprets a zone written after a timestamp.
func zoneLocation(z string) (*time.Location, bool) {
	switch strings.ToUpper(z) {
	case "Z", "UTC", "GMT", "ZULU", "UCT":
		return time.UTC, true
	}
	if off, ok := parseOffset(z); ok {
		return time.FixedZone("", off), true
	}
	if loc, err := time.LoadLocation(z); err == nil {
		return loc, true
	}
	return nil, false
}

// parseOffset parses an ISO 8601 UTC offset, east positive: "+05",
// "-0830", "+05:30", "+05:30:15", or a bare hour count.
func parseOffset(s string) (int, bool) {
	off, shape, inRange := parseOffsetRange(s)
	return off, shape && inRange
}

// parseOffsetRange is parseOffset that tells an offset of the right shape
// but past PostgreSQL's limits (hours past 15, minutes or seconds past
// 59: 22009) from text that is no offset at all.
func parseOffsetRange(s string) (off int, shape, inRange bool) {
	sign := 1
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "-"):
		sign = -1
		s = s[1:]
	}
	var parts []string
	if strings.Contains(s, ":") {
		parts = strings.Split(s, ":")
	} else {
		for len(s) > 2 {
			parts = append(parts, s[:2])
			s = s[2:]
		}
		parts = append(parts, s)
		if len(parts[0]) < 2 && len(parts) > 1 {
			return 0, false, false
		}
	}
	if len(parts) > 3 {
		return 0, false, false
	}
	mult := [3]int{3600, 60, 1}
	lim := [3]int{15, 59, 59}
	inRange = true
	for i, p := range parts {
		if p == "" || len(p) > 2 {
			return 0, false, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, false, false
		}
		if n > lim[i] {
			inRange = false
		}
		off += n * mult[i]
	}
	return sign * off, true, inRange
}

// loadLocation resolves a TimeZone setting: UTC aliases, ISO offsets (east
// positive), IANA names, and POSIX-style "UTC+3"/"GMT-2" (west positive).
// Unknown names fall back to UTC.
func loadLocation(name string) *time.Location {
	n := strings.TrimSpace(name)
	switch strings.ToUpper(n) {
	case "", "UTC", "GMT", "Z", "ZULU", "UCT", "ETC/UTC", "ETC/GMT", "UNIVERSAL":
		return time.UTC
	}
	if off, ok := parseOffset(n); ok {
		return time.FixedZone(n, off)
	}
	if loc, err := time.LoadLocation(n); err == nil {
		return loc
	}
	up := strings.ToUpper(n)
	for _, prefix := range []string{"UTC", "GMT"} {
		if rest, ok := strings.CutPrefix(up, prefix); ok {
			if off, ok := parseOffset(rest); ok {
				return time.FixedZone(n, -off)
			}
		}
	}
	return time.UTC
}

// timeMicros reads a time of day in its text form ("13:45:00",
// "13:45:30.5", "24:00:00") as microseconds since midnight, the binary
// form of time.
func timeMicros(v any) (int64, error) {
	s, ok := v.(string)
	if !ok {
		if st, isStringer := v.(interface{ String() string }); isStringer {
			s, ok = st.String(), true
		}
	}
	if !ok {
		return 0, errMismatch(v, pgtype.TimeOID)
	}
	clock, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 {
		return 0, errMismatch(v, pgtype.TimeOID)
	}
	var us int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return 0, errMismatch(v, pgtype.TimeOID)
		}
		us += n * []int64{3_600_000_000, 60_000_000, 1_000_000}[i]
	}
	if frac != "" {
		f, err := strconv.ParseInt((frac + "000000")[:6], 10, 64)
		if err != nil {
			return 0, errMismatch(v, pgtype.TimeOID)
		}
		us += f
	}
	return us, nil
}
