package pgexpr

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

func textArrayResult([]sql.Expression) sql.Type { return pgtypes.ArrayType{Elem: pgtypes.OIDText} }

// moreFuncs are string functions users of PostgreSQL expect: translate,
// to_hex, format, string_to_array, regexp_split_to_array, and
// make_interval (positional arguments).
var moreFuncs = map[string]funcDef{
	"translate": {args: []argKind{kText, kText, kText}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		from, to := []rune(a[1].(string)), []rune(a[2].(string))
		var b strings.Builder
		for _, r := range a[0].(string) {
			i := strings.IndexRune(string(from), r)
			if i < 0 {
				b.WriteRune(r)
				continue
			}
			if k := len([]rune(string(from)[:i])); k < len(to) {
				b.WriteRune(to[k])
			}
		}
		return b.String(), nil
	}},
	"to_hex": {args: []argKind{kInt}, result: textResult, eval: func(a []any, ts []sql.Type) (any, error) {
		n, err := asInt64(a[0])
		if err != nil {
			return nil, err
		}
		if oid, _ := pgtypes.OID(ts[0]); oid != pgtypes.OIDInt8 {
			return strconv.FormatUint(uint64(uint32(n)), 16), nil
		}
		return strconv.FormatUint(uint64(n), 16), nil
	}},
	"string_to_array": {args: []argKind{kText, kText, kText}, opt: 1, nonStrict: true, result: textArrayResult, eval: func(a []any, _ []sql.Type) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		s := a[0].(string)
		if s == "" {
			return "{}", nil
		}
		var parts []string
		switch sep, ok := a[1].(string); {
		case !ok: // NULL separator: one element per character
			for _, r := range s {
				parts = append(parts, string(r))
			}
		case sep == "":
			parts = []string{s}
		default:
			parts = strings.Split(s, sep)
		}
		null, hasNull := "", false
		if len(a) > 2 && a[2] != nil {
			null, hasNull = a[2].(string), true
		}
		elems := make([]*string, len(parts))
		for i := range parts {
			if !hasNull || parts[i] != null {
				elems[i] = &parts[i]
			}
		}
		return pgtypes.FormatArrayText(elems), nil
	}},
	"regexp_match": {args: []argKind{kText, kText, kText}, opt: 1, result: textArrayResult, eval: func(a []any, _ []sql.Type) (any, error) {
		re, err := singleMatchRegex("regexp_match", a)
		if err != nil {
			return nil, err
		}
		s := a[0].(string)
		m, err := re.find(s)
		if m == nil || err != nil {
			return nil, err
		}
		// The parenthesized groups (NULL for one that took no part), or
		// the whole match when the pattern has none.
		if len(m) == 2 {
			whole := s[m[0]:m[1]]
			return pgtypes.FormatArrayText([]*string{&whole}), nil
		}
		elems := make([]*string, 0, len(m)/2-1)
		for i := 2; i < len(m); i += 2 {
			if m[i] < 0 {
				elems = append(elems, nil)
				continue
			}
			g := s[m[i]:m[i+1]]
			elems = append(elems, &g)
		}
		return pgtypes.FormatArrayText(elems), nil
	}},
	"chr": {args: []argKind{kInt}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		n, err := asInt64(a[0])
		if err != nil {
			return nil, err
		}
		switch {
		case n == 0:
			return nil, pgerror.New(pgerror.ProgramLimitExceeded, "null character not permitted")
		case n < 0:
			return nil, pgerror.New(pgerror.InvalidParameterValue, "character number must be positive")
		case n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF):
			return nil, pgerror.New(pgerror.InvalidParameterValue, "requested character too large for encoding: %d", n)
		}
		return string(rune(n)), nil
	}},
	"quote_literal": {args: []argKind{kAny}, result: textResult, eval: func(a []any, ts []sql.Type) (any, error) {
		return quoteLiteral(outputText(a[0], ts[0])), nil
	}},
	"quote_nullable": {args: []argKind{kAny}, nonStrict: true, result: textResult, eval: func(a []any, ts []sql.Type) (any, error) {
		if a[0] == nil {
			return "NULL", nil
		}
		return quoteLiteral(outputText(a[0], ts[0])), nil
	}},
	"pg_is_in_recovery": {result: boolResult, eval: func([]any, []sql.Type) (any, error) {
		return boolInt(false), nil // OpenWit has no standby mode
	}},
	"regexp_split_to_array": {args: []argKind{kText, kText, kText}, opt: 1, result: textArrayResult, eval: func(a []any, _ []sql.Type) (any, error) {
		re, err := singleMatchRegex("regexp_split_to_array", a)
		if err != nil {
			return nil, err
		}
		s := a[0].(string)
		// PostgreSQL ignores empty matches at the start and end of the
		// string and right after a previous match.
		var parts []string
		start, prevEnd := 0, -1
		ms, err := re.findAll(s, 0, -1)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m[0] == m[1] && (m[0] == 0 || m[0] == len(s) || m[0] == prevEnd) {
				continue
			}
			parts = append(parts, s[start:m[0]])
			start, prevEnd = m[1], m[1]
		}
		parts = append(parts, s[start:])
		elems := make([]*string, len(parts))
		for i := range parts {
			elems[i] = &parts[i]
		}
		return pgtypes.FormatArrayText(elems), nil
	}},
	"make_interval": {args: []argKind{kInt, kInt, kInt, kInt, kInt, kInt, kNumber}, opt: 7, result: intervalResult, eval: func(a []any, _ []sql.Type) (any, error) {
		var f [6]int64
		for i := 0; i < len(a) && i < 6; i++ {
			n, err := asInt64(a[i])
			if err != nil {
				return nil, err
			}
			f[i] = n
		}
		secs := 0.0
		if len(a) > 6 {
			x, err := castFloat(a[6], "float8")
			if err != nil {
				return nil, err
			}
			secs = x
		}
		months := f[0]*12 + f[1]
		days := f[2]*7 + f[3]
		us := (f[4]*3600+f[5]*60)*int64(time.Second/time.Microsecond) + int64(math.Round(secs*1e6))
		if months < math.MinInt32 || months > math.MaxInt32 || days < math.MinInt32 || days > math.MaxInt32 {
			return nil, pgerror.New(pgerror.DatetimeOverflow, "interval out of range")
		}
		return pgtypes.Interval{Months: int32(months), Days: int32(days), Micros: us}, nil
	}},
}

// quoteLiteral quotes s as a string literal, as PostgreSQL's quote_literal:
// quotes doubled, and a string holding a backslash written E'...' with
// the backslashes doubled.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// singleMatchRegex compiles the pattern a[1] of fn(text, pattern [,
// flags]), a function that takes no "g" flag.
func singleMatchRegex(fn string, a []any) (*pgRegexp, error) {
	return regexpArgs(fn, a[1].(string), optText(a, 2))
}
