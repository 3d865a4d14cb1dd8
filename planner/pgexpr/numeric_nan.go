package pgexpr

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// This file is numeric NaN (pgtypes.NumericNaN): its input, casts,
// arithmetic (NaN in, NaN out), comparisons and ordering (NaN equals NaN
// and sorts above every number). See docs/design/044-time-types-and-special-values.md.

// numericNaNInput reports whether v casts to numeric NaN: the text 'NaN'
// (any case, surrounding spaces), a float NaN or NaN itself.
func numericNaNInput(v any) bool {
	switch x := v.(type) {
	case pgtypes.NumericNaN:
		return true
	case string:
		return strings.EqualFold(strings.TrimSpace(x), "nan")
	case float64:
		return math.IsNaN(x)
	case float32:
		return math.IsNaN(float64(x))
	}
	return false
}

// errNaNToInt is PostgreSQL's error for NaN cast to an integer type.
func errNaNToInt(name string) error {
	return pgerror.New(pgerror.FeatureNotSupported, "cannot convert NaN to %s", name)
}

// ErrStoreNumericNaN is the error for storing NaN in a numeric column.
func ErrStoreNumericNaN() error {
	return pgerror.New(pgerror.FeatureNotSupported, "numeric NaN cannot be stored (OpenWit stores numeric as Parquet DECIMAL, which has no NaN)")
}

// compareNumericNaN orders a and b when either is NaN: NaN equals NaN and
// is above every number; ok is false when neither is NaN.
func compareNumericNaN(a, b any) (int, bool) {
	a, b = nanText(a), nanText(b)
	an, bn := pgtypes.IsNumericNaN(a), pgtypes.IsNumericNaN(b)
	switch {
	case an && bn:
		return 0, true
	case an:
		return 1, true
	case bn:
		return -1, true
	}
	return 0, false
}

// NumericCompare is a comparison with a numeric operand that orders NaN
// as PostgreSQL does; other values compare as the wrapped comparison does.
type NumericCompare struct {
	expression.Comparer
	op string
}

// NewNumericCompare wraps c when an operand is numeric and none is a
// float (FloatCompare's case).
func NewNumericCompare(c expression.Comparer) (*NumericCompare, bool) {
	lt, rt := c.Left().Type(), c.Right().Type()
	if !types.IsDecimal(lt) && !types.IsDecimal(rt) || types.IsFloat(lt) || types.IsFloat(rt) {
		return nil, false
	}
	op, ok := comparerOp(c)
	if !ok {
		return nil, false
	}
	return &NumericCompare{Comparer: c, op: op}, true
}

func comparerOp(c expression.Comparer) (string, bool) {
	switch c.(type) {
	case *expression.Equals:
		return "=", true
	case *expression.NullSafeEquals:
		return "<=>", true
	case *expression.LessThan:
		return "<", true
	case *expression.LessThanOrEqual:
		return "<=", true
	case *expression.GreaterThan:
		return ">", true
	case *expression.GreaterThanOrEqual:
		return ">=", true
	}
	return "", false
}

// Compare implements expression.Comparer.
func (n *NumericCompare) Compare(ctx *sql.Context, row sql.Row) (int, error) {
	l, err := n.Left().Eval(ctx, row)
	if err != nil {
		return 0, err
	}
	r, err := n.Right().Eval(ctx, row)
	if err != nil {
		return 0, err
	}
	if c, ok := compareNumericNaN(l, r); ok {
		return c, nil
	}
	return n.Comparer.Compare(ctx, row)
}

// Eval implements sql.Expression.
func (n *NumericCompare) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	l, err := n.Left().Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	r, err := n.Right().Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	c, ok := compareNumericNaN(l, r)
	if !ok || l == nil || r == nil {
		return n.Comparer.Eval(ctx, row)
	}
	if v, ok := compareResult(n.op, c); ok {
		return v, nil
	}
	return nil, fmt.Errorf("numeric comparison: unknown operator %q", n.op)
}

// WithChildren implements sql.Expression.
func (n *NumericCompare) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	c, err := n.Comparer.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &NumericCompare{Comparer: c.(expression.Comparer), op: n.op}, nil
}

// numericOrderType is a numeric type whose Compare puts NaN above every
// number (ORDER BY, min, max).
type numericOrderType struct{ sql.DecimalType }

// Compare implements sql.Type.
func (t numericOrderType) Compare(ctx context.Context, a, b any) (int, error) {
	if hasNulls, res := types.CompareNulls(a, b); hasNulls {
		return res, nil
	}
	if c, ok := compareNumericNaN(a, b); ok {
		return c, nil
	}
	return t.DecimalType.Compare(ctx, a, b)
}

// NumericOrdered wraps a numeric expression for the places go-mysql-server
// orders values through their type's Compare, so that NaN sorts last.
type NumericOrdered struct{ expression.UnaryExpression }

// NewNumericOrdered wraps e when it is a numeric expression.
func NewNumericOrdered(e sql.Expression) (sql.Expression, bool) {
	if _, done := e.(*NumericOrdered); done {
		return e, false
	}
	dt, ok := e.Type().(sql.DecimalType)
	if !ok {
		return e, false
	}
	if _, done := dt.(numericOrderType); done {
		return e, false
	}
	return &NumericOrdered{expression.UnaryExpression{Child: e}}, true
}

// Type implements sql.Expression.
func (n *NumericOrdered) Type() sql.Type {
	return numericOrderType{n.Child.Type().(sql.DecimalType)}
}

// Eval implements sql.Expression.
func (n *NumericOrdered) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return n.Child.Eval(ctx, row)
}

// String implements sql.Expression: the child's.
func (n *NumericOrdered) String() string { return n.Child.String() }

// IsNullable implements sql.Expression.
func (n *NumericOrdered) IsNullable() bool { return n.Child.IsNullable() }

// WithChildren implements sql.Expression.
func (n *NumericOrdered) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(n, len(children), 1)
	}
	return &NumericOrdered{expression.UnaryExpression{Child: children[0]}}, nil
}

// nanAsFloat is v with numeric NaN as float NaN, for comparisons made in
// float8.
func nanAsFloat(v any) any {
	if pgtypes.IsNumericNaN(v) {
		return math.NaN()
	}
	return v
}

// IsNumericNaNInput reports whether v is NaN or text that reads as NaN,
// which a numeric column refuses (ErrStoreNumericNaN).
func IsNumericNaNInput(v any) bool {
	switch v.(type) {
	case pgtypes.NumericNaN, string:
		return numericNaNInput(v)
	}
	return false
}

// nanText is v with the text 'NaN' (an untyped literal compared with a
// numeric) as numeric NaN.
func nanText(v any) any {
	if s, ok := v.(string); ok && numericNaNInput(s) {
		return pgtypes.NumericNaN{}
	}
	return v
}

// numericNaNResult is the result of a numeric function with a NaN
// argument: NaN, as PostgreSQL's numeric functions (round, abs, power,
// sqrt, ...) answer; ok is false when no argument is NaN, the function
// does not return numeric or sees NULLs (greatest, least, coalesce-like
// functions, which choose among their arguments).
func numericNaNResult(f *Func, vals []any) (any, bool) {
	nan := false
	for _, v := range vals {
		nan = nan || pgtypes.IsNumericNaN(v)
	}
	if !nan || f.def.nonStrict {
		return nil, false
	}
	switch t := f.Type(); {
	case types.IsDecimal(t):
		return pgtypes.NumericNaN{}, true
	case types.IsFloat(t):
		return math.NaN(), true // sqrt, ln, exp, ... of NaN
	}
	return nil, false
}
