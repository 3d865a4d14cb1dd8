package pgexpr

import (
	"testing"
	"time"

	"openwit/internal/pgerror"
)

// TestParseDateTimeInput checks timestamp input forms and error codes
// against PostgreSQL 15's answers (DateStyle ISO, MDY; taken from psql).
func TestParseDateTimeInput(t *testing.T) {
	now := time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want, code string }{
		{"20240229", "2024-02-29 00:00:00", ""},
		{"Feb 29, 2024", "2024-02-29 00:00:00", ""},
		{"29-Feb-2024", "2024-02-29 00:00:00", ""},
		{"2024.02.29", "2024-02-29 00:00:00", ""},
		{"12/31/99", "1999-12-31 00:00:00", ""},
		{"20240229T134500", "2024-02-29 13:45:00", ""},
		{"Feb 29 2024 1:45pm", "2024-02-29 13:45:00", ""},
		{"2024-02-29 24:00:00", "2024-03-01 00:00:00", ""},
		{"2024-02-29T13:45:00.123456789Z", "2024-02-29 13:45:00.123457", ""},
		{"tomorrow 13:00", "2026-11-27 13:00:00", ""},
		{"2024-02-30", "", pgerror.DatetimeOverflow},
		{"13/13/2024", "", pgerror.DatetimeOverflow},
		{"2024-02-29 13:60:00", "", pgerror.DatetimeOverflow},
		{"foo", "", pgerror.InvalidDatetimeFormat},
		{"Feb 29", "", pgerror.InvalidDatetimeFormat},
		{"+infinity", "", pgerror.InvalidDatetimeFormat},
		{"2024-02-29 13:45 +25", "", InvalidTimeZoneDisplacement},
	} {
		got, _, err := ParseDateTimeInput(c.in, "timestamp", time.UTC, now)
		if c.code != "" {
			if pgerror.Code(err) != c.code {
				t.Errorf("%q: err %v, want SQLSTATE %s", c.in, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if s := got.Format("2006-01-02 15:04:05.999999"); s != c.want {
			t.Errorf("%q = %s, want %s", c.in, s, c.want)
		}
	}
	for in, want := range map[string]dtSpecial{"infinity": dtInfinity, " -INFINITY ": dtNegInfinity, "epoch": dtFinite} {
		if _, sp, err := ParseDateTimeInput(in, "date", time.UTC, now); err != nil || sp != want {
			t.Errorf("%q: special %v err %v, want %v", in, sp, err, want)
		}
	}
}

// TestParseTimeInput checks time input against PostgreSQL 15's answers.
func TestParseTimeInput(t *testing.T) {
	for _, c := range []struct{ in, want, code string }{
		{"13:45", "13:45:00", ""},
		{"1:45 pm", "13:45:00", ""},
		{"134500", "13:45:00", ""},
		{"24:00", "24:00:00", ""},
		{"13:45:00.1234567", "13:45:00.123457", ""},
		{"2024-02-29 13:45:00+05", "13:45:00", ""},
		{"25:00", "", pgerror.DatetimeOverflow},
		{"24:00:00.1", "", pgerror.DatetimeOverflow},
		{"epoch", "", pgerror.InvalidDatetimeFormat},
		{"-1:00", "", pgerror.InvalidDatetimeFormat},
	} {
		got, err := ParseTimeInput(c.in, time.UTC, time.Now())
		if c.code != "" {
			if pgerror.Code(err) != c.code {
				t.Errorf("%q: err %v, want SQLSTATE %s", c.in, err, c.code)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("%q = %v (%v), want %s", c.in, got, err, c.want)
		}
	}
}
