package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// RenameColumn is ALTER TABLE ... RENAME [COLUMN] from TO to.
type RenameColumn struct {
	From, To string
}

// isTableRename reports whether s renames a table or one of its columns.
func isTableRename(s *pg.RenameStmt) bool {
	switch s.RenameType {
	case pg.ObjectType_OBJECT_TABLE:
		return true
	case pg.ObjectType_OBJECT_COLUMN:
		return s.RelationType == pg.ObjectType_OBJECT_TABLE
	}
	return false
}

// rename translates ALTER TABLE [IF EXISTS] t RENAME TO u and ALTER TABLE
// [IF EXISTS] t RENAME [COLUMN] a TO b (design 066). The new table name
// takes no schema (PostgreSQL's grammar has none there).
func (t *translator) rename(s *pg.RenameStmt) *AlterTable {
	at := &AlterTable{Name: t.rangeVarName(s.Relation), IfExists: s.MissingOk, Set: map[string]string{}}
	if s.RenameType == pg.ObjectType_OBJECT_TABLE {
		at.RenameTo = s.Newname
		return at
	}
	at.RenameColumn = &RenameColumn{From: s.Subname, To: s.Newname}
	return at
}
