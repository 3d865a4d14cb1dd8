package pgtypes

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/proto/query"
)

// Interval is a PostgreSQL interval: months, days and microseconds kept
// apart, because a month and a day have no fixed length.
type Interval struct {
	Months int32
	Days   int32
	Micros int64
}

// String formats the interval like PostgreSQL's IntervalStyle postgres:
// "1 year 2 mons 3 days 04:05:06.5".
func (iv Interval) String() string {
	var parts []string
	// As PostgreSQL's EncodeInterval: a positive field after a negative
	// one carries a "+" ("-1 days +01:00:00").
	before := false
	unit := func(n int64, one, many string) {
		if n == 0 {
			return
		}
		name := many
		if n == 1 {
			name = one
		}
		plus := ""
		if before && n > 0 {
			plus = "+"
		}
		parts = append(parts, fmt.Sprintf("%s%d %s", plus, n, name))
		before = n < 0
	}
	unit(int64(iv.Months/12), "year", "years")
	unit(int64(iv.Months%12), "mon", "mons")
	unit(int64(iv.Days), "day", "days")
	if iv.Micros != 0 || len(parts) == 0 {
		m := iv.Micros
		sign := ""
		switch {
		case m < 0:
			sign, m = "-", -m
		case before:
			sign = "+"
		}
		h := m / 3_600_000_000
		m -= h * 3_600_000_000
		mi := m / 60_000_000
		m -= mi * 60_000_000
		s := m / 1_000_000
		frac := m % 1_000_000
		t := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, mi, s)
		if frac != 0 {
			t += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

var intervalPart = regexp.MustCompile(`(?i)^([+-]?\d+(?:\.\d+)?)\s*(microseconds?|us|milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|months?|mons?|years?|yrs?|y|decades?|centuries|century)$`)
var clockPart = regexp.MustCompile(`^([+-])?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$`)

// ParseInterval parses PostgreSQL interval input ("5 minutes", "1 day
// 02:00:00", "2 hours 30 mins", "-1 day", "1 mon", ISO 8601 durations
// with designators such as "P1Y2M3DT4H5M6S" or "PT1H30M"; "@ 1 hour ago"
// and ISO 8601's alternative format are not supported).
func ParseInterval(s string) (Interval, error) {
	if iv, ok := parseISOInterval(strings.TrimSpace(s)); ok {
		return iv, nil
	}
	var iv Interval
	fields := strings.Fields(strings.TrimSpace(s))
	if len(fields) == 0 {
		return iv, fmt.Errorf("invalid input syntax for type interval: %q", s)
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if m := clockPart.FindStringSubmatch(f); m != nil {
			h, _ := strconv.ParseInt(m[2], 10, 64)
			mi, _ := strconv.ParseInt(m[3], 10, 64)
			var sec float64
			if m[4] != "" {
				sec, _ = strconv.ParseFloat(m[4], 64)
			}
			us := h*3_600_000_000 + mi*60_000_000 + int64(sec*1e6+0.5)
			if m[1] == "-" {
				us = -us
			}
			iv.Micros += us
			continue
		}
		token := f
		if i+1 < len(fields) && intervalPart.MatchString(f+" "+fields[i+1]) {
			token = f + " " + fields[i+1]
			i++
		} else if i+1 < len(fields) && intervalPart.MatchString(f+fields[i+1]) {
			token = f + fields[i+1]
			i++
		}
		if token == f {
			// A number without a unit is seconds, as in PostgreSQL ('0',
			// '1 day 30').
			if n, err := strconv.ParseFloat(f, 64); err == nil && !math.IsInf(n, 0) && !math.IsNaN(n) {
				iv.Micros += int64(math.Round(n * 1e6))
				continue
			}
		}
		m := intervalPart.FindStringSubmatch(token)
		if m == nil {
			return Interval{}, fmt.Errorf("invalid input syntax for type interval: %q", s)
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		switch u := strings.ToLower(m[2]); {
		case strings.HasPrefix(u, "microsecond") || u == "us":
			iv.Micros += int64(n)
		case strings.HasPrefix(u, "millisecond") || u == "ms":
			iv.Micros += int64(n * 1e3)
		case strings.HasPrefix(u, "sec") || u == "s":
			iv.Micros += int64(n*1e6 + 0.5*sign(n))
		case strings.HasPrefix(u, "min") || u == "m":
			iv.Micros += int64(n * 60e6)
		case strings.HasPrefix(u, "h"):
			iv.Micros += int64(n * 3600e6)
		case strings.HasPrefix(u, "d") && !strings.HasPrefix(u, "dec"):
			iv.Days += int32(n)
			if frac := n - float64(int64(n)); frac != 0 {
				iv.Micros += int64(frac * 86400e6)
			}
		case strings.HasPrefix(u, "w"):
			iv.Days += int32(n * 7)
		case strings.HasPrefix(u, "mon"):
			iv.Months += int32(n)
		case strings.HasPrefix(u, "y"):
			iv.Months += int32(n * 12)
		case strings.HasPrefix(u, "dec"):
			iv.Months += int32(n * 120)
		case strings.HasPrefix(u, "cent"):
			iv.Months += int32(n * 1200)
		}
	}
	return iv, nil
}

var isoNum = `([+-]?\d+(?:\.\d+)?)`
var isoInterval = regexp.MustCompile(`^P(?:` + isoNum + `Y)?(?:` + isoNum + `M)?(?:` + isoNum + `W)?(?:` + isoNum + `D)?` +
	`(?:T(?:` + isoNum + `H)?(?:` + isoNum + `M)?(?:` + isoNum + `S)?)?$`)

// parseISOInterval parses an ISO 8601 duration with designators
// (PnYnMnWnDTnHnMnS, every field optional; "P" alone is invalid, "PT"
// is zero, as in PostgreSQL). As in
// PostgreSQL, a fraction of a year or month spills into months or days
// (a month being 30 days), and a fraction of a day into time.
func parseISOInterval(s string) (Interval, bool) {
	m := isoInterval.FindStringSubmatch(s)
	if m == nil || s == "P" {
		return Interval{}, false
	}
	var iv Interval
	var months, days, micros float64
	for i, f := range m[1:] {
		if f == "" {
			continue
		}
		n, _ := strconv.ParseFloat(f, 64)
		switch i {
		case 0:
			months += n * 12
		case 1:
			months += n
		case 2:
			days += n * 7
		case 3:
			days += n
		case 4:
			micros += n * 3600e6
		case 5:
			micros += n * 60e6
		case 6:
			micros += n * 1e6
		}
	}
	iv.Months = int32(months)
	days += (months - float64(iv.Months)) * 30
	iv.Days = int32(days)
	micros += (days - float64(iv.Days)) * 86400e6
	iv.Micros = int64(math.Round(micros))
	return iv, true
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// IntervalType is the engine type of interval values.
var IntervalType sql.Type = intervalType{}

type intervalType struct{}

func (intervalType) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// approx orders intervals like PostgreSQL: a month is 30 days.
func (iv Interval) approx() int64 {
	return (int64(iv.Months)*30+int64(iv.Days))*86_400_000_000 + iv.Micros
}

func (t intervalType) Compare(_ context.Context, a, b any) (int, error) {
	x, ok1 := a.(Interval)
	y, ok2 := b.(Interval)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("cannot compare %T with %T", a, b)
	}
	switch ax, ay := x.approx(), y.approx(); {
	case ax < ay:
		return -1, nil
	case ax > ay:
		return 1, nil
	}
	return 0, nil
}

func (t intervalType) Convert(_ context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case nil:
		return nil, sql.InRange, nil
	case Interval:
		return x, sql.InRange, nil
	case string:
		iv, err := ParseInterval(x)
		return iv, sql.InRange, err
	}
	return nil, sql.OutOfRange, fmt.Errorf("cannot convert %T to interval", v)
}

func (t intervalType) Equals(o sql.Type) bool                        { _, ok := o.(intervalType); return ok }
func (t intervalType) MaxTextResponseByteLength(*sql.Context) uint32 { return 64 }
func (t intervalType) Promote() sql.Type                             { return t }
func (t intervalType) SQL(_ *sql.Context, dest []byte, v any) (sqltypes.Value, error) {
	if v == nil {
		return sqltypes.NULL, nil
	}
	return sqltypes.MakeTrusted(sqltypes.Text, append(dest, fmt.Sprint(v)...)), nil
}
func (t intervalType) Type() query.Type        { return sqltypes.Text }
func (t intervalType) ValueType() reflect.Type { return reflect.TypeOf(Interval{}) }
func (t intervalType) Zero() any               { return Interval{} }
func (t intervalType) String() string          { return "interval" }
