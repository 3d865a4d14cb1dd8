package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// onConflict checks INSERT's ON CONFLICT clause as PostgreSQL does for a
// table without unique indexes or exclusion constraints, which every
// OpenWit table is: no row can conflict, so ON CONFLICT DO NOTHING
// without a target is a plain INSERT; a target names a constraint or
// index that cannot exist (42704, 42P10), and DO UPDATE needs a target
// (42601).
func (t *translator) onConflict(s *pg.InsertStmt) {
	oc := s.OnConflictClause
	if oc == nil {
		return
	}
	in := oc.Infer
	if in == nil {
		if oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
			t.fail(pgerror.SyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
		}
		return
	}
	if in.Conname != "" {
		t.fail(pgerror.UndefinedObject, "constraint %q for table %q does not exist", in.Conname, s.Relation.Relname)
	}
	if t.tableColumns != nil {
		if cols, ok := t.tableColumns(t.rangeVarName(s.Relation)); ok {
			known := make(map[string]bool, len(cols))
			for _, c := range cols {
				known[c] = true
			}
			for _, n := range in.IndexElems {
				if ie := n.GetIndexElem(); ie != nil && ie.Name != "" && !known[ie.Name] {
					t.fail(pgerror.UndefinedColumn, "column %q does not exist", ie.Name)
				}
			}
		}
	}
	t.fail(pgerror.InvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
}
