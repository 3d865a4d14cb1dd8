package pgexpr

import (
	"fmt"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

// to_timestamp(text, format) follows PostgreSQL's formatting.c reading
// rules in its default (non-FX) mode: spaces before a field are skipped,
// a format separator or space matches one separator or space of the input
// or nothing, other literal format characters skip one input character,
// a numeric field followed by a non-digit format element reads as many
// digits as there are, and parsing stops at the end of either string.

// fmtNodeKind is the kind of one element of a to_timestamp format.
type fmtNodeKind int

const (
	fmtAction    fmtNodeKind = iota // a template pattern (YYYY, MI, ...)
	fmtSeparator                    // ASCII punctuation outside quotes
	fmtSpace
	fmtChar // any other literal character, quoted text included
)

type fmtNode struct {
	kind  fmtNodeKind
	key   string // the pattern as written in the format (Action)
	fm    bool   // FM prefix: fill mode, read a variable-width number
	th    bool   // TH/th suffix
	digit bool   // the pattern reads digits
}

// toTimestampKeys are the patterns to_timestamp reads, longest first among
// those sharing a prefix (the format is matched greedily, case-sensitively).
var toTimestampKeys = []string{
	"A.M.", "a.m.", "P.M.", "p.m.", "AM", "am", "PM", "pm",
	"DAY", "Day", "day", "DDD", "ddd", "DD", "dd", "DY", "Dy", "dy",
	"FX", "fx",
	"HH24", "hh24", "HH12", "hh12", "HH", "hh",
	"MONTH", "Month", "month", "MON", "Mon", "mon", "MM", "mm", "MI", "mi", "MS", "ms",
	"SS", "ss", "TZH", "tzh", "TZM", "tzm", "US", "us",
	"YYYY", "yyyy", "YY", "yy",
}

var toTimestampDigits = map[string]int{ // pattern → fixed width
	"DDD": 3, "DD": 2, "HH24": 2, "HH12": 2, "HH": 2, "MM": 2, "MI": 2,
	"MS": 3, "SS": 2, "TZH": 2, "TZM": 2, "US": 6, "YYYY": 4, "YY": 2,
}

func isSeparatorChar(c byte) bool {
	return c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')
}

func isSpaceChar(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// parseToTimestampFormat splits a to_timestamp format into its elements.
func parseToTimestampFormat(f string) []fmtNode {
	var nodes []fmtNode
	for i := 0; i < len(f); {
		fm := false
		if strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm") {
			fm = true
			i += 2
			if i >= len(f) {
				break
			}
		}
		matched := false
		for _, k := range toTimestampKeys {
			if strings.HasPrefix(f[i:], k) {
				up := strings.ToUpper(k)
				_, digit := toTimestampDigits[up]
				n := fmtNode{kind: fmtAction, key: k, fm: fm, digit: digit}
				i += len(k)
				if strings.HasPrefix(f[i:], "TH") || strings.HasPrefix(f[i:], "th") {
					n.th = true
					i += 2
				}
				nodes = append(nodes, n)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		switch c := f[i]; {
		case c == '"':
			i++
			for i < len(f) && f[i] != '"' {
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				nodes = append(nodes, fmtNode{kind: fmtChar})
				i += charLen(f[i:])
			}
			i++ // closing quote
		default:
			if c == '\\' && i+1 < len(f) && f[i+1] == '"' {
				i++
				c = '"'
			}
			k := fmtChar
			if isSeparatorChar(c) {
				k = fmtSeparator
			} else if isSpaceChar(c) {
				k = fmtSpace
			}
			nodes = append(nodes, fmtNode{kind: k})
			i += charLen(f[i:])
		}
	}
	return nodes
}

// charLen is the byte length of the UTF-8 character s starts with.
func charLen(s string) int {
	for j := 1; j < len(s); j++ {
		if s[j]&0xc0 != 0x80 {
			return j
		}
	}
	return len(s)
}

// toTimestampFields are the values read from the input.
type toTimestampFields struct {
	set                                     map[string]int
	year, mon, day, ddd, hour, min, sec, us int
	ms                                      int
	clock12, pm                             bool
	tzSign, tzh, tzm                        int
}

var monthNames = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
var dayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

func formatErr(msg string, args ...any) error {
	return pgerror.New(pgerror.InvalidDatetimeFormat, msg, args...)
}

// evalToTimestampText is to_timestamp(text, format): the fields read by
// the format form a wall clock in the session zone (or at the TZH:TZM
// offset when the format reads one).
func evalToTimestampText(ctx *sql.Context, in, format string) (any, error) {
	nodes := parseToTimestampFormat(format)
	f := toTimestampFields{set: map[string]int{}}
	s := in
	fx := false
	extraSkip := 0
	setInt := func(field string, dst *int, v int, key string) error {
		if old, ok := f.set[field]; ok && old != v {
			return formatErr("conflicting values for %q field in formatting string", key)
		}
		f.set[field] = v
		*dst = v
		return nil
	}
	for ni := 0; ni < len(nodes) && s != ""; ni++ {
		n := nodes[ni]
		if !fx && (n.kind != fmtAction || strings.ToUpper(n.key) != "FX") && (n.kind == fmtAction || ni == 0) {
			for s != "" && isSpaceChar(s[0]) {
				s = s[1:]
				extraSkip++
			}
		}
		switch n.kind {
		case fmtSpace, fmtSeparator:
			if fx {
				s = s[charLen(s):]
				continue
			}
			extraSkip--
			if s != "" && (isSpaceChar(s[0]) || isSeparatorChar(s[0])) {
				s = s[1:]
				extraSkip++
			}
			continue
		case fmtChar:
			if !fx && extraSkip > 0 {
				extraSkip--
			} else if s != "" {
				s = s[charLen(s):]
			}
			continue
		}
		key := n.key
		up := strings.ToUpper(key)
		var err error
		readInt := func() (int, int, error) {
			return parseFieldInt(&s, n, key, nextIsSeparator(nodes, ni))
		}
		switch up {
		case "FX":
			fx = true
		case "AM", "PM", "A.M.", "P.M.":
			words := []string{"am", "pm"}
			if len(up) == 4 {
				words = []string{"a.m.", "p.m."}
			}
			var v int
			if v, err = seqSearch(&s, words, key); err == nil {
				err = setInt("pm", new(int), v, key)
				f.pm = v == 1
				f.clock12 = true
			}
		case "HH", "HH12":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("hour", &f.hour, v, key)
				f.clock12 = true
			}
		case "HH24":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("hour", &f.hour, v, key)
			}
		case "MI":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("min", &f.min, v, key)
			}
		case "SS":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("sec", &f.sec, v, key)
			}
		case "MS":
			var v, l int
			if v, l, err = readInt(); err == nil {
				// "5" and "50" are .5 like "500"; "050" is .05.
				for ; l < 3 && l > 0; l++ {
					v *= 10
				}
				err = setInt("ms", &f.ms, v, key)
			}
		case "US":
			var v, l int
			if v, l, err = readInt(); err == nil {
				for ; l < 6 && l > 0; l++ {
					v *= 10
				}
				err = setInt("us", &f.us, v, key)
			}
		case "TZH":
			switch {
			case s != "" && (s[0] == '+' || s[0] == '-' || s[0] == ' '):
				f.tzSign = 1
				if s[0] == '-' {
					f.tzSign = -1
				}
				s = s[1:]
			case extraSkip > 0 && len(in)-len(s) > 0 && in[len(in)-len(s)-1] == '-':
				// A minus skipped as a separator is the offset's sign.
				f.tzSign = -1
			default:
				f.tzSign = 1
			}
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("tzh", &f.tzh, v, key)
			}
		case "TZM":
			if f.tzSign == 0 {
				f.tzSign = 1
			}
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("tzm", &f.tzm, v, key)
			}
		case "MONTH", "MON":
			var v int
			if up == "MONTH" {
				v, err = seqSearch(&s, monthNames, key)
			} else {
				v, err = seqSearch(&s, abbrev(monthNames), key)
			}
			if err == nil {
				err = setInt("mon", &f.mon, v+1, key)
			}
		case "DAY", "DY":
			// The weekday is read and ignored, as PostgreSQL does.
			if up == "DAY" {
				_, err = seqSearch(&s, dayNames, key)
			} else {
				_, err = seqSearch(&s, abbrev(dayNames), key)
			}
		case "MM":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("mon", &f.mon, v, key)
			}
		case "DD":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("day", &f.day, v, key)
			}
		case "DDD":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("ddd", &f.ddd, v, key)
			}
		case "YYYY":
			var v int
			if v, _, err = readInt(); err == nil {
				err = setInt("year", &f.year, v, key)
			}
		case "YY":
			var v, n int
			if v, n, err = readInt(); err == nil {
				// Years of fewer than four digits are taken as the
				// nearest to 2020 (PostgreSQL's adjust_partial_year_to_2020).
				if n < 4 {
					switch {
					case v < 70:
						v += 2000
					case v < 100:
						v += 1900
					case v < 520:
						v += 2000
					case v < 1000:
						v += 1000
					}
				}
				err = setInt("year", &f.year, v, key)
			}
		}
		if err != nil {
			return nil, err
		}
		if n.th && len(s) >= 2 {
			s = s[2:]
		}
		if !fx {
			extraSkip = 0
			for s != "" && isSpaceChar(s[0]) {
				s = s[1:]
				extraSkip++
			}
		}
	}
	return f.timestamp(ctx, in)
}

