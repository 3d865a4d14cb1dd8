package pgwire

import (
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgarray"
	"openwit/internal/pgerror"
	"openwit/internal/pgfloat"
	"openwit/internal/pgtime"
)

// Format codes.
const (
	formatText   int16 = 0
	formatBinary int16 = 1
)

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC),
// and the same in days.
const (
	pgEpochMicros = 946684800000000
	pgEpochDays   = 10957
)

// encoder turns backend values into wire values. It belongs to one
// connection.
type encoder struct {
	tzName string
	loc    *time.Location // session TimeZone, for timestamptz text output
	// intervalStyle is the session's IntervalStyle for interval text
	// output ("" or postgres: appendInterval).
	intervalStyle string
	// lowFloatDigits is set when extra_float_digits is 0 or less: float
	// text output then has 15 + floatDigits (float8) or 6 + floatDigits
	// (float4) significant digits instead of the shortest exact text.
	lowFloatDigits bool
	floatDigits    int
	types          *pgtype.Map // created on first use (numeric, arrays, other types)
}

// setExtraFloatDigits applies the session's extra_float_digits.
func (e *encoder) setExtraFloatDigits(v string) {
	n, err := strconv.Atoi(v)
	e.lowFloatDigits, e.floatDigits = err == nil && n <= 0, n
}

// appendFloat appends f as float text in the session's extra_float_digits.
func (e *encoder) appendFloat(buf []byte, f float64, bits int) []byte {
	if e.lowFloatDigits {
		return pgfloat.Append(buf, f, bits, e.floatDigits)
	}
	return appendFloat(buf, f, bits)
}

// setTimeZone switches the zone timestamptz values are printed in.
func (e *encoder) setTimeZone(name string) {
	if e.loc != nil && name == e.tzName {
		return
	}
	e.tzName = name
	e.loc = loadLocation(name)
}

func (e *encoder) typeMap() *pgtype.Map {
	if e.types == nil {
		e.types = pgtype.NewMap()
	}
	return e.types
}

// canBinary reports whether values of oid can be sent in binary format.
func (e *encoder) canBinary(oid uint32) bool {
	switch oid {
	case pgtype.BoolOID, pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID,
		pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID,
		pgtype.TextOID, pgtype.VarcharOID, pgtype.NameOID, pgtype.BPCharOID, pgtype.UnknownOID,
		pgtype.QCharOID, pgtype.JSONOID, pgtype.JSONBOID, pgtype.ByteaOID,
		pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID, pgtype.IntervalOID,
		pgtype.UUIDOID:
		return true
	}
	if _, ok := arrayElem(oid); ok {
		return true
	}
	_, ok := e.typeMap().TypeForOID(oid)
	return ok
}

// arrayElem returns the element type of the one-dimensional string-like
// array types OpenWit encodes itself.
func arrayElem(oid uint32) (uint32, bool) {
	switch oid {
	case pgtype.TextArrayOID:
		return pgtype.TextOID, true
	case pgtype.VarcharArrayOID:
		return pgtype.VarcharOID, true
	case pgtype.NameArrayOID:
		return pgtype.NameOID, true
	case pgtype.BPCharArrayOID:
		return pgtype.BPCharOID, true
	}
	return 0, false
}

// normalize reduces a backend value to one of nil, bool, int64, uint64,
// float32, float64, string, []byte, []string, [16]byte, time.Time,
// time.Duration or fmt.Stringer; other values are returned unchanged and
// formatted with fmt.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, uint64, float64, float32, string, []byte, []string, [16]byte, time.Time, time.Duration:
		return v, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint8:
		return uint64(x), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, nil
		}
	}
	switch x := v.(type) {
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return nil, err
		}
		if _, again := dv.(driver.Valuer); again {
			return nil, fmt.Errorf("value %T: Value returned another driver.Valuer", v)
		}
		return normalize(dv)
	case fmt.Stringer:
		return x, nil
	}
	switch rv.Kind() {
	case reflect.Pointer:
		return normalize(rv.Elem().Interface())
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), nil
	case reflect.Float32:
		return float32(rv.Float()), nil
	case reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Slice:
		switch rv.Type().Elem().Kind() {
		case reflect.Uint8:
			return rv.Bytes(), nil
		case reflect.String:
			out := make([]string, rv.Len())
			for i := range out {
				out[i] = rv.Index(i).String()
			}
			return out, nil
		}
	case reflect.Array:
		if rv.Len() == 16 && rv.Type().Elem().Kind() == reflect.Uint8 {
			var u [16]byte
			reflect.Copy(reflect.ValueOf(&u).Elem(), rv)
			return u, nil
		}
	}
	return v, nil
}

