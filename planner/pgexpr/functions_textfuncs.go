package pgexpr

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// textFuncs3 are string functions with PostgreSQL's exact semantics:
// ascii, overlay, the three forms of substring, format with positions and
// widths, and textcat (the || operator on a non-array operand).
var textFuncs3 = map[string]funcDef{
	"ascii": {args: []argKind{kText}, result: int32Result, eval: func(a []any, _ []sql.Type) (any, error) {
		r, n := utf8.DecodeRuneInString(a[0].(string))
		if n == 0 {
			return int32(0), nil
		}
		return int32(r), nil
	}},
	// overlay(s PLACING r FROM n [FOR k]) is substring(s, 1, n-1) || r ||
	// substring(s, n+k), k defaulting to the length of r.
	"overlay": {args: []argKind{kText, kText, kInt, kInt}, opt: 1, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		s, r := a[0].(string), a[1].(string)
		from, _ := asInt64(a[2])
		n := int64(utf8.RuneCountInString(r))
		if len(a) > 3 {
			n, _ = asInt64(a[3])
		}
		if from <= 0 {
			return nil, pgerror.New("22011", "negative substring length not allowed")
		}
		if from+n > math.MaxInt32 || from+n < math.MinInt32 {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
		}
		head, err := evalSubstring([]any{s, int64(1), from - 1}, nil)
		if err != nil {
			return nil, err
		}
		tail, err := evalSubstring([]any{s, from + n}, nil)
		if err != nil {
			return nil, err
		}
		return head.(string) + r + tail.(string), nil
	}},
	// substring(s, int [, int]) counts characters; substring(s, text) is
	// the POSIX regular expression form and substring(s, text, text) the
	// SQL SIMILAR form (pattern, escape).
	"substring": {args: []argKind{kText, kAny, kAny}, opt: 1, check: substringArgs, result: textResult, eval: func(a []any, ts []sql.Type) (any, error) {
		if isTextArg(ts[1]) {
			if len(a) == 3 {
				return similarSubstring(a[0].(string), textArg(a[1]), textArg(a[2]))
			}
			return regexSubstring(a[0].(string), textArg(a[1]))
		}
		return evalSubstring(a, ts)
	}},
	"format": {args: []argKind{kText, kAny}, opt: 1, variadic: true, nonStrict: true, result: textResult, evalCtx: evalFormat},
	// textcat is a || b with a non-array operand: each side cast to text
	// (a boolean as true/false), NULL when either side is NULL.
	"textcat": {args: []argKind{kAny, kAny}, check: textcatArgs, result: textcatResult, evalCtx: func(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
		if byteaCat(ts[0], ts[1]) {
			side := func(i int) []byte {
				if isBytea(ts[i]) {
					return byteArg(a[i])
				}
				return ByteaInput([]byte(textArg(a[i]))) // text read as bytea input
			}
			return append(append([]byte{}, side(0)...), side(1)...), nil
		}
		var b strings.Builder
		for i, v := range a {
			v = bpcharAsText(ts[i], v) // char(n) || text drops the blanks
			oid, _ := pgtypes.OID(ts[i])
			if ts[i] == boolType {
				oid = pgtypes.OIDBool
			}
			if types.IsText(ts[i]) || ts[i] == types.Null {
				oid = pgtypes.OIDText
			}
			s, err := TextOf(ctx, v, oid)
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
		}
		return b.String(), nil
	}},
}

func isTextArg(t sql.Type) bool { return types.IsText(t) || t == types.Null }

func textArg(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	s, _ := TextOf(nil, v, 0)
	return s
}

// substringArgs accepts (text, int [, int]) and (text, text [, text]).
func substringArgs(args []sql.Expression) bool {
	isInt := func(t sql.Type) bool { return types.IsInteger(t) && t != types.Boolean || t == types.Null }
	switch t := args[1].Type(); {
	case types.IsText(t):
		return len(args) < 3 || isTextArg(args[2].Type())
	case isInt(t):
		return len(args) < 3 || isInt(args[2].Type())
	}
	return false
}

