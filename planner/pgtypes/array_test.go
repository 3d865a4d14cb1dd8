package pgtypes

import (
	"math/rand/v2"
	"testing"
)

func TestParseArray(t *testing.T) {
	str := func(s string) *string { return &s }
	show := func(es []*string) []string {
		var out []string
		for _, e := range es {
			if e == nil {
				out = append(out, "<NULL>")
			} else {
				out = append(out, "["+*e+"]")
			}
		}
		return out
	}
	for in, want := range map[string][]*string{
		"{}":                       {},
		"{1,2,3}":                  {str("1"), str("2"), str("3")},
		" { a , b c ,NULL, null }": {str("a"), str("b c"), nil, nil},
		`{"NULL","a,b","q\"x",""}`: {str("NULL"), str("a,b"), str(`q"x`), str("")},
		`{a\,b}`:                   {str("a,b")},
	} {
		got, ok := ParseArray(in)
		if !ok || len(got) != len(want) {
			t.Errorf("ParseArray(%q) = %v, %v; want %v", in, show(got), ok, show(want))
			continue
		}
		if a, b := show(got), show(want); len(a) > 0 && a[0] != b[0] || len(a) != len(b) {
			t.Errorf("ParseArray(%q) = %v, want %v", in, a, b)
		}
		for i := range got {
			if show(got)[i] != show(want)[i] {
				t.Errorf("ParseArray(%q)[%d] = %v, want %v", in, i, show(got)[i], show(want)[i])
			}
		}
	}
	for _, bad := range []string{"", "1,2", "{1,2", "{{1},{2}}", "{1,}", `{"a}`, `{a"b}`, "{,}"} {
		if got, ok := ParseArray(bad); ok {
			t.Errorf("ParseArray(%q) = %v, want an error", bad, show(got))
		}
	}
}

// FormatArray's output parses back to the same elements, whatever bytes
// they hold.
func TestFormatArrayRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`ab ,{}"\NUL` + "\t")
	for range 2000 {
		var es []*string
		for range r.IntN(5) {
			if r.IntN(5) == 0 {
				es = append(es, nil)
				continue
			}
			b := make([]byte, r.IntN(6))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			s := string(b)
			es = append(es, &s)
		}
		lit := FormatArray(es)
		got, ok := ParseArray(lit)
		if !ok || len(got) != len(es) {
			t.Fatalf("%q: parsed %d elements (%v), want %d", lit, len(got), ok, len(es))
		}
		for i := range es {
			if (es[i] == nil) != (got[i] == nil) || es[i] != nil && *es[i] != *got[i] {
				t.Fatalf("%q: element %d differs", lit, i)
			}
		}
	}
}
