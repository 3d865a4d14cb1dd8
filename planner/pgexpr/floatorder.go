package pgexpr

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// floatOrderType is a float type whose Compare is PostgreSQL's float order
// (CompareFloat); everything else, the OID mapping included, is the
// wrapped type's.
type floatOrderType struct{ sql.NumberType }

// Compare implements sql.Type: NULLs as go-mysql-server orders them, then
// PostgreSQL's float order.
func (t floatOrderType) Compare(ctx context.Context, a, b any) (int, error) {
	if hasNulls, res := types.CompareNulls(a, b); hasNulls {
		return res, nil
	}
	a, b = nanAsFloat(a), nanAsFloat(b)
	x, _, err := types.Float64.Convert(ctx, a)
	if err != nil {
		return 0, err
	}
	y, _, err := types.Float64.Convert(ctx, b)
	if err != nil {
		return 0, err
	}
	return CompareFloat(x.(float64), y.(float64)), nil
}

// FloatOrdered wraps a float expression for the places go-mysql-server
// orders values through their type's Compare (ORDER BY, the top-N heap,
// min and max): with Go's comparison NaN is neither smaller nor larger
// than anything, which makes a sort's order depend on where NaN happens
// to stand. Its value, name and (for the OID) type are the child's.
type FloatOrdered struct{ expression.UnaryExpression }

var _ sql.Expression = (*FloatOrdered)(nil)

// NewFloatOrdered wraps e when it is a float expression (ok false
// otherwise, or when it is wrapped already).
func NewFloatOrdered(e sql.Expression) (sql.Expression, bool) {
	if _, done := e.(*FloatOrdered); done {
		return e, false
	}
	nt, ok := e.Type().(sql.NumberType)
	if !ok || !types.IsFloat(e.Type()) {
		return e, false
	}
	if _, done := nt.(floatOrderType); done {
		return e, false
	}
	return &FloatOrdered{expression.UnaryExpression{Child: e}}, true
}

// Type implements sql.Expression.
func (f *FloatOrdered) Type() sql.Type {
	return floatOrderType{f.Child.Type().(sql.NumberType)}
}

// Eval implements sql.Expression.
func (f *FloatOrdered) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return f.Child.Eval(ctx, row)
}

// String implements sql.Expression: the child's, so names do not change.
func (f *FloatOrdered) String() string { return f.Child.String() }

// IsNullable implements sql.Expression.
func (f *FloatOrdered) IsNullable() bool { return f.Child.IsNullable() }

// WithChildren implements sql.Expression.
func (f *FloatOrdered) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), 1)
	}
	return &FloatOrdered{expression.UnaryExpression{Child: children[0]}}, nil
}
