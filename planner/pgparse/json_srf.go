package pgparse

import (
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// jsonSRFColumns are the output columns of the json set-returning
// functions OpenWit runs as FROM items (planner/json_srf.go); "" stands
// for a function without OUT parameters, whose one column is named after
// the function (or the table alias).
var jsonSRFColumns = map[string][]string{
	"jsonb_array_elements": {"value"}, "jsonb_array_elements_text": {"value"},
	"json_array_elements": {"value"}, "json_array_elements_text": {"value"},
	"jsonb_each": {"key", "value"}, "jsonb_each_text": {"key", "value"},
	"json_each": {"key", "value"}, "json_each_text": {"key", "value"},
	"jsonb_object_keys": {""}, "json_object_keys": {""},
}

// isJSONSRF reports whether name is a single-column json set-returning
// function (the ones the select-list rewrite can turn into a FROM item).
func isJSONSRF(name string) bool {
	cols, ok := jsonSRFColumns[name]
	return ok && len(cols) == 1
}

// jsonFunction translates jsonb_each(x), jsonb_array_elements(x), ... in
// FROM [WITH ORDINALITY] [AS alias (columns)], like unnest: a LATERAL
// subquery over the table function, whose hidden first arguments are the
// output column names (joined by commas) and the ordinality column's
// ("" without ORDINALITY).
func (t *translator) jsonFunction(rf *pg.RangeFunction) (ast.TableExpr, bool) {
	if rf.IsRowsfrom || len(rf.Functions) != 1 {
		return nil, false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 {
		return nil, false
	}
	fc := items[0].GetFuncCall()
	if fc == nil {
		return nil, false
	}
	name := funcCallName(fc)
	cols, ok := jsonSRFColumns[name]
	if !ok || (len(fc.Funcname) > 1 && fc.Funcname[0].GetString_().GetSval() != "pg_catalog") {
		return nil, false
	}
	if len(fc.Args) != 1 {
		t.fail(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args))
	}
	if rf.Coldeflist != nil {
		t.fail(pgerror.SyntaxError, "a column definition list is only allowed for functions returning \"record\"")
	}
	cols = append([]string(nil), cols...)
	alias := name
	if rf.Alias != nil {
		alias = rf.Alias.Aliasname
	}
	if cols[0] == "" {
		cols[0] = alias
	}
	ord := ""
	if rf.Ordinality {
		ord = "ordinality"
	}
	if rf.Alias != nil {
		names := rf.Alias.Colnames
		max := len(cols)
		if rf.Ordinality {
			max++
		}
		if len(names) > max {
			t.fail(pgerror.InvalidColumnReference, "table \"%s\" has %d columns available but %d columns specified", alias, max, len(names))
		}
		for i, n := range names {
			if i < len(cols) {
				cols[i] = n.GetString_().Sval
			} else {
				ord = n.GetString_().Sval
			}
		}
	}
	exprs := ast.SelectExprs{
		&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(strings.Join(cols, ",")))},
		&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(ord))},
		&ast.AliasedExpr{Expr: t.expr(fc.Args[0])},
	}
	tname := ast.NewTableIdent(alias)
	tf := &ast.TableFuncExpr{Name: name, Exprs: exprs, Alias: tname}
	sel := &ast.Select{SelectExprs: ast.SelectExprs{&ast.StarExpr{}}, From: ast.TableExprs{tf}}
	return &ast.AliasedTableExpr{Expr: &ast.Subquery{Select: sel}, As: tname, Lateral: true}, true
}
