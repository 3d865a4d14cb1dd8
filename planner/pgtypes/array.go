package pgtypes

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"openwit/internal/pgarray"
	"openwit/internal/pgerror"
	"openwit/storage"
)

// arrayOIDs maps element type OIDs to their one-dimensional array types.
var arrayOIDs = map[uint32]uint32{
	OIDBool: 1000, OIDBytea: 1001, OIDInt2: 1005, OIDInt4: 1007, OIDText: 1009, OIDVarchar: 1015,
	OIDInt8: 1016, OIDFloat4: 1021, OIDFloat8: 1022, OIDTimestamp: 1115, OIDDate: 1182, OIDBPChar: 1014, OIDTime: 1183,
	OIDInterval: 1187, OIDTimestampTZ: 1185, OIDNumeric: 1231, OIDJSONB: 3807,
	OIDUUID: 2951, OIDInet: 1041, OIDCIDR: 651,
}

// ArrayOID returns the OID of the array type of elem, or 0.
func ArrayOID(elem uint32) uint32 { return arrayOIDs[elem] }

// ArrayElemOID returns the element type of an array type OID.
func ArrayElemOID(array uint32) (uint32, bool) {
	for e, a := range arrayOIDs {
		if a == array {
			return e, true
		}
	}
	return 0, false
}

// CanonicalName returns the canonical column type name (storage.Type*, or
// "interval") of an OID; text for types without one.
func CanonicalName(oid uint32) string {
	switch oid {
	case OIDBool:
		return storage.TypeBool
	case OIDInt2:
		return storage.TypeInt2
	case OIDInt4:
		return storage.TypeInt4
	case OIDInt8:
		return storage.TypeInt8
	case OIDFloat4:
		return storage.TypeFloat4
	case OIDFloat8:
		return storage.TypeFloat8
	case OIDNumeric:
		return storage.TypeNumeric
	case OIDTimestampTZ:
		return storage.TypeTimestampTZ
	case OIDTimestamp:
		return storage.TypeTimestamp
	case OIDDate:
		return storage.TypeDate
	case OIDInterval:
		return "interval"
	case OIDJSONB:
		return storage.TypeJSONB
	case OIDBytea:
		return storage.TypeBytea
	case OIDUUID:
		return storage.TypeUUID
	case OIDInet:
		return storage.TypeInet
	case OIDCIDR:
		return storage.TypeCIDR
	}
	return storage.TypeText
}

// ParseArray splits a one-dimensional PostgreSQL array literal ("{a,"b c",
// NULL}") into its elements; a nil element is NULL. ok is false when s is
// not such a literal (multi-dimensional arrays included).
func ParseArray(s string) (elems []*string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if strings.TrimSpace(body) == "" {
		return []*string{}, true
	}
	i := 0
	for {
		for i < len(body) && isArraySpace(body[i]) {
			i++
		}
		if i >= len(body) {
			return nil, false // a trailing comma
		}
		var b strings.Builder
		quoted := false
		switch body[i] {
		case '{':
			return nil, false
		case '"':
			quoted = true
			i++
			for {
				if i >= len(body) {
					return nil, false
				}
				c := body[i]
				if c == '\\' && i+1 < len(body) {
					b.WriteByte(body[i+1])
					i += 2
					continue
				}
				i++
				if c == '"' {
					break
				}
				b.WriteByte(c)
			}
			for i < len(body) && isArraySpace(body[i]) {
				i++
			}
		default:
			start := i
			for i < len(body) && body[i] != ',' {
				if body[i] == '"' || body[i] == '{' || body[i] == '}' {
					return nil, false
				}
				if body[i] == '\\' && i+1 < len(body) {
					b.WriteString(body[start:i])
					b.WriteByte(body[i+1])
					i += 2
					start = i
					continue
				}
				i++
			}
			b.WriteString(strings.TrimRightFunc(body[start:i], func(r rune) bool { return r < 128 && isArraySpace(byte(r)) }))
		}
		v := b.String()
		if !quoted && strings.EqualFold(v, "NULL") {
			elems = append(elems, nil)
		} else {
			elems = append(elems, &v)
		}
		if i >= len(body) {
			return elems, true
		}
		if body[i] != ',' {
			return nil, false
		}
		i++
	}
}

func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FormatArray renders elements (nil = NULL) as a one-dimensional array
// literal that ParseArray reads back.
func FormatArray(elems []*string) string { return formatArray(elems, pgarray.AppendQuoted) }

// ArrayType is the engine type of a one-dimensional PostgreSQL array whose
// elements have type Elem (an OID). Its values are the array's text form
// ("{1,2,NULL}", as PostgreSQL prints it), so the gateways send them as they
// are in text format and parse them for binary format.
type ArrayType struct{ Elem uint32 }

var _ sql.Type = ArrayType{}

// CollationCoercibility implements sql.CollationCoercible.
func (ArrayType) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// Compare orders arrays as PostgreSQL does: element by element
// (compareArrays).
func (t ArrayType) Compare(_ context.Context, a, b any) (int, error) {
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("cannot compare %T with %T", a, b)
	}
	return compareArrays(t.Elem, x, y), nil
}

// Convert implements sql.Type: array literals are accepted as they are.
func (t ArrayType) Convert(_ context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case nil:
		return nil, sql.InRange, nil
	case string:
		body, _, err := ArrayInput(x)
		if err != nil {
			return nil, sql.OutOfRange, err
		}
		return body, sql.InRange, nil
	}
	return nil, sql.OutOfRange, pgerror.New(pgerror.DatatypeMismatch, "a value of Go type %T cannot be stored as %s", v, t)
}

// Equals implements sql.Type.
func (t ArrayType) Equals(o sql.Type) bool { a, ok := o.(ArrayType); return ok && a.Elem == t.Elem }

// MaxTextResponseByteLength implements sql.Type.
func (t ArrayType) MaxTextResponseByteLength(*sql.Context) uint32 { return math.MaxUint32 }

// Promote implements sql.Type.
func (t ArrayType) Promote() sql.Type { return t }

// SQL implements sql.Type.
func (t ArrayType) SQL(_ *sql.Context, dest []byte, v any) (sqltypes.Value, error) {
	if v == nil {
		return sqltypes.NULL, nil
	}
	return sqltypes.MakeTrusted(sqltypes.Text, append(dest, fmt.Sprint(v)...)), nil
}

// Type implements sql.Type.
func (t ArrayType) Type() query.Type { return sqltypes.Text }

// ValueType implements sql.Type.
func (t ArrayType) ValueType() reflect.Type { return reflect.TypeOf("") }

// Zero implements sql.Type.
func (t ArrayType) Zero() any { return "{}" }

// String implements sql.Type.
func (t ArrayType) String() string { return TypeName(t.Elem) + "[]" }

// FormatArrayText renders elements (nil = NULL) as PostgreSQL's array
// output does: an element is double-quoted (with \ before " and \) only when
// it is empty, is NULL spelt out, or contains a brace, comma, quote,
// backslash or white space.
func FormatArrayText(elems []*string) string { return formatArray(elems, pgarray.AppendElem) }

// formatArray writes elems (nil = NULL) between braces, each non-NULL one
// with appendElem.
func formatArray(elems []*string, appendElem func([]byte, string) []byte) string {
	buf := []byte{'{'}
	for i, e := range elems {
		if i > 0 {
			buf = append(buf, ',')
		}
		if e == nil {
			buf = append(buf, "NULL"...)
			continue
		}
		buf = appendElem(buf, *e)
	}
	return string(append(buf, '}'))
}
