// Package pgtypes maps between OpenWit's PostgreSQL column types, the
// go-mysql-server types the planner evaluates with, and PostgreSQL type
// OIDs on the wire; it also normalizes go-mysql-server values into the
// values the gateways encode.
//
// go-mysql-server has no boolean type (BOOLEAN is TINYINT) and no timestamp
// with time zone; OpenWit reserves TINYINT for bool (PostgreSQL has no 1-byte
// integer), uses TimestampTZType (an instant in UTC with PostgreSQL's range,
// not MySQL TIMESTAMP's 1970 .. 2038) for timestamptz and DATETIME(6) for
// timestamp without time zone.
package pgtypes

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"openwit/storage"
)

// PostgreSQL type OIDs.
const (
	OIDBool        = 16
	OIDBytea       = 17
	OIDName        = 19
	OIDInt8        = 20
	OIDInt2        = 21
	OIDInt4        = 23
	OIDText        = 25
	OIDOid         = 26
	OIDJSON        = 114
	OIDFloat4      = 700
	OIDFloat8      = 701
	OIDUnknown     = 705
	OIDBPChar      = 1042
	OIDVarchar     = 1043
	OIDDate        = 1082
	OIDTime        = 1083
	OIDTimestamp   = 1114
	OIDTimestampTZ = 1184
	OIDInterval    = 1186
	OIDNumeric     = 1700
	OIDUUID        = 2950
	OIDJSONB       = 3802
)

// GMSType returns the go-mysql-server type for a canonical column type.
func GMSType(t string) (sql.Type, error) {
	if at, ok, err := arrayColumnType(t); ok {
		return at, err
	}
	switch t {
	case storage.TypeTimestampTZ:
		return TimestampTZType, nil
	case storage.TypeTimestamp:
		return types.DatetimeMaxPrecision, nil
	case storage.TypeDate:
		return types.Date, nil
	case storage.TypeText:
		return types.LongText, nil
	case storage.TypeJSONB, "json":
		return types.JSON, nil
	case storage.TypeBytea:
		return types.LongBlob, nil
	case storage.TypeInt2:
		return types.Int16, nil
	case storage.TypeInt4:
		return types.Int32, nil
	case storage.TypeInt8:
		return types.Int64, nil
	case storage.TypeFloat4:
		return types.Float32, nil
	case storage.TypeFloat8:
		return types.Float64, nil
	case storage.TypeBool:
		return types.Boolean, nil
	case "interval":
		return IntervalType, nil
	case storage.TypeTime:
		return TimeType, nil
	case storage.TypeUUID:
		return UUIDType, nil
	case storage.TypeInet:
		return InetType, nil
	case storage.TypeCIDR:
		return CIDRType, nil
	}
	if storage.IsTextual(t) {
		return charGMSType(t), nil
	}
	if p, s, ok := storage.NumericPrecisionScale(t); ok {
		return types.MustCreateDecimalType(uint8(p), uint8(s)), nil
	}
	return nil, fmt.Errorf("no engine type for %q", t)
}

// OID returns the PostgreSQL type OID and size for a go-mysql-server type.
func OID(t sql.Type) (oid uint32, size int16) {
	if _, ok := t.(intervalType); ok {
		return OIDInterval, 16
	}
	if _, ok := t.(timeType); ok {
		return OIDTime, 8
	}
	if _, ok := t.(uuidType); ok {
		return OIDUUID, 16
	}
	if it, ok := t.(inetType); ok {
		if it.cidr {
			return OIDCIDR, -1
		}
		return OIDInet, -1
	}
	if IsTimestampTZ(t) {
		return OIDTimestampTZ, 8
	}
	if a, ok := t.(ArrayType); ok {
		return ArrayOID(a.Elem), -1
	}
	if c, ok := t.(charType); ok {
		return charOID(c), -1
	}
	if IsVoid(t) {
		return OIDVoid, 4
	}
	if IsXid8(t) {
		return OIDXid8, 8
	}
	switch t.Type() {
	case sqltypes.Int8:
		return OIDBool, 1
	case sqltypes.Int16, sqltypes.Uint8:
		return OIDInt2, 2
	case sqltypes.Int24, sqltypes.Int32, sqltypes.Uint16, sqltypes.Uint24:
		return OIDInt4, 4
	case sqltypes.Int64, sqltypes.Uint32, sqltypes.Year, sqltypes.Bit:
		return OIDInt8, 8
	case sqltypes.Uint64, sqltypes.Decimal:
		return OIDNumeric, -1
	case sqltypes.Float32:
		return OIDFloat4, 4
	case sqltypes.Float64:
		return OIDFloat8, 8
	case sqltypes.Timestamp:
		return OIDTimestampTZ, 8
	case sqltypes.Datetime:
		return OIDTimestamp, 8
	case sqltypes.Date:
		return OIDDate, 4
	case sqltypes.Time:
		return OIDInterval, 16
	case sqltypes.TypeJSON:
		return OIDJSONB, -1
	case sqltypes.Blob, sqltypes.Binary, sqltypes.VarBinary:
		return OIDBytea, -1
	case sqltypes.Null:
		return OIDText, -1
	}
	return OIDText, -1
}

