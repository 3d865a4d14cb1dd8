package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// lateralWhereWithoutFrom applies whereWithoutFrom to the SELECTs of a
// LATERAL subquery (each input of a set operation). Scalar and EXISTS
// subqueries without FROM already work and are left alone.
func lateralWhereWithoutFrom(s ast.SelectStatement) {
	switch x := s.(type) {
	case *ast.Select:
		whereWithoutFrom(x)
	case *ast.SetOp:
		lateralWhereWithoutFrom(x.Left)
		lateralWhereWithoutFrom(x.Right)
	case *ast.ParenSelect:
		lateralWhereWithoutFrom(x.Select)
	}
}

// whereWithoutFrom rewrites SELECT e WHERE c (no FROM) into
// SELECT e FROM (SELECT c AS openwit_w) openwit_w WHERE openwit_w.openwit_w:
// when c refers only to the items left of a LATERAL subquery,
// go-mysql-server's hoistOutOfScopeFilters tries to move
// the filter above the root and fails; over the one-row derived table the
// filter is local. The answer is the same: one row when c is true, none
// otherwise.
func whereWithoutFrom(sel *ast.Select) {
	if len(sel.From) > 0 || sel.Where == nil || len(sel.GroupBy) > 0 || sel.Having != nil {
		return
	}
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok || hasAggregate(ae.Expr) {
			return
		}
	}
	name := ast.NewTableIdent("openwit_w")
	inner := &ast.Select{SelectExprs: ast.SelectExprs{&ast.AliasedExpr{Expr: sel.Where.Expr, As: ast.NewColIdent("openwit_w")}}}
	sel.From = ast.TableExprs{&ast.AliasedTableExpr{Expr: &ast.Subquery{Select: inner}, As: name}}
	sel.Where = &ast.Where{Type: ast.WhereStr, Expr: &ast.ColName{Name: ast.NewColIdent("openwit_w"), Qualifier: ast.TableName{Name: name}}}
}
