package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"openwit/exec"
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

// caseValue compiles CASE WHEN p THEN x END whose type is x's.
func (c *compiler) caseValue(x sql.Expression) *exec.Expr {
	cond, then, ok := caseWhen(x)
	if !ok {
		return c.fail("CASE %s is not vectorized", x)
	}
	if _, lit := then.(*expression.Literal); lit {
		return c.fail("CASE with a constant result %s", x)
	}
	if x.Type() != then.Type() {
		return c.fail("CASE of type %s over %s", x.Type(), then.Type())
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
