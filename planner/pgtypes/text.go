package pgtypes

import (
	"context"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TypedText is the engine type of a constant that PostgreSQL types as
// text, where go-mysql-server's own LONGTEXT would make it look like a
// string literal written without a cast (PostgreSQL's unknown type).
// go-mysql-server folds a constant expression in a WHERE clause into a
// literal of the expression's type, so `c = 'a '::text` and
// `c = lower('A ')` became `c = 'a '`, which takes the other side's type
// (bpchar) where PostgreSQL compares as text; the planner gives such
// folded literals this type instead (planner/text_literals.go). It is
// text in every other respect: OID 25, go-mysql-server's types.IsText,
// LONGTEXT's conversions and comparison; values are Go strings.
var TypedText sql.Type = textType{StringType: types.LongText}

type textType struct{ sql.StringType }

var (
	_ sql.StringType     = textType{}
	_ types.ExtendedType = textType{}
)

// IsTypedText reports whether t is TypedText.
func IsTypedText(t sql.Type) bool { _, ok := t.(textType); return ok }

// Equals implements sql.Type: text, typed or not.
func (textType) Equals(o sql.Type) bool {
	return IsTypedText(o) || types.LongText.Equals(o)
}

// The ExtendedType methods exist only so that go-mysql-server's
// types.IsText (which knows its own string types and extended types whose
// zero value is a string) treats TypedText as text.

// SerializedCompare implements types.ExtendedType.
func (t textType) SerializedCompare(ctx context.Context, a, b []byte) (int, error) {
	return t.Compare(ctx, string(a), string(b))
}

// SerializeValue implements types.ExtendedType.
func (t textType) SerializeValue(ctx context.Context, v any) ([]byte, error) {
	s, _, err := t.Convert(ctx, v)
	if err != nil || s == nil {
		return nil, err
	}
	str, ok := s.(string)
	if !ok {
		return nil, fmt.Errorf("text value %T is not a string", s)
	}
	return []byte(str), nil
}

// DeserializeValue implements types.ExtendedType.
func (textType) DeserializeValue(_ context.Context, b []byte) (any, error) {
	return string(b), nil
}

// FormatValue implements types.ExtendedType.
func (t textType) FormatValue(v any) (string, error) {
	s, _, err := t.Convert(context.Background(), v)
	if err != nil || s == nil {
		return "", err
	}
	return fmt.Sprint(s), nil
}

// MaxSerializedWidth implements types.ExtendedType.
func (textType) MaxSerializedWidth() types.ExtendedTypeSerializedWidth {
	return types.ExtendedTypeSerializedWidth_Unbounded
}

// ConvertToType implements types.ExtendedType.
func (t textType) ConvertToType(ctx *sql.Context, _ types.ExtendedType, v any) (any, error) {
	s, _, err := t.Convert(ctx, v)
	return s, err
}
