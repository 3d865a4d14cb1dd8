package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// unnestFunction translates unnest(array) [WITH ORDINALITY] [AS a[(x[,
// n])]] in FROM into the planner's unnest table function, whose first two
// arguments are the output column names. Like every function in FROM it
// may refer to the items to its left (implicitly LATERAL): it becomes a
// LATERAL subquery SELECT * FROM unnest(...) a. ok is false for other
// functions.
func (t *translator) unnestFunction(rf *pg.RangeFunction) (ast.TableExpr, bool) {
	if rf.IsRowsfrom || len(rf.Functions) != 1 {
		return nil, false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 {
		return nil, false
	}
	fc := items[0].GetFuncCall()
	if fc == nil || fc.Funcname[len(fc.Funcname)-1].GetString_().Sval != "unnest" {
		return nil, false
	}
	if len(fc.Args) != 1 {
		t.unsupported("unnest of several arrays")
	}
	if rf.Coldeflist != nil {
		t.fail(pgerror.SyntaxError, "a column definition list is only allowed for functions returning \"record\"")
	}
	col, ord, alias := "unnest", "", "unnest"
	if rf.Alias != nil {
		alias, col = rf.Alias.Aliasname, rf.Alias.Aliasname
	}
	if rf.Ordinality {
		ord = "ordinality"
	}
	col, ord = t.srfColumnNames(rf, alias, col, ord)
	exprs := ast.SelectExprs{
		&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(col))},
		&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(ord))},
		&ast.AliasedExpr{Expr: t.expr(fc.Args[0])},
	}
	name := ast.NewTableIdent(alias)
	tf := &ast.TableFuncExpr{Name: "unnest", Exprs: exprs, Alias: name}
	sel := &ast.Select{SelectExprs: ast.SelectExprs{&ast.StarExpr{}}, From: ast.TableExprs{tf}}
	return &ast.AliasedTableExpr{Expr: &ast.Subquery{Select: sel}, As: name, Lateral: true}, true
}

// srfColumnNames applies a one-column set-returning FROM function's alias
// column list (AS alias(col [, ord])) to its value column col and, WITH
// ORDINALITY, its ordinality column ord.
func (t *translator) srfColumnNames(rf *pg.RangeFunction, alias, col, ord string) (string, string) {
	if rf.Alias == nil {
		return col, ord
	}
	names := rf.Alias.Colnames
	max := 1
	if rf.Ordinality {
		max = 2
	}
	if len(names) > max {
		t.fail(pgerror.InvalidColumnReference, "table \"%s\" has %d columns available but %d columns specified", alias, max, len(names))
	}
	if len(names) >= 1 {
		col = names[0].GetString_().Sval
	}
	if len(names) == 2 {
		ord = names[1].GetString_().Sval
	}
	return col, ord
}
