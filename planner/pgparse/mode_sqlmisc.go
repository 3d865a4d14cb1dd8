package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// modeAgg translates the ordered-set aggregate mode() WITHIN GROUP (ORDER
// BY x) [FILTER (WHERE c)]: json_arrayagg collects the group's values (a
// FILTER turns the rows it rejects into NULLs, which mode ignores) and
// pgexpr's mode picks the most frequent one, the first in the ORDER BY's
// order among equally frequent ones, as PostgreSQL does.
func (t *translator) modeAgg(f *pg.FuncCall, filter ast.Expr) ast.Expr {
	if !f.AggWithinGroup {
		t.fail(pgerror.WrongObjectType, "WITHIN GROUP is required for ordered-set aggregate mode")
	}
	if len(f.Args) != 0 || len(f.AggOrder) != 1 {
		t.fail(pgerror.UndefinedFunction, "function mode with %d direct and %d ordered arguments does not exist", len(f.Args), len(f.AggOrder))
	}
	if f.AggDistinct {
		t.fail(pgerror.FeatureNotSupported, "cannot use DISTINCT with WITHIN GROUP")
	}
	if t.inWhere {
		t.fail(pgerror.GroupingError, "aggregate functions are not allowed in WHERE")
	}
	sb := f.AggOrder[0].GetSortBy()
	if len(sb.UseOp) > 0 {
		t.unsupported("ORDER BY ... USING in mode()")
	}
	x := t.expr(sb.Node)
	info := &pgexpr.ModeInfo{}
	var arg ast.Expr = ast.InjectedExpr{Expression: pgexpr.InjectableModeArg{Info: info}, Children: ast.Exprs{x}}
	if filter != nil {
		arg = &ast.CaseExpr{Whens: []*ast.When{{Cond: filter, Val: arg}}}
	}
	agg := &ast.FuncExpr{Name: ast.NewColIdent("json_arrayagg"), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: arg}}}
	return ast.InjectedExpr{
		Expression: pgexpr.InjectableMode{Info: info, Desc: sb.SortbyDir == pg.SortByDir_SORTBY_DESC},
		Children:   ast.Exprs{agg},
	}
}
