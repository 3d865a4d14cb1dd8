package pgtypes

import (
	"context"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/storage"
)

// charType is the engine type of varchar, varchar(n), bpchar and char(n):
// text (go-mysql-server's LONGTEXT, whose methods it keeps) that remembers
// the PostgreSQL type, so result columns, pg_typeof and the catalogs report
// character varying(n) or character(n). The length limit is applied where
// values are stored (storage.FitChar) and by casts (storage.CastChar).
type charType struct {
	sql.StringType
	name string // canonical: "varchar(16)", "bpchar(4)", "varchar"
}

var _ sql.StringType = charType{}

func charGMSType(t string) sql.Type {
	return charType{StringType: types.LongText, name: t}
}

// Equals implements sql.Type: the same PostgreSQL type.
func (t charType) Equals(o sql.Type) bool {
	c, ok := o.(charType)
	return ok && c.name == t.name
}

// CharTypeOf returns the canonical PostgreSQL type ("varchar(16)",
// "bpchar(4)", "varchar", "bpchar") of an engine type that is one of the
// character types, and false for every other type (text included).
func CharTypeOf(t sql.Type) (string, bool) {
	c, ok := t.(charType)
	return c.name, ok
}

// CharTypmod returns PostgreSQL's type modifier of varchar(n) and char(n),
// n + 4, and -1 for every other engine type.
func CharTypmod(t sql.Type) int32 {
	if c, ok := t.(charType); ok {
		if _, n, _ := storage.CharLength(c.name); n > 0 {
			return int32(n) + 4
		}
	}
	return -1
}

// charOID is the type OID of a character type.
func charOID(c charType) uint32 {
	if base, _, _ := storage.CharLength(c.name); base == storage.TypeBPChar {
		return OIDBPChar
	}
	return OIDVarchar
}

// charType implements types.ExtendedType only so that go-mysql-server's
// types.IsText (which knows its own string types and extended types whose
// zero value is a string) treats it as text; values stay Go strings.
var _ types.ExtendedType = charType{}

// SerializedCompare implements types.ExtendedType.
func (t charType) SerializedCompare(ctx context.Context, a, b []byte) (int, error) {
	return t.Compare(ctx, string(a), string(b))
}

// SerializeValue implements types.ExtendedType.
func (t charType) SerializeValue(ctx context.Context, v any) ([]byte, error) {
	s, _, err := t.Convert(ctx, v)
	if err != nil || s == nil {
		return nil, err
	}
	str, ok := s.(string)
	if !ok {
		return nil, fmt.Errorf("%s value %T is not a string", t.name, s)
	}
	return []byte(str), nil
}

// DeserializeValue implements types.ExtendedType.
func (t charType) DeserializeValue(_ context.Context, b []byte) (any, error) {
	return string(b), nil
}

// FormatValue implements types.ExtendedType.
func (t charType) FormatValue(v any) (string, error) {
	s, _, err := t.Convert(context.Background(), v)
	if err != nil || s == nil {
		return "", err
	}
	return fmt.Sprint(s), nil
}

// MaxSerializedWidth implements types.ExtendedType.
func (t charType) MaxSerializedWidth() types.ExtendedTypeSerializedWidth {
	return types.ExtendedTypeSerializedWidth_Unbounded
}

// ConvertToType implements types.ExtendedType.
func (t charType) ConvertToType(ctx *sql.Context, _ types.ExtendedType, v any) (any, error) {
	s, _, err := t.Convert(ctx, v)
	return s, err
}
