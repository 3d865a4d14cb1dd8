package kafka

import (
	"strconv"

	"openwit/storage"
)

// colKind is a column type whose common values convert without
// convertPlain's switch on the type name, decided once per converter.
type colKind uint8

const (
	kindPlain colKind = iota // anything else: convertPlain (or convertChar) decides
	kindTextCol
	kindInt2Col
	kindInt4Col
	kindInt8Col
	kindFloatCol // float4 and float8 (both parse as float64)
	kindTimestampTZCol
)

// columnKind is the colKind of a column type that is not varchar(n) or
// char(n).
func columnKind(typ string) colKind {
	switch typ {
	case storage.TypeText:
		return kindTextCol
	case storage.TypeInt2:
		return kindInt2Col
	case storage.TypeInt4:
		return kindInt4Col
	case storage.TypeInt8:
		return kindInt8Col
	case storage.TypeFloat4, storage.TypeFloat8:
		return kindFloatCol
	case storage.TypeTimestampTZ:
		return kindTimestampTZCol
	}
	return kindPlain
}

// convertFast converts the common shapes of a value for a column of kind
// k: null, a string for text, an integer number for int2/4/8 within range,
// a number for float4/8, an epoch number for timestamptz within range. ok
// is false for anything else (other types, other JSON kinds, errors, out
// of range): the caller then asks convertPlain, which gives the same
// value or the error. TestConvertFastMatchesPlain compares the two.
func convertFast(f *field, k colKind) (v value, ok bool) {
	if f.kind == kindNull {
		return value{null: true}, k != kindPlain
	}
	switch k {
	case kindTextCol:
		if f.kind == kindString {
			return value{s: f.str}, true
		}
	case kindInt2Col, kindInt4Col, kindInt8Col:
		if f.kind != kindNumber || !isInteger(f.raw) {
			return v, false
		}
		i, err := strconv.ParseInt(string(f.raw), 10, 64)
		if err != nil {
			return v, false
		}
		switch {
		case k == kindInt2Col && (i < -1<<15 || i > 1<<15-1), k == kindInt4Col && (i < -1<<31 || i > 1<<31-1):
			return v, false
		}
		return value{i: i}, true
	case kindFloatCol:
		if f.kind != kindNumber {
			return v, false
		}
		x, err := strconv.ParseFloat(string(f.raw), 64)
		if err != nil {
			return v, false
		}
		return value{f: x}, true
	case kindTimestampTZCol:
		if f.kind != kindNumber {
			return v, false
		}
		us, err := epochMicros(f.raw)
		if err != nil || us < minTimestampTZ || us > maxTimestampTZ {
			return v, false
		}
		return value{i: us}, true
	}
	return v, false
}
