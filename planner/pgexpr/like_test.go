package pgexpr

import (
	"errors"
	"testing"

	"openwit/internal/pgerror"
)

// TestMatchLike checks pg_like against answers PostgreSQL 15 gives
// (SELECT t LIKE p ESCAPE e), including the patterns that end in their
// escape character: no match, or 22025 when matching reaches that end.
func TestMatchLike(t *testing.T) {
	for _, tc := range []struct {
		text, pattern, escape string
		want                  bool
		fails                 bool
	}{
		{"abc", "abc", `\`, true, false},
		{"abc", "a%", `\`, true, false},
		{"abc", "_b_", `\`, true, false},
		{"abc", "%c", `\`, true, false},
		{"abc", "%d", `\`, false, false},
		{"Grüße", "Gr_ße", `\`, true, false},
		{"Grüße", "%ü%", `\`, true, false},
		{"a%c", `a\%c`, `\`, true, false},
		{"abc", `a\%c`, `\`, false, false},
		{"a#c", "a##c", "#", true, false},
		{`a\c`, `a\c`, "", true, false},
		{`a\c`, `a\\c`, `\`, true, false},
		{"abc", `abc\`, `\`, false, false},
		{"xbc", `abc\`, `\`, false, false},
		{"", `%\`, `\`, false, false},
		{"üb", `ü%\`, `\`, false, true},
		{"ab", `a_\`, `\`, false, false},
		{"abcd", `abc\`, `\`, false, true},
		{"abc", `%\`, `\`, false, true},
		{"abcabc", `%b%\`, `\`, false, true},
		{"abcabc", `a_c%\`, `\`, false, true},
		{"xbcabc", `a_c%\`, `\`, false, false},
		{"abcd", "abc#", "#", false, true},
	} {
		m, err := matchLike(tc.text, likeEscape(tc.pattern, tc.escape))
		var pe *pgerror.Error
		switch {
		case tc.fails:
			if !errors.As(err, &pe) || pe.Code != pgerror.InvalidEscapeSequence {
				t.Errorf("%q LIKE %q ESCAPE %q: got %v, %v; want 22025", tc.text, tc.pattern, tc.escape, m, err)
			}
		case err != nil || (m == likeTrue) != tc.want:
			t.Errorf("%q LIKE %q ESCAPE %q = %v, %v; want %v", tc.text, tc.pattern, tc.escape, m, err, tc.want)
		}
	}
}
