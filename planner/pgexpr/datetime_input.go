package pgexpr

import (
	"math"
	"strconv"
	"strings"
	"time"

	"openwit/internal/pgerror"
)

// This file reads date, timestamp and timestamptz text input the way
// PostgreSQL does with DateStyle ISO, MDY: ISO dates (2024-02-29, with '-',
// '/' or '.'), month-day-year (02/29/2024, 2/29/24), month names
// (Feb 29, 2024; 29-Feb-2024; February 29 2024), run-together digits
// (20240229, 240229 and 20240229T134500), weekday names (ignored), times
// with AM/PM, zones (Z, +05:30, -0800, UTC, a few abbreviations, IANA names)
// and the special inputs epoch, now, today, tomorrow, yesterday, allballs,
// infinity and -infinity. Bad syntax is 22007, a field out of range 22008
// and a zone offset out of range 22009.

// InvalidTimeZoneDisplacement is SQLSTATE 22009.
const InvalidTimeZoneDisplacement = "22009"

// dtSpecial tells a special input apart from a finite one.
type dtSpecial int

const (
	dtFinite dtSpecial = iota
	dtInfinity
	dtNegInfinity
)

// dtToken is one field of the input.
type dtToken struct {
	kind byte   // 'n' number, 'w' word, 't' time, 'd' date run, 'z' offset, 'l' location name
	text string // lower-cased except for 'l'
	sep  byte   // the separator of a date run
}

var inputMonths = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]bool{
	"sun": true, "sunday": true, "mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true,
	"wed": true, "wednesday": true, "thu": true, "thur": true, "thurs": true, "thursday": true,
	"fri": true, "friday": true, "sat": true, "saturday": true,
}

// zoneAbbrevs are the zone abbreviations read as fixed offsets (seconds
// east of UTC), a subset of PostgreSQL's Default set.
var zoneAbbrevs = map[string]int{
	"z": 0, "zulu": 0, "utc": 0, "gmt": 0, "ut": 0,
	"est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
	"mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
	"cet": 3600, "cest": 2 * 3600, "eet": 2 * 3600, "eest": 3 * 3600, "jst": 9 * 3600,
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// tokenizeDateTime splits s into fields; ok is false on a character no
// field can hold.
func tokenizeDateTime(s string) ([]dtToken, bool) {
	var toks []dtToken
	sawTime := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == ',':
			i++
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			switch {
			case j < len(s) && s[j] == ':':
				for j < len(s) && (isDigit(s[j]) || s[j] == ':' || s[j] == '.') {
					j++
				}
				toks = append(toks, dtToken{kind: 't', text: s[i:j]})
				sawTime = true
			case j+1 < len(s) && (s[j] == '-' || s[j] == '/' || s[j] == '.') && (isDigit(s[j+1]) || isLetter(s[j+1])):
				sep := s[j]
				for j < len(s) && (isDigit(s[j]) || isLetter(s[j]) || s[j] == sep) {
					if (s[j] == 'T' || s[j] == 't') && isDigit(s[j-1]) && j+1 < len(s) && isDigit(s[j+1]) {
						break // 2024-02-29T13:45
					}
					j++
				}
				toks = append(toks, dtToken{kind: 'd', text: strings.ToLower(s[i:j]), sep: sep})
			case j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]):
				j++
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				toks = append(toks, dtToken{kind: 'n', text: s[i:j]})
			default:
				toks = append(toks, dtToken{kind: 'n', text: s[i:j]})
			}
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			w := strings.ToLower(s[i:j])
			switch {
			case j+1 < len(s) && (s[j] == '-' || s[j] == '/') && isDigit(s[j+1]) && inputMonths[w] != 0:
				sep := s[j]
				for j < len(s) && (isDigit(s[j]) || isLetter(s[j]) || s[j] == sep) {
					j++
				}
				toks = append(toks, dtToken{kind: 'd', text: strings.ToLower(s[i:j]), sep: sep})
			case j < len(s) && (s[j] == '/' || s[j] == '_'):
				for j < len(s) && (isLetter(s[j]) || s[j] == '/' || s[j] == '_' || isDigit(s[j]) || s[j] == '-' || s[j] == '+') {
					j++
				}
				toks = append(toks, dtToken{kind: 'l', text: s[i:j]})
			case w == "t" && j < len(s) && isDigit(s[j]):
				// ISO 8601 date/time separator.
			default:
				toks = append(toks, dtToken{kind: 'w', text: w})
			}
			i = j
		case (c == '+' || c == '-') && sawTime && i+1 < len(s) && isDigit(s[i+1]):
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || s[j] == ':') {
				j++
			}
			toks = append(toks, dtToken{kind: 'z', text: s[i:j]})
			i = j
		default:
			return nil, false
		}
	}
	return toks, true
}

