package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/planner/pgexpr"
)

const ruleFrameWindows analyzer.RuleId = 10_039

// frameWindows replaces the window functions whose argument the front end
// marked (frame EXCLUDE, nth_value; see pgexpr.InjectableWindowArg) with
// pgexpr.FrameWindow, which computes them over their frame minus the
// excluded rows.
func frameWindows(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		w, ok := n.(*plan.Window)
		if !ok {
			return n, transform.SameTree, nil
		}
		exprs := make([]sql.Expression, len(w.SelectExprs))
		changed := false
		for i, e := range w.SelectExprs {
			exprs[i] = e
			inner := e
			alias, isAlias := e.(*expression.Alias)
			if isAlias {
				inner = alias.Child
			}
			fn, ok := inner.(sql.WindowAdaptableExpression)
			if !ok {
				continue
			}
			if _, ok := fn.(*pgexpr.FrameWindow); ok {
				continue
			}
			if _, ok := pgexpr.MarkedWindowArg(fn); !ok {
				continue
			}
			var out sql.Expression = &pgexpr.FrameWindow{Inner: fn}
			if isAlias {
				a, err := alias.WithChildren(out)
				if err != nil {
					return nil, transform.SameTree, err
				}
				out = a
			}
			exprs[i], changed = out, true
		}
		if !changed {
			return n, transform.SameTree, nil
		}
		return plan.NewWindow(exprs, w.Child), transform.NewTree, nil
	})
}