// typeName is the SQL name of oid used in error messages.
func typeName(oid uint32) string {
	switch oid {
	case pgtype.BoolOID:
		return "boolean"
	case pgtype.Int2OID:
		return "smallint"
	case pgtype.Int4OID:
		return "integer"
	case pgtype.Int8OID:
		return "bigint"
	case pgtype.OIDOID:
		return "oid"
	case pgtype.Float4OID:
		return "real"
	case pgtype.Float8OID:
		return "double precision"
	case pgtype.NumericOID:
		return "numeric"
	case pgtype.TextOID:
		return "text"
	case pgtype.VarcharOID:
		return "character varying"
	case pgtype.BPCharOID:
		return "character"
	case pgtype.NameOID:
		return "name"
	case pgtype.ByteaOID:
		return "bytea"
	case pgtype.DateOID:
		return "date"
	case pgtype.TimestampOID:
		return "timestamp without time zone"
	case pgtype.TimestamptzOID:
		return "timestamp with time zone"
	case pgtype.IntervalOID:
		return "interval"
	case pgtype.JSONOID:
		return "json"
	case pgtype.JSONBOID:
		return "jsonb"
	case pgtype.UUIDOID:
		return "uuid"
	case pgtype.TextArrayOID:
		return "text[]"
	}
	return "type " + strconv.FormatUint(uint64(oid), 10)
}

// errMismatch reports a value the column type cannot represent.
func errMismatch(v any, oid uint32) error {
	return pgerror.New(pgerror.DatatypeMismatch, "cannot encode value of Go type %T as %s", v, typeName(oid))
}

// errSyntax is PostgreSQL's invalid-input error.
func errSyntax(oid uint32, s string) error {
	return pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type %s: %q", typeName(oid), s)
}

// appendText appends the text format of the normalized, non-nil value v as
// a value of type oid.
func (e *encoder) appendText(buf []byte, oid uint32, v any) ([]byte, error) {
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		switch x := v.(type) {
		case float64:
			return strconv.AppendFloat(buf, math.Round(x), 'f', 0, 64), nil
		case float32:
			return strconv.AppendFloat(buf, math.Round(float64(x)), 'f', 0, 64), nil
		case bool:
			return strconv.AppendInt(buf, int64(b2i(x)), 10), nil
		}
	case pgtype.Float4OID:
		switch x := v.(type) {
		case float32:
			return e.appendFloat(buf, float64(x), 32), nil
		case float64:
			return e.appendFloat(buf, float64(float32(x)), 32), nil
		case int64:
			return e.appendFloat(buf, float64(float32(x)), 32), nil
		case uint64:
			return e.appendFloat(buf, float64(float32(x)), 32), nil
		}
	case pgtype.Float8OID:
		switch x := v.(type) {
		case float32:
			return e.appendFloat(buf, widen(x), 64), nil
		case int64:
			return e.appendFloat(buf, float64(x), 64), nil
		case uint64:
			return e.appendFloat(buf, float64(x), 64), nil
		}
	case pgtype.NumericOID:
		switch x := v.(type) {
		case float64:
			return appendNumericFloat(buf, x, 64), nil
		case float32:
			return appendNumericFloat(buf, float64(x), 32), nil
		}
	case pgtype.ByteaOID:
		switch x := v.(type) {
		case []byte:
			return appendByteaHex(buf, x), nil
		case string:
			return appendByteaHex(buf, []byte(x)), nil
		}
	case pgtype.DateOID:
		if t, ok := v.(time.Time); ok {
			return appendDate(buf, t), nil
		}
	case pgtype.TimestampOID:
		if t, ok := v.(time.Time); ok {
			return appendTimestamp(buf, t, false), nil
		}
	case pgtype.TimestamptzOID:
		if t, ok := v.(time.Time); ok {
			return appendTimestamp(buf, t.In(e.loc), true), nil
		}
	case pgtype.IntervalOID:
		if e.intervalStyle != "" && e.intervalStyle != intervalPostgres {
			iv, err := toInterval(v)
			if err != nil {
				return buf, err
			}
			return appendIntervalStyle(buf, iv.months, iv.days, iv.micros, e.intervalStyle), nil
		}
	case pgtype.UUIDOID:
		if b, ok := v.([]byte); ok && len(b) == 16 {
			return appendUUID(buf, [16]byte(b)), nil
		}
	case pgtype.JSONOID, pgtype.JSONBOID:
		switch v.(type) {
		case string, []byte, bool, int64, uint64, float64, float32, fmt.Stringer:
		default:
			j, err := json.Marshal(v)
			if err != nil {
				return buf, pgerror.New(pgerror.InvalidTextRepr, "encode %T as json: %v", v, err)
			}
			return append(buf, j...), nil
		}
	}
	return e.appendGeneric(buf, v), nil
}

