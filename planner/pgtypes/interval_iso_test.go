package pgtypes

import "testing"

func TestParseISOInterval(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"PT1H30M", "01:30:00"},
		{"P1Y2M3DT4H5M6S", "1 year 2 mons 3 days 04:05:06"},
		{"P2W", "14 days"},
		{"P1.5D", "1 day 12:00:00"},
		{"P0.5Y", "6 mons"},
		{"PT-1.5S", "-00:00:01.5"},
		{"PT0S", "00:00:00"},
		{"PT", "00:00:00"},
		{"P1DT", "1 day"},
	} {
		iv, err := ParseInterval(tc.in)
		if err != nil || iv.String() != tc.want {
			t.Errorf("ParseInterval(%q) = %q, %v; want %q", tc.in, iv.String(), err, tc.want)
		}
	}
	for _, in := range []string{"P", "P1H", "PT1D", "p1d"} {
		if iv, err := ParseInterval(in); err == nil {
			t.Errorf("ParseInterval(%q) = %q, want an error", in, iv.String())
		}
	}
}
