package pgexpr

import (
	"regexp"
	"sync"
	"unicode/utf8"

	"openwit/internal/pgerror"
)

// pgRegexp is a PostgreSQL regular expression compiled for RE2: every
// pattern OpenWit matches (~ and its kin, the regexp_* functions,
// substring FROM, SIMILAR TO) is one of these, made by compileARE.
//
// PostgreSQL matches the whole RE greedily (leftmost-longest) unless its
// first quantifier is non-greedy, and then it finds the shortest match.
// The first kind runs in RE2's leftmost-longest mode; the second finds
// the leftmost start with RE2 and the shortest end, with the submatches,
// with shortestProg from there. RE2's \b knows only ASCII word
// characters: a pattern with word constraints runs on shortestProg alone
// (with PostgreSQL's word characters) when the text has other ones.
type pgRegexp struct {
	re, after *regexp.Regexp // the pattern; with one character before it
	nfa       *shortestProg  // the pattern as written: shortest matches, Unicode words
	short     bool           // the whole RE is non-greedy
	words     bool           // uses \b or \B
	ncap      int
}

// regexCacheSize bounds the compiled patterns kept; the cache is emptied
// when it is full (patterns are usually constants: a few per query).
const regexCacheSize = 512

type regexKey struct {
	pattern string
	flags   areFlags
}

var regexCache = struct {
	sync.Mutex
	m map[regexKey]*pgRegexp
}{m: map[regexKey]*pgRegexp{}}

// compileARE compiles a PostgreSQL ARE under flags f, from the cache when
// it was compiled before.
func compileARE(pattern string, f areFlags) (*pgRegexp, error) {
	key := regexKey{pattern, f}
	regexCache.Lock()
	re, ok := regexCache.m[key]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	tr, err := translateARE(pattern, f)
	if err != nil {
		return nil, err
	}
	re = &pgRegexp{words: tr.words, ncap: tr.ncap, short: tr.greedy < 0}
	src := tr.src
	if re.short || re.words {
		if re.nfa, err = newShortestProg(tr.src); err != nil {
			return nil, pgerror.New("2201B", "invalid regular expression: regular expression is too complex")
		}
	}
	if re.re, err = compileRE2(src); err != nil {
		return nil, err
	}
	if re.after, err = compileRE2(`(?s:.)(?:` + src + `)`); err != nil {
		return nil, err
	}
	if !re.short {
		re.re.Longest()
		re.after.Longest()
	}
	regexCache.Lock()
	if len(regexCache.m) >= regexCacheSize {
		regexCache.m = map[regexKey]*pgRegexp{}
	}
	regexCache.m[key] = re
	regexCache.Unlock()
	return re, nil
}

// compileRE2 compiles a translated pattern; RE2's own limits (a repetition
// count over 1000 in nested quantifiers, a too large program) come back as
// PostgreSQL's "too complex".
func compileRE2(src string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, pgerror.New("2201B", "invalid regular expression: regular expression is too complex")
	}
	return re, nil
}

// NumSubexp is the number of parenthesized subexpressions.
func (r *pgRegexp) NumSubexp() int { return r.ncap }

// unicodeWords reports whether s has a word character RE2's \b does not
// know (a non-ASCII letter or digit), so RE2 would misjudge the word
// constraints of r on it.
func (r *pgRegexp) unicodeWords(s string) bool {
	if !r.words {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < utf8.RuneSelf {
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(c) {
			return true
		}
		i += size - 1
	}
	return false
}

// match reports whether the pattern matches somewhere in s.
func (r *pgRegexp) match(s string) (bool, error) {
	if r.unicodeWords(s) {
		return r.nfa.search(s, 0, false) != nil, nil
	}
	return r.re.MatchString(s), nil
}

// find is the first match in s (findAt(s, 0)).
func (r *pgRegexp) find(s string) ([]int, error) {
	return r.findAt(s, 0, r.unicodeWords(s)), nil
}

// findAt returns the submatch index slice of the first match starting at
// byte offset pos or later, seeing the whole of s (so ^ and \y look at
// the text before pos), or nil; uni is r.unicodeWords(s).
func (r *pgRegexp) findAt(s string, pos int, uni bool) []int {
	if uni {
		return r.nfa.search(s, pos, !r.short)
	}
	// A shortest match needs only its start from RE2.
	find := (*regexp.Regexp).FindStringSubmatchIndex
	if r.short {
		find = (*regexp.Regexp).FindStringIndex
	}
	var m []int
	if pos == 0 {
		m = find(r.re, s)
	} else {
		_, size := utf8.DecodeLastRuneInString(s[:pos])
		from := pos - size
		m = find(r.after, s[from:])
		if m != nil {
			for j := range m {
				if m[j] >= 0 {
					m[j] += from
				}
			}
			_, first := utf8.DecodeRuneInString(s[m[0]:])
			m[0] += first
		}
	}
	if m == nil || !r.short {
		return m
	}
	if sub := r.nfa.match(s, m[0]); sub != nil {
		return sub
	}
	return m
}

// findAll returns up to max matches (all when max < 0) from byte offset
// pos on, the way PostgreSQL's regexp functions iterate: each search
// resumes where the last match ended, one character further after an
// empty match.
func (r *pgRegexp) findAll(s string, pos, max int) ([][]int, error) {
	uni := r.unicodeWords(s)
	var out [][]int
	for (max < 0 || len(out) < max) && pos <= len(s) {
		m := r.findAt(s, pos, uni)
		if m == nil {
			break
		}
		out = append(out, m)
		if m[0] == m[1] {
			if m[1] >= len(s) {
				break
			}
			_, size := utf8.DecodeRuneInString(s[m[1]:])
			pos = m[1] + size
		} else {
			pos = m[1]
		}
	}
	return out, nil
}

// expand appends template (Go's $ syntax) with the groups of match m.
func (r *pgRegexp) expand(dst []byte, template, s string, m []int) []byte {
	return r.re.ExpandString(dst, template, s, m)
}