// appendGeneric is the type-independent text form of v.
func (e *encoder) appendGeneric(buf []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(buf, x...)
	case []byte:
		return append(buf, x...)
	case bool:
		if x {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case uint64:
		return strconv.AppendUint(buf, x, 10)
	case float64:
		return e.appendFloat(buf, x, 64)
	case float32:
		return e.appendFloat(buf, float64(x), 32)
	case time.Time:
		return appendTimestamp(buf, x.In(e.loc), true)
	case time.Duration:
		return appendInterval(buf, 0, 0, x.Microseconds())
	case [16]byte:
		return appendUUID(buf, x)
	case []string:
		return appendTextArray(buf, x)
	case fmt.Stringer:
		return append(buf, x.String()...)
	}
	return fmt.Append(buf, v)
}

// appendBinary appends the binary format of the normalized, non-nil value v
// as a value of type oid.
func (e *encoder) appendBinary(buf []byte, oid uint32, v any) ([]byte, error) {
	switch oid {
	case pgtype.BoolOID:
		b, err := toBool(v, oid)
		if err != nil {
			return buf, err
		}
		return append(buf, byte(b2i(b))), nil
	case pgtype.Int2OID:
		n, err := toInt(v, oid, math.MinInt16, math.MaxInt16)
		return binary.BigEndian.AppendUint16(buf, uint16(n)), err
	case pgtype.Int4OID:
		n, err := toInt(v, oid, math.MinInt32, math.MaxInt32)
		return binary.BigEndian.AppendUint32(buf, uint32(n)), err
	case pgtype.Int8OID:
		n, err := toInt(v, oid, math.MinInt64, math.MaxInt64)
		return binary.BigEndian.AppendUint64(buf, uint64(n)), err
	case pgtype.OIDOID:
		n, err := toInt(v, oid, 0, math.MaxUint32)
		return binary.BigEndian.AppendUint32(buf, uint32(n)), err
	case pgtype.Float4OID:
		f, err := toFloat(v, oid)
		return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(f))), err
	case pgtype.Float8OID:
		f, err := toFloat(v, oid)
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), err
	case pgtype.NumericOID:
		return e.appendNumericBinary(buf, v)
	case pgtype.ByteaOID:
		switch x := v.(type) {
		case []byte:
			return append(buf, x...), nil
		case string:
			return append(buf, x...), nil
		}
		return e.appendGeneric(buf, v), nil
	case pgtype.DateOID:
		t, err := e.toTime(v, oid)
		if err != nil {
			return buf, err
		}
		switch pgtime.Infinite(t) {
		case 1:
			return binary.BigEndian.AppendUint32(buf, uint32(math.MaxInt32)), nil
		case -1:
			return binary.BigEndian.AppendUint32(buf, 1<<31), nil
		}
		return binary.BigEndian.AppendUint32(buf, uint32(int32(dateDays(t)))), nil
	case pgtype.TimestampOID:
		t, err := e.toTime(v, oid)
		if err != nil {
			return buf, err
		}
		if inf := infiniteMicros(t); inf != 0 {
			return binary.BigEndian.AppendUint64(buf, uint64(inf)), nil
		}
		return binary.BigEndian.AppendUint64(buf, uint64(wallMicros(t)-pgEpochMicros)), nil
	case pgtype.TimestamptzOID:
		t, err := e.toTime(v, oid)
		if err != nil {
			return buf, err
		}
		if inf := infiniteMicros(t); inf != 0 {
			return binary.BigEndian.AppendUint64(buf, uint64(inf)), nil
		}
		return binary.BigEndian.AppendUint64(buf, uint64(t.Round(time.Microsecond).UnixMicro()-pgEpochMicros)), nil
	case pgtype.IntervalOID:
		iv, err := toInterval(v)
		if err != nil {
			return buf, err
		}
		buf = binary.BigEndian.AppendUint64(buf, uint64(iv.micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(iv.days))
		return binary.BigEndian.AppendUint32(buf, uint32(iv.months)), nil
	case pgtype.UUIDOID:
		u, err := toUUID(v)
		if err != nil {
			return buf, err
		}
		return append(buf, u[:]...), nil
	case pgtype.InetOID, pgtype.CIDROID:
		return appendInetBinary(buf, oid, v)
	case pgtype.TimeOID:
		us, err := timeMicros(v)
		if err != nil {
			return buf, err
		}
		return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
	case pgtype.JSONBOID:
		buf = append(buf, 1) // jsonb binary format version
		return e.appendText(buf, pgtype.JSONOID, v)
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.NameOID, pgtype.BPCharOID, pgtype.UnknownOID,
		pgtype.QCharOID, pgtype.JSONOID:
		// The binary form of these types is their text.
		return e.appendText(buf, oid, v)
	}
	if s, ok := v.(string); ok && paramArrayOIDs[oid] {
		return e.appendArrayBinary(buf, oid, s)
	}
	if elem, ok := arrayElem(oid); ok {
		return e.appendStringArrayBinary(buf, oid, elem, v)
	}
	if _, ok := e.typeMap().TypeForOID(oid); ok {
		out, err := e.typeMap().Encode(oid, pgtype.BinaryFormatCode, v, buf)
		if err != nil || out == nil {
			return buf, errMismatch(v, oid)
		}
		return out, nil
	}
	return buf, pgerror.New(pgerror.UndefinedFunction, "no binary output function available for type %s", typeName(oid))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// widen converts a float32 to the float64 with the same shortest decimal
