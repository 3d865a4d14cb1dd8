package pgparse

import (
	"fmt"
	"strconv"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// DistinctOnStarAlias names the subquery of a DISTINCT ON query whose
// select list is *: its helper columns (__oN, __rn) follow the table's and
// are removed from the outer * after planning.
const DistinctOnStarAlias = "__distinct_on_star"

func isDistinctOn(s *pg.SelectStmt) bool {
	return len(s.DistinctClause) > 0 && s.DistinctClause[0].GetNode() != nil
}

// distinctOn rewrites SELECT DISTINCT ON (keys) targets ... ORDER BY o
// [LIMIT] into a window query, which go-mysql-server can run:
//
//	SELECT targets FROM (
//	  SELECT targets, o AS __oN, row_number() OVER (PARTITION BY keys ORDER BY o) AS __rn
//	  FROM ... WHERE ... ) __distinct_on
//	WHERE __rn = 1 ORDER BY __o1, ... [LIMIT]
//
// PostgreSQL keeps the first row of each group in ORDER BY order, and
// requires the keys to be the leading ORDER BY expressions (42P10).
func (t *translator) distinctOn(s *pg.SelectStmt) ast.SelectStatement {
	inner := t.simpleSelect(s)
	var targets []*ast.AliasedExpr
	star := false
	for _, se := range inner.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			star = true
			continue
		}
		targets = append(targets, ae)
	}
	if star && len(targets) > 0 {
		t.unsupported("DISTINCT ON with * and other select-list items")
	}
	if len(s.GroupClause) > 0 || len(inner.GroupBy) > 0 || inner.Having != nil {
		t.unsupported("DISTINCT ON with GROUP BY")
	}
	resolve := func(n *pg.Node) ast.Expr {
		if c := n.GetAConst(); c != nil && c.GetIval() != nil {
			pos := int(c.GetIval().Ival)
			if pos < 1 || pos > len(targets) {
				t.fail(pgerror.InvalidColumnReference, "position %d is not in select list", pos)
			}
			return targets[pos-1].Expr
		}
		e := t.expr(n)
		if c, ok := e.(*ast.ColName); ok && c.Qualifier.IsEmpty() {
			for _, ae := range targets {
				if ae.As.String() == c.Name.String() {
					if inner, ok := ae.Expr.(*ast.ColName); !ok || inner.Name.String() != c.Name.String() {
						return ae.Expr
					}
				}
			}
		}
		return e
	}
	var keys ast.Exprs
	keySet := map[string]bool{}
	for _, k := range s.DistinctClause {
		e := resolve(k)
		keys = append(keys, e)
		keySet[exprKey(e)] = true
	}
	var order ast.OrderBy
	for i, n := range s.SortClause {
		sb := n.GetSortBy()
		e := resolve(sb.Node)
		if i < len(keys) && !keySet[exprKey(e)] {
			t.fail(pgerror.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		}
		dir := ast.AscScr
		if sb.SortbyDir == pg.SortByDir_SORTBY_DESC {
			dir = ast.DescScr
		}
		if (sb.SortbyNulls == pg.SortByNulls_SORTBY_NULLS_FIRST) != (dir == ast.DescScr) && sb.SortbyNulls != pg.SortByNulls_SORTBY_NULLS_DEFAULT {
			t.unsupported("NULLS FIRST/LAST with DISTINCT ON")
		}
		order = append(order, &ast.Order{Expr: e, Direction: dir})
	}
	if len(s.SortClause) > 0 && len(s.SortClause) < len(keys) {
		t.fail(pgerror.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
	}
	inner.QueryOpts.Distinct = false
	var outerExprs ast.SelectExprs
	if star {
		// The outer * would show the helper columns too; the planner's
		// hideDistinctOnHelpers rule drops them from its projection.
		outerExprs = ast.SelectExprs{&ast.StarExpr{}}
	}
	for i, ae := range targets {
		col := fmt.Sprintf("__c%d", i+1)
		outerExprs = append(outerExprs, &ast.AliasedExpr{Expr: &ast.ColName{Name: ast.NewColIdent(col)}, As: ae.As})
		ae.As = ast.NewColIdent(col)
	}
	var outerOrder ast.OrderBy
	for i, o := range order {
		col := fmt.Sprintf("__o%d", i+1)
		inner.SelectExprs = append(inner.SelectExprs, &ast.AliasedExpr{Expr: o.Expr, As: ast.NewColIdent(col)})
		outerOrder = append(outerOrder, &ast.Order{Expr: &ast.ColName{Name: ast.NewColIdent(col)}, Direction: o.Direction})
	}
	inner.SelectExprs = append(inner.SelectExprs, &ast.AliasedExpr{
		Expr: &ast.FuncExpr{Name: ast.NewColIdent("row_number"), Over: &ast.Over{PartitionBy: keys, OrderBy: order}},
		As:   ast.NewColIdent("__rn"),
	})
	alias := "__distinct_on"
	if star {
		alias = DistinctOnStarAlias
	}
	outer := &ast.Select{
		SelectExprs: outerExprs,
		From:        ast.TableExprs{&ast.AliasedTableExpr{Expr: &ast.Subquery{Select: inner}, As: ast.NewTableIdent(alias)}},
		Where: &ast.Where{Type: ast.WhereStr, Expr: &ast.ComparisonExpr{Operator: "=",
			Left: &ast.ColName{Name: ast.NewColIdent("__rn")}, Right: ast.NewIntVal([]byte("1"))}},
		OrderBy: outerOrder,
	}
	if s.LimitCount != nil || s.LimitOffset != nil {
		lim := &ast.Limit{}
		if s.LimitCount != nil {
			lim.Rowcount = t.expr(s.LimitCount)
		}
		if s.LimitOffset != nil {
			lim.Offset = t.expr(s.LimitOffset)
			if lim.Rowcount == nil {
				lim.Rowcount = ast.NewIntVal([]byte(strconv.FormatInt(1<<62, 10)))
			}
		}
		outer.Limit = lim
	}
	return outer
}
