package pgtypes

import (
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/storage"
)

// arrayColumnType returns the engine type of an array column type
// ("text[]": ArrayType{Elem: OIDText}); ok is false for other types.
func arrayColumnType(t string) (typ sql.Type, ok bool, err error) {
	elem, ok := storage.ArrayElem(t)
	if !ok {
		return nil, false, nil
	}
	et, err := GMSType(elem)
	if err != nil {
		return nil, true, err
	}
	oid, _ := OID(et)
	return ArrayType{Elem: oid}, true, nil
}

// ArrayInput reads a one-dimensional array literal as PostgreSQL's array
// input does: "{a,"b c",NULL}", optionally decorated with its dimensions
// ("[1:3]={a,b,c}"). It returns the undecorated literal and its elements
// (nil = NULL): 22P02 for a malformed literal, 0A000 for more dimensions
// or a lower bound other than 1 (docs/design/072).
func ArrayInput(s string) (body string, elems []*string, err error) {
	body = s
	n := -1 // elements the decoration declares
	if t := strings.TrimLeft(s, arraySpaces); strings.HasPrefix(t, "[") {
		eq := strings.IndexByte(t, '=')
		if eq < 0 {
			return "", nil, malformedArray(s)
		}
		dims := strings.TrimRight(t[:eq], arraySpaces)
		if strings.Count(dims, "[") > 1 {
			return "", nil, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		lo, hi, ok := strings.Cut(strings.TrimSuffix(dims[1:], "]"), ":")
		if !ok || !strings.HasSuffix(dims, "]") {
			return "", nil, malformedArray(s)
		}
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil {
			return "", nil, malformedArray(s)
		}
		if l != 1 {
			return "", nil, pgerror.New(pgerror.FeatureNotSupported, "arrays with a lower bound other than 1 are not supported: \"%s\"", s)
		}
		n, body = h-l+1, t[eq+1:]
	}
	elems, ok := ParseArray(body)
	if !ok {
		if b := strings.TrimLeft(body, arraySpaces); strings.HasPrefix(b, "{") && strings.HasPrefix(strings.TrimLeft(b[1:], arraySpaces), "{") {
			return "", nil, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		return "", nil, malformedArray(s)
	}
	if n >= 0 && n != len(elems) {
		return "", nil, malformedArray(s)
	}
	return body, elems, nil
}

const arraySpaces = " \t\n\r\v\f"

func malformedArray(s string) error {
	return pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: \"%s\"", s)
}

// compareArrays orders two arrays' text forms as PostgreSQL orders arrays:
// element by element with the element type's order, NULL after every
// value, and a shorter array first when it is a prefix of the other.
func compareArrays(elem uint32, x, y string) int {
	a, ok1 := ParseArray(x)
	b, ok2 := ParseArray(y)
	if !ok1 || !ok2 {
		return strings.Compare(x, y)
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareArrayElems(elem, a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}

func compareArrayElems(elem uint32, a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch elem {
	case OIDInt2, OIDInt4, OIDInt8:
		x, err1 := strconv.ParseInt(*a, 10, 64)
		y, err2 := strconv.ParseInt(*b, 10, 64)
		if err1 == nil && err2 == nil {
			return cmpInt(x, y)
		}
	case OIDFloat4, OIDFloat8, OIDNumeric:
		x, err1 := strconv.ParseFloat(*a, 64)
		y, err2 := strconv.ParseFloat(*b, 64)
		if err1 == nil && err2 == nil {
			// NaN sorts after every number and equals itself.
			switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
			case xn && yn:
				return 0
			case xn:
				return 1
			case yn:
				return -1
			}
			return cmpInt(x, y)
		}
	}
	return strings.Compare(*a, *b)
}

func cmpInt[T int | int64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
