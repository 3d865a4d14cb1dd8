package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// fullUsingStar expands an unqualified * when the SELECT has a FULL JOIN
// ... USING: PostgreSQL's * then yields each USING column once, merged
// (coalesce(l.c, r.c), as t.fullUsing has it), first, then the other
// columns of the left item, then those of the right one. Other FROM items
// contribute their columns as item.*. ok is false when rt is not such a
// star; a FROM whose columns the translator cannot list is 0A000.
func (t *translator) fullUsingStar(rt *pg.ResTarget) (ast.SelectExprs, bool) {
	cr := rt.Val.GetColumnRef()
	if len(t.fullUsing) == 0 || cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetAStar() == nil {
		return nil, false
	}
	var out ast.SelectExprs
	for _, f := range t.from {
		exprs, ok := t.starOf(f)
		if !ok {
			t.unsupported("* over FULL JOIN ... USING with this FROM item")
		}
		out = append(out, exprs...)
	}
	return out, true
}

// starOf lists what * yields for one FROM item.
func (t *translator) starOf(n *pg.Node) (ast.SelectExprs, bool) {
	if j := n.GetJoinExpr(); j != nil {
		if j.IsNatural || j.Alias != nil {
			return nil, false
		}
		if len(j.UsingClause) == 0 {
			l, ok := t.starOf(j.Larg)
			if !ok {
				return nil, false
			}
			r, ok := t.starOf(j.Rarg)
			return append(l, r...), ok
		}
		if j.Jointype != pg.JoinType_JOIN_FULL {
			return nil, false
		}
		left, right := fromItemName(j.Larg), fromItemName(j.Rarg)
		lcols, ok1 := t.fromItemColumns(j.Larg)
		rcols, ok2 := t.fromItemColumns(j.Rarg)
		if left == "" || right == "" || !ok1 || !ok2 {
			return nil, false
		}
		using := map[string]bool{}
		var out ast.SelectExprs
		for _, u := range j.UsingClause {
			c := u.GetString_().Sval
			using[c] = true
			out = append(out, &ast.AliasedExpr{Expr: t.fullUsing[c], As: ast.NewColIdent(c)})
		}
		for _, side := range []struct {
			name string
			cols []string
		}{{left, lcols}, {right, rcols}} {
			for _, c := range side.cols {
				if using[c] {
					continue
				}
				col := &ast.ColName{Name: ast.NewColIdent(c), Qualifier: ast.TableName{Name: ast.NewTableIdent(side.name)}}
				out = append(out, &ast.AliasedExpr{Expr: col, As: ast.NewColIdent(c)})
			}
		}
		return out, true
	}
	name := fromItemName(n)
	if name == "" {
		return nil, false
	}
	return ast.SelectExprs{&ast.StarExpr{TableName: ast.TableName{Name: ast.NewTableIdent(name)}}}, true
}
