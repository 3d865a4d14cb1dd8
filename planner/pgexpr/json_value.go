package pgexpr

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// JSONB is a json or jsonb value with PostgreSQL's semantics. Its tree (V)
// holds nil (JSON null), bool, string, JSONNumber, []any and *JSONObject.
// Numbers keep their numeric text (2.50 stays 2.50, 1e2 is 100), object
// keys are de-duplicated (the last wins) and ordered by length, then bytes,
// as jsonb stores them. Text, when not empty, is the input text of a json
// (not jsonb) value, printed verbatim as PostgreSQL's json type does.
//
// A JSONB is the engine value of go-mysql-server's JSON type in OpenWit: it
// implements sql.JSONWrapper (so types.JSON.Convert passes it through) and
// types.ComparableJSON (so comparisons, ORDER BY and DISTINCT use jsonb's
// ordering).
type JSONB struct {
	V    any
	Text string
}

// JSONNumber is a JSON number as PostgreSQL's numeric: its value and its
// display scale (digits after the decimal point).
type JSONNumber struct {
	D     decimal.Decimal
	Scale int32
}

// String is the number's numeric text.
func (n JSONNumber) String() string { return n.D.StringFixed(n.Scale) }

// JSONObject is a JSON object with unique keys in jsonb's order.
type JSONObject struct {
	Keys []string
	Vals []any
}

var (
	_ sql.JSONWrapper      = JSONB{}
	_ types.ComparableJSON = JSONB{}
)

// errJSONSyntax is PostgreSQL's 22P02 for a malformed json input.
func errJSONSyntax() error {
	return pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type json")
}

// ParseJSONB parses s as jsonb (keepText false) or json (keepText true:
// the value prints as s).
func ParseJSONB(s string, keepText bool) (JSONB, error) {
	p := jsonParser{s: s, json: keepText}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return JSONB{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return JSONB{}, errJSONSyntax()
	}
	out := JSONB{V: v}
	if keepText {
		out.Text = s
	}
	return out, nil
}

// ParseStoredJSONB reads a jsonb column's stored text. It is ParseJSONB,
// except that \u0000 is accepted and an unpaired surrogate escape reads as
// U+FFFD (as encoding/json, which validated it, reads it): ingest paths that are not SQL (COPY,
// Kafka, Flight) validate JSON only, and one such value must not make
// every query over the column fail.
func ParseStoredJSONB(s string) (JSONB, error) {
	p := jsonParser{s: s, json: true, lenient: true}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return JSONB{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return JSONB{}, errJSONSyntax()
	}
	return JSONB{V: v}, nil
}

type jsonParser struct {
	s       string
	i       int
	json    bool // json, not jsonb: \u0000 is accepted
	lenient bool // unpaired surrogates read as U+FFFD
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

const maxJSONDepth = 6400

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, pgerror.New("54001", "stack depth limit exceeded")
	}
	if p.i >= len(p.s) {
		return nil, errJSONSyntax()
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		obj := &JSONObject{}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return obj, nil
		}
		for {
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, errJSONSyntax()
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, errJSONSyntax()
			}
			p.i++
			p.space()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			obj.Keys = append(obj.Keys, k)
			obj.Vals = append(obj.Vals, v)
			p.space()
			if p.i >= len(p.s) {
				return nil, errJSONSyntax()
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == '}' {
				p.i++
				return obj.normalize(), nil
			}
			return nil, errJSONSyntax()
		}
	case c == '[':
		p.i++
		arr := []any{}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			p.space()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.space()
			if p.i >= len(p.s) {
				return nil, errJSONSyntax()
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ']' {
				p.i++
				return arr, nil
			}
			return nil, errJSONSyntax()
		}
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		for _, kw := range []struct {
			w string
			v any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if strings.HasPrefix(p.s[p.i:], kw.w) {
				end := p.i + len(kw.w)
				if end < len(p.s) && isJSONWordByte(p.s[end]) {
					return nil, errJSONSyntax()
				}
				p.i = end
				return kw.v, nil
			}
		}
	}
	return nil, errJSONSyntax()
}

func isJSONWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() (any, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if n := digits(); n == 0 || (n > 1 && p.s[intStart] == '0') {
		return nil, errJSONSyntax()
	}
	frac := 0
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if frac = digits(); frac == 0 {
			return nil, errJSONSyntax()
		}
	}
	mantEnd := p.i
	exp := 0
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		es := p.i
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, errJSONSyntax()
		}
		e, err := strconv.Atoi(p.s[es:p.i])
		if err != nil || e > 100000 || e < -100000 {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "value overflows numeric format")
		}
		exp = e
	}
	if p.i < len(p.s) && isJSONWordByte(p.s[p.i]) {
		return nil, errJSONSyntax()
	}
	d, err := decimal.NewFromString(p.s[start:mantEnd])
	if err != nil {
		return nil, errJSONSyntax()
	}
	if exp != 0 {
		d = d.Shift(int32(exp))
	}
	return JSONNumber{D: d, Scale: int32(max(0, frac-exp))}, nil
}

