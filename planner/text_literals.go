package planner

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
)

// keepTextTypes makes go-mysql-server's simplifyFilters, which folds the
// constant parts of a WHERE condition into literals of their type, fold a
// constant text expression ('a '::text, lower('A '), 'a' || 'b') into a
// literal of pgtypes.TypedText rather than LONGTEXT, the type of a string
// literal written without a cast. The later rules read a LONGTEXT literal
// as PostgreSQL's unknown type, which takes the other operand's type
// (bpchar against char(n), integer against an integer); a TypedText one
// is text, as in PostgreSQL, where `c = 'a '::text` compares c::text
// with 'a ' and `id = '1'::text` has no operator (docs/design/088).
//
// Before simplifyFilters each Filter's outermost constant expressions of
// go-mysql-server's string types (literals aside) are wrapped in a
// typedText whose type is TypedText, so the literal they fold into has
// that type; the wrappers left over where nothing was folded (a filter
// with a volatile function is not simplified) are removed after it.
func keepTextTypes(b *analyzer.Batch) {
	for i, r := range b.Rules {
		if r.Id.String() != "simplifyFilters" {
			continue
		}
		simplify := r.Apply
		b.Rules[i].Apply = func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
			marked, same, err := markTypedText(n)
			if err != nil || same {
				if err != nil {
					return nil, transform.SameTree, err
				}
				return simplify(ctx, a, n, scope, sel, qf)
			}
			out, _, err := simplify(ctx, a, marked, scope, sel, qf)
			if err != nil {
				return nil, transform.SameTree, err
			}
			out, _, err = unmarkTypedText(out)
			return out, transform.NewTree, err
		}
	}
}

// markTypedText wraps the constant text expressions of n's filters (and
// of the filters of the subqueries in them) in typedText.
func markTypedText(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeWithOpaque(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		f, ok := n.(*plan.Filter)
		if !ok {
			return n, transform.SameTree, nil
		}
		e, same, err := markExpr(f.Expression)
		if err != nil || same {
			return n, transform.SameTree, err
		}
		return plan.NewFilter(e, f.Child), transform.NewTree, nil
	})
}

// markExpr wraps e's outermost constant text expressions, top down.
func markExpr(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch x := e.(type) {
	case *expression.Literal:
		return e, transform.SameTree, nil
	case expression.Tuple:
		// A one-value tuple has its value's type; its values are marked.
	case *plan.Subquery:
		q, same, err := markTypedText(x.Query)
		if err != nil || same {
			return e, transform.SameTree, err
		}
		return x.WithQuery(q), transform.NewTree, nil
	}
	if _, tuple := e.(expression.Tuple); !tuple && isGMSString(e.Type()) && constantExpr(e) {
		return &typedText{Child: e}, transform.NewTree, nil
	}
	children := e.Children()
	var out []sql.Expression
	for i, c := range children {
		nc, same, err := markExpr(c)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if same {
			continue
		}
		if out == nil {
			out = append([]sql.Expression(nil), children...)
		}
		out[i] = nc
	}
	if out == nil {
		return e, transform.SameTree, nil
	}
	ne, err := e.WithChildren(out...)
	return ne, transform.NewTree, err
}

// isGMSString reports whether t is one of go-mysql-server's own string
// types, whose constants fold into literals that look untyped.
func isGMSString(t sql.Type) bool {
	_, ok := t.(types.StringType)
	return ok
}

// constantExpr reports whether e reads no column, parameter or subquery
// and aggregates nothing: what simplifyFilters evaluates once (unless
// keepVolatileFilters stops it).
func constantExpr(e sql.Expression) bool {
	ok := true
	sql.Inspect(e, func(x sql.Expression) bool {
		switch x.(type) {
		case *expression.GetField, *expression.BindVar, *expression.ProcedureParam, *plan.Subquery, sql.Aggregation, sql.WindowAggregation:
			ok = false
		}
		return ok
	})
	return ok
}

// unmarkTypedText removes the typedText wrappers from n, subqueries
// included.
func unmarkTypedText(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprsWithOpaque(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch x := e.(type) {
		case *typedText:
			return x.Child, transform.NewTree, nil
		case *plan.Subquery:
			q, same, err := unmarkTypedText(x.Query)
			if err != nil || same {
				return e, transform.SameTree, err
			}
			return x.WithQuery(q), transform.NewTree, nil
		}
		return e, transform.SameTree, nil
	})
}

// typedText is a constant text expression whose value simplifyFilters
// folds into a TypedText literal; it lives only while that rule runs.
type typedText struct{ Child sql.Expression }

var _ sql.Expression = (*typedText)(nil)

func (t *typedText) Resolved() bool             { return t.Child.Resolved() }
func (t *typedText) String() string             { return t.Child.String() }
func (t *typedText) Type() sql.Type             { return pgtypes.TypedText }
func (t *typedText) IsNullable() bool           { return t.Child.IsNullable() }
func (t *typedText) Children() []sql.Expression { return []sql.Expression{t.Child} }

// WithChildren implements sql.Expression.
func (t *typedText) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("typed text: %d children", len(children))
	}
	return &typedText{Child: children[0]}, nil
}

// Eval implements sql.Expression.
func (t *typedText) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return t.Child.Eval(ctx, row)
}
