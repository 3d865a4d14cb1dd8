package pgexpr

import (
	"testing"

	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// TestNumericPower checks power(numeric, numeric) against PostgreSQL 15's
// answers (taken from psql).
func TestNumericPower(t *testing.T) {
	for _, c := range []struct{ x, y, want string }{
		{"2.0", "0.5", "1.4142135623730950"},
		{"10.0", "20.5", "316227766016837933199.9"},
		{"0.5", "0.5", "0.7071067811865475"},
		{"2.5", "3", "15.6250000000000000"},
		{"1.5", "-2", "0.4444444444444444"},
		{"2.00", "10", "1024.0000000000000000"},
		{"3", "0.333", "1.4417215093019393"},
		{"1.0001", "10000.5", "2.7182818307240536"},
		{"0.001", "0.5", "0.03162277660168379"},
		{"123.456", "2.5", "169348.16848325965"},
		{"2", "-0.5", "0.7071067811865475"},
		{"7", "0", "1.0000000000000000"},
		{"0", "0.5", "0.0000000000000000"},
		{"0", "0", "1.0000000000000000"},
		{"-2", "3", "-8.0000000000000000"},
		{"-2", "-3", "-0.1250000000000000"},
		{"1.000000000000000000001", "2", "1.000000000000000000002"},
		{"0.9", "-100.25", "38653.464767630443"},
		{"99", "99.5", "3678763445874609025066665685420929075151112900949915002980472491060375931498996245413552206691121489423835923941950818600624694448284142458608624608377637260231644525754499051484130993965794263890471.7"},
	} {
		got, err := NumericPower(decimal.RequireFromString(c.x), decimal.RequireFromString(c.y))
		if err != nil {
			t.Errorf("%s ^ %s: %v", c.x, c.y, err)
			continue
		}
		if s := got.StringFixed(dscale(got)); s != c.want {
			t.Errorf("%s ^ %s = %s, want %s", c.x, c.y, s, c.want)
		}
	}
	for _, c := range []struct{ x, y, code string }{{"0", "-1", "2201F"}, {"-8", "0.5", "2201F"}, {"10", "200000", "22003"}} {
		_, err := NumericPower(decimal.RequireFromString(c.x), decimal.RequireFromString(c.y))
		if err == nil || pgerror.Code(err) != c.code {
			t.Errorf("%s ^ %s: err %v, want %s", c.x, c.y, err, c.code)
		}
	}
}
