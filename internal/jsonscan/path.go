package jsonscan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Step is one step of a path, as the jsonb operators take it.
type Step struct {
	// Key is the object key of a -> step, or the element of a #> path.
	Key string `json:"key,omitempty"`
	// Index is the array subscript of a -> step with an integer operand.
	Index int64 `json:"index,omitempty"`
	// ByIndex marks a -> step with an integer operand: an element of an
	// array; a scalar is an array of itself for subscripts 0 and -1.
	ByIndex bool `json:"by_index,omitempty"`
	// Path marks an element of a #> path: a key of an object, or a
	// subscript (the element read as an integer) of an array.
	Path bool `json:"path,omitempty"`
}

// String renders the step as its operator and operand.
func (s Step) String() string {
	switch {
	case s.ByIndex:
		return fmt.Sprintf("-> %d", s.Index)
	case s.Path:
		return "#> " + strconv.Quote(s.Key)
	}
	return "-> '" + strings.ReplaceAll(s.Key, "'", "''") + "'"
}

// Get follows path from the value v (a value's text; surrounding space is
// allowed); ok is false when a step finds nothing.
func Get(v string, path []Step) (val string, ok bool, err error) {
	v = Trim(v)
	for _, s := range path {
		switch {
		case s.ByIndex:
			k := KindOf(v)
			if k != Array && k != Object && (s.Index == 0 || s.Index == -1) {
				continue // a scalar is a one-element array to ->
			}
			v, ok, err = Index(v, s.Index)
		case s.Path:
			switch KindOf(v) {
			case Object:
				v, ok, err = Key(v, s.Key)
			case Array:
				n, perr := strconv.ParseInt(strings.TrimLeft(s.Key, " \t\n\r\v\f"), 10, 32)
				if perr != nil {
					return "", false, nil
				}
				v, ok, err = Index(v, n)
			default:
				return "", false, nil
			}
		default:
			v, ok, err = Key(v, s.Key)
		}
		if err != nil || !ok {
			return "", false, err
		}
	}
	return v, true, nil
}

// Pair is one key and scalar value of a containment test.
type Pair struct {
	Key  string
	Kind Kind
	Str  string          // String: the decoded string
	Num  decimal.Decimal // Number
	Bool bool            // Bool
	raw  string
}

// FlatObject returns the pairs of a JSON object whose values are all
// scalars; ok is false for anything else (containers, not an object).
func FlatObject(v string) (pairs []Pair, ok bool, err error) {
	v = Trim(v)
	if KindOf(v) != Object {
		return nil, false, nil
	}
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == '}' {
		return nil, true, nil
	}
	for {
		i = skipSpace(v, i)
		if i >= len(v) || v[i] != '"' {
			return nil, false, ErrSyntax
		}
		ke := strEnd(v, i)
		if ke < 0 {
			return nil, false, ErrSyntax
		}
		p := Pair{Key: StringValue(v[i:ke])}
		i = skipSpace(v, ke)
		if i >= len(v) || v[i] != ':' {
			return nil, false, ErrSyntax
		}
		i = skipSpace(v, i+1)
		ve := end(v, i)
		if ve < 0 {
			return nil, false, ErrSyntax
		}
		val := v[i:ve]
		p.Kind, p.raw = KindOf(val), val
		switch p.Kind {
		case String:
			p.Str = StringValue(val)
		case Number:
			if p.Num, _, err = ParseNumber(val); err != nil {
				return nil, false, err
			}
		case Bool:
			p.Bool = val == "true"
		case Null:
		default:
			return nil, false, nil
		}
		// A later duplicate wins.
		for j := range pairs {
			if pairs[j].Key == p.Key {
				pairs = append(pairs[:j], pairs[j+1:]...)
				break
			}
		}
		pairs = append(pairs, p)
		i = skipSpace(v, ve)
		if i >= len(v) {
			return nil, false, ErrSyntax
		}
		if v[i] == ',' {
			i++
			continue
		}
		if v[i] != '}' {
			return nil, false, ErrSyntax
		}
		return pairs, true, nil
	}
}

// ContainsPairs is v @> o for an object o of scalars (its pairs): v is an
// object with every key of o, each with an equal scalar value (numbers by
// value: 1.0 equals 1).
func ContainsPairs(v string, pairs []Pair) (bool, error) {
	v = Trim(v)
	if KindOf(v) != Object {
		return false, nil
	}
	for _, p := range pairs {
		x, ok, err := Key(v, p.Key)
		if err != nil || !ok {
			return false, err
		}
		if KindOf(x) != p.Kind {
			return false, nil
		}
		switch p.Kind {
		case String:
			raw := x[1 : len(x)-1]
			if strings.IndexByte(raw, '\\') < 0 {
				if raw != p.Str {
					return false, nil
				}
			} else if StringValue(x) != p.Str {
				return false, nil
			}
		case Number:
			if x != p.raw {
				d, _, err := ParseNumber(x)
				if err != nil {
					return false, err
				}
				if !d.Equal(p.Num) {
					return false, nil
				}
			}
		case Bool:
			if (x == "true") != p.Bool {
				return false, nil
			}
		}
	}
	return true, nil
}