// form (1.1f becomes 1.1, not 1.100000023841858).
func widen(f float32) float64 {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return float64(f)
	}
	w, err := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	if err != nil {
		return float64(f)
	}
	return w
}

// appendFloat appends f the way PostgreSQL 12+ prints float4 (bits 32) and
// float8 (bits 64) with the default extra_float_digits: the shortest
// decimal that reads back exactly, in fixed notation when the decimal
// exponent is in [-4, 6) for float4 or [-4, 15) for float8 and in
// %e-style notation (at least two exponent digits) otherwise; NaN,
// Infinity and -Infinity are spelled out.
func appendFloat(buf []byte, f float64, bits int) []byte {
	if out, ok := pgfloat.AppendSpecial(buf, f); ok {
		return out
	}
	switch {
	case f == 0:
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	var tmp [32]byte
	sci := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	i := strings.LastIndexByte(string(sci), 'e')
	exp, _ := strconv.Atoi(string(sci[i+1:]))
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return append(buf, sci...)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bits)
}

// appendNumericFloat appends a float as numeric text (no exponent).
func appendNumericFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bits)
}

// appendByteaHex appends bytea's hex text format.
func appendByteaHex(buf, b []byte) []byte {
	buf = append(buf, '\\', 'x')
	return hex.AppendEncode(buf, b)
}

