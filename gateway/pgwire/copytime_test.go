package pgwire

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// checkTimestampFast fails when parseTimestampFast accepts s and
// parseTimestamp does not, or reads another instant.
func checkTimestampFast(t *testing.T, s string, oid uint32, loc *time.Location) bool {
	t.Helper()
	us, ok := parseTimestampFast([]byte(s), oid, loc)
	if !ok {
		return false
	}
	want, err := parseTimestamp(s, oid, loc)
	if err != nil {
		t.Fatalf("%q (oid %d): fast path accepts %d, parseTimestamp: %v", s, oid, us, err)
	}
	if want.UnixMicro() != us {
		t.Fatalf("%q (oid %d): fast path %s, parseTimestamp %s", s, oid, time.UnixMicro(us).UTC(), want)
	}
	return true
}

// TestParseTimestampFast: the fast path takes the usual shapes and agrees
// with parseTimestamp on every input it takes, on both timestamp types
// and in a session zone other than UTC.
func TestParseTimestampFast(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	accepted := []string{"2024-01-01 00:00:00", "2024-02-29 23:59:59.999999Z", "1999-12-31T12:34:56.5+05:30",
		"0001-01-01 00:00:00", "9999-12-31 23:59:59.123-0830", "2000-03-01 00:00:00.01-15", "1970-01-01 00:00:00z",
		"1900-02-28 01:02:03+00"}
	for _, s := range accepted {
		if !checkTimestampFast(t, s, pgtype.TimestamptzOID, time.UTC) || !checkTimestampFast(t, s, pgtype.TimestampOID, berlin) {
			t.Errorf("%q: fast path refused", s)
		}
	}
	refused := []string{"2024-01-01 00:00:00 +01", "2023-02-29 00:00:00", "2024-01-01 24:00:00", "2024-01-01 00:00:60",
		"2024-01-01 00:00:00.1234567", "2024-01-01 00:00:00.", "0000-01-01 00:00:00", "2024-01-01 00:00:00+16",
		"2024-01-01 00:00:00+05:60", "2024-01-01 00:00:00 UTC", "2024-01-01 00:00", " 2024-01-01 00:00:00",
		"2024-1-01 00:00:00", "2024-01-01 00:00:00+5", "2024-01-01 00:00:00 BC", "2024-13-01 00:00:00",
		"2024-01-01 00:00:00+05:30:00", "2024-01-01 0a:00:00"}
	for _, s := range refused {
		if _, ok := parseTimestampFast([]byte(s), pgtype.TimestamptzOID, time.UTC); ok {
			t.Errorf("%q: fast path accepted it", s)
		}
	}
	if _, ok := parseTimestampFast([]byte("2024-01-01 00:00:00"), pgtype.TimestamptzOID, berlin); ok {
		t.Error("timestamptz without a zone in a non-UTC session: fast path accepted it")
	}
	// Every day of four centuries around the leap-year rules, at shifting
	// times and zones.
	zones := []string{"", "Z", "+01", "-0930", "+14:45"}
	d := time.Date(1896, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; d.Year() < 2104; i++ {
		s := fmt.Sprintf("%s %02d:%02d:%02d.%0*d%s", d.Format("2006-01-02"), i%24, i*7%60, i*13%60, 1+i%6, i%1000, zones[i%len(zones)])
		for _, oid := range []uint32{pgtype.TimestamptzOID, pgtype.TimestampOID} {
			if !checkTimestampFast(t, s, oid, time.UTC) {
				t.Fatalf("%q: fast path refused", s)
			}
		}
		d = d.AddDate(0, 0, 1)
	}
}

// FuzzParseTimestampFast: whatever the fast path accepts, parseTimestamp
// accepts as the same instant.
func FuzzParseTimestampFast(f *testing.F) {
	for _, s := range []string{"2024-01-01 00:00:00", "2024-02-29 23:59:59.999999Z", "1999-12-31T12:34:56.5+05:30", "9999-12-31 23:59:59.123-0830"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, tz bool) {
		oid := uint32(pgtype.TimestampOID)
		if tz {
			oid = pgtype.TimestamptzOID
		}
		checkTimestampFast(t, s, oid, time.UTC)
	})
}
