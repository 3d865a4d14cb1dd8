package bench

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TimeFormat is the canonical form of timestamps in results: UTC with
// microseconds.
const TimeFormat = "2006-01-02 15:04:05.000000Z"

// FormatValue returns the canonical string of a result value as pgx
// decodes it; nil for SQL NULL. openwit-duckdb formats DuckDB's values the
// same way (see doc.go).
func FormatValue(v any) *string {
	s, ok := formatValue(v)
	if !ok {
		return nil
	}
	return &s
}

func formatValue(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case []byte:
		return string(v), true
	case time.Time:
		return v.UTC().Truncate(time.Microsecond).Format(TimeFormat), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case int16:
		return strconv.FormatInt(int64(v), 10), true
	case int8:
		return strconv.FormatInt(int64(v), 10), true
	case int:
		return strconv.Itoa(v), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case uint32:
		return strconv.FormatUint(uint64(v), 10), true
	case bool:
		return strconv.FormatBool(v), true
	case pgtype.Numeric:
		if !v.Valid {
			return "", false
		}
		dv, err := v.Value()
		if err != nil {
			return fmt.Sprint(v), true
		}
		return fmt.Sprint(dv), true
	case driver.Valuer:
		dv, err := v.Value()
		if err != nil || dv == nil {
			return "", err != nil
		}
		return formatValue(dv)
	}
	return fmt.Sprint(v), true
}

// timeLayouts are the timestamp spellings normalize recognizes (the
// canonical one first, then PostgreSQL's text output).
var timeLayouts = []string{TimeFormat, "2006-01-02 15:04:05.999999Z07:00", "2006-01-02 15:04:05.999999Z07", time.RFC3339Nano}

// Normalize returns the form in which cells are compared: floats rounded to
// 6 significant digits, timestamps in UTC with microseconds, everything
// else unchanged.
func Normalize(s *string) string {
	if s == nil {
		return "NULL"
	}
	v := *s
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return v
	}
	if f, ok := parseFloat(v); ok {
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	if t, ok := parseTime(v); ok {
		return t.Format(TimeFormat)
	}
	return v
}

func parseFloat(s string) (float64, bool) {
	if s == "" || !strings.ContainsAny(s, "0123456789") && s != "NaN" && !strings.HasSuffix(s, "Inf") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func parseTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Microsecond), true
		}
	}
	return time.Time{}, false
}

// cellsEqual reports whether two result cells agree: equal after
// Normalize, or numbers within a relative 1e-6 when either is not an
// integer (guards against a rounding boundary between 6-digit forms).
func cellsEqual(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if Normalize(a) == Normalize(b) {
		return true
	}
	_, errA := strconv.ParseInt(*a, 10, 64)
	_, errB := strconv.ParseInt(*b, 10, 64)
	if errA == nil && errB == nil {
		return false
	}
	fa, okA := parseFloat(*a)
	fb, okB := parseFloat(*b)
	if !okA || !okB {
		return false
	}
	return math.Abs(fa-fb) <= 1e-6*math.Max(math.Abs(fa), math.Abs(fb))
}

// compareRows returns "" when got agrees with want, else a description
// of the first difference.
func compareRows(q Query, want, got [][]*string, wantName, gotName string) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%s returned %d rows, %s %d", gotName, len(got), wantName, len(want))
	}
	if q.RowCountOnly {
		return ""
	}
	for i := range want {
		if len(want[i]) != len(got[i]) {
			return fmt.Sprintf("row %d: %s has %d columns, %s %d", i+1, gotName, len(got[i]), wantName, len(want[i]))
		}
		for j := range want[i] {
			if !cellsEqual(want[i][j], got[i][j]) {
				return fmt.Sprintf("row %d column %d: %s %s, %s %s (rows: %s %s, %s %s)", i+1, j+1,
					gotName, Normalize(got[i][j]), wantName, Normalize(want[i][j]),
					gotName, rowString(got[i]), wantName, rowString(want[i]))
			}
		}
	}
	return ""
}

func rowString(r []*string) string {
	parts := make([]string, len(r))
	for i, c := range r {
		parts[i] = Normalize(c)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
