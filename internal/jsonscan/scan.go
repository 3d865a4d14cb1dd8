package jsonscan

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// ErrSyntax is returned for text that is not structurally JSON.
var ErrSyntax = pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type json")

// errOverflow is numeric's limit on a number's exponent (as pgexpr's
// parser reports it).
var errOverflow = pgerror.New(pgerror.NumericOutOfRange, "value overflows numeric format")

// Kind is the type of a JSON value, read from its first byte.
type Kind uint8

// Value kinds.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

// KindOf returns the kind of the value v (a value's text, no leading
// space).
func KindOf(v string) Kind {
	if v == "" {
		return Invalid
	}
	switch c := v[0]; {
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == '"':
		return String
	case c == 'n':
		return Null
	case c == 't' || c == 'f':
		return Bool
	case c == '-' || (c >= '0' && c <= '9'):
		return Number
	}
	return Invalid
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// Trim returns s without the white space around its value.
func Trim(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// strEnd returns the index just past the string starting at s[i] (a '"'),
// or -1.
func strEnd(s string, i int) int {
	e, _ := strEndEsc(s, i)
	return e
}

// strEndEsc is strEnd that also reports whether the string has escapes.
func strEndEsc(s string, i int) (int, bool) {
	// A byte loop: keys and values are short, and a call to IndexByte per
	// string costs more than it saves.
	esc := false
	for i++; i < len(s); i++ {
		switch s[i] {
		case '"':
			return i + 1, esc
		case '\\':
			esc = true
			i++ // the escaped byte (\u's hex digits need no care)
		}
	}
	return -1, esc
}

// end returns the index just past the value starting at s[i] (not space),
// or -1.
func end(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		return strEnd(s, i)
	case '{', '[':
		depth := 0
		for i < len(s) {
			switch s[i] {
			case '"':
				e := strEnd(s, i)
				if e < 0 {
					return -1
				}
				i = e
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	j := i
	for j < len(s) {
		c := s[j]
		if c == ',' || c == '}' || c == ']' || c == ':' || isSpace(c) {
			break
		}
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// keyEquals reports whether the raw (still escaped) key content raw is k.
func keyEquals(raw, k string) bool {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw == k
	}
	var buf [64]byte
	d := appendUnescaped(buf[:0], raw)
	return string(d) == k
}

// Key returns the value of key k in the object v (a value's text, no
// surrounding space); ok is false when v is not an object or has no such
// key. A duplicated key has its last value.
func Key(v, k string) (val string, ok bool, err error) {
	if len(v) == 0 || v[0] != '{' {
		return "", false, nil
	}
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == '}' {
		return "", false, nil
	}
	for {
		i = skipSpace(v, i)
		if i >= len(v) || v[i] != '"' {
			return "", false, ErrSyntax
		}
		ke, esc := strEndEsc(v, i)
		if ke < 0 {
			return "", false, ErrSyntax
		}
		var match bool
		if raw := v[i+1 : ke-1]; !esc {
			match = raw == k
		} else {
			match = keyEquals(raw, k)
		}
		i = skipSpace(v, ke)
		if i >= len(v) || v[i] != ':' {
			return "", false, ErrSyntax
		}
		i = skipSpace(v, i+1)
		ve := end(v, i)
		if ve < 0 {
			return "", false, ErrSyntax
		}
		if match {
			val, ok = v[i:ve], true
		}
		i = skipSpace(v, ve)
		if i >= len(v) {
			return "", false, ErrSyntax
		}
		switch v[i] {
		case ',':
			i++
		case '}':
			return val, ok, nil
		default:
			return "", false, ErrSyntax
		}
	}
}

// Elements calls f with each element of the array v (a value's text, no
// surrounding space) until f returns false.
func Elements(v string, f func(e string) bool) error {
	if len(v) == 0 || v[0] != '[' {
		return nil
	}
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return nil
	}
	for {
		i = skipSpace(v, i)
		e := end(v, i)
		if e < 0 {
			return ErrSyntax
		}
		if !f(v[i:e]) {
			return nil
		}
		i = skipSpace(v, e)
		if i >= len(v) {
			return ErrSyntax
		}
		switch v[i] {
		case ',':
			i++
		case ']':
			return nil
		default:
			return ErrSyntax
		}
	}
}

// Index returns element n of the array v (negative n counts from the
// end); ok is false when v is not an array or n is out of range.
func Index(v string, n int64) (val string, ok bool, err error) {
	if len(v) == 0 || v[0] != '[' {
		return "", false, nil
	}
	if n < 0 {
		cnt := int64(0)
		if err := Elements(v, func(string) bool { cnt++; return true }); err != nil {
			return "", false, err
		}
		n += cnt
		if n < 0 {
			return "", false, nil
		}
	}
	k := int64(0)
	err = Elements(v, func(e string) bool {
		if k == n {
			val, ok = e, true
			return false
		}
		k++
		return true
	})
	return val, ok, err
}

// Has reports whether the value v has k as an object key, a string
// element (arrays) or its string value (a string): jsonb's ? operator.
func Has(v, k string) (bool, error) {
	switch KindOf(v) {
	case Object:
		_, ok, err := Key(v, k)
		return ok, err
	case Array:
		found := false
		err := Elements(v, func(e string) bool {
			if KindOf(e) == String && keyEquals(e[1:len(e)-1], k) {
				found = true
				return false
			}
			return true
		})
		return found, err
	case String:
		return keyEquals(v[1:len(v)-1], k), nil
	}
	return false, nil
}

// AppendString appends the decoded contents of the string value v (with
// its quotes).
func AppendString(dst []byte, v string) []byte {
	return appendUnescaped(dst, v[1:len(v)-1])
}

// StringValue returns the decoded contents of the string value v; it is a
// substring of v when v has no escapes.
func StringValue(v string) string {
	raw := v[1 : len(v)-1]
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	return string(appendUnescaped(nil, raw))
}

// appendUnescaped decodes the escapes of a string's raw contents, as
// pgexpr's lenient stored-text parser does.
func appendUnescaped(dst []byte, raw string) []byte {
	for i := 0; i < len(raw); {
		j := strings.IndexByte(raw[i:], '\\')
		if j < 0 {
			return append(dst, raw[i:]...)
		}
		dst = append(dst, raw[i:i+j]...)
		i += j + 1
		if i >= len(raw) {
			return dst
		}
		c := raw[i]
		i++
		switch c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw, i)
			if !ok {
				return dst
			}
			i += 4
			switch {
			case utf16.IsSurrogate(r) && r < 0xDC00:
				if !strings.HasPrefix(raw[i:], `\u`) {
					r = utf8.RuneError
					break
				}
				lo, ok := hex4(raw, i+2)
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					r = utf8.RuneError
					break
				}
				i += 6
				r = utf16.DecodeRune(r, lo)
			case utf16.IsSurrogate(r):
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // " \ /
			dst = append(dst, c)
		}
	}
	return dst
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// Text appends what ->> returns for the value v: a string's contents, the
// jsonb text of anything else; null reports whether v is JSON null (SQL
// NULL).
func Text(dst []byte, v string) (out []byte, null bool, err error) {
	switch KindOf(v) {
	case String:
		return AppendString(dst, v), false, nil
	case Null:
		return dst, true, nil
	}
	out, err = Canon(dst, v)
	return out, false, err
}

// Canon appends the jsonb text output of the value v.
func Canon(dst []byte, v string) ([]byte, error) {
	switch KindOf(v) {
	case String:
		raw := v[1 : len(v)-1]
		if strings.IndexByte(raw, '\\') < 0 {
			return append(dst, v...), nil
		}
		return appendQuoted(dst, string(appendUnescaped(nil, raw))), nil
	case Number:
		return AppendNumber(dst, v)
	case Null, Bool:
		return append(dst, v...), nil
	case Array:
		dst = append(dst, '[')
		first := true
		var cerr error
		err := Elements(v, func(e string) bool {
			if !first {
				dst = append(dst, ", "...)
			}
			first = false
			dst, cerr = Canon(dst, e)
			return cerr == nil
		})
		if err == nil {
			err = cerr
		}
		return append(dst, ']'), err
	case Object:
		return canonObject(dst, v)
	}
	return dst, ErrSyntax
}

type member struct {
	key string // decoded
	val string
}

func canonObject(dst []byte, v string) ([]byte, error) {
	var ms []member
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == '}' {
		return append(dst, "{}"...), nil
	}
	for {
		i = skipSpace(v, i)
		if i >= len(v) || v[i] != '"' {
			return dst, ErrSyntax
		}
		ke := strEnd(v, i)
		if ke < 0 {
			return dst, ErrSyntax
		}
		k := StringValue(v[i:ke])
		i = skipSpace(v, ke)
		if i >= len(v) || v[i] != ':' {
			return dst, ErrSyntax
		}
		i = skipSpace(v, i+1)
		ve := end(v, i)
		if ve < 0 {
			return dst, ErrSyntax
		}
		ms = append(ms, member{key: k, val: v[i:ve]})
		i = skipSpace(v, ve)
		if i >= len(v) {
			return dst, ErrSyntax
		}
		if v[i] == ',' {
			i++
			continue
		}
		if v[i] != '}' {
			return dst, ErrSyntax
		}
		break
	}
	slices.SortStableFunc(ms, func(a, b member) int {
		if len(a.key) != len(b.key) {
			return len(a.key) - len(b.key)
		}
		return strings.Compare(a.key, b.key)
	})
	dst = append(dst, '{')
	first := true
	for j, m := range ms {
		if j+1 < len(ms) && ms[j+1].key == m.key {
			continue // a later duplicate wins
		}
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		dst = appendQuoted(dst, m.key)
		dst = append(dst, ": "...)
		var err error
		if dst, err = Canon(dst, m.val); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendQuoted appends s quoted and escaped as PostgreSQL's escape_json.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			dst = append(dst, `\"`...)
		case c == '\\':
			dst = append(dst, `\\`...)
		case c == '\b':
			dst = append(dst, `\b`...)
		case c == '\f':
			dst = append(dst, `\f`...)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r':
			dst = append(dst, `\r`...)
		case c == '\t':
			dst = append(dst, `\t`...)
		case c < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// plainNumber reports whether the number text v is already numeric's
// output: no exponent, and not a negative zero.
func plainNumber(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == 'e' || v[i] == 'E' {
			return false
		}
	}
	if v[0] == '-' {
		for _, c := range []byte(v[1:]) {
			if c != '0' && c != '.' {
				return true
			}
		}
		return false
	}
	return true
}

// AppendNumber appends the numeric text of the number value v (1e2 is
// 100, 1.50 stays 1.50).
func AppendNumber(dst []byte, v string) ([]byte, error) {
	if plainNumber(v) {
		return append(dst, v...), nil
	}
	d, scale, err := ParseNumber(v)
	if err != nil {
		return dst, err
	}
	return append(dst, d.StringFixed(scale)...), nil
}

// ParseNumber reads the number value v as numeric: its value and display
// scale.
func ParseNumber(v string) (decimal.Decimal, int32, error) {
	mant, exp := v, 0
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		mant = v[:i]
		e, err := strconv.Atoi(v[i+1:])
		if err != nil || e > 100000 || e < -100000 {
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return decimal.Decimal{}, 0, ErrSyntax
			}
			return decimal.Decimal{}, 0, errOverflow
		}
		exp = e
	}
	frac := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		frac = len(mant) - i - 1
	}
	d, err := decimal.NewFromString(mant)
	if err != nil {
		return decimal.Decimal{}, 0, ErrSyntax
	}
	if exp != 0 {
		d = d.Shift(int32(exp))
	}
	return d, int32(max(0, frac-exp)), nil
}

// TextString returns what ->> returns for the value v as a substring of v
// when it needs no conversion (a string without escapes, a number already
// in numeric's text, true, false); ok is false otherwise (use Text).
func TextString(v string) (s string, null, ok bool) {
	switch KindOf(v) {
	case String:
		raw := v[1 : len(v)-1]
		if strings.IndexByte(raw, '\\') < 0 {
			return raw, false, true
		}
	case Number:
		if plainNumber(v) {
			return v, false, true
		}
	case Bool:
		return v, false, true
	case Null:
		return "", true, true
	}
	return "", false, false
}