// str reads a JSON string at p.i (a '"').
func (p *jsonParser) str() (string, error) {
	p.i++
	var b strings.Builder
	for {
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != '"' && p.s[p.i] != '\\' && p.s[p.i] >= 0x20 {
			p.i++
		}
		b.WriteString(p.s[start:p.i])
		if p.i >= len(p.s) || p.s[p.i] < 0x20 {
			return "", errJSONSyntax()
		}
		if p.s[p.i] == '"' {
			p.i++
			return b.String(), nil
		}
		p.i++ // backslash
		if p.i >= len(p.s) {
			return "", errJSONSyntax()
		}
		c := p.s[p.i]
		p.i++
		switch c {
		case '"', '\\', '/':
			b.WriteByte(c)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			switch {
			case utf16.IsSurrogate(r) && r < 0xDC00:
				if !strings.HasPrefix(p.s[p.i:], `\u`) {
					if p.lenient {
						r = utf8.RuneError
						break
					}
					return "", errJSONSyntax()
				}
				save := p.i
				p.i += 2
				lo, err := p.hex4()
				if err != nil {
					return "", err
				}
				if lo < 0xDC00 || lo > 0xDFFF {
					if p.lenient {
						r, p.i = utf8.RuneError, save
						break
					}
					return "", errJSONSyntax()
				}
				r = utf16.DecodeRune(r, lo)
			case utf16.IsSurrogate(r):
				if p.lenient {
					r = utf8.RuneError
					break
				}
				return "", errJSONSyntax()
			case r == 0 && !p.json:
				return "", pgerror.New("22P05", "unsupported Unicode escape sequence")
			}
			b.WriteRune(r)
		default:
			return "", errJSONSyntax()
		}
	}
}

func (p *jsonParser) hex4() (rune, error) {
	if p.i+4 > len(p.s) {
		return 0, errJSONSyntax()
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, errJSONSyntax()
	}
	p.i += 4
	return rune(n), nil
}

// jsonKeyLess is jsonb's key order: shorter first, then bytewise.
func jsonKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// normalize sorts the keys in jsonb's order and keeps the last value of a
// duplicated key.
func (o *JSONObject) normalize() *JSONObject {
	n := len(o.Keys)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case o.Keys[a] == o.Keys[b]:
			return 0
		case jsonKeyLess(o.Keys[a], o.Keys[b]):
			return -1
		}
		return 1
	})
	out := &JSONObject{Keys: make([]string, 0, n), Vals: make([]any, 0, n)}
	for j, i := range idx {
		if j+1 < n && o.Keys[idx[j+1]] == o.Keys[i] {
			continue // a later duplicate wins
		}
		out.Keys = append(out.Keys, o.Keys[i])
		out.Vals = append(out.Vals, o.Vals[i])
	}
	return out
}

// Get returns the value of key k.
func (o *JSONObject) Get(k string) (any, bool) {
	lo, hi := 0, len(o.Keys)
	for lo < hi {
		m := (lo + hi) / 2
		if jsonKeyLess(o.Keys[m], k) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(o.Keys) && o.Keys[lo] == k {
		return o.Vals[lo], true
	}
	return nil, false
}

// String is PostgreSQL's text output of the value.
func (j JSONB) String() string {
	if j.Text != "" {
		return j.Text
	}
	return string(AppendJSON(nil, j.V))
}

// AppendJSON appends the jsonb text of the tree v.
func AppendJSON(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		return strconv.AppendBool(buf, x)
	case string:
		return appendJSONString(buf, x)
	case JSONNumber:
		return append(buf, x.String()...)
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendJSON(buf, e)
		}
		return append(buf, ']')
	case *JSONObject:
		buf = append(buf, '{')
		for i, k := range x.Keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ": "...)
			buf = AppendJSON(buf, x.Vals[i])
		}
		return append(buf, '}')
	case JSONB:
		return AppendJSON(buf, x.V)
	}
	return appendJSONString(buf, "?")
}

