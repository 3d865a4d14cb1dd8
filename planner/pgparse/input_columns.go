package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// inputColumn reports whether name is a column of the current SELECT's FROM
// items, and whether that is known: it is not for FROM items whose columns
// the translator cannot list (functions, CTEs, catalog tables, column
// aliases, subqueries with unnamed or * outputs, tables it has no lookup
// for).
func (t *translator) inputColumn(name string) (is, known bool) {
	known = true
	for _, f := range t.from {
		cols, ok := t.fromItemColumns(f)
		if !ok {
			known = false
			continue
		}
		for _, c := range cols {
			if c == name {
				return true, true
			}
		}
	}
	return false, known
}

// fromItemColumns lists the column names of one FROM item.
func (t *translator) fromItemColumns(n *pg.Node) ([]string, bool) {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		if t.tableColumns == nil || (rv.Schemaname != "" && rv.Schemaname != "public") || rv.Catalogname != "" ||
			t.cteNames[rv.Relname] || (rv.Alias != nil && len(rv.Alias.Colnames) > 0) {
			return nil, false
		}
		return t.tableColumns(rv.Relname)
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		if j.Alias != nil && len(j.Alias.Colnames) > 0 {
			return nil, false
		}
		l, ok := t.fromItemColumns(j.Larg)
		if !ok {
			return nil, false
		}
		r, ok := t.fromItemColumns(j.Rarg)
		if !ok {
			return nil, false
		}
		return append(append([]string(nil), l...), r...), true
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		if rs.Alias != nil && len(rs.Alias.Colnames) > 0 {
			return nil, false
		}
		sel := rs.Subquery.GetSelectStmt()
		if sel == nil || len(sel.TargetList) == 0 {
			return nil, false
		}
		var out []string
		for _, tn := range sel.TargetList {
			rt := tn.GetResTarget()
			switch {
			case rt.Name != "":
				out = append(out, rt.Name)
			case rt.Val.GetColumnRef() != nil:
				f := rt.Val.GetColumnRef().Fields
				s := f[len(f)-1].GetString_()
				if s == nil {
					return nil, false // *
				}
				out = append(out, s.Sval)
			default:
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}
