package pgparse

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Delete is DELETE FROM Table [[AS] alias] [WHERE condition]. The
// statement's AST is SELECT * FROM Table [alias] [WHERE condition], so
// that the condition is bound, typed and parameterized exactly as a
// query's WHERE (docs/design/067-delete-truncate.md).
type Delete struct {
	Table string
	// Where is false without a WHERE clause: every row goes.
	Where bool
	// Returning is set for DELETE ... RETURNING: the AST's select list
	// is the RETURNING list instead of *.
	Returning bool
	// Keys and Join are Update's (dml_dmljoin.go): with Keys the AST is
	// the joined form (DELETE ... USING, WITH, subqueries in RETURNING),
	// its select list the keys then the RETURNING list.
	Keys []string
	Join *DMLJoin
}

// Truncate is TRUNCATE [TABLE] [ONLY] t [, ...] [RESTART IDENTITY |
// CONTINUE IDENTITY] [CASCADE | RESTRICT]. OpenWit tables have no
// sequences or foreign keys, so the options change nothing.
type Truncate struct {
	Tables []string
}

// systemSchema reports whether a relation lives in a schema of catalog
// views, which no statement may change.
func systemSchema(rv *pg.RangeVar) bool {
	return rv.Schemaname == "pg_catalog" || rv.Schemaname == "information_schema"
}

// permissionDenied fails as PostgreSQL does for a write to a table the
// user may not change (42501).
func (t *translator) permissionDenied(rv *pg.RangeVar) {
	t.fail(codeInsufficientPrivilege, "permission denied for table %s", rv.Relname)
}

// codeInsufficientPrivilege is SQLSTATE 42501.
const codeInsufficientPrivilege = "42501"

// dmlTarget checks the table and WHERE clause of a DELETE or UPDATE and
// returns the table's name.
func (t *translator) dmlTarget(rv *pg.RangeVar, where *pg.Node) string {
	if where != nil && where.GetCurrentOfExpr() != nil {
		t.unsupported("WHERE CURRENT OF")
	}
	if systemSchema(rv) {
		t.permissionDenied(rv)
	}
	if rv.Alias != nil && len(rv.Alias.Colnames) > 0 {
		t.unsupported("column aliases on a table")
	}
	return t.rangeVarName(rv)
}

func (t *translator) deleteStmt(s *pg.DeleteStmt) *Statement {
	name := t.dmlTarget(s.Relation, s.WhereClause)
	rv := s.Relation
	t.checkTargetAlias(rv, s.UsingClause, append([]*pg.Node{s.WhereClause}, s.ReturningList...)...) // dml_dmljoin.go
	// The rows to delete are those SELECT * FROM t WHERE cond returns.
	targets := []*pg.Node{pg.MakeResTargetNodeWithVal(pg.MakeColumnRefNode([]*pg.Node{pg.MakeAStarNode()}, -1), -1)}
	if len(s.ReturningList) > 0 {
		t.checkReturning(s.ReturningList)
		targets = s.ReturningList
	}
	d := &Delete{Table: name, Where: s.WhereClause != nil, Returning: len(s.ReturningList) > 0}
	if needsJoin(s.WithClause, s.UsingClause, s.ReturningList...) {
		d.Keys = t.joinKeys(name, rv) // dml_dmljoin.go
		d.Where = true
		sel := joinSelect(rv, d.Keys, s.WithClause, s.UsingClause, s.WhereClause, s.ReturningList)
		return &Statement{Kind: KindDelete, AST: t.selectStmt(sel, true), Tag: "DELETE", Delete: d}
	}
	if hasSubLink(s.WhereClause) && t.tableColumns != nil {
		if keys, ok := t.tableColumns(name); ok {
			d.Join = t.tryJoinSelect(joinSelect(rv, keys, nil, nil, s.WhereClause, s.ReturningList), keys)
		}
	}
	sel := &pg.SelectStmt{
		Op:          pg.SetOperation_SETOP_NONE,
		TargetList:  targets,
		FromClause:  []*pg.Node{{Node: &pg.Node_RangeVar{RangeVar: rv}}},
		WhereClause: s.WhereClause,
	}
	return &Statement{Kind: KindDelete, AST: t.selectStmt(sel, true), Tag: "DELETE", Delete: d}
}

func (t *translator) truncateStmt(s *pg.TruncateStmt) *Statement {
	tr := &Truncate{}
	seen := map[string]bool{}
	for _, n := range s.Relations {
		rv := n.GetRangeVar()
		if rv == nil {
			t.unsupported("TRUNCATE of " + strings.ToLower(statementName(n)))
		}
		if systemSchema(rv) {
			t.permissionDenied(rv)
		}
		name := t.rangeVarName(rv)
		if !seen[name] {
			seen[name] = true
			tr.Tables = append(tr.Tables, name)
		}
	}
	return &Statement{Kind: KindTruncate, Truncate: tr, Tag: "TRUNCATE TABLE"}
}
