package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

const ruleNotExistsJoins analyzer.RuleId = 10_037

// notExistsJoins makes the condition of the joins planned for NOT EXISTS
// two-valued (IS TRUE). Such a join excludes NULLs (an anti join, or the
// left outer join it becomes): it drops the outer row when its condition is
// NULL for some inner row, which is NOT IN's rule; PostgreSQL's NOT EXISTS
// keeps every outer row whose subquery finds no row. The front end marks
// NOT EXISTS comparisons with a one-element row (pgparse guardNotExists),
// which go-mysql-server never builds otherwise. The hash lookup keys are
// not touched.
func notExistsJoins(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		j, ok := n.(*plan.JoinNode)
		if !ok || j.Filter == nil || !j.Op.IsExcludeNulls() {
			return n, transform.SameTree, nil
		}
		if _, ok := j.Filter.(*expression.IsTrue); ok {
			return n, transform.SameTree, nil
		}
		marked := false
		transform.InspectExpr(j.Filter, func(e sql.Expression) bool {
			t, ok := e.(expression.Tuple)
			marked = ok && len(t) == 1
			return marked
		})
		if !marked {
			return n, transform.SameTree, nil
		}
		nn, err := j.WithExpressions(expression.NewIsTrue(j.Filter))
		return nn, transform.NewTree, err
	})
}
