package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

const (
	ruleLimitExprs  analyzer.RuleId = 10_046
	ruleLimitWidths analyzer.RuleId = 10_047
)

// insertLimitExprs puts limitExprs in batch b in place of
// go-mysql-server's validateOffsetAndLimit, which accepts only literals and
// bind variables, before subqueries are resolved.
func insertLimitExprs(b *analyzer.Batch) {
	for i, r := range b.Rules {
		if r.Id.String() == "validateOffsetAndLimit" {
			b.Rules[i] = analyzer.Rule{Id: ruleLimitExprs, Apply: limitExprs}
			return
		}
	}
}

// limitExprs puts LIMIT and OFFSET expressions (pgexpr.LimitValue) in
// place of the bind variables that carried them through go-mysql-server's
// binder, early in analysis, so that a scalar subquery in them is analyzed
// like any other (a subquery gets it when it is analyzed itself). It
// checks literals (bound parameters) as PostgreSQL does: NULL is no limit
// and no offset, a negative one is 2201W or 2201X.
func limitExprs(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch x := n.(type) {
		case *plan.Limit:
			e, same, err := limitExpr(ctx, x.Limit, false)
			if err != nil || same {
				return n, transform.SameTree, err
			}
			out := *x
			out.Limit = e
			return &out, transform.NewTree, nil
		case *plan.Offset:
			e, same, err := limitExpr(ctx, x.Offset, true)
			if err != nil || same {
				return n, transform.SameTree, err
			}
			out := *x
			out.Offset = e
			return &out, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
}

func limitExpr(ctx *sql.Context, e sql.Expression, offset bool) (sql.Expression, bool, error) {
	if v, ok := pgexpr.UnwrapLimit(e); ok {
		if !constant(v) {
			return v, false, nil
		}
		// LIMIT 5 + 5: a literal, so that the top-N paths (and the
		// vectorized top-k) apply as for LIMIT 10.
		n, err := v.Eval(ctx, nil)
		if err != nil {
			return nil, true, err
		}
		return expression.NewLiteral(n, types.Int64), false, nil
	}
	lit, ok := e.(*expression.Literal)
	if !ok {
		return e, true, nil
	}
	v, err := (&pgexpr.LimitValue{Child: lit, Offset: offset}).Eval(ctx, nil)
	if err != nil {
		return nil, true, err
	}
	if lit.Value() == v {
		return e, true, nil
	}
	return expression.NewLiteral(v, types.Int64), false, nil
}

// limitWidths tells each LimitValue how wide the row its subqueries
// expect as outer scope is: go-mysql-server evaluates LIMIT with no row,
// but a subquery in it was indexed as if the node's input row came first.
func limitWidths(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeWithOpaque(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		var e sql.Expression
		switch x := n.(type) {
		case *plan.Limit:
			e = x.Limit
		case *plan.Offset:
			e = x.Offset
		case *plan.TopN:
			e = x.Limit
		default:
			return n, transform.SameTree, nil
		}
		if v, ok := e.(*pgexpr.LimitValue); ok && len(n.Children()) == 1 {
			v.Width = len(n.Children()[0].Schema())
		}
		return n, transform.SameTree, nil
	})
}

// limitParams calls set with bigint for a parameter that is a LIMIT or
// OFFSET by itself ($1), as PostgreSQL infers it.
func limitParams(n sql.Node, set func(*expression.BindVar, uint32)) {
	var es []sql.Expression
	switch x := n.(type) {
	case *plan.Limit:
		es = []sql.Expression{x.Limit}
	case *plan.Offset:
		es = []sql.Expression{x.Offset}
	case *plan.TopN:
		es = []sql.Expression{x.Limit}
	}
	for _, e := range es {
		if bv, ok := e.(*expression.BindVar); ok {
			set(bv, pgtypes.OIDInt8)
		}
	}
}

// constant reports whether e can be evaluated while planning: no
// subquery, parameter or column in it.
func constant(e sql.Expression) bool {
	ok := true
	sql.Inspect(e, func(e sql.Expression) bool {
		switch e.(type) {
		case *plan.Subquery, *expression.BindVar, *expression.GetField, *expression.UnresolvedColumn:
			ok = false
		}
		return ok
	})
	return ok
}
