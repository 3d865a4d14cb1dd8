package pgexpr

import (
	"regexp"
	"testing"
)

// BenchmarkRegexMatch compares a translated ARE with the same pattern
// handed to RE2 as is (what OpenWit did before design record 058), on a
// log line: plain match (~), a greedy regexp_match, and a non-greedy one
// (shortest match, found by shortestProg).
func BenchmarkRegexMatch(b *testing.B) {
	line := `2026-11-27T04:20:00Z GET /api/v1/users/12345/orders?limit=50 200 1532ms user-agent="curl/8.5"`
	for _, c := range []struct{ name, pattern string }{
		{"match", `/api/v\d+/users/\d+`},
		{"greedy-groups", `(GET|POST) (\S+) (\d{3})`},
		{"nongreedy-groups", `"(.*?)"`},
		{"word-boundary", `\yorders\y`},
	} {
		b.Run(c.name+"/re2-as-is", func(b *testing.B) {
			src := c.pattern
			if c.name == "word-boundary" {
				src = `\borders\b`
			}
			re := regexp.MustCompile(src)
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if re.FindStringSubmatchIndex(line) == nil {
					b.Fatal("no match")
				}
			}
		})
		b.Run(c.name+"/are", func(b *testing.B) {
			re, err := compileARE(c.pattern, areFlags{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if m, err := re.find(line); m == nil || err != nil {
					b.Fatal("no match", err)
				}
			}
		})
	}
}
