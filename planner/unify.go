package planner

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/planner/pgparse"
)

// maxUnifyRounds bounds the bindings unifyTypes makes: each round settles
// at least one more level of nesting (a set operation over a derived table
// that is one), so this many levels are resolved.
const maxUnifyRounds = 8

// unifyTypes resolves the types of the statement's set operations and
// VALUES lists like PostgreSQL (pgparse.Unify, pgexpr.TypeGroup): it binds
// the statement, lets every group pick its columns' types from what the
// binding recorded, and binds again until no group changes. A 42804 is
// reported only once the groups have settled, so that a group over another
// one never fails on the other's unresolved types. A statement that does not
// bind is left to planning, which reports its error.
func (p *Prepared) unifyTypes(ctx *sql.Context) error {
	u := p.st.Unify
	if u == nil {
		return nil
	}
	for range maxUnifyRounds {
		for _, g := range u.Groups {
			g.Reset()
		}
		bound, err := p.bindOnly(ctx)
		if err != nil {
			return nil
		}
		if expandWrappers(bound, u) {
			continue
		}
		changed := false
		var first error
		for _, g := range u.Groups {
			c, err := g.Resolve()
			changed = changed || c
			if err != nil && first == nil {
				first = err
			}
		}
		if !changed {
			return first
		}
	}
	return nil
}

// bindOnly binds the statement without analyzing it.
func (p *Prepared) bindOnly(ctx *sql.Context) (node sql.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bind: %v", r)
		}
	}()
	a := p.s.e.gms.Analyzer
	binder := planbuilder.New(ctx, a.Catalog, p.s.e.gms.EventScheduler, p.s.e.gms.Parser)
	node, _, err = binder.BindOnly(p.st.AST, p.st.SQL, nil)
	if err == nil && node == nil {
		err = errors.New("bind: no plan")
	}
	return node, err
}

// expandWrappers replaces the * of the set-operation inputs the translator
// wrapped by their columns, which the bound plan shows; it reports whether
// it expanded any.
func expandWrappers(bound sql.Node, u *pgparse.Unify) bool {
	pending := map[string]*pgparse.UnifyWrapper{}
	for _, w := range u.Wrappers {
		if !w.Expanded {
			pending[w.Alias] = w
		}
	}
	if len(pending) == 0 {
		return false
	}
	expanded := false
	inspectAll(bound, func(n sql.Node) {
		sa, ok := n.(*plan.SubqueryAlias)
		if !ok {
			return
		}
		w := pending[sa.Name()]
		if w == nil {
			return
		}
		sch := sa.Child.Schema()
		names := make([]string, len(sch))
		for i, c := range sch {
			names[i] = c.Name
		}
		w.Expand(names)
		delete(pending, sa.Name())
		expanded = true
	})
	return expanded
}

// inspectAll calls f on every node of the plan, subqueries in expressions
// included.
func inspectAll(n sql.Node, f func(sql.Node)) {
	transform.Inspect(n, func(n sql.Node) bool {
		if n == nil {
			return false
		}
		f(n)
		if ex, ok := n.(sql.Expressioner); ok {
			for _, e := range ex.Expressions() {
				transform.InspectExpr(e, func(e sql.Expression) bool {
					if sq, ok := e.(*plan.Subquery); ok && sq.Query != nil {
						inspectAll(sq.Query, f)
					}
					return false
				})
			}
		}
		return true
	})
}

const ruleValuesTable analyzer.RuleId = 10_035

// valuesTables runs VALUES lists in FROM with valuesTable.
func valuesTables(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		if v, ok := n.(*plan.ValueDerivedTable); ok {
			return &valuesTable{v}, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
}

// valuesTable is a VALUES list in FROM whose rows keep the values their
// expressions give when those already have the column's type (the front
// end cast them to PostgreSQL's resolved type): go-mysql-server's own
// converts every value to the column type and rounds numerics to its
// scale (1 became 1.0000000000, and a NULL numeric panicked).
type valuesTable struct{ *plan.ValueDerivedTable }

var _ sql.ExecSourceRel = (*valuesTable)(nil)

// RowIter implements sql.ExecSourceRel.
func (v *valuesTable) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	sch := v.Schema()
	rows := make([]sql.Row, len(v.ExpressionTuples))
	for i, tuple := range v.ExpressionTuples {
		vals := make(sql.Row, len(tuple))
		for j, e := range tuple {
			x, err := e.Eval(ctx, row)
			if err != nil {
				return nil, err
			}
			if x != nil && !reflect.DeepEqual(e.Type(), sch[j].Type) {
				if x, _, err = sch[j].Type.Convert(ctx, x); err != nil {
					return nil, err
				}
			}
			vals[j] = x
		}
		rows[i] = vals
	}
	return sql.RowsToRowIter(rows...), nil
}

// WithChildren implements sql.Node.
func (v *valuesTable) WithChildren(children ...sql.Node) (sql.Node, error) {
	n, err := v.ValueDerivedTable.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &valuesTable{n.(*plan.ValueDerivedTable)}, nil
}

// WithExpressions implements sql.Expressioner.
func (v *valuesTable) WithExpressions(exprs ...sql.Expression) (sql.Node, error) {
	n, err := v.ValueDerivedTable.WithExpressions(exprs...)
	if err != nil {
		return nil, err
	}
	return &valuesTable{n.(*plan.ValueDerivedTable)}, nil
}