// appendUUID appends the canonical 8-4-4-4-12 form.
func appendUUID(buf []byte, u [16]byte) []byte {
	buf = hex.AppendEncode(buf, u[0:4])
	buf = append(buf, '-')
	buf = hex.AppendEncode(buf, u[4:6])
	buf = append(buf, '-')
	buf = hex.AppendEncode(buf, u[6:8])
	buf = append(buf, '-')
	buf = hex.AppendEncode(buf, u[8:10])
	buf = append(buf, '-')
	return hex.AppendEncode(buf, u[10:16])
}

// appendTextArray appends a one-dimensional array literal.
func appendTextArray(buf []byte, a []string) []byte {
	buf = append(buf, '{')
	for i, s := range a {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = pgarray.AppendElem(buf, s)
	}
	return append(buf, '}')
}

// appendStringArrayBinary appends a one-dimensional array of strings in
// binary format.
func (e *encoder) appendStringArrayBinary(buf []byte, oid, elem uint32, v any) ([]byte, error) {
	var a []string
	switch x := v.(type) {
	case []string:
		a = x
	case string:
		if err := e.typeMap().Scan(oid, pgtype.TextFormatCode, []byte(x), &a); err != nil {
			return buf, errSyntax(oid, x)
		}
	default:
		return buf, errMismatch(v, oid)
	}
	ndim := uint32(1)
	if len(a) == 0 {
		ndim = 0
	}
	buf = binary.BigEndian.AppendUint32(buf, ndim)
	buf = binary.BigEndian.AppendUint32(buf, 0) // no NULL elements
	buf = binary.BigEndian.AppendUint32(buf, elem)
	if ndim == 0 {
		return buf, nil
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(a)))
	buf = binary.BigEndian.AppendUint32(buf, 1) // lower bound
	for _, s := range a {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
		buf = append(buf, s...)
	}
	return buf, nil
}

// appendArrayBinary appends the binary format of a one-dimensional array
// given as its text form ("{1,NULL,3}"): the header, then each element in
// its type's binary format (-1 for NULL).
func (e *encoder) appendArrayBinary(buf []byte, oid uint32, s string) ([]byte, error) {
	var elems []*string
	if err := e.typeMap().Scan(pgtype.TextArrayOID, pgtype.TextFormatCode, []byte(s), &elems); err != nil {
		return buf, errSyntax(oid, s)
	}
	var elem uint32
	if t, ok := e.typeMap().TypeForOID(oid); ok {
		if c, ok := t.Codec.(*pgtype.ArrayCodec); ok {
			elem = c.ElementType.OID
		}
	}
	if elem == 0 {
		return buf, errMismatch(s, oid)
	}
	ndim, hasNull := uint32(1), uint32(0)
	if len(elems) == 0 {
		ndim = 0
	}
	for _, x := range elems {
		if x == nil {
			hasNull = 1
		}
	}
	buf = binary.BigEndian.AppendUint32(buf, ndim)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elem)
	if ndim == 0 {
		return buf, nil
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(elems)))
	buf = binary.BigEndian.AppendUint32(buf, 1) // lower bound
	for _, x := range elems {
		if x == nil {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32) // -1: NULL
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		if buf, err = e.appendBinary(buf, elem, *x); err != nil {
			return buf[:at], err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

// appendNumericBinary encodes v as numeric via pgtype.
func (e *encoder) appendNumericBinary(buf []byte, v any) ([]byte, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float64:
		s = string(appendNumericFloat(nil, x, 64))
	case float32:
		s = string(appendNumericFloat(nil, float64(x), 32))
	case fmt.Stringer:
		s = x.String()
	default:
		return buf, errMismatch(v, pgtype.NumericOID)
	}
	if out, ok := appendPlainNumericBinary(buf, s); ok {
		return out, nil
	}
	n, err := parseNumeric(s)
	if err != nil {
		return buf, err
	}
	out, err := e.typeMap().Encode(pgtype.NumericOID, pgtype.BinaryFormatCode, n, buf)
	if err != nil {
		return buf, pgerror.New(pgerror.InvalidTextRepr, "encode numeric %q: %v", s, err)
	}
	return out, nil
}

// appendPlainNumericBinary encodes "[+-]digits[.digits]" directly in
// numeric's binary form (ndigits, weight, sign, dscale, base-10000 digits)
// and reports false for anything else (exponents, NaN, infinities,
// garbage), which the pgtype path handles.
func appendPlainNumericBinary(buf []byte, s string) ([]byte, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" || len(s) > 1000 {
		return buf, false
	}
	for i := 0; i < len(intPart); i++ {
		if intPart[i] < '0' || intPart[i] > '9' {
			return buf, false
		}
	}
	for i := 0; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return buf, false
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	dscale := len(frac)
	// Group digits in fours around the decimal point.
	var digits []uint16
	lead := len(intPart) % 4
	if lead == 0 && len(intPart) > 0 {
		lead = 4
	}
	for i := 0; i < len(intPart); {
		n := 4
		if i == 0 {
			n = lead
		}
		digits = append(digits, uint16(atoiDigits(intPart[i:i+n])))
		i += n
	}
	weight := len(digits) - 1
	for i := 0; i < len(frac); i += 4 {
		g := frac[i:min(i+4, len(frac))]
		d := atoiDigits(g)
		for j := len(g); j < 4; j++ {
			d *= 10
		}
		digits = append(digits, uint16(d))
	}
	// Strip leading and trailing zero groups.
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	sign := uint16(0)
	if len(digits) == 0 {
		weight = 0
	} else if neg {
		sign = 0x4000
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(digits)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(dscale))
	for _, d := range digits {
		buf = binary.BigEndian.AppendUint16(buf, d)
	}
	return buf, true
}