func abbrev(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n[:3]
	}
	return out
}

// nextIsSeparator reports whether the element after nodes[i] cannot be
// digits, so that a numeric field may take a variable number of digits.
func nextIsSeparator(nodes []fmtNode, i int) bool {
	if nodes[i].th {
		return true
	}
	if i+1 >= len(nodes) {
		return true
	}
	next := nodes[i+1]
	if next.kind == fmtAction {
		return !next.digit
	}
	return true
}

// parseFieldInt reads a numeric field: a fixed number of characters, or
// as many digits as there are in fill mode or before a non-digit element.
// It returns the value and the number of characters read.
func parseFieldInt(src *string, n fmtNode, key string, slurp bool) (int, int, error) {
	s := strings.TrimLeft(*src, " \t\n\r\f\v")
	width := toTimestampDigits[strings.ToUpper(key)]
	copyLen := min(width, len(s))
	text := s
	if !(slurp || n.fm) {
		if len(s) < width {
			e := pgerror.New(pgerror.InvalidDatetimeFormat, "source string too short for %q formatting field", key)
			e.Detail = fmt.Sprintf("Field requires %d characters, but only %d remain.", width, len(s))
			e.Hint = `If your source string is not fixed-width, try using the "FM" modifier.`
			return 0, 0, e
		}
		text = s[:width]
	}
	j := 0
	if j < len(text) && (text[j] == '+' || text[j] == '-') {
		j++
	}
	d := j
	v := int64(0)
	for j < len(text) && text[j] >= '0' && text[j] <= '9' {
		v = v*10 + int64(text[j]-'0')
		if v > 1<<31 {
			return 0, 0, pgerror.New(pgerror.DatetimeOverflow, "value for %q in source string is out of range", key)
		}
		j++
	}
	if j == d {
		e := pgerror.New(pgerror.InvalidDatetimeFormat, "invalid value %q for %q", s[:copyLen], key)
		e.Detail = "Value must be an integer."
		return 0, 0, e
	}
	if !(slurp || n.fm) && j < width {
		e := pgerror.New(pgerror.InvalidDatetimeFormat, "invalid value %q for %q", s[:copyLen], key)
		e.Detail = fmt.Sprintf("Field requires %d characters, but only %d could be parsed.", width, j)
		e.Hint = `If your source string is not fixed-width, try using the "FM" modifier.`
		return 0, 0, e
	}
	if text[0] == '-' {
		v = -v
	}
	if v > 1<<31-1 || v < -(1<<31) {
		return 0, 0, pgerror.New(pgerror.DatetimeOverflow, "value for %q in source string is out of range", key)
	}
	*src = s[j:]
	return int(v), j, nil
}

