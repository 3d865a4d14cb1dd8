package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// checkSetOpOrderPosition fails like PostgreSQL (42P10) on an ORDER BY
// position past the output columns of a set operation.
func (t *translator) checkSetOpOrderPosition(pos int, s *ast.SetOp) {
	sel, ok := leftmostSelect(s)
	if !ok {
		return
	}
	for _, se := range sel.SelectExprs {
		if _, ok := se.(*ast.AliasedExpr); !ok {
			return // a *: go-mysql-server's own check decides
		}
	}
	if pos > len(sel.SelectExprs) {
		t.fail(pgerror.InvalidColumnReference, "ORDER BY position %d is not in select list", pos)
	}
}

// checkDistinctOrderKey fails like PostgreSQL (42P10) on an ORDER BY key
// of a SELECT DISTINCT that is not in its select list: the same
// expression, the same column (qualified or not) or an output name.
func (t *translator) checkDistinctOrderKey(key ast.Expr, sel *ast.Select) {
	if !sel.QueryOpts.Distinct {
		return
	}
	kc, keyIsCol := key.(*ast.ColName)
	ks := ast.String(key)
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			return // a *: the columns are not known here
		}
		if keyIsCol && kc.Qualifier.IsEmpty() && !ae.As.IsEmpty() && ae.As.Equal(kc.Name) {
			return
		}
		if ast.String(ae.Expr) == ks {
			return
		}
		if c, ok := ae.Expr.(*ast.ColName); ok && keyIsCol && c.Name.Equal(kc.Name) &&
			(c.Qualifier.IsEmpty() || kc.Qualifier.IsEmpty() || c.Qualifier.Name.String() == kc.Qualifier.Name.String()) {
			return
		}
	}
	t.fail(pgerror.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
}

// checkSubLinkWidth fails like PostgreSQL (42601) on x op ANY/ALL (S)
// where S returns more than one column and x is not a row.
func (t *translator) checkSubLinkWidth(s *pg.SubLink) {
	if s.Testexpr == nil || s.Testexpr.GetRowExpr() != nil {
		return
	}
	sel := s.Subselect.GetSelectStmt()
	for sel != nil && sel.Op != pg.SetOperation_SETOP_NONE {
		sel = sel.Larg
	}
	if sel == nil || len(sel.ValuesLists) > 0 {
		return
	}
	for _, n := range sel.TargetList {
		if cr := n.GetResTarget().GetVal().GetColumnRef(); cr != nil {
			if cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
				return // a *: go-mysql-server's own check decides
			}
		}
	}
	if len(sel.TargetList) > 1 {
		t.fail(pgerror.SyntaxError, "subquery has too many columns")
	}
}
