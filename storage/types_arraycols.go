package storage

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// ArraySuffix marks a one-dimensional array column type in the catalog:
// "text[]", "int8[]" (docs/design/072).
const ArraySuffix = "[]"

// ArrayElem returns the element type of an array column type ("text[]" →
// "text"); ok is false for every other type.
func ArrayElem(t string) (elem string, ok bool) {
	if !strings.HasSuffix(t, ArraySuffix) {
		return "", false
	}
	return strings.TrimSuffix(t, ArraySuffix), true
}

// ArrayOfType returns the canonical array column type whose elements have
// the canonical type elem, or an error when OpenWit cannot store arrays of
// elem: text, varchar and varchar(n), int2/int4/int8, float4/float8,
// bool, date, numeric(p,s), timestamp and timestamptz (docs/design/072,
// 083).
func ArrayOfType(elem string) (string, error) {
	switch elem {
	case TypeText, TypeVarchar, TypeInt2, TypeInt4, TypeInt8, TypeFloat4, TypeFloat8, TypeBool, TypeDate,
		TypeTimestamp, TypeTimestampTZ:
		return elem + ArraySuffix, nil
	}
	if arrayOfTypmod(elem) {
		return elem + ArraySuffix, nil
	}
	return "", fmt.Errorf("arrays of type %s are not supported as column types", elem)
}

// arrayArrowType is the Arrow type of an array column: a list whose
// elements may be NULL, as PostgreSQL's array elements may. Arrays hold a
// lower bound of 1 and one dimension only, so the list is all they need.
func arrayArrowType(t string) (arrow.DataType, bool, error) {
	elem, ok := ArrayElem(t)
	if !ok {
		return nil, false, nil
	}
	if _, err := ArrayOfType(elem); err != nil {
		return nil, true, err
	}
	et, err := ArrowType(elem)
	if err != nil {
		return nil, true, err
	}
	return arrow.ListOfField(arrow.Field{Name: "element", Type: et, Nullable: true}), true, nil
}
