package pgexpr

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/storage/index"
)

// textFuncs are PostgreSQL's string functions.
var textFuncs = map[string]funcDef{
	"split_part": {args: []argKind{kText, kText, kInt}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		n, _ := asInt64(a[2])
		if n == 0 {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "field position must not be zero")
		}
		parts := strings.Split(a[0].(string), a[1].(string))
		if a[1].(string) == "" {
			parts = []string{a[0].(string)}
		}
		if n < 0 {
			n = int64(len(parts)) + n + 1
		}
		if n < 1 || n > int64(len(parts)) {
			return "", nil
		}
		return parts[n-1], nil
	}},
	"left": {args: []argKind{kText, kInt}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		r := []rune(a[0].(string))
		n, _ := asInt64(a[1])
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		return string(r[:min(n, int64(len(r)))]), nil
	}},
	"right": {args: []argKind{kText, kInt}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		r := []rune(a[0].(string))
		n, _ := asInt64(a[1])
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		n = min(n, int64(len(r)))
		return string(r[int64(len(r))-n:]), nil
	}},
	"concat": {args: []argKind{kAny}, variadic: true, nonStrict: true, result: textResult, eval: func(a []any, ts []sql.Type) (any, error) {
		var b strings.Builder
		for i, v := range a {
			if v != nil {
				b.WriteString(outputText(v, ts[i]))
			}
		}
		return b.String(), nil
	}},
	"concat_ws": {args: []argKind{kText, kText}, variadic: true, nonStrict: true, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		var parts []string
		for _, v := range a[1:] {
			if v != nil {
				parts = append(parts, v.(string))
			}
		}
		return strings.Join(parts, a[0].(string)), nil
	}},
	"strpos": {args: []argKind{kText, kText}, result: int32Result, eval: func(a []any, _ []sql.Type) (any, error) {
		i := strings.Index(a[0].(string), a[1].(string))
		if i < 0 {
			return int32(0), nil
		}
		return int32(utf8.RuneCountInString(a[0].(string)[:i]) + 1), nil
	}},
	"initcap": {args: []argKind{kText}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		r := []rune(a[0].(string))
		prevAlnum := false
		for i, c := range r {
			if prevAlnum {
				r[i] = unicode.ToLower(c)
			} else {
				r[i] = unicode.ToUpper(c)
			}
			prevAlnum = unicode.IsLetter(c) || unicode.IsDigit(c)
		}
		return string(r), nil
	}},
	"lpad": {args: []argKind{kText, kInt, kText}, opt: 1, result: textResult, eval: padder(true)},
	"rpad": {args: []argKind{kText, kInt, kText}, opt: 1, result: textResult, eval: padder(false)},
	"reverse": {args: []argKind{kText}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		r := []rune(a[0].(string))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	}},
	"repeat": {args: []argKind{kText, kInt}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		n, _ := asInt64(a[1])
		if n <= 0 {
			return "", nil
		}
		if int64(len(a[0].(string)))*n > 1<<28 {
			return nil, pgerror.New(pgerror.ProgramLimitExceeded, "requested length too large")
		}
		return strings.Repeat(a[0].(string), int(n)), nil
	}},
	// match(text, query): every word of query is a word of text (words as
	// index.Tokens splits them); storage/index's trigram filters prune it.
	"match": {args: []argKind{kText, kText}, result: boolResult, eval: func(a []any, _ []sql.Type) (any, error) {
		return boolInt(index.Match(a[0].(string), a[1].(string))), nil
	}},
	"starts_with": {args: []argKind{kText, kText}, result: boolResult, eval: func(a []any, _ []sql.Type) (any, error) {
		return boolInt(strings.HasPrefix(a[0].(string), a[1].(string))), nil
	}},
	"md5": {args: []argKind{kText}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		sum := md5.Sum([]byte(a[0].(string)))
		return hex.EncodeToString(sum[:]), nil
	}},
	"regexp_replace": {args: []argKind{kText, kText, kText, kText}, opt: 1, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		var f areFlags
		global, err := parseREFlags(&f, optText(a, 3))
		if err != nil {
			return nil, err
		}
		re, err := compileARE(a[1].(string), f)
		if err != nil {
			return nil, err
		}
		s := a[0].(string)
		max := 1
		if global {
			max = -1
		}
		ms, err := re.findAll(s, 0, max)
		if err != nil || len(ms) == 0 {
			return a[0], err
		}
		repl := convertReplacement(a[2].(string))
		var dst []byte
		last := 0
		for _, m := range ms {
			dst = append(dst, s[last:m[0]]...)
			dst = re.expand(dst, repl, s, m)
			last = m[1]
		}
		return string(append(dst, s[last:]...)), nil
	}},
	"regex_match": {args: []argKind{kText, kText, kInt}, result: boolResult, eval: func(a []any, _ []sql.Type) (any, error) {
		mode, _ := asInt64(a[2]) // bit 1: case-insensitive, bit 2: negate
		re, err := compileARE(a[1].(string), areFlags{icase: mode&1 != 0})
		if err != nil {
			return nil, err
		}
		ok, err := re.match(a[0].(string))
		if err != nil {
			return nil, err
		}
		return boolInt(ok != (mode&2 != 0)), nil
	}},
}

func boolResult([]sql.Expression) sql.Type { return boolType }

func padder(left bool) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		r := []rune(a[0].(string))
		n, _ := asInt64(a[1])
		fill := " "
		if len(a) > 2 {
			fill = a[2].(string)
		}
		if n <= 0 {
			return "", nil
		}
		if int64(len(r)) >= n {
			return string(r[:n]), nil
		}
		if fill == "" {
			return string(r), nil
		}
		f := []rune(fill)
		pad := make([]rune, 0, n-int64(len(r)))
		for i := 0; int64(len(pad)) < n-int64(len(r)); i++ {
			pad = append(pad, f[i%len(f)])
		}
		if left {
			return string(pad) + string(r), nil
		}
		return string(r) + string(pad), nil
	}
}

// convertReplacement turns PostgreSQL's \1 back-references into Go's ${1}.
func convertReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			c := s[i+1]
			switch {
			case c >= '0' && c <= '9':
				b.WriteString("${" + string(c) + "}")
				i++
				continue
			case c == '&':
				b.WriteString("${0}")
				i++
				continue
			case c == '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		if s[i] == '$' {
			b.WriteString("$$")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// outputText renders a value the way PostgreSQL's output functions do
// (booleans as t/f), for functions like concat that take "any".
func outputText(v any, t sql.Type) string {
	if t == boolType {
		if i, err := asInt64(v); err == nil {
			if i != 0 {
				return "t"
			}
			return "f"
		}
	}
	if b, ok := v.(bool); ok {
		if b {
			return "t"
		}
		return "f"
	}
	s, err := TextOf(nil, v, 0)
	if err != nil {
		return ""
	}
	return s
}
