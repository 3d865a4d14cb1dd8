package pgwire

import "testing"

// The expected texts are PostgreSQL 15's output for the same intervals.
func TestAppendIntervalStyle(t *testing.T) {
	type iv struct {
		months, days int32
		micros       int64
	}
	cases := []struct {
		in                       iv
		iso, sqlStd, verbose, pg string
	}{
		{iv{0, 1, 90180e6}, "P1DT25H3M", "1 25:03:00", "@ 1 day 25 hours 3 mins", "1 day 25:03:00"},
		{iv{0, 0, 0}, "PT0S", "0", "@ 0", "00:00:00"},
		{iv{0, -1, 7200e6}, "P-1DT2H", "+0-0 -1 +2:00:00", "@ 1 day -2 hours ago", "-1 days +02:00:00"},
		{iv{14, 0, 0}, "P1Y2M", "1-2", "@ 1 year 2 mons", "1 year 2 mons"},
		{iv{0, -3, -14706250000}, "P-3DT-4H-5M-6.25S", "-3 4:05:06.25", "@ 3 days 4 hours 5 mins 6.25 secs ago", "-3 days -04:05:06.25"},
		{iv{0, 0, -1500000}, "PT-1.5S", "-0:00:01.5", "@ 1.5 secs ago", "-00:00:01.5"},
		{iv{0, 0, 1e6}, "PT1S", "0:00:01", "@ 1 sec", "00:00:01"},
		{iv{-14, 0, 0}, "P-1Y-2M", "-1-2", "@ 1 year 2 mons ago", "-1 years -2 mons"},
		{iv{1, 0, -1e6}, "P1MT-1S", "+0-1 +0 -0:00:01", "@ 1 mon -1 sec", "1 mon -00:00:01"},
		{iv{0, 3, 0}, "P3D", "3 0:00:00", "@ 3 days", "3 days"},
	}
	for _, c := range cases {
		for style, want := range map[string]string{intervalISO8601: c.iso, intervalSQLStandard: c.sqlStd, intervalPostgresVerbose: c.verbose, intervalPostgres: c.pg} {
			if got := string(appendIntervalStyle(nil, c.in.months, c.in.days, c.in.micros, style)); got != want {
				t.Errorf("%+v in %s = %q, want %q", c.in, style, got, want)
			}
		}
	}
}
