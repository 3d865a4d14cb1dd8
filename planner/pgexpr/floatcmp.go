package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/exec"
)

// FloatCompare is a comparison with a float operand, ordered as PostgreSQL
// orders float8: NaN equals NaN and is larger than every other value
// (Infinity included), -0 equals 0. go-mysql-server's comparisons follow
// Go's (NaN is unequal to everything). It wraps the original comparison,
// whose String and type it keeps.
type FloatCompare struct {
	expression.Comparer
	op string // =, <=>, <, <=, >, >=
}

var _ expression.Comparer = (*FloatCompare)(nil)

// NewFloatCompare returns c with PostgreSQL's float ordering when one of its
// operands is a float and c is an ordering or equality comparison; ok is
// false otherwise.
func NewFloatCompare(c expression.Comparer) (*FloatCompare, bool) {
	if !types.IsFloat(c.Left().Type()) && !types.IsFloat(c.Right().Type()) {
		return nil, false
	}
	if !types.IsNumber(c.Left().Type()) && c.Left().Type() != types.Null ||
		!types.IsNumber(c.Right().Type()) && c.Right().Type() != types.Null {
		return nil, false
	}
	var op string
	switch c.(type) {
	case *expression.Equals:
		op = "="
	case *expression.NullSafeEquals:
		op = "<=>"
	case *expression.LessThan:
		op = "<"
	case *expression.LessThanOrEqual:
		op = "<="
	case *expression.GreaterThan:
		op = ">"
	case *expression.GreaterThanOrEqual:
		op = ">="
	default:
		return nil, false
	}
	return &FloatCompare{Comparer: c, op: op}, true
}

// Compare returns -1, 0 or 1 in PostgreSQL's float order; it is an error
// for a NULL operand, as in go-mysql-server.
func (f *FloatCompare) Compare(ctx *sql.Context, row sql.Row) (int, error) {
	l, r, err := f.operands(ctx, row)
	if err != nil {
		return 0, err
	}
	if l == nil || r == nil {
		return 0, expression.ErrNilOperand.New()
	}
	return f.cmp(ctx, l, r)
}

func (f *FloatCompare) operands(ctx *sql.Context, row sql.Row) (any, any, error) {
	l, err := f.Left().Eval(ctx, row)
	if err != nil {
		return nil, nil, err
	}
	r, err := f.Right().Eval(ctx, row)
	if err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

func (f *FloatCompare) cmp(ctx *sql.Context, l, r any) (int, error) {
	l, r = nanAsFloat(l), nanAsFloat(r)
	a, _, err := types.Float64.Convert(ctx, l)
	if err != nil {
		return 0, err
	}
	b, _, err := types.Float64.Convert(ctx, r)
	if err != nil {
		return 0, err
	}
	return CompareFloat(a.(float64), b.(float64)), nil
}

// CompareFloat orders floats as PostgreSQL does: NaN equals NaN and is
// larger than everything else; -0 equals 0 (the vectorized engine's order,
// exec.CompareFloat).
func CompareFloat(a, b float64) int { return exec.CompareFloat(a, b) }

// Eval implements sql.Expression.
func (f *FloatCompare) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	l, r, err := f.operands(ctx, row)
	if err != nil {
		return nil, err
	}
	if l == nil || r == nil {
		if f.op == "<=>" {
			return l == nil && r == nil, nil
		}
		return nil, nil
	}
	c, err := f.cmp(ctx, l, r)
	if err != nil {
		return nil, err
	}
	if v, ok := compareResult(f.op, c); ok {
		return v, nil
	}
	return nil, fmt.Errorf("float comparison: unknown operator %q", f.op)
}

// compareResult is the value of comparison op for an ordering c (<0, 0,
// >0); false for an operator it does not know.
func compareResult(op string, c int) (bool, bool) {
	switch op {
	case "=", "<=>":
		return c == 0, true
	case "<":
		return c < 0, true
	case "<=":
		return c <= 0, true
	case ">":
		return c > 0, true
	case ">=":
		return c >= 0, true
	}
	return false, false
}

// WithChildren implements sql.Expression.
func (f *FloatCompare) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	c, err := f.Comparer.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &FloatCompare{Comparer: c.(expression.Comparer), op: f.op}, nil
}
