package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// ORDER BY positions past the columns * expands to over joins and
// subqueries in FROM: PostgreSQL's 42P10 "ORDER BY position n is not in
// select list", which needs the expanded width (starWidth knows it for
// one table on its own).

// selectWidth is the number of columns of s's select list with every
// unqualified * expanded; false when a FROM item's width is not known
// here (functions, CTEs, catalog tables, qualified t.*): then
// go-mysql-server checks the position.
func (t *translator) selectWidth(s *pg.SelectStmt) (int, bool) {
	if s == nil {
		return 0, false
	}
	if s.Op != pg.SetOperation_SETOP_NONE {
		return t.selectWidth(s.Larg)
	}
	if len(s.ValuesLists) > 0 {
		return len(s.ValuesLists[0].GetList().GetItems()), true
	}
	n := 0
	for _, tn := range s.TargetList {
		rt := tn.GetResTarget()
		if cr := rt.GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			if len(cr.Fields) != 1 {
				return 0, false
			}
			for _, f := range s.FromClause {
				w, ok := t.fromItemWidth(f)
				if !ok {
					return 0, false
				}
				n += w
			}
			continue
		}
		n++
	}
	return n, true
}

// fromItemWidth is the number of columns * takes from one FROM item.
func (t *translator) fromItemWidth(n *pg.Node) (int, bool) {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		if t.tableColumns == nil || (rv.Schemaname != "" && rv.Schemaname != "public") || rv.Catalogname != "" || t.cteNames[rv.Relname] {
			return 0, false
		}
		cols, ok := t.tableColumns(rv.Relname)
		return len(cols), ok
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		l, ok := t.fromItemWidth(j.Larg)
		if !ok {
			return 0, false
		}
		r, ok := t.fromItemWidth(j.Rarg)
		if !ok {
			return 0, false
		}
		if j.IsNatural {
			// The columns both sides have appear once.
			lc, lok := t.fromItemColumns(j.Larg)
			rc, rok := t.fromItemColumns(j.Rarg)
			if !lok || !rok {
				return 0, false
			}
			common := 0
			for _, a := range lc {
				for _, b := range rc {
					if a == b {
						common++
						break
					}
				}
			}
			return l + r - common, true
		}
		// JOIN ... USING (a, b): a and b appear once.
		return l + r - len(j.UsingClause), true
	case n.GetRangeSubselect() != nil:
		sub := n.GetRangeSubselect().Subquery.GetSelectStmt()
		if sub == nil || sub.WithClause != nil {
			return 0, false
		}
		return t.selectWidth(sub)
	}
	return 0, false
}
