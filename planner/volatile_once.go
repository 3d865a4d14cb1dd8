package planner

import (
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/planner/pgexpr"
)

const ruleVolatileOnce analyzer.RuleId = 10_040

// volatileOnce evaluates a volatile select-list expression once per row,
// where PostgreSQL does. For `SELECT g, random() FROM ... ORDER BY g`
// go-mysql-server projects the select list below the sort and again above
// it, so random() ran twice per row: after setseed the numbers differed
// from PostgreSQL's. PostgreSQL computes a volatile expression after the
// sort (make_sort_input_target postpones it) unless the sort orders by
// it. So, for an outer expression with a non-deterministic part that the
// projection under the Sort or TopN also computes: when a sort key is
// that column, the outer one becomes a reference to it; otherwise the
// inner one becomes a NULL of its type, and the outer one computes it on
// the sorted rows (and, under a LIMIT, only on the rows kept).
func volatileOnce(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		p, ok := n.(*plan.Project)
		if !ok {
			return n, transform.SameTree, nil
		}
		var (
			inner *plan.Project
			keys  sql.SortFields
		)
		switch c := p.Child.(type) {
		case *plan.Sort:
			inner, _ = c.Child.(*plan.Project)
			keys = c.SortFields
		case *plan.TopN:
			inner, _ = c.Child.(*plan.Project)
			keys = c.Fields
		}
		if inner == nil {
			return n, transform.SameTree, nil
		}
		var outerExprs, innerExprs []sql.Expression
		for i, e := range p.Projections {
			if !hasVolatile(e) {
				continue
			}
			j := slices.IndexFunc(inner.Projections, func(ie sql.Expression) bool { return ie.String() == e.String() })
			if j < 0 {
				continue
			}
			ie := inner.Projections[j]
			if sortsBy(keys, j) {
				name := e.String()
				if nm, ok := e.(sql.Nameable); ok {
					name = nm.Name()
				}
				repl := sql.Expression(expression.NewGetField(j, ie.Type(), name, ie.IsNullable()))
				if a, ok := e.(*expression.Alias); ok {
					r, err := a.WithChildren(repl)
					if err != nil {
						return nil, transform.SameTree, err
					}
					repl = r
				}
				if outerExprs == nil {
					outerExprs = slices.Clone(p.Projections)
				}
				outerExprs[i] = repl
				continue
			}
			repl := sql.Expression(expression.NewLiteral(nil, ie.Type()))
			if a, ok := ie.(*expression.Alias); ok {
				r, err := a.WithChildren(repl)
				if err != nil {
					return nil, transform.SameTree, err
				}
				repl = r
			}
			if innerExprs == nil {
				innerExprs = slices.Clone(inner.Projections)
			}
			innerExprs[j] = repl
		}
		if outerExprs == nil && innerExprs == nil {
			return n, transform.SameTree, nil
		}
		if innerExprs != nil {
			ni, err := inner.WithExpressions(innerExprs...)
			if err != nil {
				return nil, transform.SameTree, err
			}
			sorted, err := p.Child.WithChildren(ni)
			if err != nil {
				return nil, transform.SameTree, err
			}
			nn, err := p.WithChildren(sorted)
			if err != nil {
				return nil, transform.SameTree, err
			}
			p = nn.(*plan.Project)
		}
		if outerExprs != nil {
			np, err := p.WithExpressions(outerExprs...)
			if err != nil {
				return nil, transform.SameTree, err
			}
			return np, transform.NewTree, nil
		}
		return p, transform.NewTree, nil
	})
}

// sortsBy reports whether a sort key reads column j of the sorted rows.
func sortsBy(keys sql.SortFields, j int) bool {
	for _, k := range keys {
		found := false
		transform.InspectExpr(k.Column, func(x sql.Expression) bool {
			if gf, ok := x.(*expression.GetField); ok && gf.Index() == j {
				found = true
			}
			return found
		})
		if found {
			return true
		}
	}
	return false
}

// hasVolatile reports whether e holds a volatile expression: one that
// gives another value at every evaluation (random()). Not every
// sql.NonDeterministicExpression: the catalog functions (catalogFunc,
// array subscripts among them) are marked so that nothing caches them, yet
// a filter holding one must keep go-mysql-server's constant folding.
func hasVolatile(e sql.Expression) bool {
	found := false
	transform.InspectExpr(e, func(x sql.Expression) bool {
		switch x.(type) {
		case pgexpr.Random, *function.Rand:
			found = true
		}
		return found
	})
	return found
}

// keepVolatileFilters wraps go-mysql-server's simplifyFilters in batch b.
// That rule evaluates, once and at planning time, every filter expression
// that reads no column: `WHERE random() < 0.01` became true or false for
// the whole query, so a sample returned every row or none (PostgreSQL
// draws per row). A plan whose filters hold a non-deterministic
// expression skips the rule; the rule only simplifies, so nothing else
// changes.
func keepVolatileFilters(b *analyzer.Batch) {
	for i, r := range b.Rules {
		if r.Id.String() != "simplifyFilters" {
			continue
		}
		simplify := r.Apply
		b.Rules[i].Apply = func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
			if volatileFilter(n) {
				return n, transform.SameTree, nil
			}
			return simplify(ctx, a, n, scope, sel, qf)
		}
	}
}

// volatileFilter reports whether a Filter of n, or of a subquery in n,
// holds a non-deterministic expression.
func volatileFilter(n sql.Node) bool {
	found := false
	transform.Inspect(n, func(n sql.Node) bool {
		if found || n == nil {
			return false
		}
		if f, ok := n.(*plan.Filter); ok && hasVolatile(f.Expression) {
			found = true
			return false
		}
		if ex, ok := n.(sql.Expressioner); ok {
			for _, e := range ex.Expressions() {
				transform.InspectExpr(e, func(e sql.Expression) bool {
					if sq, ok := e.(*plan.Subquery); ok && volatileFilter(sq.Query) {
						found = true
					}
					return found
				})
			}
		}
		return !found
	})
	return found
}
