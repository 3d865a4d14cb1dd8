package pgexpr

import (
	"context"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// FloatSortKey is a float sort key of a row-engine sort ordered as
// PostgreSQL orders floats (NaN equal to NaN and above Infinity):
// go-mysql-server's sorts compare with the key's type, whose float Compare
// puts NaN wherever it meets it.
type FloatSortKey struct{ sql.Expression }

// NewFloatSortKey wraps e when it is a float expression.
func NewFloatSortKey(e sql.Expression) (sql.Expression, bool) {
	if _, ok := e.(*FloatSortKey); ok || !types.IsFloat(e.Type()) {
		return e, false
	}
	return &FloatSortKey{e}, true
}

// Type implements sql.Expression.
func (k *FloatSortKey) Type() sql.Type { return floatOrderType{k.Expression.Type()} }

// Children implements sql.Expression.
func (k *FloatSortKey) Children() []sql.Expression { return []sql.Expression{k.Expression} }

// String implements sql.Expression.
func (k *FloatSortKey) String() string { return k.Expression.String() }

// WithChildren implements sql.Expression.
func (k *FloatSortKey) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(k, len(children), 1)
	}
	return &FloatSortKey{children[0]}, nil
}

// floatOrderType is a float type whose Compare is PostgreSQL's order.
type floatOrderType struct{ sqlType }

type sqlType = sql.Type

// Compare implements sql.Type.
func (t floatOrderType) Compare(ctx context.Context, a, b any) (int, error) {
	if a == nil || b == nil {
		return t.sqlType.Compare(ctx, a, b)
	}
	x, _, err := types.Float64.Convert(ctx, a)
	if err != nil {
		return 0, fmt.Errorf("sort key: %w", err)
	}
	y, _, err := types.Float64.Convert(ctx, b)
	if err != nil {
		return 0, fmt.Errorf("sort key: %w", err)
	}
	return CompareFloat(x.(float64), y.(float64)), nil
}
