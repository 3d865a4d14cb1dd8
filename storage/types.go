package storage

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/storage/catalog"
	"openwit/storage/pqfile"
)

// Canonical PostgreSQL type names OpenWit stores in the catalog.
const (
	TypeTimestampTZ = "timestamptz"
	TypeTimestamp   = "timestamp"
	TypeDate        = "date"
	TypeTime        = "time"
	TypeText        = "text"
	TypeInt2        = "int2"
	TypeInt4        = "int4"
	TypeInt8        = "int8"
	TypeFloat4      = "float4"
	TypeFloat8      = "float8"
	TypeBool        = "bool"
	TypeNumeric     = "numeric"
	TypeJSONB       = "jsonb"
	TypeBytea       = "bytea"
)

// Default precision and scale of an unconstrained numeric column.
const (
	DefaultNumericPrecision = 38
	DefaultNumericScale     = 10
)

// CanonicalType maps a PostgreSQL type name (any spelling the parser emits,
// e.g. "integer", "pg_catalog.int4", "character varying") and its type
// modifiers to the canonical name stored in the catalog. numeric keeps its
// precision and scale: "numeric(12,2)"; varchar and char their length:
// "varchar(16)", "bpchar(4)".
func CanonicalType(name string, mods []int32) (string, error) {
	n := strings.ToLower(strings.TrimPrefix(name, "pg_catalog."))
	switch n {
	case "timestamptz", "timestamp with time zone":
		return TypeTimestampTZ, nil
	case "timestamp", "timestamp without time zone":
		return TypeTimestamp, nil
	case "date":
		return TypeDate, nil
	case "time", "time without time zone":
		return TypeTime, nil
	case "text", "name", "citext":
		return TypeText, nil
	case "varchar", "character varying":
		return charType(TypeVarchar, mods)
	case "bpchar", "char", "character":
		return charType(TypeBPChar, mods)
	case "int2", "smallint":
		return TypeInt2, nil
	case "int4", "int", "integer", "serial":
		return TypeInt4, nil
	case "int8", "bigint", "bigserial":
		return TypeInt8, nil
	case "float4", "real":
		return TypeFloat4, nil
	case "float8", "double precision", "float":
		return TypeFloat8, nil
	case "bool", "boolean":
		return TypeBool, nil
	case "numeric", "decimal":
		p, s := DefaultNumericPrecision, DefaultNumericScale
		if len(mods) >= 1 {
			p, s = int(mods[0]), 0
		}
		if len(mods) >= 2 {
			s = int(mods[1])
		}
		if p < 1 || p > 38 || s < 0 || s > p {
			return "", fmt.Errorf("numeric(%d,%d) is not supported: precision must be 1..38 and scale 0..precision", p, s)
		}
		return fmt.Sprintf("numeric(%d,%d)", p, s), nil
	case "jsonb", "json":
		return TypeJSONB, nil
	case "bytea":
		return TypeBytea, nil
	case "uuid", "inet", "cidr":
		return n, nil
	}
	return "", fmt.Errorf("type %q is not supported", name)
}

// NumericPrecisionScale parses "numeric(p,s)".
func NumericPrecisionScale(t string) (p, s int, ok bool) {
	if !strings.HasPrefix(t, "numeric(") || !strings.HasSuffix(t, ")") {
		return 0, 0, false
	}
	parts := strings.Split(t[len("numeric("):len(t)-1], ",")
	if len(parts) != 2 {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(parts[0])
	s, err2 := strconv.Atoi(parts[1])
	return p, s, err1 == nil && err2 == nil
}

// ArrowType returns the Arrow type that stores a canonical column type.
func ArrowType(t string) (arrow.DataType, error) {
	if lt, ok, err := arrayArrowType(t); ok {
		return lt, err
	}
	switch t {
	case TypeTimestampTZ:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case TypeTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case TypeDate:
		return arrow.FixedWidthTypes.Date32, nil
	case TypeTime:
		return arrow.FixedWidthTypes.Time64us, nil
	case TypeText, TypeJSONB, TypeUUID, TypeInet, TypeCIDR:
		return arrow.BinaryTypes.String, nil
	case TypeBytea:
		return arrow.BinaryTypes.Binary, nil
	case TypeInt2:
		return arrow.PrimitiveTypes.Int16, nil
	case TypeInt4:
		return arrow.PrimitiveTypes.Int32, nil
	case TypeInt8:
		return arrow.PrimitiveTypes.Int64, nil
	case TypeFloat4:
		return arrow.PrimitiveTypes.Float32, nil
	case TypeFloat8:
		return arrow.PrimitiveTypes.Float64, nil
	case TypeBool:
		return arrow.FixedWidthTypes.Boolean, nil
	}
	if IsTextual(t) {
		return arrow.BinaryTypes.String, nil
	}
	if p, s, ok := NumericPrecisionScale(t); ok {
		return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, nil
	}
	return nil, fmt.Errorf("no arrow type for %q", t)
}

// ArrowSchema returns the Arrow schema of a table's rows. Its fields are
// named by the columns' data names (catalog.Column.FieldName), which a
// rename does not change.
func ArrowSchema(t *catalog.Table) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		dt, err := ArrowType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		fields[i] = arrow.Field{Name: c.FieldName(), Type: dt, Nullable: !c.NotNull}
		if c.Missing != nil {
			fields[i].Metadata = arrow.NewMetadata([]string{pqfile.MissingKey}, []string{*c.Missing})
		}
	}
	return arrow.NewSchema(fields, nil), nil
}
