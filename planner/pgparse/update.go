package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// Update is UPDATE Table [[AS] alias] SET col = expr [, ...] [WHERE
// condition]. The statement's AST is SELECT expr, ... FROM Table [alias]
// [WHERE condition], so that the new values and the condition are bound,
// typed and parameterized exactly as a query's (docs/design/074-update.md).
type Update struct {
	Table string
	// Columns are the assigned columns, in the order of the AST's select
	// list; Default[i] marks SET Columns[i] = DEFAULT, whose select-list
	// entry is a NULL placeholder.
	Columns []string
	Default []bool
	// Where is false without a WHERE clause: every row changes.
	Where bool
	// Returning is set for UPDATE ... RETURNING: the AST's select list
	// continues after the new values with the RETURNING list.
	Returning bool
	// Checks is the number of WITH CHECK OPTION conditions (of a write
	// through views) between the new values and the RETURNING list.
	Checks int
	// Keys, when set, are the target's columns heading the AST's select
	// list: the AST is the joined form (dml_dmljoin.go, UPDATE ... FROM,
	// WITH, subqueries in the values), its FROM the target and the other
	// relations.
	Keys []string
	// Join is the joined form of a statement whose plain AST has a
	// subquery in its condition (used when it is correlated), else nil.
	Join *DMLJoin
}

func (t *translator) updateStmt(s *pg.UpdateStmt) *Statement {
	name := t.dmlTarget(s.Relation, s.WhereClause)
	rv := s.Relation
	t.checkTargetAlias(rv, s.FromClause, append(append([]*pg.Node{s.WhereClause}, s.TargetList...), s.ReturningList...)...) // dml_dmljoin.go
	var known map[string]bool
	if t.tableColumns != nil {
		if cols, ok := t.tableColumns(name); ok {
			known = make(map[string]bool, len(cols))
			for _, c := range cols {
				known[c] = true
			}
		}
	}
	u := &Update{Table: name, Where: s.WhereClause != nil, Returning: len(s.ReturningList) > 0}
	seen := map[string]bool{}
	var targets []*pg.Node
	for _, n := range s.TargetList {
		rt := n.GetResTarget()
		if rt == nil {
			t.unsupported("this SET clause")
		}
		if len(rt.Indirection) > 0 {
			t.unsupported("assignment to a subscript or field in UPDATE")
		}
		if m := rt.Val.GetMultiAssignRef(); m != nil {
			rt.Val = t.expandMultiAssign(m) // dml_dmljoin.go
		}
		if known != nil && !known[rt.Name] {
			t.fail(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, rv.Relname)
		}
		if seen[rt.Name] {
			t.fail(pgerror.SyntaxError, "multiple assignments to same column %q", rt.Name)
		}
		seen[rt.Name] = true
		val, def := rt.Val, rt.Val.GetSetToDefault() != nil
		if def {
			val = &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true}}}
		}
		u.Columns = append(u.Columns, rt.Name)
		u.Default = append(u.Default, def)
		targets = append(targets, pg.MakeResTargetNodeWithVal(val, -1))
	}
	t.checkReturning(s.ReturningList)
	targets = append(targets, s.ReturningList...)
	if needsJoin(s.WithClause, s.FromClause, targets...) {
		u.Keys = t.joinKeys(name, rv) // dml_dmljoin.go
		sel := joinSelect(rv, u.Keys, s.WithClause, s.FromClause, s.WhereClause, targets)
		return &Statement{Kind: KindUpdate, AST: t.selectStmt(sel, true), Tag: "UPDATE", Update: u}
	}
	if hasSubLink(s.WhereClause) && t.tableColumns != nil {
		if keys, ok := t.tableColumns(name); ok {
			u.Join = t.tryJoinSelect(joinSelect(rv, keys, nil, nil, s.WhereClause, targets), keys)
		}
	}
	sel := &pg.SelectStmt{
		Op:          pg.SetOperation_SETOP_NONE,
		TargetList:  targets,
		FromClause:  []*pg.Node{{Node: &pg.Node_RangeVar{RangeVar: rv}}},
		WhereClause: s.WhereClause,
	}
	return &Statement{Kind: KindUpdate, AST: t.selectStmt(sel, true), Tag: "UPDATE", Update: u}
}

// checkReturning fails as PostgreSQL does on aggregate and window
// functions in a DELETE's or UPDATE's RETURNING list.
func (t *translator) checkReturning(list []*pg.Node) {
	for _, n := range list {
		walkFuncCalls(n.ProtoReflect(), func(f *pg.FuncCall) {
			name := f.Funcname[len(f.Funcname)-1].GetString_().Sval
			if f.Over != nil {
				t.fail(pgerror.WindowingError, "window functions are not allowed in RETURNING")
			}
			if aggregates[name] {
				t.fail(pgerror.GroupingError, "aggregate functions are not allowed in RETURNING")
			}
		})
	}
}
