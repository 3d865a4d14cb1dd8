package pgexpr

import (
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
)

// regexpFuncs are PostgreSQL 15's regexp_like, regexp_count, regexp_instr
// and regexp_substr. go-mysql-server has MySQL functions of three of these
// names (ICU regular expressions, other argument rules); these take their
// place, so every regular expression OpenWit runs is compiled by
// compileARE (docs/design/057, 058).
var regexpFuncs = map[string]funcDef{
	// regexp_like(string, pattern [, flags])
	"regexp_like": {args: []argKind{kText, kText, kText}, opt: 1, result: boolResult, eval: func(a []any, _ []sql.Type) (any, error) {
		re, err := regexpArgs("regexp_like", a[1].(string), optText(a, 2))
		if err != nil {
			return nil, err
		}
		ok, err := re.match(a[0].(string))
		if err != nil {
			return nil, err
		}
		return boolInt(ok), nil
	}},
	// regexp_count(string, pattern [, start [, flags]])
	"regexp_count": {args: []argKind{kText, kText, kInt, kText}, opt: 2, result: int32Result, eval: func(a []any, _ []sql.Type) (any, error) {
		re, err := regexpArgs("regexp_count", a[1].(string), optText(a, 3))
		if err != nil {
			return nil, err
		}
		ms, err := regexpMatches(re, a, 2, -1)
		if err != nil {
			return nil, err
		}
		return int32(len(ms)), nil
	}},
	// regexp_instr(string, pattern [, start [, N [, endoption [, flags [, subexpr]]]]])
	"regexp_instr": {args: []argKind{kText, kText, kInt, kInt, kInt, kText, kInt}, opt: 5, result: int32Result, eval: func(a []any, _ []sql.Type) (any, error) {
		end, err := regexpIntArg(a, 4, 0, "endoption", 0)
		if err != nil {
			return nil, err
		}
		if end > 1 {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid value for parameter \"endoption\": %d", end)
		}
		lo, hi, ok, err := regexpFind("regexp_instr", a, 5, 6)
		if err != nil {
			return nil, err
		}
		if !ok {
			return int32(0), nil
		}
		pos := lo
		if end == 1 {
			pos = hi
		}
		return int32(utf8.RuneCountInString(a[0].(string)[:pos]) + 1), nil
	}},
	// regexp_substr(string, pattern [, start [, N [, flags [, subexpr]]]])
	"regexp_substr": {args: []argKind{kText, kText, kInt, kInt, kText, kInt}, opt: 4, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		lo, hi, ok, err := regexpFind("regexp_substr", a, 4, 5)
		if err != nil || !ok {
			return nil, err
		}
		return a[0].(string)[lo:hi], nil
	}},
}

// regexpFind returns the byte range of what fn(string, pattern [, start [,
// N ...]]) finds: the N-th match from start (arguments 2 and 3), or its
// subexpression in argument subArg, with the flags in argument flagsArg.
func regexpFind(fn string, a []any, flagsArg, subArg int) (lo, hi int, ok bool, err error) {
	re, err := regexpArgs(fn, a[1].(string), optText(a, flagsArg))
	if err != nil {
		return 0, 0, false, err
	}
	n, err := regexpIntArg(a, 3, 1, "n", 1)
	if err != nil {
		return 0, 0, false, err
	}
	sub, err := regexpIntArg(a, subArg, 0, "subexpr", 0)
	if err != nil {
		return 0, 0, false, err
	}
	ms, err := regexpMatches(re, a, 2, n)
	if err != nil {
		return 0, 0, false, err
	}
	lo, hi, ok = regexpNth(re, ms, n, sub)
	return lo, hi, ok, nil
}

func optText(a []any, i int) string {
	if len(a) > i {
		return a[i].(string)
	}
	return ""
}

// regexpArgs compiles pattern under PostgreSQL's flag letters for the
// functions that take no "g" flag (22023 for it and for unknown letters).
func regexpArgs(fn, pattern, flags string) (*pgRegexp, error) {
	var f areFlags
	global, err := parseREFlags(&f, flags)
	if err != nil {
		return nil, err
	}
	if global {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "%s() does not support the \"global\" option", fn)
	}
	return compileARE(pattern, f)
}

// regexpIntArg returns argument i (def when absent), at least minimum, or
// PostgreSQL's 22023 naming the parameter.
func regexpIntArg(a []any, i int, def int64, name string, minimum int64) (int, error) {
	if len(a) <= i {
		return int(def), nil
	}
	v, err := asInt64(a[i])
	if err != nil {
		return 0, err
	}
	if v < minimum || v > 1<<31-1 {
		return 0, pgerror.New(pgerror.InvalidParameterValue, "invalid value for parameter \"%s\": %d", name, v)
	}
	return int(v), nil
}

// regexpMatches returns up to max matches (all when max < 0) of re in s
// found the way PostgreSQL's regexp functions search: from the 1-based
// character position in argument startArg on, in the whole string (so ^
// matches only at the string's start and \y sees the character before),
// each search resuming where the last match ended, one character further
// after an empty match. Each match is a submatch index slice.
func regexpMatches(re *pgRegexp, a []any, startArg, max int) ([][]int, error) {
	s := a[0].(string)
	start, err := regexpIntArg(a, startArg, 1, "start", 1)
	if err != nil {
		return nil, err
	}
	pos := 0
	for i := 1; i < start && pos < len(s); i++ {
		_, size := utf8.DecodeRuneInString(s[pos:])
		pos += size
	}
	if start > 1 && pos >= len(s) && utf8.RuneCountInString(s) < start-1 {
		return nil, nil
	}
	return re.findAll(s, pos, max)
}

// regexpNth returns the byte range of the n-th match (1-based) in ms, or
// of its parenthesized subexpression sub when sub > 0; ok is false when
// there is no such match or the subexpression took no part in it.
func regexpNth(re *pgRegexp, ms [][]int, n, sub int) (lo, hi int, ok bool) {
	if sub > re.NumSubexp() || len(ms) < n {
		return 0, 0, false
	}
	m := ms[n-1]
	lo, hi = m[2*sub], m[2*sub+1]
	if lo < 0 {
		return 0, 0, false
	}
	return lo, hi, true
}
