package planner

import (
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// Arithmetic on numeric values in the vectorized executor (design 091):
// + - * and unary minus over numeric(p,s) columns, integer columns and
// integer or numeric constants, and abs of such a value, at PostgreSQL's
// result scales. The executor computes in 128 bits and refuses (so the
// plan stays in the row engine) any expression whose declared precisions
// allow a result beyond 38 digits. Division (its result scale depends on
// the values, select_div_scale) only as a comparison operand: vectorize_numdiv.go.

// numArithOps maps an Arith's operator to the executor's.
var numArithOps = map[string]exec.Op{"+": exec.OpNumAdd, "-": exec.OpNumSub, "*": exec.OpNumMul}

// numArith compiles a numeric-valued arithmetic expression; ok is false
// when x is not one (c.err is set when it is one the executor lacks).
func (c *compiler) numArith(x sql.Expression) (*exec.Expr, bool) {
	if !types.IsDecimal(x.Type()) {
		return nil, false
	}
	e, ok := c.numArithNode(x)
	if !ok || c.err != nil {
		return e, ok
	}
	p, s, known := numBound(x)
	if !known {
		return c.fail("numeric arithmetic %s beyond 38 digits", x), true
	}
	if p == storage.DefaultNumericPrecision && s == storage.DefaultNumericScale {
		// A Decimal128(38,10) reads as an unconstrained numeric, whose
		// values the output trims (table.go): PostgreSQL keeps the scale.
		return c.fail("numeric arithmetic of type numeric(38,10)"), true
	}
	return e, true
}

func (c *compiler) numArithNode(x sql.Expression) (*exec.Expr, bool) {
	switch v := x.(type) {
	case *pgexpr.Arith:
		op, ok := numArithOps[v.Op]
		if !ok {
			return c.fail("numeric %s is not vectorized", v.Op), true
		}
		if v.Neg {
			if l, isLit := v.Right.(*expression.Literal); isLit {
				return c.numLiteral(l, true), true // -1.5 is a constant
			}
			return exec.Call(exec.OpNumNeg, c.numArithOperand(v.Right)), true
		}
		return exec.Call(op, c.numArithOperand(v.Left), c.numArithOperand(v.Right)), true
	case *expression.Arithmetic:
		op, ok := numArithOps[v.Op]
		if !ok {
			return c.fail("numeric %s is not vectorized", v.Op), true
		}
		return exec.Call(op, c.numArithOperand(v.LeftChild), c.numArithOperand(v.RightChild)), true
	case *pgexpr.Func:
		if v.Name == "abs" && len(v.Args) == 1 {
			return exec.Call(exec.OpNumAbs, c.numArithOperand(v.Args[0])), true
		}
	}
	return nil, false
}

// numArithOperand compiles an operand of numeric arithmetic: a numeric
// column of declared precision and scale, an integer column, an integer
// or numeric constant, or such arithmetic itself.
func (c *compiler) numArithOperand(x sql.Expression) *exec.Expr {
	if e, ok := c.numArith(x); ok {
		return e
	}
	t := x.Type()
	switch v := x.(type) {
	case *expression.GetField:
		if types.IsDecimal(t) {
			dt := t.(sql.DecimalType)
			if dt.Precision() == storage.DefaultNumericPrecision && dt.Scale() == storage.DefaultNumericScale {
				// Stored at scale 10, its values have lost their own
				// display scales, which PostgreSQL's result scales follow.
				return c.fail("arithmetic on an unconstrained numeric")
			}
			return c.value(v)
		}
		if types.IsInteger(t) && t != types.Boolean {
			return c.value(v)
		}
	case *expression.Literal:
		return c.numLiteral(v, false)
	}
	return c.fail("numeric arithmetic on %T of type %s", x, t)
}

// numLiteral compiles an integer or numeric constant (negated) of numeric
// arithmetic.
func (c *compiler) numLiteral(l *expression.Literal, neg bool) *exec.Expr {
	t := l.Type()
	switch d := l.Value().(type) {
	case nil:
		return c.fail("numeric arithmetic with NULL")
	case decimal.Decimal:
		if !types.IsDecimal(t) {
			break
		}
		if neg {
			d = d.Neg()
		}
		// The constant's scale is the fraction digits it was written
		// with (2.50 has 2), as PostgreSQL's numeric input keeps them.
		return exec.Decimal(d.StringFixed(max(0, -d.Exponent())))
	default:
		if k, ok := pgtypes.Int64(d); ok && types.IsInteger(t) && t != types.Boolean {
			if neg {
				if k == math.MinInt64 {
					break
				}
				k = -k
			}
			return exec.Int(k)
		}
	}
	return c.fail("numeric arithmetic on the constant %v of type %s", l.Value(), t)
}

// numericValue compiles a numeric column or numeric arithmetic, the
// operands a numeric comparison takes on its own side.
func (c *compiler) numericValue(x sql.Expression) (*exec.Expr, bool) {
	if e, ok := c.decimalColumn(x); ok {
		return e, true
	}
	if e, ok := c.numDiv(x); ok { // vectorize_numdiv.go
		return e, true
	}
	return c.numArith(x)
}

// numBound is the executor's precision bound and scale of a numeric
// arithmetic operand (exec.NumArithType); ok is false for anything else
// and for a result that may exceed 38 digits.
func numBound(x sql.Expression) (p, s int32, ok bool) {
	t := x.Type()
	bin := func(op exec.Op, l, r sql.Expression) (int32, int32, bool) {
		p1, s1, ok1 := numBound(l)
		p2, s2, ok2 := int32(0), int32(0), true
		if r != nil {
			p2, s2, ok2 = numBound(r)
		}
		if !ok1 || !ok2 {
			return 0, 0, false
		}
		dt, ok := exec.NumArithType(op, p1, s1, p2, s2)
		if !ok {
			return 0, 0, false
		}
		return dt.Precision, dt.Scale, true
	}
	switch v := x.(type) {
	case *pgexpr.Arith:
		op, known := numArithOps[v.Op]
		switch {
		case !known:
			return 0, 0, false
		case v.Neg:
			return bin(exec.OpNumNeg, v.Right, nil)
		}
		return bin(op, v.Left, v.Right)
	case *expression.Arithmetic:
		op, known := numArithOps[v.Op]
		if !known {
			return 0, 0, false
		}
		return bin(op, v.LeftChild, v.RightChild)
	case *pgexpr.Func:
		if v.Name == "abs" && len(v.Args) == 1 {
			return bin(exec.OpNumAbs, v.Args[0], nil)
		}
		return 0, 0, false
	case *expression.GetField:
		if types.IsDecimal(t) {
			dt := t.(sql.DecimalType)
			return int32(dt.Precision()), int32(dt.Scale()), true
		}
		switch t {
		case types.Int8:
			return 3, 0, true
		case types.Int16:
			return 5, 0, true
		case types.Int32:
			return 10, 0, true
		case types.Int64:
			return 19, 0, true
		}
	case *expression.Literal:
		switch d := v.Value().(type) {
		case decimal.Decimal:
			sc := max(0, -d.Exponent())
			n := int32(len(strings.TrimLeft(strings.TrimPrefix(strings.ReplaceAll(d.StringFixed(sc), ".", ""), "-"), "0")))
			return max(n, sc, 1), sc, n <= 38
		default:
			if k, isInt := pgtypes.Int64(d); isInt && types.IsInteger(t) {
				return int32(len(strings.TrimPrefix(strconv.FormatInt(k, 10), "-"))), 0, true
			}
		}
	}
	return 0, 0, false
}
