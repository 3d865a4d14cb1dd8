package planner

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// CASE WHEN p THEN x END in the executor (docs/design/080-dashboard-group-keys.md).
// An aggregate's FILTER (WHERE p) reaches the planner as its argument
// inside CASE WHEN p THEN ... END (count(*) FILTER becomes count(CASE
// WHEN p THEN 1 END)): dashboards' error counts and rates, which ran on
// the row engine.

// caseWhen returns the searched CASE with one branch and no ELSE (or ELSE
// NULL) as cond and value, or false.
func caseWhen(x sql.Expression) (cond, then sql.Expression, ok bool) {
	c, isCase := x.(*expression.Case)
	if !isCase || c.Expr != nil || len(c.Branches) != 1 {
		return nil, nil, false
	}
	if c.Else != nil {
		if l, isLit := c.Else.(*expression.Literal); !isLit || l.Value() != nil {
			return nil, nil, false
		}
	}
	return c.Branches[0].Cond, c.Branches[0].Value, true
}

// caseValue compiles CASE WHEN p THEN x END whose type is x's, and CASE
// WHEN p THEN a ELSE b END over numbers.
func (c *compiler) caseValue(x sql.Expression) *exec.Expr {
	if e := c.caseElse(x); e != nil {
		return e
	}
	cond, then, ok := caseWhen(x)
	if _, lit := then.(*expression.Literal); !ok || lit || x.Type() != then.Type() {
		return c.caseVec(x) // vectorize_casevec.go
	}
	return exec.CaseWhen(c.predicate(cond), c.value(then))
}

// countCase compiles count(CASE WHEN p THEN k END) with a constant k
// that is not NULL: the rows where p is TRUE.
func (c *compiler) countCase(x sql.Expression) (exec.Agg, bool) {
	cond, then, ok := caseWhen(x)
	if !ok {
		return exec.Agg{}, false
	}
	l, lit := then.(*expression.Literal)
	if !lit || l.Value() == nil {
		return exec.Agg{}, false
	}
	return exec.Agg{Func: exec.AggCount, Arg: exec.CaseWhen(c.predicate(cond), nil)}, true
}

// caseArrowTypes are the types a CASE with an ELSE may have in the
// executor, by their Arrow names.
var caseArrowTypes = map[sql.Type]string{
	types.Int16: "int16", types.Int32: "int32", types.Int64: "int64", types.Float64: "float64",
}

// caseElse compiles CASE WHEN p THEN a ELSE b END whose branches are
// columns or constants of the CASE's own numeric type, or returns nil.
func (c *compiler) caseElse(x sql.Expression) *exec.Expr {
	ce, ok := x.(*expression.Case)
	if !ok || ce.Expr != nil || len(ce.Branches) != 1 || ce.Else == nil {
		return nil
	}
	typ, ok := caseArrowTypes[x.Type()]
	if !ok {
		return nil
	}
	var branches [2]*exec.Expr
	for i, b := range []sql.Expression{ce.Branches[0].Value, ce.Else} {
		neg := false
		if a, ok := b.(*pgexpr.Arith); ok && a.Neg {
			// -1 is 0 - 1 with Neg set.
			if _, lit := a.Right.(*expression.Literal); lit {
				b, neg = a.Right, true
			}
		}
		switch v := b.(type) {
		case *expression.Literal:
			// A constant of another numeric type is converted as the
			// CASE converts it: an integer that fits, or any number in a
			// float8 CASE.
			switch n := v.Value().(type) {
			case float64:
				if typ != "float64" {
					return nil
				}
				if neg {
					n = -n
				}
				branches[i] = exec.Float(n)
			case decimal.Decimal:
				if typ != "float64" {
					return nil
				}
				if neg {
					n = n.Neg()
				}
				f, _ := n.Float64()
				branches[i] = exec.Float(f)
			default:
				k, ok := pgtypes.Int64(n)
				if !ok || !types.IsInteger(v.Type()) {
					return nil
				}
				if neg {
					k = -k
				}
				if !fitsCase(k, typ) {
					return nil
				}
				branches[i] = exec.Int(k)
			}
		case *expression.GetField:
			// A column of the CASE's type, or a narrower integer one
			// (the executor widens it as the CASE does).
			if b.Type() != x.Type() && !(types.IsInteger(b.Type()) && typ != "float64" && intWidth(b.Type()) <= intWidth(x.Type())) {
				return nil
			}
			branches[i] = c.value(v)
		default:
			return nil
		}
	}
	return exec.CaseWhenElse(c.predicate(ce.Branches[0].Cond), branches[0], branches[1], typ)
}

// fitsCase reports whether k is a value of the CASE type typ.
func fitsCase(k int64, typ string) bool {
	switch typ {
	case "int16":
		return k >= math.MinInt16 && k <= math.MaxInt16
	case "int32":
		return k >= math.MinInt32 && k <= math.MaxInt32
	case "float64":
		return k >= -1<<53 && k <= 1<<53
	}
	return true
}

// intWidth is the bytes of an integer type (0 for others).
func intWidth(t sql.Type) int {
	switch t {
	case types.Int16:
		return 2
	case types.Int32:
		return 4
	case types.Int64:
		return 8
	}
	return 99
}