// seqSearch matches one of words (lower case) at the start of *src,
// ignoring case, and returns its index.
func seqSearch(src *string, words []string, key string) (int, error) {
	s := strings.TrimLeft(*src, " \t\n\r\f\v")
	best, bestLen := -1, 0
	for i, w := range words {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) && len(w) > bestLen {
			best, bestLen = i, len(w)
		}
	}
	if best < 0 {
		shown := s
		if k := strings.IndexAny(shown, " \t\n\r\f\v"); k >= 0 {
			shown = shown[:k]
		}
		e := pgerror.New(pgerror.InvalidDatetimeFormat, "invalid value %q for %q", shown, key)
		e.Detail = "The given value did not match any of the allowed values for this field."
		return 0, e
	}
	*src = s[bestLen:]
	return best, nil
}

// timestamp checks the fields read and builds the instant.
func (f *toTimestampFields) timestamp(ctx *sql.Context, in string) (any, error) {
	overflow := pgerror.New(pgerror.DatetimeOverflow, "date/time field value out of range: %q", in)
	hour := f.hour
	if f.clock12 {
		if hour < 1 || hour > 12 {
			e := pgerror.New(pgerror.InvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", hour)
			e.Hint = "Use the 24-hour clock, or give an hour between 1 and 12."
			return nil, e
		}
		if f.pm && hour < 12 {
			hour += 12
		} else if !f.pm && hour == 12 {
			hour = 0
		}
	}
	// A zero month, day or day of year counts as not given, as in
	// PostgreSQL; year -n is n BC (astronomical year 1-n).
	mon, day := 1, 1
	if f.mon != 0 {
		mon = f.mon
	}
	if f.day != 0 {
		day = f.day
	}
	if f.year < 0 {
		f.year++
	}
	if f.ddd != 0 {
		if f.mon == 0 && f.day == 0 {
			leap := 365
			if daysIn(f.year, time.February) == 29 {
				leap = 366
			}
			if f.ddd < 1 || f.ddd > leap {
				return nil, overflow
			}
			d := time.Date(f.year, 1, f.ddd, 0, 0, 0, 0, time.UTC)
			mon, day = int(d.Month()), d.Day()
		}
	}
	if mon < 1 || mon > 12 || day < 1 || day > daysIn(f.year, time.Month(mon)) {
		return nil, overflow
	}
	us := f.ms*1000 + f.us
	if hour < 0 || hour >= 24 || f.min < 0 || f.min >= 60 || f.sec < 0 || f.sec >= 60 || us < 0 || us >= 1_000_000 {
		return nil, overflow
	}
	wall := time.Date(f.year, time.Month(mon), day, hour, f.min, f.sec, us*1000, time.UTC)
	if f.tzSign != 0 {
		if f.tzh < 0 || f.tzh > 15 || f.tzm < 0 || f.tzm >= 60 {
			return nil, pgerror.New("22009", "time zone displacement out of range: %q", in)
		}
		off := time.Duration(f.tzSign) * (time.Duration(f.tzh)*time.Hour + time.Duration(f.tzm)*time.Minute)
		return wall.Add(-off), nil
	}
	return wallToUTC(wall, SessionLocation(ctx)), nil
}

// toTimestampArgs accepts to_timestamp(number) and to_timestamp(text, text).
func toTimestampArgs(args []sql.Expression) bool {
	t := args[0].Type()
	if t == types.Null {
		return true
	}
	if len(args) == 1 {
		return (types.IsNumber(t) && t != types.Boolean) || types.IsDecimal(t)
	}
	return types.IsText(t)
}
