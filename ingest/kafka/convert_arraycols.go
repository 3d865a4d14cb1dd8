package kafka

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"openwit/storage"
)

// convertArray converts a JSON array for an array column of element type
// elem (docs/design/072): each element as convertValue converts a value
// for a column of that type, null as a NULL element. Anything but a JSON
// array, and an element the element type does not take, is an error (the
// record is a dead letter).
func convertArray(f *field, elem string) (value, error) {
	if f.kind != kindArray {
		return value{}, fmt.Errorf("a JSON %s cannot be stored in a %s[] column", f.kind, elem)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(f.raw, &items); err != nil {
		return value{}, fmt.Errorf("bad JSON array: %w", err)
	}
	out := make([]value, len(items))
	for i, it := range items {
		ef, err := elemField(it)
		if err != nil {
			return value{}, fmt.Errorf("element %d: %w", i+1, err)
		}
		if out[i], err = convertValue(&ef, elem); err != nil {
			return value{}, fmt.Errorf("element %d: %w", i+1, err)
		}
	}
	return value{list: out}, nil
}

// elemField is one element of a JSON array as the scanner would have
// returned it as an object member's value.
func elemField(raw json.RawMessage) (field, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return field{}, fmt.Errorf("empty element")
	}
	switch raw[0] {
	case 'n':
		return field{kind: kindNull}, nil
	case 't', 'f':
		return field{kind: kindBool, b: raw[0] == 't', raw: raw}, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return field{}, err
		}
		return field{kind: kindString, str: []byte(s), raw: raw}, nil
	case '[':
		return field{kind: kindArray, raw: raw}, nil
	case '{':
		return field{kind: kindObject, raw: raw}, nil
	}
	return field{kind: kindNumber, raw: raw}, nil
}

// arrayColumnElem returns the element type of an array column type.
func arrayColumnElem(typ string) (string, bool) { return storage.ArrayElem(typ) }

// appendListValue appends a converted array to a list builder.
func appendListValue(lb *array.ListBuilder, elems []value) {
	lb.Append(true)
	vb := lb.ValueBuilder()
	for i := range elems {
		v := &elems[i]
		if v.null {
			vb.AppendNull()
			continue
		}
		switch bb := vb.(type) {
		case *array.StringBuilder:
			bb.BinaryBuilder.Append(v.s)
		case *array.Int16Builder:
			bb.Append(int16(v.i))
		case *array.Int32Builder:
			bb.Append(int32(v.i))
		case *array.Int64Builder:
			bb.Append(v.i)
		case *array.Float32Builder:
			bb.Append(float32(v.f))
		case *array.Float64Builder:
			bb.Append(v.f)
		case *array.BooleanBuilder:
			bb.Append(v.b)
		case *array.Date32Builder:
			bb.Append(arrow.Date32(v.i))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(v.i)) // timestamp[], timestamptz[] (design 083)
		case *array.Decimal128Builder:
			bb.Append(v.d) // numeric(p,s)[]
		default:
			panic(fmt.Sprintf("kafka: no append for list elements of %T", vb)) // ArrayOfType and this switch disagree
		}
	}
}
