package pgparse

import (
	"fmt"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/internal/pgerror"
)

// exprKey is a structural key of an expression, used to match select-list
// expressions against GROUP BY items.
func exprKey(e ast.Expr) string {
	var b strings.Builder
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		switch x := n.(type) {
		case *ast.ColName:
			fmt.Fprintf(&b, "col(%s.%s)", x.Qualifier.Name.String(), x.Name.String())
			return false, nil
		case *ast.SQLVal:
			fmt.Fprintf(&b, "val(%d:%s)", x.Type, x.Val)
		case ast.InjectedExpr:
			fmt.Fprintf(&b, "inj(%#v)", x.Expression)
		case *ast.ComparisonExpr:
			fmt.Fprintf(&b, "cmp(%s)", x.Operator)
		case *ast.FuncExpr:
			fmt.Fprintf(&b, "fn(%s,%v)", x.Name.Lowered(), x.Distinct)
		default:
			fmt.Fprintf(&b, "%T;", n)
		}
		return true, nil
	}, e)
	return b.String()
}

// checkGrouping enforces PostgreSQL's rule that in a grouped query every
// column used outside an aggregate is a GROUP BY item (42803).
func (t *translator) checkGrouping(sel *ast.Select) {
	grouped := len(sel.GroupBy) > 0
	for _, se := range sel.SelectExprs {
		if ae, ok := se.(*ast.AliasedExpr); ok && hasAggregate(ae.Expr) {
			grouped = true
		}
	}
	if sel.Having != nil {
		grouped = true
	}
	if !grouped {
		return
	}
	keys := map[string]bool{}
	names := map[string]bool{}
	for _, g := range sel.GroupBy {
		if isInjectedError(g) {
			return // a wrong GROUP BY name is reported first (design 095)
		}
		keys[exprKey(g)] = true
		if c, ok := g.(*ast.ColName); ok {
			names[c.Name.Lowered()] = true
			// GROUP BY an output alias groups by the aliased expression,
			// unless the name is also an input column: PostgreSQL takes
			// the column (and go-mysql-server binds it so too).
			if c.Qualifier.IsEmpty() && !t.groupsInputColumn(c.Name.String(), sel) {
				for _, se := range sel.SelectExprs {
					if ae, ok := se.(*ast.AliasedExpr); ok && ae.As.Lowered() == c.Name.Lowered() {
						keys[exprKey(ae.Expr)] = true
					}
				}
			}
		}
	}
	check := func(e ast.Expr) {
		var bad *ast.ColName
		var walk func(e ast.Expr)
		walk = func(e ast.Expr) {
			if e == nil || bad != nil || keys[exprKey(e)] {
				return
			}
			_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
				if bad != nil {
					return false, nil
				}
				switch x := n.(type) {
				case *ast.GroupConcatExpr:
					return false, nil
				case *ast.FuncExpr:
					if isAggregateName(x.Name.Lowered()) && x.Over == nil {
						return false, nil
					}
				case *ast.Subquery:
					return false, nil
				case *ast.ColName:
					if !names[x.Name.Lowered()] {
						bad = x
					}
					return false, nil
				case ast.Expr:
					if keys[exprKey(x)] {
						return false, nil
					}
				}
				return true, nil
			}, e)
		}
		walk(e)
		if bad != nil {
			name := bad.Name.String()
			if !bad.Qualifier.IsEmpty() {
				name = bad.Qualifier.Name.String() + "." + name
			}
			err := pgerror.New(pgerror.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name)
			if t.allColumnsKnown(sel) {
				panic(failure{err})
			}
			t.deferErr(err)
		}
	}
	for _, se := range sel.SelectExprs {
		switch x := se.(type) {
		case *ast.StarExpr:
			t.deferErr(pgerror.New(pgerror.GroupingError, "SELECT * is not allowed in a grouped query unless every column is grouped"))
		case *ast.AliasedExpr:
			check(x.Expr)
		}
	}
	if sel.Having != nil {
		check(sel.Having.Expr)
	}
}

// groupsInputColumn reports whether the bare GROUP BY name is known to be
// an input column, when it is also an output alias.
func (t *translator) groupsInputColumn(name string, sel *ast.Select) bool {
	alias := false
	for _, se := range sel.SelectExprs {
		if ae, ok := se.(*ast.AliasedExpr); ok && ae.As.String() == name {
			alias = true
		}
	}
	if !alias {
		return false
	}
	is, _ := t.inputColumn(name)
	return is
}

func hasAggregate(e ast.Expr) bool {
	found := false
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		switch x := n.(type) {
		case *ast.GroupConcatExpr:
			found = true
			return false, nil
		case *ast.FuncExpr:
			if isAggregateName(x.Name.Lowered()) && x.Over == nil {
				found = true
				return false, nil
			}
		case *ast.Subquery:
			return false, nil
		}
		return !found, nil
	}, e)
	return found
}