// dtFields collects the decoded fields.
type dtFields struct {
	year, month, day int
	hasY, hasM, hasD bool
	yearDigits       int
	hour, min, sec   int
	nsec             int
	hasTime          bool
	ampm             int // 0 none, 1 am, 2 pm
	zoneOff          int
	zoneLoc          *time.Location
	hasZone          bool
	relDays          int // today/tomorrow/yesterday
	relative, isNow  bool
	zoneOutOfRange   bool
}

// ParseDateTimeInput reads s as PostgreSQL's input of a date, timestamp or
// timestamptz (to, a canonical type name). Values without a zone are taken
// in loc (pass time.UTC for date and timestamp); now is the statement's
// time for now/today/tomorrow/yesterday. The result is in UTC for
// timestamptz and the wall clock as UTC for the others. Errors carry
// SQLSTATE 22007, 22008 or 22009.
func ParseDateTimeInput(s, typeName string, loc *time.Location, now time.Time) (time.Time, dtSpecial, error) {
	syntax := func() error {
		return pgerror.New(pgerror.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", typeName, s)
	}
	rangeErr := func() error {
		return pgerror.New(pgerror.DatetimeOverflow, "date/time field value out of range: %q", s)
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "infinity":
		return time.Time{}, dtInfinity, nil
	case "-infinity":
		return time.Time{}, dtNegInfinity, nil
	case "epoch":
		return time.Unix(0, 0).UTC(), dtFinite, nil
	}
	f, err := decodeDateTime(s, typeName)
	if err != nil {
		return time.Time{}, dtFinite, err
	}
	if f.isNow {
		if f.hasY || f.hasM || f.hasD || f.hasTime || f.relative {
			return time.Time{}, dtFinite, syntax()
		}
		t := now.In(loc)
		if f.hasZone {
			t = now
		}
		return t, dtFinite, nil
	}
	if f.relative {
		if f.hasY || f.hasM || f.hasD {
			return time.Time{}, dtFinite, syntax()
		}
		n := now.In(loc)
		f.year, f.month, f.day = n.Year(), int(n.Month()), n.Day()+f.relDays
		d := time.Date(f.year, time.Month(f.month), f.day, 0, 0, 0, 0, time.UTC)
		f.year, f.month, f.day = d.Year(), int(d.Month()), d.Day()
		f.hasY, f.hasM, f.hasD = true, true, true
	}
	if !f.hasY || !f.hasM || !f.hasD {
		return time.Time{}, dtFinite, syntax()
	}
	if f.ampm != 0 {
		if f.hour > 12 {
			return time.Time{}, dtFinite, rangeErr()
		}
		if f.ampm == 1 && f.hour == 12 {
			f.hour = 0
		} else if f.ampm == 2 && f.hour != 12 {
			f.hour += 12
		}
	}
	if f.yearDigits <= 2 && f.yearDigits > 0 {
		if f.year < 70 {
			f.year += 2000
		} else {
			f.year += 1900
		}
	}
	if f.year < 1 || f.month < 1 || f.month > 12 || f.day < 1 ||
		f.day > time.Date(f.year, time.Month(f.month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, dtFinite, rangeErr()
	}
	if f.hour < 0 || f.hour > 24 || f.min < 0 || f.min > 59 || f.sec < 0 || f.sec > 60 ||
		f.hour == 24 && (f.min != 0 || f.sec != 0 || f.nsec != 0) {
		return time.Time{}, dtFinite, rangeErr()
	}
	w := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.min, f.sec, f.nsec, time.UTC)
	switch {
	case f.zoneLoc != nil:
		return wallToUTC(w, f.zoneLoc).In(f.zoneLoc), dtFinite, nil
	case f.hasZone:
		return w.Add(-time.Duration(f.zoneOff) * time.Second).In(time.FixedZone("", f.zoneOff)), dtFinite, nil
	}
	return wallToUTC(w, loc).In(loc), dtFinite, nil
}

// decodeDateTime splits s into fields and decodes them.
func decodeDateTime(s, typeName string) (dtFields, error) {
	syntax := func() error {
		return pgerror.New(pgerror.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", typeName, s)
	}
	var f dtFields
	toks, ok := tokenizeDateTime(s)
	if !ok || len(toks) == 0 {
		return f, syntax()
	}
	for _, tk := range toks {
		var ok bool
		switch tk.kind {
		case 'd':
			ok = f.dateRun(tk)
		case 't':
			ok = f.clock(tk.text)
		case 'z':
			ok = f.offset(tk.text)
		case 'l':
			l, err := time.LoadLocation(tk.text)
			ok = err == nil && !f.hasZone
			f.zoneLoc, f.hasZone = l, true
		case 'w':
			ok = f.word(tk.text)
		case 'n':
			ok = f.number(tk.text, f.hasY && f.hasM && f.hasD)
		}
		if !ok {
			if f.zoneOutOfRange {
				return f, pgerror.New(InvalidTimeZoneDisplacement, "time zone displacement out of range: %q", s)
			}
			return f, syntax()
		}
	}
	return f, nil
}

func (f *dtFields) setYear(text string) bool {
	if f.hasY {
		return false
	}
	y, err := strconv.Atoi(text)
	if err != nil {
		return false
	}
	f.year, f.hasY, f.yearDigits = y, true, len(text)
	return true
}

func (f *dtFields) setMonth(m int) bool {
	if f.hasM {
		return false
	}
	f.month, f.hasM = m, true
	return true
}

func (f *dtFields) setDay(text string) bool {
	if f.hasD {
		return false
	}
	d, err := strconv.Atoi(text)
	if err != nil {
		return false
	}
	f.day, f.hasD = d, true
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// dateRun decodes 2024-02-29, 02/29/2024, 29-feb-2024, feb-29-2024 and
// 2024-feb-29.
func (f *dtFields) dateRun(tk dtToken) bool {
	parts := strings.Split(tk.text, string(tk.sep))
	if len(parts) != 3 || f.hasY || f.hasM || f.hasD {
		return false
	}
	for i, p := range parts {
		if m := inputMonths[p]; m != 0 {
			f.setMonth(m)
			rest := append(append([]string{}, parts[:i]...), parts[i+1:]...)
			if !allDigits(rest[0]) || !allDigits(rest[1]) {
				return false
			}
			if i == 1 && len(rest[0]) >= 3 || i == 2 {
				return f.setYear(rest[0]) && f.setDay(rest[1])
			}
			return f.setDay(rest[0]) && f.setYear(rest[1])
		}
	}
	for _, p := range parts {
		if !allDigits(p) {
			return false
		}
	}
	m, _ := strconv.Atoi(parts[1])
	if len(parts[0]) >= 3 {
		return f.setYear(parts[0]) && f.setMonth(m) && f.setDay(parts[2])
	}
	m, _ = strconv.Atoi(parts[0])
	return f.setMonth(m) && f.setDay(parts[1]) && f.setYear(parts[2])
}

// clock decodes hh:mm[:ss[.ffffff]].
func (f *dtFields) clock(text string) bool {
	if f.hasTime {
		return false
	}
	parts := strings.Split(text, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	f.hour, f.min, f.hasTime = h, m, true
	if len(parts) == 3 {
		return f.seconds(parts[2])
	}
	return true
}

// seconds decodes ss[.ffffff], rounding to microseconds.
func (f *dtFields) seconds(text string) bool {
	whole, frac, _ := strings.Cut(text, ".")
	s, err := strconv.Atoi(whole)
	if err != nil {
		return false
	}
	f.sec = s
	if frac != "" {
		if !allDigits(frac) {
			return false
		}
		x, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return false
		}
		f.nsec = int(math.RoundToEven(x*1e6)) * 1000
		if f.nsec >= 1e9 {
			f.sec++
			f.nsec -= 1e9
		}
	}
	return true
}

// offset decodes +hh, +hhmm, +hh:mm and +hh:mm:ss.
func (f *dtFields) offset(text string) bool {
	if f.hasZone {
		return false
	}
	sign := 1
	if text[0] == '-' {
		sign = -1
	}
	body := text[1:]
	var h, m, s int
	var err error
	switch parts := strings.Split(body, ":"); {
	case len(parts) == 1 && len(body) <= 2:
		h, err = strconv.Atoi(body)
	case len(parts) == 1 && len(body) == 4:
		h, _ = strconv.Atoi(body[:2])
		m, err = strconv.Atoi(body[2:])
	case len(parts) == 2 || len(parts) == 3:
		h, err = strconv.Atoi(parts[0])
		if err == nil {
			m, err = strconv.Atoi(parts[1])
		}
		if err == nil && len(parts) == 3 {
			s, err = strconv.Atoi(parts[2])
		}
	default:
		return false
	}
	if err != nil {
		return false
	}
	if h > 15 || m > 59 || s > 59 {
		f.zoneOutOfRange = true
		return false
	}
	f.zoneOff, f.hasZone = sign*(h*3600+m*60+s), true
	return true
}

// word decodes month and weekday names, AM/PM, zone names and the special
// words.
func (f *dtFields) word(w string) bool {
	if m := inputMonths[w]; m != 0 {
		return f.setMonth(m)
	}
	if weekdayNames[w] {
		return true
	}
	if off, ok := zoneAbbrevs[w]; ok {
		if f.hasZone {
			return false
		}
		f.zoneOff, f.hasZone = off, true
		return true
	}
	switch w {
	case "am", "a.m":
		f.ampm = 1
		return true
	case "pm", "p.m":
		f.ampm = 2
		return true
	case "ad":
		return true
	case "now":
		f.isNow = true
		return true
	case "today", "tomorrow", "yesterday":
		if f.relative {
			return false
		}
		f.relative = true
		f.relDays = map[string]int{"today": 0, "tomorrow": 1, "yesterday": -1}[w]
		return true
	case "allballs":
		if f.hasTime {
			return false
		}
		f.hasTime = true
		return true
	}
	if l, err := time.LoadLocation(w); err == nil && strings.Contains(w, "/") {
		f.zoneLoc, f.hasZone = l, true
		return true
	}
	return false
}

// number decodes a lone number: yyyymmdd, yymmdd, hhmmss after a complete
// date (the ISO 8601 basic form), a day or a year next to a month name.
func (f *dtFields) number(text string, afterDate bool) bool {
	if strings.Contains(text, ".") {
		return false
	}
	if afterDate && !f.hasTime && (len(text) == 6 || len(text) == 4) {
		h, _ := strconv.Atoi(text[:2])
		m, _ := strconv.Atoi(text[2:4])
		f.hour, f.min, f.hasTime = h, m, true
		if len(text) == 6 {
			return f.seconds(text[4:])
		}
		return true
	}
	if !f.hasY && !f.hasM && !f.hasD {
		switch len(text) {
		case 8:
			m, _ := strconv.Atoi(text[4:6])
			return f.setYear(text[:4]) && f.setMonth(m) && f.setDay(text[6:])
		case 6:
			m, _ := strconv.Atoi(text[2:4])
			return f.setYear(text[:2]) && f.setMonth(m) && f.setDay(text[4:])
		}
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return false
	}
	if len(text) >= 3 || n > 31 || f.hasD {
		return f.setYear(text)
	}
	return f.setDay(text)
}
