package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// textSRFs are the set-returning text functions OpenWit runs in FROM (and
// in the select list, through selectListSRF): regexp_split_to_table and
// string_to_table are unnest of regexp_split_to_array and string_to_array;
// regexp_matches is the planner's table function of that name.
var textSRFs = map[string]string{
	"regexp_split_to_table": "regexp_split_to_array",
	"string_to_table":       "string_to_array",
	"regexp_matches":        "",
	"pg_listening_channels": "",
}

// textSRF translates f(...) [WITH ORDINALITY] [AS a[(x[, n])]] in FROM for
// the textSRFs, like unnestFunction: a LATERAL subquery over the table
// function, whose output column is named by the column alias, else the
// table alias, else the function. ok is false for other functions.
func (t *translator) textSRF(rf *pg.RangeFunction) (ast.TableExpr, bool) {
	if rf.IsRowsfrom || len(rf.Functions) != 1 {
		return nil, false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil, false
	}
	fc := items[0].GetFuncCall()
	name := funcCallName(fc)
	array, ok := textSRFs[name]
	if !ok || (len(fc.Funcname) > 1 && fc.Funcname[0].GetString_().GetSval() != "pg_catalog") {
		return nil, false
	}
	if rf.Coldeflist != nil {
		t.fail(pgerror.SyntaxError, "a column definition list is only allowed for functions returning \"record\"")
	}
	if fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 || fc.AggFilter != nil || fc.Over != nil || fc.FuncVariadic {
		t.fail(pgerror.WrongObjectType, "%s is not an aggregate or window function", name)
	}
	if name == "pg_listening_channels" {
		if len(fc.Args) != 0 {
			t.fail(pgerror.UndefinedFunction, "function pg_listening_channels with %d arguments does not exist", len(fc.Args))
		}
		if rf.Ordinality {
			t.unsupported("pg_listening_channels WITH ORDINALITY")
		}
	} else if len(fc.Args) < 2 || len(fc.Args) > 3 {
		t.fail(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args))
	}
	col, ord, alias := name, "", name
	if rf.Alias != nil {
		alias, col = rf.Alias.Aliasname, rf.Alias.Aliasname
	}
	if rf.Ordinality {
		if array == "" {
			t.unsupported("regexp_matches WITH ORDINALITY")
		}
		ord = "ordinality"
	}
	col, ord = t.srfColumnNames(rf, alias, col, ord)
	args := t.exprs(fc.Args)
	var tf *ast.TableFuncExpr
	if array == "" {
		exprs := ast.SelectExprs{&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(col))}}
		for _, a := range args {
			exprs = append(exprs, &ast.AliasedExpr{Expr: a})
		}
		tf = &ast.TableFuncExpr{Name: name, Exprs: exprs}
	} else {
		tf = &ast.TableFuncExpr{Name: "unnest", Exprs: ast.SelectExprs{
			&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(col))},
			&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(ord))},
			&ast.AliasedExpr{Expr: ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: array}, Children: args}},
		}}
	}
	as := ast.NewTableIdent(alias)
	tf.Alias = as
	sel := &ast.Select{SelectExprs: ast.SelectExprs{&ast.StarExpr{}}, From: ast.TableExprs{tf}}
	return &ast.AliasedTableExpr{Expr: &ast.Subquery{Select: sel}, As: as, Lateral: true}, true
}