func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// parseNumeric parses numeric text, including NaN, ±Infinity and
// exponents.
func parseNumeric(s string) (pgtype.Numeric, error) {
	var n pgtype.Numeric
	switch strings.ToLower(s) {
	case "nan":
		return pgtype.Numeric{NaN: true, Valid: true}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, nil
	case "-infinity", "-inf":
		return pgtype.Numeric{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, nil
	}
	if !validNumeric(s) {
		return n, errSyntax(pgtype.NumericOID, s)
	}
	var err error
	if strings.ContainsAny(s, "eE") {
		err = n.ScanScientific(s)
	} else {
		err = n.Scan(s)
	}
	if err != nil {
		return n, errSyntax(pgtype.NumericOID, s)
	}
	return n, nil
}

// validNumeric reports whether s is [+-]digits[.digits][e[+-]digits] with
// at least one digit in the mantissa.
func validNumeric(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// toBool converts v for a bool column.
func toBool(v any, oid uint32) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case uint64:
		return x != 0, nil
	case string:
		b, err := parseBool(x)
		if err != nil {
			return false, errSyntax(oid, x)
		}
		return b, nil
	}
	return false, errMismatch(v, oid)
}

// toInt converts v for an integer column of the given range.
func toInt(v any, oid uint32, lo, hi int64) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case uint64:
		if x > math.MaxInt64 || (hi >= 0 && x > uint64(hi)) {
			return 0, errRange(oid)
		}
		n = int64(x)
	case float64:
		f, err := floatToInt(x, oid, lo, hi)
		if err != nil {
			return 0, err
		}
		n = f
	case float32:
		f, err := floatToInt(float64(x), oid, lo, hi)
		if err != nil {
			return 0, err
		}
		n = f
	case bool:
		n = int64(b2i(x))
	case string, fmt.Stringer:
		s := stringOf(x)
		p, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return 0, errRange(oid)
			}
			return 0, errSyntax(oid, s)
		}
		n = p
	default:
		return 0, errMismatch(v, oid)
	}
	if n < lo || n > hi {
		return 0, errRange(oid)
	}
	return n, nil
}

// floatToInt rounds f to the nearest integer within [lo, hi].
func floatToInt(f float64, oid uint32, lo, hi int64) (int64, error) {
	f = math.Round(f)
	if math.IsNaN(f) || f < float64(lo) || f >= 0x1p63 || f > float64(hi) {
		return 0, errRange(oid)
	}
	return int64(f), nil
}