// textcatResult is bytea when one side is bytea and the other bytea or
// text (PostgreSQL types a string literal beside a bytea as bytea; a
// typed text column would give text there), else text.
func textcatResult(args []sql.Expression) sql.Type {
	if byteaCat(args[0].Type(), args[1].Type()) {
		if isBytea(args[0].Type()) {
			return args[0].Type()
		}
		return args[1].Type()
	}
	return types.LongText
}

// byteaCat reports whether a || b of these types is bytea concatenation.
func byteaCat(a, b sql.Type) bool {
	return isBytea(a) && (isBytea(b) || isTextArg(b)) || isBytea(b) && isTextArg(a)
}

func isBytea(t sql.Type) bool {
	oid, _ := pgtypes.OID(t)
	return oid == pgtypes.OIDBytea
}

func byteArg(v any) []byte {
	if b, ok := v.([]byte); ok {
		return b
	}
	return []byte(textArg(v))
}

// textcatArgs wants a text (or unknown) side and refuses arrays (array
// || array is another operator).
func textcatArgs(args []sql.Expression) bool {
	if !isTextArg(args[0].Type()) && !isTextArg(args[1].Type()) && !byteaCat(args[0].Type(), args[1].Type()) {
		return false
	}
	for _, a := range args {
		if _, ok := a.Type().(pgtypes.ArrayType); ok {
			return false
		}
	}
	return true
}

// regexSubstring is substring(s FROM pattern): the part of s matching the
// first parenthesized subexpression, or the whole match when there is none;
// NULL when nothing matches.
func regexSubstring(s, pattern string) (any, error) {
	re, err := compileARE(pattern, areFlags{})
	if err != nil {
		return nil, err
	}
	m, err := re.find(s)
	if m == nil || err != nil {
		return nil, err
	}
	if len(m) > 2 {
		if m[2] < 0 {
			return nil, nil
		}
		return s[m[2]:m[3]], nil
	}
	return s[m[0]:m[1]], nil
}

