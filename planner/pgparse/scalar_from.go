package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// scalarFromFunction translates a function that returns one value (not a
// set-returning function OpenWit knows: isSRFCall) used as a FROM item, as
// PostgreSQL allows: `FROM string_to_array(current_setting('search_path'),
// ',') s` is a relation of one row and one column. The column is named
// like PostgreSQL names it: the column alias, else the table alias, else
// the function name; the item is referred to by the table alias, else the
// function name. It becomes the derived table (SELECT f(...) AS col) AS
// alias, LATERAL when the arguments refer to columns of earlier FROM items
// (PostgreSQL implies LATERAL for functions in FROM). Grafana's query
// builder lists tables with such a query.
func (t *translator) scalarFromFunction(rf *pg.RangeFunction) (ast.TableExpr, bool) {
	if rf.IsRowsfrom || len(rf.Functions) != 1 || len(rf.Coldeflist) > 0 {
		return nil, false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 {
		return nil, false
	}
	fc := items[0].GetFuncCall()
	if fc == nil || isSRFCall(fc) || funcCallName(fc) == "generate_series" {
		return nil, false
	}
	name := funcCallName(fc)
	if fc.AggStar || fc.AggFilter != nil || len(fc.AggOrder) > 0 || fc.AggDistinct || isAggregateName(name) {
		t.failAt(items[0], pgerror.GroupingError, "aggregate functions are not allowed in functions in FROM")
	}
	if fc.Over != nil {
		t.failAt(items[0], pgerror.WindowingError, "window functions are not allowed in functions in FROM")
	}
	alias, col := name, name
	if rf.Alias != nil {
		alias, col = rf.Alias.Aliasname, rf.Alias.Aliasname
	}
	col, ord := t.srfColumnNames(rf, alias, col, "ordinality")
	sel := &ast.Select{SelectExprs: ast.SelectExprs{&ast.AliasedExpr{Expr: t.expr(items[0]), As: ast.NewColIdent(col)}}}
	if rf.Ordinality { // one row, numbered 1 (bigint)
		one := &pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{Arg: pg.MakeAConstIntNode(1, -1),
			TypeName: &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode("int8")}}, Location: -1}}}
		sel.SelectExprs = append(sel.SelectExprs, &ast.AliasedExpr{Expr: t.expr(one), As: ast.NewColIdent(ord)})
	}
	lateral := rf.Lateral || functionRefersToColumns(rf)
	return &ast.AliasedTableExpr{Expr: &ast.Subquery{Select: sel}, As: ast.NewTableIdent(alias), Lateral: lateral}, true
}