func errRange(oid uint32) error {
	return pgerror.New(pgerror.NumericOutOfRange, "%s out of range", typeName(oid))
}

func stringOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return v.(fmt.Stringer).String()
}

// toFloat converts v for a float column.
func toFloat(v any, oid uint32) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		if oid == pgtype.Float8OID {
			return widen(x), nil
		}
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string, fmt.Stringer:
		s := stringOf(x)
		f, err := parseFloat(s)
		if err != nil {
			return 0, errSyntax(oid, s)
		}
		return f, nil
	}
	return 0, errMismatch(v, oid)
}

// equalFoldAny reports whether s equals one of words, ignoring case.
func equalFoldAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// parseFloat parses PostgreSQL float input: decimal or exponent notation,
// NaN, Infinity, -Infinity (case-insensitive, surrounding spaces allowed).
func parseFloat(s string) (float64, error) {
	t := strings.TrimSpace(s)
	// EqualFold, not ToLower: no allocation for the usual "1.5E3".
	switch {
	case equalFoldAny(t, "nan", "+nan", "-nan"): // C's strtod reads a signed NaN
		return math.NaN(), nil
	case equalFoldAny(t, "infinity", "+infinity", "inf", "+inf"):
		return math.Inf(1), nil
	case equalFoldAny(t, "-infinity", "-inf"):
		return math.Inf(-1), nil
	}
	if t == "" || strings.ContainsAny(t, "xXpP_") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(t, 64)
}

// toTime converts v for a date or timestamp column.
func (e *encoder) toTime(v any, oid uint32) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		if t, ok := infinityText(x); ok {
			return t, nil // an element of a date or timestamp array (design 083)
		}
		return parseTimestamp(x, oid, e.loc)
	}
	return time.Time{}, errMismatch(v, oid)
}

// toInterval converts v for an interval column.
func toInterval(v any) (interval, error) {
	switch x := v.(type) {
	case time.Duration:
		return interval{micros: x.Microseconds()}, nil
	case string:
		return parseInterval(x)
	case fmt.Stringer:
		return parseInterval(x.String())
	}
	return interval{}, errMismatch(v, pgtype.IntervalOID)
}

// toUUID converts v for a uuid column.
func toUUID(v any) ([16]byte, error) {
	switch x := v.(type) {
	case [16]byte:
		return x, nil
	case []byte:
		if len(x) == 16 {
			return [16]byte(x), nil
		}
	case string:
		return parseUUID(x)
	case fmt.Stringer:
		return parseUUID(x.String())
	}
	return [16]byte{}, errMismatch(v, pgtype.UUIDOID)
}

// parseUUID accepts the canonical form, upper case, no hyphens, and braces.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		t = t[1 : len(t)-1]
	}
	t = strings.ReplaceAll(t, "-", "")
	if len(t) != 32 {
		return u, errSyntax(pgtype.UUIDOID, s)
	}
	if _, err := hex.Decode(u[:], []byte(t)); err != nil {
		return u, errSyntax(pgtype.UUIDOID, s)
	}
	return u, nil
}

// typeSize is RowDescription's typlen for well-known types; -1 means
// variable length.
func typeSize(oid uint32) int16 {
	switch oid {
	case pgtype.BoolOID, pgtype.QCharOID:
		return 1
	case pgtype.Int2OID:
		return 2
	case pgtype.Int4OID, pgtype.OIDOID, pgtype.Float4OID, pgtype.DateOID:
		return 4
	case pgtype.Int8OID, pgtype.Float8OID, pgtype.TimestampOID, pgtype.TimestamptzOID, pgtype.TimeOID:
		return 8
	case pgtype.IntervalOID, pgtype.UUIDOID:
		return 16
	case pgtype.NameOID:
		return 64
	}
	return -1
}

// infiniteMicros is the binary timestamp of infinity (math.MaxInt64) or
// -infinity (math.MinInt64), 0 for a finite t.
func infiniteMicros(t time.Time) int64 {
	switch pgtime.Infinite(t) {
	case 1:
		return math.MaxInt64
	case -1:
		return math.MinInt64
	}
	return 0
}
