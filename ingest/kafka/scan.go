package kafka

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// jsonKind is the JSON type of a scanned value.
type jsonKind uint8

const (
	kindNull jsonKind = iota
	kindString
	kindNumber
	kindBool
	kindObject // nested object: raw holds its JSON text
	kindArray  // nested array: raw holds its JSON text
)

func (k jsonKind) String() string {
	return [...]string{"null", "string", "number", "boolean", "object", "array"}[k]
}

// field is one top-level member of a record's JSON object. key and str
// alias the record when they have no escapes (the usual case), so a
// field is valid only as long as the record's bytes are.
type field struct {
	key  []byte // unescaped
	kind jsonKind
	str  []byte // kindString: the unescaped string
	raw  []byte // the value's JSON text (numbers, nested values)
	b    bool   // kindBool
}

// scanObject splits one JSON object into its top-level members, appending
// them to fields[:0]. Keys and strings without escapes alias b (no copy,
// no allocation). Nested objects and
// arrays are kept as their JSON text (checked with json.Valid). Anything
// but exactly one object (and white space) is an error.
func scanObject(b []byte, fields []field) ([]field, error) {
	fields = fields[:0]
	s := scanner{b: b}
	s.ws()
	if !s.lit('{') {
		return nil, errors.New("not a JSON object")
	}
	s.ws()
	if s.lit('}') {
		s.ws()
		if s.i != len(b) {
			return nil, s.errf("data after the object")
		}
		return fields, nil
	}
	for {
		s.ws()
		if s.peek() != '"' {
			return nil, s.errf("want a member name")
		}
		key, err := s.str()
		if err != nil {
			return nil, err
		}
		s.ws()
		if !s.lit(':') {
			return nil, s.errf("want ':'")
		}
		s.ws()
		f := field{key: key}
		if err := s.value(&f); err != nil {
			return nil, err
		}
		fields = append(fields, f)
		s.ws()
		if s.lit(',') {
			continue
		}
		if s.lit('}') {
			break
		}
		return nil, s.errf("want ',' or '}'")
	}
	s.ws()
	if s.i != len(b) {
		return nil, s.errf("data after the object")
	}
	return fields, nil
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) errf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: "+format, append([]any{s.i}, args...)...)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) lit(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) word(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

// str reads a JSON string at s.i (which is '"'). A string without
// escapes is returned as a slice of s.b.
func (s *scanner) str() ([]byte, error) {
	start := s.i
	s.i++
	plain := true
	var hi byte // the OR of the plain bytes: >= 0x80 when any is not ASCII
	for s.i < len(s.b) {
		// Runs of bytes that need no attention, the most of a string.
		for s.i < len(s.b) && strPlain[s.b[s.i]] {
			hi |= s.b[s.i]
			s.i++
		}
		if s.i == len(s.b) {
			break
		}
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			if plain {
				raw := s.b[start+1 : s.i-1]
				if hi >= utf8.RuneSelf && !utf8.Valid(raw) {
					return nil, s.errf("invalid UTF-8 in a string")
				}
				return raw, nil
			}
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				return nil, s.errf("bad string: %v", err)
			}
			return []byte(out), nil
		case c == '\\':
			plain = false
			s.i += 2
		default: // c < 0x20
			return nil, s.errf("control character in a string")
		}
	}
	return nil, s.errf("unterminated string")
}

// strPlain marks the bytes a JSON string holds as themselves: not a
// quote, a backslash or a control character.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) value(f *field) error {
	switch c := s.peek(); {
	case c == '"':
		str, err := s.str()
		f.kind, f.str = kindString, str
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.i
		s.i++
		for s.i < len(s.b) {
			c := s.b[s.i]
			if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
				s.i++
				continue
			}
			break
		}
		f.kind, f.raw = kindNumber, s.b[start:s.i]
		if !validNumber(f.raw) {
			return s.errf("bad number %q", f.raw)
		}
		return nil
	case c == 't' && s.word("true"):
		f.kind, f.b = kindBool, true
		return nil
	case c == 'f' && s.word("false"):
		f.kind = kindBool
		return nil
	case c == 'n' && s.word("null"):
		f.kind = kindNull
		return nil
	case c == '{' || c == '[':
		start := s.i
		if err := s.skipNested(); err != nil {
			return err
		}
		f.raw = s.b[start:s.i]
		if !json.Valid(f.raw) {
			return s.errf("bad nested value")
		}
		f.kind = kindObject
		if c == '[' {
			f.kind = kindArray
		}
		return nil
	}
	return s.errf("want a value")
}

// skipNested moves past a balanced {...} or [...], minding strings; the
// caller validates the text.
func (s *scanner) skipNested() error {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return nil
			}
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
			continue
		}
		s.i++
	}
	return s.errf("unterminated nested value")
}

// validNumber checks JSON number syntax.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(b)
}

// isInteger reports whether a valid JSON number has no fraction or
// exponent.
func isInteger(b []byte) bool {
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// parseInt reads a JSON number as an int64: integers directly, others
// when they are whole and in range (1e3, 2.0).
func parseInt(b []byte) (int64, error) {
	if isInteger(b) {
		return strconv.ParseInt(string(b), 10, 64)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, err
	}
	if f != float64(int64(f)) || f >= 9.2e18 || f <= -9.2e18 {
		return 0, fmt.Errorf("%s is not a whole number in range", b)
	}
	return int64(f), nil
}
