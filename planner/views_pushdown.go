package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ruleViewFilters moves a filter over a view (a subquery in FROM) onto the
// view's scan, where the vectorizer takes it (time pruning, zone maps,
// index artifacts): go-mysql-server pushes a filter into a subquery alias
// but not below the subquery's projection. docs/design/070-views.md.
const ruleViewFilters analyzer.RuleId = 10_070

// viewFilters rewrites Filter(c) → Project(p) → scan, where scan is
// [Filter →] [TableAlias →] ResolvedTable, into Project(p) →
// Filter(inner AND c') → [TableAlias →] ResolvedTable for the conjuncts of
// c over columns p passes through unchanged (c' reads them below p); the
// other conjuncts stay above.
func viewFilters(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if scope != nil && !scope.IsEmpty() {
		return n, transform.SameTree, nil
	}
	out, changed := pushViewFilters(n)
	if !changed {
		return n, transform.SameTree, nil
	}
	return out, transform.NewTree, nil
}

// pushViewFilters applies viewFilter bottom-up, entering subquery aliases
// (opaque to go-mysql-server's transforms) that see no outer row: in a
// lateral or correlated one, column indexes count the outer row's
// columns first.
func pushViewFilters(n sql.Node) (sql.Node, bool) {
	if sq, ok := n.(*plan.SubqueryAlias); ok && (sq.IsLateral || sq.OuterScopeVisibility) {
		return n, false
	}
	changed := false
	if children := n.Children(); len(children) > 0 {
		nc := make([]sql.Node, len(children))
		for i, c := range children {
			r, ok := pushViewFilters(c)
			nc[i], changed = r, changed || ok
		}
		if changed {
			w, err := n.WithChildren(nc...)
			if err != nil {
				return n, false
			}
			n = w
		}
	}
	if out, ok := viewFilter(n); ok {
		return out, true
	}
	return n, changed
}

// viewFilter is viewFilters' rewrite of one node.
func viewFilter(n sql.Node) (sql.Node, bool) {
	f, ok := n.(*plan.Filter)
	if !ok {
		return n, false
	}
	p, ok := f.Child.(*plan.Project)
	if !ok || !plainScan(p.Child) {
		return n, false
	}
	var down, keep []sql.Expression
	for _, c := range expression.SplitConjunction(f.Expression) {
		if m, ok := throughProject(c, p.Projections); ok {
			down = append(down, m)
		} else {
			keep = append(keep, c)
		}
	}
	if len(down) == 0 {
		return n, false
	}
	child := p.Child
	if inner, ok := child.(*plan.Filter); ok {
		down = append([]sql.Expression{inner.Expression}, down...)
		child = inner.Child
	}
	np, err := p.WithChildren(plan.NewFilter(expression.JoinAnd(down...), child))
	if err != nil {
		return n, false
	}
	if len(keep) > 0 {
		np = plan.NewFilter(expression.JoinAnd(keep...), np)
	}
	return np, true
}

// plainScan matches [Filter →] [TableAlias →] ResolvedTable.
func plainScan(n sql.Node) bool {
	if f, ok := n.(*plan.Filter); ok {
		n = f.Child
	}
	if a, ok := n.(*plan.TableAlias); ok {
		n = a.Child
	}
	_, ok := n.(*plan.ResolvedTable)
	return ok
}

// throughProject rewrites e, an expression over the output of a projection
// p, into one over its input, when every column e reads is a plain column
// of the input (possibly renamed) and e holds no subquery.
func throughProject(e sql.Expression, p []sql.Expression) (sql.Expression, bool) {
	ok := true
	out, _, err := transform.Expr(e, func(x sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch g := x.(type) {
		case *plan.Subquery:
			ok = false
		case *expression.GetField:
			i := g.Index()
			if i < 0 || i >= len(p) {
				ok = false
				return x, transform.SameTree, nil
			}
			src := p[i]
			if a, isAlias := src.(*expression.Alias); isAlias {
				src = a.Child
			}
			sg, isField := src.(*expression.GetField)
			if !isField {
				ok = false
				return x, transform.SameTree, nil
			}
			return sg, transform.NewTree, nil
		}
		return x, transform.SameTree, nil
	})
	if err != nil || !ok {
		return nil, false
	}
	return out, true
}