// appendJSONString appends s quoted and escaped as PostgreSQL's
// escape_json does.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			buf = append(buf, `\"`...)
		case c == '\\':
			buf = append(buf, `\\`...)
		case c == '\b':
			buf = append(buf, `\b`...)
		case c == '\f':
			buf = append(buf, `\f`...)
		case c == '\n':
			buf = append(buf, `\n`...)
		case c == '\r':
			buf = append(buf, `\r`...)
		case c == '\t':
			buf = append(buf, `\t`...)
		case c < 0x20:
			buf = append(buf, `\u00`...)
			buf = append(buf, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			if c < utf8.RuneSelf {
				buf = append(buf, c)
			} else {
				_, n := utf8.DecodeRuneInString(s[i:])
				buf = append(buf, s[i:i+n]...)
				i += n
				continue
			}
		}
		i++
	}
	return append(buf, '"')
}

// Clone implements sql.JSONWrapper; values are never mutated in place.
func (j JSONB) Clone(context.Context) sql.JSONWrapper { return j }

// ToInterface implements sql.JSONWrapper with encoding/json's types.
func (j JSONB) ToInterface() (any, error) { return jsonInterface(j.V), nil }

func jsonInterface(v any) any {
	switch x := v.(type) {
	case JSONNumber:
		f, _ := x.D.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonInterface(e)
		}
		return out
	case *JSONObject:
		out := make(map[string]any, len(x.Keys))
		for i, k := range x.Keys {
			out[k] = jsonInterface(x.Vals[i])
		}
		return out
	}
	return v
}

// Compare implements types.ComparableJSON with jsonb's btree order.
func (j JSONB) Compare(other any) (int, error) {
	o, err := AsJSONB(other)
	if err != nil {
		return 0, err
	}
	if c, ok := compareTopEmptyArray(j.V, o.V); ok {
		return c, nil
	}
	return CompareJSON(j.V, o.V), nil
}

// compareTopEmptyArray is jsonb's quirk at the top level: a scalar is a
// one-element pseudo array there, so an empty array sorts before every
// scalar (and after nothing else changes).
func compareTopEmptyArray(a, b any) (int, bool) {
	ea := isEmptyArray(a) && !isJSONContainer(b)
	eb := isEmptyArray(b) && !isJSONContainer(a)
	switch {
	case ea:
		return -1, true
	case eb:
		return 1, true
	}
	return 0, false
}

func isEmptyArray(v any) bool {
	a, ok := v.([]any)
	return ok && len(a) == 0
}

// Type implements types.ComparableJSON.
func (j JSONB) Type(context.Context) (string, error) { return JSONTypeOf(j.V), nil }

// JSONTypeOf is jsonb_typeof's name for v.
func JSONTypeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case JSONNumber:
		return "number"
	case []any:
		return "array"
	}
	return "object"
}

// jsonRank orders the kinds of JSON values as jsonb's btree does:
// null < string < number < boolean < array < object.
func jsonRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case string:
		return 1
	case JSONNumber:
		return 2
	case bool:
		return 3
	case []any:
		return 4
	}
	return 5
}

// CompareJSON orders two trees like jsonb's btree operator class: by kind,
// containers by size first, then element by element (object keys and
// values in storage order).
func CompareJSON(a, b any) int {
	ra, rb := jsonRank(a), jsonRank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch x := a.(type) {
	case nil:
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case JSONNumber:
		return x.D.Cmp(b.(JSONNumber).D)
	case bool:
		y := b.(bool)
		if x == y {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return cmpInt(len(x), len(y))
		}
		for i := range x {
			if c := CompareJSON(x[i], y[i]); c != 0 {
				return c
			}
		}
		return 0
	case *JSONObject:
		y := b.(*JSONObject)
		if len(x.Keys) != len(y.Keys) {
			return cmpInt(len(x.Keys), len(y.Keys))
		}
		for i := range x.Keys {
			if x.Keys[i] != y.Keys[i] {
				return strings.Compare(x.Keys[i], y.Keys[i])
			}
			if c := CompareJSON(x.Vals[i], y.Vals[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AsJSONB converts an engine value of a json, jsonb or text expression to
// a JSONB (text is parsed as jsonb input).
func AsJSONB(v any) (JSONB, error) {
	switch x := v.(type) {
	case JSONB:
		return x, nil
	case *JSONB:
		return *x, nil
	case string:
		return ParseJSONB(x, false)
	case []byte:
		return ParseJSONB(string(x), false)
	case sql.JSONWrapper:
		// go-mysql-server's own documents (its JSON functions): through
		// their text.
		s, err := types.JsonToMySqlString(x)
		if err != nil {
			return JSONB{}, err
		}
		return ParseJSONB(s, false)
	}
	return JSONB{}, pgerror.New(pgerror.DatatypeMismatch, "not a json value: %T", v)
}
