package pgexpr

import (
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
)

// likeFuncs holds pg_like(s, pattern, escape, not): s [NOT] LIKE pattern
// ESCAPE escape matched as PostgreSQL's MatchText does, for the patterns
// go-mysql-server's LIKE cannot take: those that are not constants, and
// constants ending in their escape character (which match nothing,
// failing with 22025 when matching reaches that end).
var likeFuncs = map[string]funcDef{
	"pg_like": {args: []argKind{kText, kText, kText, kInt}, result: boolResult, eval: func(a []any, _ []sql.Type) (any, error) {
		m, err := matchLike(a[0].(string), likeEscape(a[1].(string), a[2].(string)))
		if err != nil {
			return nil, err
		}
		not, _ := asInt64(a[3])
		return boolInt((m == likeTrue) != (not != 0)), nil
	}},
}

// MatchText's answers: likeAbort is no match, and none possible at a
// later start in the text either.
const (
	likeFalse = iota
	likeTrue
	likeAbort
)

func errLikeEndsInEscape() error {
	return pgerror.New(pgerror.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
}

// likeEscape rewrites pattern to use a backslash as its escape character
// (PostgreSQL's like_escape); with no escape character ("") every
// backslash is literal.
func likeEscape(pattern, esc string) string {
	if esc == `\` {
		return pattern
	}
	var b strings.Builder
	e, _ := utf8.DecodeRuneInString(esc)
	after := false
	for _, r := range pattern {
		switch {
		case esc != "" && r == e && !after:
			b.WriteByte('\\')
			after = true
		case r == '\\':
			b.WriteByte('\\')
			if !after {
				b.WriteByte('\\')
			}
			after = false
		default:
			b.WriteRune(r)
			after = false
		}
	}
	return b.String()
}

// matchLike is PostgreSQL's MatchText over UTF-8 text t and a LIKE
// pattern p with backslash escapes.
func matchLike(t, p string) (int, error) {
	if p == "%" {
		return likeTrue, nil
	}
	for len(t) > 0 && len(p) > 0 {
		switch p[0] {
		case '\\':
			p = p[1:]
			if p == "" {
				return 0, errLikeEndsInEscape()
			}
			if p[0] != t[0] {
				return likeFalse, nil
			}
		case '%':
			// Skip wildcards after the %: _ each take a character;
			// then try each start of the rest whose first byte fits.
			p = p[1:]
			for len(p) > 0 && (p[0] == '%' || p[0] == '_') {
				if p[0] == '_' {
					if t == "" {
						return likeAbort, nil
					}
					_, n := utf8.DecodeRuneInString(t)
					t = t[n:]
				}
				p = p[1:]
			}
			if p == "" {
				return likeTrue, nil
			}
			first := p[0]
			if first == '\\' {
				if len(p) < 2 {
					return 0, errLikeEndsInEscape()
				}
				first = p[1]
			}
			for len(t) > 0 {
				if t[0] == first {
					m, err := matchLike(t, p)
					if err != nil || m != likeFalse {
						return m, err
					}
				}
				_, n := utf8.DecodeRuneInString(t)
				t = t[n:]
			}
			return likeAbort, nil
		case '_':
			_, n := utf8.DecodeRuneInString(t)
			t, p = t[n:], p[1:]
			continue
		default:
			if p[0] != t[0] {
				return likeFalse, nil
			}
		}
		t, p = t[1:], p[1:]
	}
	if len(t) > 0 {
		return likeFalse, nil
	}
	if p = strings.TrimLeft(p, "%"); p == "" {
		return likeTrue, nil
	}
	return likeAbort, nil
}
