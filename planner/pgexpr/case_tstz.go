package pgexpr

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
)

// TimestampTZCase keeps the type of a CASE whose results are timestamptz:
// go-mysql-server's common type of two result types it does not know is
// LONGTEXT, and its CASE converts the chosen value to that type. The
// results are evaluated as DATETIME(6), whose common type is itself (the
// values are the same UTC instants), and the CASE reports timestamptz.
// Any other expression is returned unchanged.
func TimestampTZCase(e sql.Expression) (sql.Expression, bool) {
	c, ok := e.(*expression.Case)
	if !ok {
		return e, false
	}
	vals := 0
	for _, b := range c.Branches {
		if !tstzOrNull(b.Value.Type()) {
			return e, false
		}
		if pgtypes.IsTimestampTZ(b.Value.Type()) {
			vals++
		}
	}
	if c.Else != nil {
		if !tstzOrNull(c.Else.Type()) {
			return e, false
		}
		if pgtypes.IsTimestampTZ(c.Else.Type()) {
			vals++
		}
	}
	if vals < 2 {
		return e, false // one timestamptz result (and NULLs) keeps its type
	}
	branches := make([]expression.CaseBranch, len(c.Branches))
	for i, b := range c.Branches {
		branches[i] = expression.CaseBranch{Cond: b.Cond, Value: asDatetime(b.Value)}
	}
	var elseExpr sql.Expression
	if c.Else != nil {
		elseExpr = asDatetime(c.Else)
	}
	return &typedAs{Expression: expression.NewCase(c.Expr, branches, elseExpr), typ: pgtypes.TimestampTZType}, true
}

func tstzOrNull(t sql.Type) bool { return t == types.Null || pgtypes.IsTimestampTZ(t) }

func asDatetime(e sql.Expression) sql.Expression {
	if !pgtypes.IsTimestampTZ(e.Type()) {
		return e
	}
	return &typedAs{Expression: e, typ: types.DatetimeMaxPrecision}
}

// typedAs reports its child's values under another engine type whose
// values are the same Go values. It is a unary node (not an embedding) so
// that analyzer passes rewriting field references reach the child.
type typedAs struct {
	sql.Expression
	typ sql.Type
}

func (t *typedAs) Type() sql.Type             { return t.typ }
func (t *typedAs) Children() []sql.Expression { return []sql.Expression{t.Expression} }
func (t *typedAs) String() string             { return t.Expression.String() }

func (t *typedAs) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(t, len(children), 1)
	}
	return &typedAs{Expression: children[0], typ: t.typ}, nil
}

// TimestampTZCaseOf returns the CASE that TimestampTZCase wrapped, with
// its results unwrapped (timestamptz values and NULLs), or false.
func TimestampTZCaseOf(e sql.Expression) (*expression.Case, bool) {
	t, ok := e.(*typedAs)
	if !ok || !pgtypes.IsTimestampTZ(t.typ) {
		return nil, false
	}
	c, ok := t.Expression.(*expression.Case)
	if !ok {
		return nil, false
	}
	unwrap := func(x sql.Expression) sql.Expression {
		if a, ok := x.(*typedAs); ok && a.typ == types.DatetimeMaxPrecision && pgtypes.IsTimestampTZ(a.Expression.Type()) {
			return a.Expression
		}
		return x
	}
	branches := make([]expression.CaseBranch, len(c.Branches))
	for i, b := range c.Branches {
		branches[i] = expression.CaseBranch{Cond: b.Cond, Value: unwrap(b.Value)}
	}
	var els sql.Expression
	if c.Else != nil {
		els = unwrap(c.Else)
	}
	return expression.NewCase(c.Expr, branches, els), true
}
