package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
)

// The joined form of DELETE and UPDATE (docs/design/081-dml-join.md).
// UPDATE ... FROM, DELETE ... USING, WITH before either, subqueries in the
// new values or the RETURNING list, and correlated subqueries in the
// condition are planned as one query over the target and the other
// relations:
//
//	[WITH ...] SELECT q.c1, ..., q.cn, <new values>, <RETURNING list>
//	FROM target [AS] q, <FROM or USING items> WHERE <condition>
//
// whose rows name the target rows by their values (every column of the
// target, the keys) and carry what the statement writes and returns for
// them. The planner runs it once and rewrites the files holding those rows.

// DMLJoin is the joined form of a DELETE or UPDATE whose plain form may
// not run (a correlated subquery in its condition): the planner falls back
// to it.
type DMLJoin struct {
	// AST is the joined form's SELECT.
	AST ast.SelectStatement
	// Keys are the target's columns heading AST's select list.
	Keys []string
}

// needsJoin reports whether an UPDATE or DELETE must take the joined form:
// it names other relations, has a WITH clause, or a subquery outside its
// condition.
func needsJoin(with *pg.WithClause, from []*pg.Node, outside ...*pg.Node) bool {
	if with != nil || len(from) > 0 {
		return true
	}
	for _, n := range outside {
		if hasSubLink(n) {
			return true
		}
	}
	return false
}

// hasSubLink reports whether x holds a subquery.
func hasSubLink(x *pg.Node) bool {
	if x == nil {
		return false
	}
	found := false
	walkMessages(x.ProtoReflect(), func(m protoreflect.Message) bool {
		if _, ok := m.Interface().(*pg.SubLink); ok {
			found = true
		}
		return !found
	})
	return found
}

// joinKeys returns the columns of the DML target table (the keys heading
// the joined form's select list).
func (t *translator) joinKeys(name string, rv *pg.RangeVar) []string {
	if t.tableColumns != nil {
		if cols, ok := t.tableColumns(name); ok {
			return cols
		}
	}
	t.fail(pgerror.UndefinedTable, "relation %q does not exist", rv.Relname)
	return nil
}

// joinSelect is the joined form's SELECT: the target's columns (keys,
// qualified by the name the target goes by), then items, over the target
// and the FROM (USING) items, with the statement's WITH and WHERE.
func joinSelect(rv *pg.RangeVar, keys []string, with *pg.WithClause, from []*pg.Node, where *pg.Node, items []*pg.Node) *pg.SelectStmt {
	qual := stmtQual(rv)
	targets := make([]*pg.Node, 0, len(keys)+len(items))
	for _, k := range keys {
		targets = append(targets, pg.MakeResTargetNodeWithVal(pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(qual), pg.MakeStrNode(k)}, -1), -1))
	}
	targets = append(targets, items...)
	fromList := append([]*pg.Node{{Node: &pg.Node_RangeVar{RangeVar: rv}}}, from...)
	return &pg.SelectStmt{
		Op:          pg.SetOperation_SETOP_NONE,
		TargetList:  targets,
		FromClause:  fromList,
		WhereClause: where,
		WithClause:  with,
	}
}

// tryJoinSelect translates the joined form of a statement whose plain
// form is used first; nil when the joined form cannot be translated (the
// plain form reports its own errors).
func (t *translator) tryJoinSelect(sel *pg.SelectStmt, keys []string) (j *DMLJoin) {
	saved := t.numParams
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(failure); !ok {
				panic(r)
			}
			j = nil
		}
		t.numParams = max(saved, t.numParams)
	}()
	sel = proto.Clone(sel).(*pg.SelectStmt)
	return &DMLJoin{AST: t.selectStmt(sel, true), Keys: keys}
}

// expandMultiAssign turns SET (a, b) = source into one value per column,
// as PostgreSQL's transformMultiAssignRef checks it: a ROW() or implicit
// row source gives its elements (DEFAULT among them), a sub-SELECT one
// scalar subquery per column, selecting that column.
func (t *translator) expandMultiAssign(m *pg.MultiAssignRef) *pg.Node {
	src := m.Source
	switch {
	case src.GetRowExpr() != nil:
		args := src.GetRowExpr().Args
		if int(m.Ncolumns) != len(args) {
			t.failAt(src, pgerror.SyntaxError, "number of columns does not match number of values")
		}
		return args[m.Colno-1]
	case src.GetSubLink() != nil && (src.GetSubLink().SubLinkType == pg.SubLinkType_EXPR_SUBLINK || src.GetSubLink().SubLinkType == pg.SubLinkType_MULTIEXPR_SUBLINK):
		sub := src.GetSubLink().Subselect.GetSelectStmt()
		if sub == nil {
			t.unsupported("this sub-SELECT in SET (...) =")
		}
		first := sub
		for first.Op != pg.SetOperation_SETOP_NONE && first.Larg != nil {
			first = first.Larg
		}
		for _, n := range first.TargetList {
			if cr := n.GetResTarget().GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
				t.unsupported("a sub-SELECT with * in SET (...) =")
			}
		}
		if int(m.Ncolumns) != len(first.TargetList) {
			t.failAt(src, pgerror.SyntaxError, "number of columns does not match number of values")
		}
		if sub.Op != pg.SetOperation_SETOP_NONE {
			t.unsupported("a set operation in SET (...) = (SELECT ...)")
		}
		one := proto.Clone(sub).(*pg.SelectStmt)
		one.TargetList = []*pg.Node{one.TargetList[m.Colno-1]}
		return &pg.Node{Node: &pg.Node_SubLink{SubLink: &pg.SubLink{SubLinkType: pg.SubLinkType_EXPR_SUBLINK,
			Subselect: &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: one}}, Location: -1}}}
	}
	t.failAt(src, pgerror.FeatureNotSupported, "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression")
	return nil
}

