package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// guardNotExists marks the column comparisons among the top-level
// conjuncts of a NOT EXISTS subquery's WHERE: the left column becomes a
// one-element row, `(a) = b`, which means the same. go-mysql-server plans
// NOT EXISTS and NOT IN as the same anti join, which drops the outer row
// when the join condition is NULL for some inner row (NOT IN's rule); the
// planner's notExistsJoins rule finds the mark in the join condition and
// makes the condition two-valued for NOT EXISTS only, as PostgreSQL's NOT
// EXISTS keeps every outer row whose subquery finds no row. A one-element
// row is one of the expressions go-mysql-server's join planning accepts, so
// the join keeps its hash lookup.
func guardNotExists(sq *ast.Subquery) {
	sel, ok := sq.Select.(*ast.Select)
	if !ok || sel.Where == nil {
		return
	}
	sel.Where.Expr = guardConjuncts(sel.Where.Expr)
}

func guardConjuncts(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.AndExpr:
		return &ast.AndExpr{Left: guardConjuncts(x.Left), Right: guardConjuncts(x.Right)}
	case *ast.ParenExpr:
		return guardConjuncts(x.Expr)
	case *ast.ComparisonExpr:
		switch x.Operator {
		case ast.EqualStr, ast.NotEqualStr, ast.LessThanStr, ast.LessEqualStr, ast.GreaterThanStr, ast.GreaterEqualStr:
		default:
			return e
		}
		_, lok := x.Left.(*ast.ColName)
		_, rok := x.Right.(*ast.ColName)
		if !lok || !rok {
			return e
		}
		c := *x
		c.Left = ast.ValTuple{x.Left}
		return &c
	}
	return e
}
