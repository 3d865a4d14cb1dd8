package exec

import (
	"testing"
	"time"
)

// TestZoneKeyDays: the week key is the local date's Monday, isodow and
// dow agree with the calendar, and month, quarter and year keys change
// exactly where the calendar does, on days before and after 1970.
func TestZoneKeyDays(t *testing.T) {
	week := &zoneKey{trunc: "week"}
	month := &zoneKey{trunc: "month"}
	quarter := &zoneKey{trunc: "quarter"}
	year := &zoneKey{trunc: "year"}
	dow := &zoneKey{part: "dow"}
	isodow := &zoneKey{part: "isodow"}
	for day := int64(-800); day <= 800; day++ {
		d := time.Unix(day*86_400, 0).UTC()
		wd := int64(d.Weekday())
		if got := dow.dayKey(day); got != wd {
			t.Fatalf("%s: dow %d, want %d", d, got, wd)
		}
		iso := (wd+6)%7 + 1
		if got := isodow.dayKey(day); got != iso {
			t.Fatalf("%s: isodow %d, want %d", d, got, iso)
		}
		if got := week.dayKey(day); got != day-(iso-1) {
			t.Fatalf("%s: week %d, want %d", d, got, day-(iso-1))
		}
		prev := time.Unix((day-1)*86_400, 0).UTC()
		newMonth := prev.Month() != d.Month()
		newQuarter := newMonth && (d.Month()-1)%3 == 0
		newYear := prev.Year() != d.Year()
		for _, c := range []struct {
			k    *zoneKey
			name string
			want bool
		}{{month, "month", newMonth}, {quarter, "quarter", newQuarter}, {year, "year", newYear}} {
			if changed := c.k.dayKey(day) != c.k.dayKey(day-1); changed != c.want {
				t.Fatalf("%s: %s key changed %v, want %v", d, c.name, changed, c.want)
			}
		}
	}
}
