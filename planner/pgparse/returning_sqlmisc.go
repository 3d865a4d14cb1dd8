package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// returning translates INSERT ... RETURNING's list (design 066). Each
// item is a select-list target over the inserted row, named as PostgreSQL
// names select-list columns; * and table.* expand to the table's columns
// in order (go-mysql-server does not expand a star there). Aggregates,
// window functions and set-returning functions are PostgreSQL errors.
func (t *translator) returning(s *pg.InsertStmt) ast.SelectExprs {
	table := s.Relation.Relname
	alias := table
	if s.Relation.Alias != nil {
		t.unsupported("INSERT INTO ... AS alias with RETURNING")
	}
	out := make(ast.SelectExprs, 0, len(s.ReturningList))
	for _, n := range s.ReturningList {
		rt := n.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			if len(cr.Fields) > 1 {
				if q := cr.Fields[len(cr.Fields)-2].GetString_().Sval; q != alias {
					t.fail(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", q)
				}
			}
			var cols []string
			ok := false
			if t.tableColumns != nil {
				cols, ok = t.tableColumns(table)
			}
			if !ok {
				// An unknown table: binding reports it (42P01).
				out = append(out, &ast.StarExpr{})
				continue
			}
			for _, c := range cols {
				out = append(out, &ast.AliasedExpr{Expr: &ast.ColName{Name: ast.NewColIdent(c)}, As: ast.NewColIdent(c)})
			}
			continue
		}
		e := t.target(rt)
		if ae, ok := e.(*ast.AliasedExpr); ok {
			if hasAggregate(ae.Expr) {
				t.fail(pgerror.GroupingError, "aggregate functions are not allowed in RETURNING")
			}
			if hasWindow(ae.Expr) {
				t.fail(pgerror.WindowingError, "window functions are not allowed in RETURNING")
			}
		}
		out = append(out, e)
	}
	return out
}

// Returns reports whether the statement is an INSERT ... RETURNING, which
// returns rows.
func (st *Statement) Returns() bool {
	ins, ok := st.AST.(*ast.Insert)
	return ok && st.Kind == KindInsert && len(ins.Returning) > 0
}