// TypeName returns PostgreSQL's name for an OID (format_type style).
func TypeName(oid uint32) string {
	switch oid {
	case OIDBool:
		return "boolean"
	case OIDInt2:
		return "smallint"
	case OIDInt4:
		return "integer"
	case OIDInt8:
		return "bigint"
	case OIDFloat4:
		return "real"
	case OIDFloat8:
		return "double precision"
	case OIDNumeric:
		return "numeric"
	case OIDTimestampTZ:
		return "timestamp with time zone"
	case OIDTimestamp:
		return "timestamp without time zone"
	case OIDDate:
		return "date"
	case OIDJSONB:
		return "jsonb"
	case OIDBytea:
		return "bytea"
	case OIDInterval:
		return "interval"
	case OIDVarchar:
		return "character varying"
	case OIDBPChar:
		return "character"
	case OIDTime:
		return "time without time zone"
	case OIDVoid:
		return "void"
	case OIDXid8:
		return "xid8"
	case OIDUUID:
		return "uuid"
	case OIDInet:
		return "inet"
	case OIDCIDR:
		return "cidr"
	}
	if elem, ok := ArrayElemOID(oid); ok {
		return TypeName(elem) + "[]"
	}
	return "text"
}

// Value normalizes a go-mysql-server value of type t into what the gateways
// encode: nil, bool, int64, float64, string, []byte, time.Time or
// decimal.Decimal.
func Value(ctx *sql.Context, t sql.Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	oid, _ := OID(t)
	switch oid {
	case OIDBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		default:
			i, err := toInt64(v)
			if err != nil {
				return nil, err
			}
			return i != 0, nil
		}
	case OIDInt2, OIDInt4, OIDInt8, OIDXid8:
		return toInt64(v)
	case OIDFloat4:
		switch x := v.(type) {
		case float32:
			return float64(x), nil
		case float64:
			return x, nil
		}
	case OIDFloat8:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
	case OIDNumeric:
		switch x := v.(type) {
		case decimal.Decimal:
			// The value's exponent is its display scale, as in PostgreSQL.
			return x.StringFixed(max(0, -x.Exponent())), nil
		case uint64:
			return decimal.RequireFromString(strconv.FormatUint(x, 10)), nil
		}
	case OIDTimestampTZ, OIDTimestamp, OIDDate:
		if x, ok := v.(time.Time); ok {
			return x, nil
		}
	case OIDBytea:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case OIDJSONB:
		if s, ok := v.(fmt.Stringer); ok {
			return s.String(), nil
		}
	case OIDInterval:
		if iv, ok := v.(Interval); ok {
			return iv.String(), nil
		}
	case OIDTime:
		if t, ok := v.(TimeOfDay); ok {
			return t.String(), nil
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	if t.Type() == sqltypes.Time {
		return fmt.Sprint(v), nil
	}
	// Fall back on the engine's own conversion to text.
	s, _, err := types.LongText.Convert(ctx, v)
	if err != nil {
		return nil, err
	}
	if str, ok := s.(string); ok {
		return str, nil
	}
	return fmt.Sprint(v), nil
}

func toInt64(v any) (int64, error) {
	if i, ok := Int64(v); ok {
		return i, nil
	}
	switch x := v.(type) {
	case uint64:
		return 0, fmt.Errorf("bigint out of range")
	case float64:
		return int64(math.RoundToEven(x)), nil
	case decimal.Decimal:
		return x.Round(0).IntPart(), nil
	}
	return 0, fmt.Errorf("unexpected integer value %T", v)
}

// NormalizeName lower-cases an unquoted identifier the way PostgreSQL folds
// it (pg_query already folds unquoted identifiers; this is for names that
// arrive as strings, e.g. from SHOW).
func NormalizeName(s string) string { return strings.ToLower(s) }

// Int64 converts a Go integer value of any width (and bool) to int64; ok is
// false for anything else.
func Int64(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// NumericRank orders the numeric types by PostgreSQL's implicit casts
// (int2 < int4 < int8 < numeric < float4 < float8): the common type of two
// is the one of higher rank. 0 for any other type.
func NumericRank(oid uint32) int {
	switch oid {
	case OIDInt2, OIDInt4, OIDInt8, OIDNumeric, OIDFloat4, OIDFloat8:
		return implicitRank(oid)
	}
	return 0
}
