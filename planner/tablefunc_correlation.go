package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

const ruleTableFuncCorrelation analyzer.RuleId = 10_088

// tableFuncCorrelation records the outer columns that the arguments of a
// table function (unnest, jsonb_array_elements, generate_series ...)
// read in the correlation of the subqueries around it.
//
// go-mysql-server's planbuilder builds a table function's arguments in
// the scope of the subquery whose FROM holds it, and a column found in a
// parent scope from there is recorded as a correlation of the parent's
// subquery, not of this one. The front end makes every FROM function a
// LATERAL subquery (SELECT * FROM unnest(t.arr)) x, so x looked
// uncorrelated: cacheable, computed once; inside EXISTS the analyzer
// then turned the EXISTS into a cross join with the first result, and
// the function read the outer column from a row of another shape
// (`EXISTS (SELECT 1 FROM unnest(t.arr) x WHERE x > 2)` found no rows or
// failed). The rule runs before analysis; a subquery (a SubqueryAlias or
// a subquery expression) gets every column its table functions read that
// it does not define itself.
func tableFuncCorrelation(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	out, _, _, changed := correlate(n)
	if !changed {
		return n, transform.SameTree, nil
	}
	return out, transform.NewTree, nil
}

// correlate completes the correlation of the subqueries in n. It returns
// the new node, the columns n's subtree defines, and the columns its
// table functions read that it does not define (free).
func correlate(n sql.Node) (out sql.Node, defined, free sql.ColSet, changed bool) {
	out = n
	children := n.Children()
	var newChildren []sql.Node
	for i, c := range children {
		nc, d, f, ch := correlate(c)
		defined.UnionWith(d)
		free.UnionWith(f)
		if ch {
			if newChildren == nil {
				newChildren = append([]sql.Node(nil), children...)
			}
			newChildren[i] = nc
		}
	}
	if newChildren != nil {
		var err error
		if out, err = out.WithChildren(newChildren...); err != nil {
			return n, defined, free, false
		}
		changed = true
	}
	if t, ok := out.(plan.TableIdNode); ok {
		defined.UnionWith(t.Columns())
	}
	if _, ok := out.(sql.TableFunction); ok {
		for _, e := range out.(sql.Expressioner).Expressions() {
			free.UnionWith(columnRefs(e))
		}
	}
	if ex, ok := out.(sql.Expressioner); ok {
		exprs := ex.Expressions()
		var newExprs []sql.Expression
		for i, e := range exprs {
			ne, same, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
				sq, ok := e.(*plan.Subquery)
				if !ok {
					return e, transform.SameTree, nil
				}
				q, _, qf, ch := correlate(sq.Query)
				if !ch && qf.SubsetOf(sq.Correlated()) {
					free.UnionWith(qf)
					return e, transform.SameTree, nil
				}
				free.UnionWith(qf)
				return sq.WithQuery(q).WithCorrelated(sq.Correlated().Union(qf)), transform.NewTree, nil
			})
			if err != nil || same == transform.SameTree {
				continue
			}
			if newExprs == nil {
				newExprs = append([]sql.Expression(nil), exprs...)
			}
			newExprs[i] = ne
		}
		if newExprs != nil {
			if nn, err := ex.WithExpressions(newExprs...); err == nil {
				out, changed = nn, true
			}
		}
	}
	free = free.Difference(defined)
	if sq, ok := out.(*plan.SubqueryAlias); ok && !free.SubsetOf(sq.Correlated) {
		out, changed = sq.WithCorrelated(sq.Correlated.Union(free)), true
	}
	return out, defined, free, changed
}

// columnRefs is the set of columns e reads.
func columnRefs(e sql.Expression) sql.ColSet {
	var s sql.ColSet
	sql.Inspect(e, func(x sql.Expression) bool {
		if gf, ok := x.(*expression.GetField); ok && gf.Id() != 0 {
			s.Add(gf.Id())
		}
		return true
	})
	return s
}

// keepCorrelatedExists wraps go-mysql-server's unnestExistsSubqueries in
// batch b. That rule turns [NOT] EXISTS into a semi (anti) join on the
// subquery's filters that read outer columns, and into a cross join (an
// anti join on true) when no filter does, as if the subquery were
// uncorrelated. An outer column read elsewhere, by a table function
// (EXISTS (SELECT 1 FROM unnest(t.arr) x WHERE x > 2)) or in a LATERAL
// subquery, was then read from no row. Such an EXISTS is hidden from the
// rule and stays a subquery evaluated for each outer row.
func keepCorrelatedExists(b *analyzer.Batch) {
	for i, r := range b.Rules {
		if r.Id.String() != "unnestExistsSubqueries" {
			continue
		}
		unnest := r.Apply
		b.Rules[i].Apply = func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
			hidden, same, err := hideExists(n)
			if err != nil {
				return nil, transform.SameTree, err
			}
			if same {
				return unnest(ctx, a, n, scope, sel, qf)
			}
			out, _, err := unnest(ctx, a, hidden, scope, sel, qf)
			if err != nil {
				return nil, transform.SameTree, err
			}
			out, _, err = transform.NodeExprs(out, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
				if k, ok := e.(*keptExists); ok {
					return k.ExistsSubquery, transform.NewTree, nil
				}
				return e, transform.SameTree, nil
			})
			return out, transform.NewTree, err
		}
	}
}

// hideExists wraps in keptExists each EXISTS of n's filters whose
// subquery reads an outer column outside its filters.
func hideExists(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		f, ok := n.(*plan.Filter)
		if !ok {
			return n, transform.SameTree, nil
		}
		conj := expression.SplitConjunction(f.Expression)
		changed := false
		for i, c := range conj {
			ex, not := c, false
			if nt, ok := c.(*expression.Not); ok {
				ex, not = nt.Child, true
			}
			es, ok := ex.(*plan.ExistsSubquery)
			if !ok || !readsOuterOutsideFilters(es.Query) {
				continue
			}
			var k sql.Expression = &keptExists{es}
			if not {
				k = expression.NewNot(k)
			}
			conj[i], changed = k, true
		}
		if !changed {
			return n, transform.SameTree, nil
		}
		return plan.NewFilter(expression.JoinAnd(conj...), f.Child), transform.NewTree, nil
	})
}

// readsOuterOutsideFilters reports whether sq reads one of its outer
// columns in a LATERAL or derived table or a table function.
func readsOuterOutsideFilters(sq *plan.Subquery) bool {
	corr := sq.Correlated()
	if corr.Empty() {
		return false
	}
	found := false
	transform.Inspect(sq.Query, func(n sql.Node) bool {
		switch x := n.(type) {
		case *plan.SubqueryAlias:
			found = found || x.Correlated.Intersects(corr)
		case sql.TableFunction:
			if ex, ok := n.(sql.Expressioner); ok {
				for _, e := range ex.Expressions() {
					found = found || columnRefs(e).Intersects(corr)
				}
			}
		}
		return !found
	})
	return found
}

// keptExists is an EXISTS that unnestExistsSubqueries must leave as it
// is; it lives only while that rule runs.
type keptExists struct{ *plan.ExistsSubquery }

// WithChildren implements sql.Expression.
func (k *keptExists) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := k.ExistsSubquery.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	es, ok := e.(*plan.ExistsSubquery)
	if !ok {
		return e, nil
	}
	return &keptExists{es}, nil
}
