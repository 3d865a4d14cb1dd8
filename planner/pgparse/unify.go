package pgparse

import (
	"fmt"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/planner/pgexpr"
)

// Unify is the type resolution of a statement's set operations and VALUES
// lists, which the planner completes: go-mysql-server would unify their
// inputs with MySQL's rules (int and numeric as decimal(10,0), int and
// float8 as text, a derived table's column typed like the left input), so
// every member is wrapped in a pgexpr.InjectableUnify that records its type
// when the statement is bound and casts it to the type PostgreSQL resolves
// once the planner has (pgexpr.TypeGroup). See
// docs/design/035-set-operation-types.md.
type Unify struct {
	Groups []*pgexpr.TypeGroup // inner groups before the groups over them
	// Wrappers are set-operation inputs whose columns the translator does
	// not know: a SELECT with a *, or a nested set operation.
	Wrappers []*UnifyWrapper
}

// UnifyWrapper is a set-operation input translated as
// `SELECT * FROM (input) AS Alias`; the planner learns the input's columns
// from a first binding and replaces the * by each column wrapped for its
// group (Expand).
type UnifyWrapper struct {
	Alias    string // lower case, unique in the statement
	Expanded bool
	sel      *ast.Select
	sub      *ast.Subquery
	group    *pgexpr.TypeGroup
	input    int
}

// Expand replaces the wrapper's * by the input's columns, named names.
func (w *UnifyWrapper) Expand(names []string) {
	cols := make(ast.Columns, len(names))
	exprs := make(ast.SelectExprs, len(names))
	for i, n := range names {
		cols[i] = ast.NewColIdent(fmt.Sprintf("c%d", i+1))
		ref := &ast.ColName{Name: cols[i], Qualifier: ast.TableName{Name: ast.NewTableIdent(w.Alias)}}
		exprs[i] = &ast.AliasedExpr{Expr: unifyExpr(w.group, w.input, i, ref), As: ast.NewColIdent(n)}
	}
	w.sub.Columns = cols
	w.sel.SelectExprs = exprs
	w.Expanded = true
}

func unifyExpr(g *pgexpr.TypeGroup, input, col int, e ast.Expr) ast.Expr {
	return ast.InjectedExpr{Expression: pgexpr.InjectableUnify{Group: g, Input: input, Col: col}, Children: ast.Exprs{e}}
}

// unifySetOp makes the inputs of a set operation one type group.
func (t *translator) unifySetOp(so *ast.SetOp) {
	construct := strings.ToUpper(strings.Fields(so.Type)[0])
	g := pgexpr.NewTypeGroup(construct)
	g.Distinct = !strings.Contains(strings.ToLower(so.Type), "all")
	t.unify.Groups = append(t.unify.Groups, g)
	so.Left = t.unifyInput(g, 0, so.Left)
	so.Right = t.unifyInput(g, 1, so.Right)
}

func (t *translator) unifyInput(g *pgexpr.TypeGroup, input int, s ast.SelectStatement) ast.SelectStatement {
	if sel, ok := s.(*ast.Select); ok {
		star := false
		for _, se := range sel.SelectExprs {
			if _, ok := se.(*ast.AliasedExpr); !ok {
				star = true
			}
		}
		if !star {
			for i, se := range sel.SelectExprs {
				ae := se.(*ast.AliasedExpr)
				ae.Expr = unifyExpr(g, input, i, ae.Expr)
			}
			return sel
		}
	}
	w := &UnifyWrapper{Alias: fmt.Sprintf("__unify%d", len(t.unify.Wrappers)+1), sub: &ast.Subquery{Select: s}, group: g, input: input}
	w.sel = &ast.Select{
		SelectExprs: ast.SelectExprs{&ast.StarExpr{}},
		From:        ast.TableExprs{&ast.AliasedTableExpr{Expr: w.sub, As: ast.NewTableIdent(w.Alias)}},
	}
	t.unify.Wrappers = append(t.unify.Wrappers, w)
	return w.sel
}

// unifyValues makes the rows of a VALUES list one type group.
func (t *translator) unifyValues(rows ast.Values) {
	g := pgexpr.NewTypeGroup("VALUES")
	t.unify.Groups = append(t.unify.Groups, g)
	for r, row := range rows {
		for c, e := range row {
			row[c] = unifyExpr(g, r, c, e)
		}
	}
}
