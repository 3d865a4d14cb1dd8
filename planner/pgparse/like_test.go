package pgparse

import "testing"

func TestCanonicalLike(t *testing.T) {
	for _, tc := range []struct {
		pattern, escape, want string
		ok                    bool
	}{
		{`100\% done\_ok`, `\`, `100\% done\_ok`, true},
		{`a\b`, `\`, `ab`, true},
		{`a\\b`, `\`, `a\\b`, true},
		{`100#% done#_ok`, `#`, `100\% done\_ok`, true},
		{`a##b`, `#`, `a#b`, true},
		{`a\b#%`, `#`, `a\\b\%`, true},
		{`a\%_`, ``, `a\\%_`, true},
		{`ab%`, `%`, ``, false},
		{`a%%b`, `%`, `a\%b`, true},
		{`é#_ü`, `#`, `é\_ü`, true},
		{`done\`, `\`, ``, false},
		{`done#`, `#`, ``, false},
	} {
		got, ok := canonicalLike(tc.pattern, tc.escape)
		if got != tc.want || ok != tc.ok {
			t.Errorf("canonicalLike(%q, %q) = %q, %v; want %q, %v", tc.pattern, tc.escape, got, ok, tc.want, tc.ok)
		}
	}
}
