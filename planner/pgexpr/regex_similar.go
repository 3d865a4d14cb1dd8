package pgexpr

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"openwit/internal/pgerror"
)

// SIMILAR TO patterns become AREs the way PostgreSQL 15's
// similar_to_escape writes them, so they reach RE2 through the same
// translation as every other pattern (docs/design/058-pg-regex.md).

// similarParts rewrites a SQL SIMILAR pattern, with escape character esc
// ("" for none), into ARE text: one part, or the two or three parts the
// escape-double-quote separators mark (substring's "before", "match" and
// "after"). % is .*, _ is ., ( is a non-capturing group, . ^ $ \ are
// literal; an escaped character is written after a backslash (so \d keeps
// its ARE meaning, as in PostgreSQL); brackets pass through.
func similarParts(pattern, esc string) ([]string, error) {
	if utf8.RuneCountInString(esc) > 1 {
		return nil, &pgerror.Error{Code: pgerror.InvalidEscapeSequence, Message: "invalid escape string",
			Hint: "Escape string must be empty or one character."}
	}
	escR, hasEsc := rune(-1), esc != ""
	if hasEsc {
		escR, _ = utf8.DecodeRuneInString(esc)
	}
	var parts []string
	var b strings.Builder
	afterEsc, inClass := false, false
	for _, r := range pattern {
		switch {
		case afterEsc:
			afterEsc = false
			if r == '"' && !inClass {
				if len(parts) == 2 {
					return nil, pgerror.New("2200C", "SQL regular expression may not contain more than two escape-double-quote separators")
				}
				parts = append(parts, b.String())
				b.Reset()
				continue
			}
			b.WriteByte('\\')
			b.WriteRune(r)
		case hasEsc && r == escR:
			afterEsc = true
		case inClass:
			if r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			if r == ']' {
				inClass = false
			}
		case r == '[':
			b.WriteRune(r)
			inClass = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteByte('.')
		case r == '(':
			b.WriteString("(?:")
		case r == '\\' || r == '.' || r == '^' || r == '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	// A trailing escape character is dropped, as PostgreSQL does.
	return append(parts, b.String()), nil
}

// SimilarToARE is the ARE that PostgreSQL matches for `s SIMILAR TO
// pattern ESCAPE esc`: anchored at both ends, with a capturing group
// around the part between escape-double-quote separators.
func SimilarToARE(pattern, esc string) (string, error) {
	parts, err := similarParts(pattern, esc)
	if err != nil {
		return "", err
	}
	switch len(parts) {
	case 1:
		return "^(?:" + parts[0] + ")$", nil
	case 2:
		return "^(?:" + parts[0] + "){1,1}?(" + parts[1] + ")$", nil
	}
	return "^(?:" + parts[0] + "){1,1}?(" + parts[1] + "){1,1}(?:" + parts[2] + ")$", nil
}

// similarSubstring is substring(s SIMILAR pattern ESCAPE esc) (also
// written substring(s FROM pattern FOR esc)): the pattern must match all
// of s; with separators the part matching the middle is returned, the
// part before it matching as little as possible and the middle as much as
// possible (PostgreSQL's {1,1}? and {1,1} around them). Each part is
// translated like any ARE; the "before" part runs with every quantifier
// non-greedy, which is its shortest extent.
func similarSubstring(s, pattern, esc string) (any, error) {
	parts, err := similarParts(pattern, esc)
	if err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		re, err := compileARE("^(?:"+parts[0]+")$", areFlags{})
		if err != nil {
			return nil, err
		}
		m, err := re.find(s)
		if m == nil || err != nil {
			return nil, err
		}
		return s, nil
	}
	src := make([]string, 3)
	words := false
	for i, p := range parts {
		tr, err := translateARE(p, areFlags{})
		if err != nil {
			return nil, err
		}
		src[i], words = tr.src, words || tr.words
	}
	before, err := nonGreedyRE2(src[0])
	if err != nil {
		return nil, err
	}
	re, err := compileRE2(`\A(?:` + before + `)(` + src[1] + `)(?:` + src[2] + `)\z`)
	if err != nil {
		return nil, err
	}
	pr := &pgRegexp{re: re, words: words, ncap: 1}
	if pr.unicodeWords(s) {
		return nil, pgerror.New(pgerror.FeatureNotSupported, `regular expression word constraints (\m \M \y \Y) in a SIMILAR pattern on text with non-ASCII letters or digits are not supported`)
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil || m[2] < 0 {
		return nil, nil
	}
	return s[m[2]:m[3]], nil
}

// nonGreedyRE2 rewrites RE2 source with every quantifier non-greedy.
func nonGreedyRE2(src string) (string, error) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return "", pgerror.New("2201B", "invalid regular expression: regular expression is too complex")
	}
	var walk func(*syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		switch r.Op {
		case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
			r.Flags |= syntax.NonGreedy
		}
		for _, sub := range r.Sub {
			walk(sub)
		}
	}
	walk(re)
	return re.String(), nil
}