// failAt fails as t.fail does, with the cursor position of node n.
func (t *translator) failAt(n *pg.Node, code, format string, args ...any) {
	e := pgerror.New(code, format, args...)
	if loc := nodeLocation(n); loc >= 0 { // recursive_cte.go
		e = e.WithPosition(t.position(loc))
	}
	panic(failure{e})
}

// checkTargetAlias fails as PostgreSQL does when a FROM (USING) item of
// an UPDATE or DELETE goes by the target's name (42712), and when a
// target with an alias is named by the table's name in exprs (outside
// subqueries): the alias hides the table's name, unless a FROM item goes
// by it.
func (t *translator) checkTargetAlias(rv *pg.RangeVar, from []*pg.Node, exprs ...*pg.Node) {
	for _, f := range from {
		if fromItemNamed(f, stmtQual(rv)) {
			t.fail(codeDuplicateAlias, "table name %q specified more than once", stmtQual(rv))
		}
	}
	if rv.Alias == nil || rv.Alias.Aliasname == rv.Relname {
		return
	}
	for _, f := range from {
		if fromItemNamed(f, rv.Relname) {
			return
		}
	}
	for _, x := range exprs {
		if x == nil {
			continue
		}
		walkNoSubqueries(x.ProtoReflect(), func(m protoreflect.Message) {
			cr, ok := m.Interface().(*pg.ColumnRef)
			if !ok || len(cr.Fields) < 2 || cr.Fields[0].GetString_().GetSval() != rv.Relname {
				return
			}
			panic(failure{&pgerror.Error{Code: pgerror.UndefinedTable,
				Message:  "invalid reference to FROM-clause entry for table \"" + rv.Relname + "\"",
				Hint:     "Perhaps you meant to reference the table alias \"" + rv.Alias.Aliasname + "\".",
				Position: t.position(cr.Location)}})
		})
	}
}

// fromItemNamed reports whether a FROM item (or a relation joined in it)
// goes by name.
func fromItemNamed(f *pg.Node, name string) bool {
	switch {
	case f.GetRangeVar() != nil:
		rv := f.GetRangeVar()
		if rv.Alias != nil {
			return rv.Alias.Aliasname == name
		}
		return rv.Relname == name
	case f.GetRangeSubselect() != nil:
		return f.GetRangeSubselect().Alias != nil && f.GetRangeSubselect().Alias.Aliasname == name
	case f.GetRangeFunction() != nil:
		return f.GetRangeFunction().Alias != nil && f.GetRangeFunction().Alias.Aliasname == name
	case f.GetJoinExpr() != nil:
		j := f.GetJoinExpr()
		if j.Alias != nil {
			return j.Alias.Aliasname == name
		}
		return fromItemNamed(j.Larg, name) || fromItemNamed(j.Rarg, name)
	}
	return false
}

// codeDuplicateAlias is SQLSTATE 42712.
const codeDuplicateAlias = "42712"

// fromStars returns name.* for each FROM (USING) item of a write through a
// view, the rest of its RETURNING *.
func fromStars(from []*pg.Node) ([]*pg.Node, error) {
	var out []*pg.Node
	for _, f := range from {
		var name string
		switch {
		case f.GetRangeVar() != nil:
			name = stmtQual(f.GetRangeVar())
		case f.GetRangeSubselect() != nil && f.GetRangeSubselect().Alias != nil:
			name = f.GetRangeSubselect().Alias.Aliasname
		case f.GetRangeFunction() != nil && f.GetRangeFunction().Alias != nil:
			name = f.GetRangeFunction().Alias.Aliasname
		default:
			return nil, pgerror.New(pgerror.FeatureNotSupported, "RETURNING * of a write through a view with a join in FROM or USING is not supported")
		}
		out = append(out, pg.MakeResTargetNodeWithVal(pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(name), pg.MakeAStarNode()}, -1), -1))
	}
	return out, nil
}
