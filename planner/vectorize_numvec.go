package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/storage"
)

// Comparisons with a numeric column on the vectorized executor (design
// 087). The column is an Arrow Decimal128 at its declared scale (an
// unconstrained numeric at scale 10); the executor compares it exactly
// with numeric and integer constants and columns and in float8 with float
// constants and columns, PostgreSQL's rules.

// decimalColumn returns the scan column of a numeric GetField.
func (c *compiler) decimalColumn(x sql.Expression) (*exec.Expr, bool) {
	gf, ok := x.(*expression.GetField)
	if !ok || !types.IsDecimal(gf.Type()) {
		return nil, false
	}
	i, ok := c.column(gf)
	if !ok {
		return nil, false
	}
	return exec.Col(i), true
}

// numericOperand compiles the other operand of a comparison with a numeric
// column: a constant (numeric, integer, float8 or NULL) or a column of a
// numeric, integer or float type.
func (c *compiler) numericOperand(x sql.Expression) *exec.Expr {
	t := x.Type()
	switch v := x.(type) {
	case *expression.Literal:
		switch d := v.Value().(type) {
		case nil:
			return exec.Null()
		case decimal.Decimal:
			if !types.IsDecimal(t) {
				break
			}
			return exec.Decimal(d.String())
		default:
			return c.literal(v)
		}
	case *expression.GetField:
		if types.IsDecimal(t) || types.IsInteger(t) || types.IsFloat(t) {
			return c.value(v)
		}
	}
	if e, ok := c.numArith(x); ok { // vectorize_numarith.go
		return e
	}
	if e, ok := c.numDiv(x); ok { // vectorize_numdiv.go
		return e
	}
	return c.fail("numeric compared with %T of type %s", x, t)
}

// decimalCompare compiles l op r when either side is a numeric column;
// ok is false otherwise.
func (c *compiler) decimalCompare(op exec.Op, l, r sql.Expression) (*exec.Expr, bool) {
	if col, ok := c.numericValue(l); ok {
		return exec.Call(op, col, c.numericOperand(r)), true
	}
	if col, ok := c.numericValue(r); ok {
		return exec.Call(op, c.numericOperand(l), col), true
	}
	return nil, false
}

// decimalSumArg compiles the argument of sum over a numeric column. The
// executor's sum keeps the column's scale, PostgreSQL's result for a
// numeric(p,s) column. An unconstrained numeric is stored at scale 10 and
// its values lose their own display scales (a sum of 1.5 and 2.5 is 4.0 in
// PostgreSQL and the row engine): it stays in the row engine.
func (c *compiler) decimalSumArg(x sql.Expression) (*exec.Expr, bool) {
	if e, ok := c.numArith(x); ok { // vectorize_numarith.go
		return e, true
	}
	if e, ok := c.numericCaseSumArg(x); ok { // vectorize_casevec_numts.go
		return e, true
	}
	gf, ok := x.(*expression.GetField)
	if !ok || !types.IsDecimal(gf.Type()) {
		return nil, false
	}
	dt := gf.Type().(sql.DecimalType)
	if dt.Precision() == storage.DefaultNumericPrecision && dt.Scale() == storage.DefaultNumericScale {
		return c.fail("sum of an unconstrained numeric"), true
	}
	return c.value(gf), true
}
