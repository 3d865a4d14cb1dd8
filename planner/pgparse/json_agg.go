package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// isJSONAgg reports whether name is a json aggregate translated by jsonAgg.
func isJSONAgg(name string) bool {
	switch name {
	case "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg":
		return true
	}
	return false
}

// jsonAgg translates json_agg(x [ORDER BY ...]) and json_object_agg(k, v)
// (and their jsonb forms) [FILTER (WHERE c)]: a group_concat of one
// element per row (see planner/pgexpr/json_agg.go).
func (t *translator) jsonAgg(name string, f *pg.FuncCall, filter ast.Expr) ast.Expr {
	info := &pgexpr.JSONAggInfo{}
	args := make([]ast.Expr, len(f.Args))
	for i, a := range f.Args {
		// A whole-row reference (json_agg(t)) is the row's object.
		if e, ok := t.rowToJSON("to_json", &pg.FuncCall{Args: []*pg.Node{a}}); ok {
			args[i] = e
			info.Composite = i == len(f.Args)-1
			continue
		}
		args[i] = t.expr(a)
	}
	want := 1
	if name == "json_object_agg" || name == "jsonb_object_agg" {
		want = 2
	}
	if len(args) != want {
		t.fail(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	var elem ast.Expr = ast.InjectedExpr{Expression: pgexpr.InjectableJSONAggElem{Info: info}, Children: args}
	if filter != nil {
		elem = &ast.CaseExpr{Whens: []*ast.When{{Cond: filter, Val: elem}}}
	}
	gc := &ast.GroupConcatExpr{
		Distinct:  boolDistinct(f.AggDistinct),
		Exprs:     ast.SelectExprs{&ast.AliasedExpr{Expr: elem}},
		Separator: ast.Separator{SeparatorString: pgexpr.JSONAggSep},
		OrderBy:   t.aggOrderBy(f.AggOrder),
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableJSONAgg{Info: info, Name: name}, Children: ast.Exprs{gc}}
}