// evalFormat is PostgreSQL's format(fmt, args...): conversions
// %[pos$][-][width]s|I|L, width also * or *pos$ (taken from an argument;
// negative means left-aligned), and %%.
func evalFormat(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	f := []rune(a[0].(string))
	unterminated := func() error {
		return &pgerror.Error{Code: pgerror.InvalidParameterValue, Message: "unterminated format() type specifier",
			Hint: `For a single "%" use "%%".`}
	}
	tooFew := func() error {
		return pgerror.New(pgerror.InvalidParameterValue, "too few arguments for format()")
	}
	argZero := func() error {
		return pgerror.New(pgerror.InvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
	}
	// digits parses a run of digits at f[*i]; ok is false when there is
	// none.
	digits := func(i *int) (int64, bool, error) {
		n, found := int64(0), false
		for *i < len(f) && f[*i] >= '0' && f[*i] <= '9' {
			n = n*10 + int64(f[*i]-'0')
			if n > math.MaxInt32 {
				return 0, false, pgerror.New(pgerror.NumericOutOfRange, "number is out of range")
			}
			found = true
			*i++
		}
		return n, found, nil
	}
	var b strings.Builder
	arg := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteRune(f[i])
			continue
		}
		i++
		if i >= len(f) {
			return nil, unterminated()
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		argpos, widthpos, width, left := int64(0), int64(-1), int64(0), false
		n, ok, err := digits(&i)
		if err != nil {
			return nil, err
		}
		if i >= len(f) {
			return nil, unterminated()
		}
		parsed := false
		if ok {
			if f[i] != '$' {
				width, parsed = n, true
			} else {
				if n == 0 {
					return nil, argZero()
				}
				argpos = n
				if i++; i >= len(f) {
					return nil, unterminated()
				}
			}
		}
		if !parsed {
			for f[i] == '-' {
				left = true
				if i++; i >= len(f) {
					return nil, unterminated()
				}
			}
			if f[i] == '*' {
				if i++; i >= len(f) {
					return nil, unterminated()
				}
				n, ok, err := digits(&i)
				if err != nil {
					return nil, err
				}
				if i >= len(f) {
					return nil, unterminated()
				}
				widthpos = 0
				if ok {
					if f[i] != '$' {
						return nil, pgerror.New(pgerror.InvalidParameterValue, "width argument position must be ended by \"$\"")
					}
					if n == 0 {
						return nil, argZero()
					}
					widthpos = n
					if i++; i >= len(f) {
						return nil, unterminated()
					}
				}
			} else {
				n, ok, err := digits(&i)
				if err != nil {
					return nil, err
				}
				if i >= len(f) {
					return nil, unterminated()
				}
				if ok {
					width = n
				}
			}
		}
		c := f[i]
		if c != 's' && c != 'I' && c != 'L' {
			return nil, &pgerror.Error{Code: pgerror.InvalidParameterValue,
				Message: "unrecognized format() type specifier \"" + string(c) + "\"",
				Hint:    `For a single "%" use "%%".`}
		}
		if widthpos >= 0 {
			if widthpos > 0 {
				arg = int(widthpos)
			} else {
				arg++
			}
			if arg >= len(a) {
				return nil, tooFew()
			}
			width = 0
			if v := a[arg]; v != nil {
				w, err := asInt64(v)
				if err != nil {
					w, err = strconv.ParseInt(strings.TrimSpace(textArg(v)), 10, 32)
					if err != nil {
						return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type integer: \"%s\"", textArg(v))
					}
				}
				if w < math.MinInt32 || w > math.MaxInt32 {
					return nil, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
				}
				if w == math.MinInt32 {
					return nil, pgerror.New(pgerror.NumericOutOfRange, "number is out of range")
				}
				if w < 0 {
					left, w = true, -w
				}
				width = w
			}
		}
		if argpos > 0 {
			arg = int(argpos)
		} else {
			arg++
		}
		if arg >= len(a) {
			return nil, tooFew()
		}
		v, t := a[arg], ts[arg]
		var s string
		switch {
		case v == nil && c == 'I':
			return nil, pgerror.New(pgerror.NullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
		case v == nil && c == 'L':
			s = "NULL"
		case v == nil:
		case c == 'I':
			s = QuoteIdent(formatArgText(ctx, v, t))
		case c == 'L':
			s = quoteLiteral(formatArgText(ctx, v, t))
		default:
			s = formatArgText(ctx, v, t)
		}
		if pad := int(width) - utf8.RuneCountInString(s); pad > 0 {
			if left {
				s += strings.Repeat(" ", pad)
			} else {
				s = strings.Repeat(" ", pad) + s
			}
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// formatArgText is a format() argument's output text (booleans t/f).
func formatArgText(ctx *sql.Context, v any, t sql.Type) string {
	if t == boolType {
		return outputText(v, t)
	}
	if s, ok := v.(string); ok {
		return s
	}
	oid, _ := pgtypes.OID(t)
	s, err := TextOf(ctx, v, oid)
	if err != nil {
		return outputText(v, t)
	}
	return s
}

// QuoteIdent is PostgreSQL's quote_ident: s unchanged when it is a
// lowercase identifier (letters, digits, underscores, not starting with a
// digit) and not a keyword other than an unreserved one; else s in double
// quotes with embedded quotes doubled.
func QuoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain && !isQuotedKeyword(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// isQuotedKeyword reports whether word is a PostgreSQL keyword that needs
// quoting as an identifier (every category but unreserved), as the
// parser's own scanner classifies it.
func isQuotedKeyword(word string) bool {
	if v, ok := keywordCache.Load(word); ok {
		return v.(bool)
	}
	quoted := false
	if res, err := pg.Scan(word); err == nil && len(res.Tokens) == 1 {
		k := res.Tokens[0].KeywordKind
		quoted = k != pg.KeywordKind_NO_KEYWORD && k != pg.KeywordKind_UNRESERVED_KEYWORD
	}
	// Scanning costs about a hundred times a cache hit (a cgo call);
	// identifiers repeat, so remember up to keywordCacheSize of them.
	if keywordCacheLen.Add(1) <= keywordCacheSize {
		keywordCache.Store(word, quoted)
	}
	return quoted
}

const keywordCacheSize = 1 << 14

var (
	keywordCache    sync.Map // word → bool
	keywordCacheLen atomic.Int64
)
