package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// arrayCtor translates ARRAY[e1, e2, ...] (see pgexpr.ArrayCtor).
func (t *translator) arrayCtor(a *pg.A_ArrayExpr) ast.Expr {
	if len(a.Elements) == 0 {
		t.fail(pgerror.IndeterminateDatatype, "cannot determine type of empty array")
	}
	for _, e := range a.Elements {
		if e.GetAArrayExpr() != nil {
			t.unsupported("multidimensional arrays")
		}
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableArrayCtor{}, Children: t.exprs(a.Elements)}
}
