package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/planner/pgexpr"
)

// rowToJSON translates row_to_json(t), to_json(t) and to_jsonb(t) where t
// names a FROM item (a whole-row reference) whose columns the translator
// can list: the object of its columns in order (planner/pgexpr
// RowToJSON). ok is false for any other call.
func (t *translator) rowToJSON(name string, f *pg.FuncCall) (ast.Expr, bool) {
	if (name != "row_to_json" && name != "to_json" && name != "to_jsonb") || len(f.Args) != 1 {
		return nil, false
	}
	cr := f.Args[0].GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil {
		return nil, false
	}
	item := cr.Fields[0].GetString_().Sval
	if is, _ := t.inputColumn(item); is {
		return nil, false // a column of that name wins, as in PostgreSQL
	}
	var node *pg.Node
	for _, n := range t.from {
		if node = findFromItem(n, item); node != nil {
			break
		}
	}
	if node == nil {
		return nil, false
	}
	cols, ok := t.fromItemColumns(node)
	if !ok {
		t.unsupported(name + " of this FROM item (its columns are not known here)")
	}
	refs := make(ast.Exprs, len(cols))
	for i, c := range cols {
		refs[i] = &ast.ColName{Name: ast.NewColIdent(c), Qualifier: ast.TableName{Name: ast.NewTableIdent(item)}}
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableRowToJSON{Names: cols, JSONB: name == "to_jsonb"}, Children: refs}, true
}

// findFromItem returns the FROM item (table or subquery) named name.
func findFromItem(n *pg.Node, name string) *pg.Node {
	if j := n.GetJoinExpr(); j != nil {
		if l := findFromItem(j.Larg, name); l != nil {
			return l
		}
		return findFromItem(j.Rarg, name)
	}
	if fromItemName(n) == name {
		return n
	}
	return nil
}

// jsonSubscripts translates x[a][b]... (two or more subscripts, no
// slices): only jsonb has them (x['a']['b'] is x -> 'a' -> 'b'), so each
// is the subscript call that InjectableSubscript turns into -> when x is
// jsonb. One subscript goes the array way (catalog.go), which does the
// same for jsonb. ok is false for other indirections.
func (t *translator) jsonSubscripts(ai *pg.A_Indirection) (ast.Expr, bool) {
	if len(ai.Indirection) < 2 {
		return nil, false
	}
	for _, ind := range ai.Indirection {
		if ix := ind.GetAIndices(); ix == nil || ix.IsSlice {
			return nil, false
		}
	}
	e := t.expr(ai.Arg)
	for _, ind := range ai.Indirection {
		e = ast.InjectedExpr{Expression: pgexpr.InjectableSubscript{}, Children: ast.Exprs{t.fn("pg_array_subscript", e, t.expr(ind.GetAIndices().Uidx))}}
	}
	return e, true
}
