package pgexpr

import (
	"errors"
	"testing"

	"openwit/internal/pgerror"
)

// TestSimilarToARE checks the ARE written for SQL SIMILAR patterns against
// PostgreSQL 15's similar_to_escape(pattern, escape).
func TestSimilarToARE(t *testing.T) {
	for _, c := range []struct{ pattern, esc, want string }{
		{`a(b)%_.^$\[\d]x`, `\`, `^(?:a(?:b).*.\.\^\$\[\d]x)$`},
		{`a#"b#"c`, `#`, `^(?:a){1,1}?(b){1,1}(?:c)$`},
		{`a#"b`, `#`, `^(?:a){1,1}?(b)$`},
		{`ab`, ``, `^(?:ab)$`},
		{`a[%_]b|c*`, `\`, `^(?:a[%_]b|c*)$`},
		{`a[^#]]b`, `#`, `^(?:a[^\]]b)$`},
		{`100!%`, `!`, `^(?:100\%)$`},
		{`a\b`, `#`, `^(?:a\\b)$`},
		{`é_%`, `\`, `^(?:é..*)$`},
		{`a#`, `#`, `^(?:a)$`},
	} {
		got, err := SimilarToARE(c.pattern, c.esc)
		if err != nil || got != c.want {
			t.Errorf("SimilarToARE(%q, %q) = %q, %v; want %q", c.pattern, c.esc, got, err, c.want)
		}
	}
	for _, c := range []struct{ pattern, esc, code string }{
		{`a#"b#"c#"d`, `#`, "2200C"},
		{`a`, `xy`, pgerror.InvalidEscapeSequence},
	} {
		_, err := SimilarToARE(c.pattern, c.esc)
		var pe *pgerror.Error
		if !errors.As(err, &pe) || pe.Code != c.code {
			t.Errorf("SimilarToARE(%q, %q): %v; want SQLSTATE %s", c.pattern, c.esc, err, c.code)
		}
	}
}
