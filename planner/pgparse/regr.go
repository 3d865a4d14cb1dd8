package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// regrAgg translates corr, covar_pop, covar_samp and regr_*(Y, X) into
// the plain aggregates of pgexpr.RegrAggs and their final step
// (pgexpr.InjectableRegr). A FILTER has already turned both arguments
// into CASEs, whose NULLs the pairs skip.
func (t *translator) regrAgg(name string, f *pg.FuncCall, args []ast.Expr) ast.Expr {
	if len(args) != 2 {
		t.fail(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if f.AggDistinct {
		t.unsupported("DISTINCT in " + name)
	}
	var children ast.Exprs
	for _, p := range pgexpr.RegrAggs {
		arg := ast.InjectedExpr{Expression: pgexpr.InjectableRegrArg{Func: name, Part: p.Part}, Children: ast.Exprs{args[0], args[1]}}
		children = append(children, &ast.FuncExpr{Name: ast.NewColIdent(p.Agg), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: arg}}})
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableRegr{Func: name}, Children: children}
}
