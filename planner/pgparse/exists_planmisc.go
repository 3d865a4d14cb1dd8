package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// existsAggregate rewrites EXISTS (S) for S an aggregate query without
// GROUP BY, HAVING, DISTINCT, OFFSET or LIMIT 0: S has exactly one row, so EXISTS is
// true, but go-mysql-server unnests the EXISTS into a semi join and drops
// the aggregate (it answered false over an empty input). The rewrite is a
// scalar subquery over the same FROM and WHERE whose one row is true:
// count(*) >= 0, or'ed with "t IS NULL" for each of S's output expressions
// so that they are still bound and checked.
func existsAggregate(sq *ast.Subquery) (ast.Expr, bool) {
	sel, ok := sq.Select.(*ast.Select)
	if !ok || len(sel.GroupBy) > 0 || sel.Having != nil || sel.QueryOpts.Distinct || sel.Window != nil {
		return nil, false
	}
	if l := sel.Limit; l != nil {
		// LIMIT n (n >= 1) keeps the one row.
		v, ok := l.Rowcount.(*ast.SQLVal)
		if !ok || v.Type != ast.IntVal || string(v.Val) == "0" || l.Offset != nil {
			return nil, false
		}
	}
	agg := false
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			return nil, false
		}
		agg = agg || hasAggregate(ae.Expr)
	}
	if !agg {
		return nil, false
	}
	var cond ast.Expr = &ast.ComparisonExpr{Operator: ast.GreaterEqualStr,
		Left:  &ast.FuncExpr{Name: ast.NewColIdent("count"), Exprs: ast.SelectExprs{&ast.StarExpr{}}},
		Right: ast.NewIntVal([]byte("0"))}
	for _, se := range sel.SelectExprs {
		cond = &ast.OrExpr{Left: cond, Right: &ast.IsExpr{Operator: ast.IsNullStr, Expr: se.(*ast.AliasedExpr).Expr}}
	}
	out := *sel
	out.SelectExprs = ast.SelectExprs{&ast.AliasedExpr{Expr: cond}}
	out.OrderBy, out.Limit = nil, nil
	return &ast.Subquery{Select: &out}, true
}
