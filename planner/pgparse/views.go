package pgparse

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
	"openwit/storage/compact"
	"openwit/storage/index"
)

// Views (docs/design/070-views.md): CREATE [OR REPLACE] VIEW, DROP VIEW,
// ALTER VIEW ... RENAME TO, and CREATE TABLE AS / SELECT INTO. A query
// naming a view reads it inline: before translation every FROM item that
// names a view becomes a subquery over the view's stored SELECT, aliased
// by the view's name and column names (expandViews), so the planner's
// pushdown applies under it as under any subquery.

// View is CREATE [OR REPLACE] VIEW name [(columns)] AS query.
type View struct {
	Name    string
	Replace bool
	// Columns is the column name list, if any; it names the leading
	// columns of the query.
	Columns []string
	// Query is the defining SELECT as written (deparsed), its `*` not yet
	// expanded (ExpandStar).
	Query string
	// CheckOption is "", "local" or "cascaded".
	CheckOption string
}

// AlterView is ALTER VIEW [IF EXISTS] name RENAME TO new.
type AlterView struct {
	Name     string
	IfExists bool
	RenameTo string
}

// CreateTableAs is CREATE TABLE name [(columns)] [WITH (options)] AS query
// [WITH [NO] DATA] and SELECT ... INTO name FROM ....
type CreateTableAs struct {
	Name        string
	IfNotExists bool
	Columns     []string // names of the leading columns, if given
	Options     map[string]string
	NoData      bool
	// Query is the SELECT (deparsed, without INTO).
	Query string
	// SelectInto tells SELECT INTO (tag SELECT n) from CREATE TABLE AS
	// (also tag SELECT n, but CREATE TABLE AS with NO DATA).
	SelectInto bool
}

// ViewDef is what reading a view inline needs: its SELECT and the names
// of its columns.
type ViewDef struct {
	Query   string
	Columns []string
	// CheckOption is "", "local" or "cascaded" (views_viewdml.go).
	CheckOption string
}

// ViewLookup returns the view named name (unqualified), false when there
// is none.
type ViewLookup func(name string) (*ViewDef, bool)

// invalidObjectDefinition is SQLSTATE 42P17.
const invalidObjectDefinition = "42P17"

// maxViewDepth bounds views over views (and a view that reads itself
// after CREATE OR REPLACE).
const maxViewDepth = 32

// viewStatement translates the view and CREATE TABLE AS statements; ok is
// false for any other statement.
func (t *translator) viewStatement(n *pg.Node) (*Statement, bool) {
	switch {
	case n.GetViewStmt() != nil:
		return &Statement{Kind: KindCreateView, View: t.createView(n.GetViewStmt()), Tag: "CREATE VIEW"}, true
	case n.GetDropStmt() != nil && n.GetDropStmt().RemoveType == pg.ObjectType_OBJECT_VIEW:
		s := n.GetDropStmt()
		d := t.dropTable(&pg.DropStmt{Objects: s.Objects, RemoveType: pg.ObjectType_OBJECT_TABLE, Behavior: s.Behavior, MissingOk: s.MissingOk})
		return &Statement{Kind: KindDropView, DropTable: d, Tag: "DROP VIEW"}, true
	case n.GetRenameStmt() != nil && n.GetRenameStmt().RenameType == pg.ObjectType_OBJECT_VIEW:
		s := n.GetRenameStmt()
		return &Statement{Kind: KindAlterView, AlterView: &AlterView{Name: t.rangeVarName(s.Relation), IfExists: s.MissingOk, RenameTo: s.Newname},
			Tag: "ALTER VIEW"}, true
	case n.GetRenameStmt() != nil && n.GetRenameStmt().RelationType == pg.ObjectType_OBJECT_VIEW,
		n.GetAlterTableStmt() != nil && n.GetAlterTableStmt().Objtype == pg.ObjectType_OBJECT_VIEW:
		t.unsupported("ALTER VIEW other than RENAME TO")
	case n.GetCreateTableAsStmt() != nil:
		return &Statement{Kind: KindCreateTableAs, CreateTableAs: t.createTableAs(n.GetCreateTableAsStmt()), Tag: "SELECT"}, true
	case n.GetSelectStmt() != nil && n.GetSelectStmt().IntoClause != nil:
		s := n.GetSelectStmt()
		into := s.IntoClause
		s.IntoClause = nil
		ct := t.createTableAs(&pg.CreateTableAsStmt{Query: n, Into: into, Objtype: pg.ObjectType_OBJECT_TABLE, IsSelectInto: true})
		return &Statement{Kind: KindCreateTableAs, CreateTableAs: ct, Tag: "SELECT"}, true
	}
	return nil, false
}

func (t *translator) createView(s *pg.ViewStmt) *View {
	if s.View.Relpersistence == "t" {
		t.unsupported("CREATE TEMPORARY VIEW")
	}
	check := t.viewCheckOption(s) // views_viewdml.go
	sel := s.Query.GetSelectStmt()
	if sel == nil {
		t.unsupported("this view query")
	}
	v := &View{Name: t.rangeVarName(s.View), Replace: s.Replace, Query: deparseSelect(t, s.Query), CheckOption: check}
	for _, a := range s.Aliases {
		v.Columns = append(v.Columns, a.GetString_().Sval)
	}
	return v
}

func (t *translator) createTableAs(s *pg.CreateTableAsStmt) *CreateTableAs {
	if s.Objtype == pg.ObjectType_OBJECT_MATVIEW {
		t.unsupported("CREATE MATERIALIZED VIEW")
	}
	if s.Query.GetSelectStmt() == nil {
		t.unsupported("CREATE TABLE AS EXECUTE")
	}
	into := s.Into
	if into.Rel.Relpersistence == "t" || into.Rel.Relpersistence == "u" {
		t.unsupported("CREATE TEMPORARY or UNLOGGED TABLE AS")
	}
	ct := &CreateTableAs{Name: t.rangeVarName(into.Rel), IfNotExists: s.IfNotExists, NoData: into.SkipData,
		Options: map[string]string{}, SelectInto: s.IsSelectInto, Query: deparseSelect(t, s.Query)}
	for _, c := range into.ColNames {
		ct.Columns = append(ct.Columns, c.GetString_().Sval)
	}
	for _, o := range into.Options {
		de := o.GetDefElem()
		if de == nil {
			continue
		}
		v := t.defElemValue(de)
		switch de.Defname {
		case "time_column", "shard_duration", index.OptionBloomColumns, index.OptionGramColumns:
		case compact.RetentionOption:
			t.checkRetention(v)
		default:
			t.fail(pgerror.InvalidParameterValue, "unrecognized table option %q (known: time_column, shard_duration, retention, bloom_columns, ngram_columns)", de.Defname)
		}
		ct.Options[de.Defname] = v
	}
	return ct
}

func deparseSelect(t *translator, n *pg.Node) string {
	out, err := pg.Deparse(&pg.ParseResult{Version: treeVersion(), Stmts: []*pg.RawStmt{{Stmt: n}}})
	if err != nil {
		t.fail(pgerror.InternalError, "deparse: %v", err)
	}
	return out
}

// treeVersion is the parse tree version pg_query's deparser expects.
func treeVersion() int32 {
	tree, err := pg.Parse("SELECT")
	if err != nil {
		return 0
	}
	return tree.Version
}

// expandViews replaces, in the statement n, every FROM item naming a view
// with a subquery over the view's SELECT (itself expanded), aliased by the
// view's name, or the item's alias, and the view's column names. Names of
// the statement's CTEs hide views, as they hide tables.
func expandViews(n *pg.Node, views ViewLookup, cols TableColumns, depth int) error {
	if views == nil {
		return nil
	}
	switch {
	case n.GetViewStmt() != nil, n.GetTruncateStmt() != nil, n.GetDropStmt() != nil, n.GetRenameStmt() != nil:
		return nil
	}
	ctes := map[string]bool{}
	walkMessages(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if c, ok := m.Interface().(*pg.CommonTableExpr); ok {
			ctes[c.Ctename] = true
		}
		return true
	})
	if cols != nil {
		walkMessages(n.ProtoReflect(), func(m protoreflect.Message) bool {
			if sel, ok := m.Interface().(*pg.SelectStmt); ok {
				for _, f := range sel.FromClause {
					mergeView(sel, f, views, cols, ctes)
				}
			}
			return true
		})
	}
	var err error
	walkMessages(n.ProtoReflect(), func(m protoreflect.Message) bool {
		node, ok := m.Interface().(*pg.Node)
		if !ok || err != nil {
			return err == nil
		}
		rv := node.GetRangeVar()
		if rv == nil || ctes[rv.Relname] || rv.Schemaname != "" && rv.Schemaname != "public" ||
			rv.Catalogname != "" && rv.Catalogname != "openwit" {
			return true
		}
		def, ok := views(rv.Relname)
		if !ok {
			return true
		}
		if depth >= maxViewDepth {
			err = pgerror.New(invalidObjectDefinition, "infinite recursion detected in rules for relation %q", rv.Relname)
			return false
		}
		tree, perr := pg.Parse(def.Query)
		if perr != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
			err = pgerror.New(pgerror.InternalError, "view %q: stored query does not parse: %v", rv.Relname, perr)
			return false
		}
		sub := tree.Stmts[0].Stmt
		if err = expandViews(sub, views, cols, depth+1); err != nil {
			return false
		}
		alias := &pg.Alias{Aliasname: rv.Relname}
		if rv.Alias != nil {
			alias.Aliasname = rv.Alias.Aliasname
		}
		for i, c := range def.Columns {
			if rv.Alias != nil && i < len(rv.Alias.Colnames) {
				alias.Colnames = append(alias.Colnames, rv.Alias.Colnames[i])
				continue
			}
			alias.Colnames = append(alias.Colnames, pg.MakeStrNode(c))
		}
		if rv.Alias != nil && len(rv.Alias.Colnames) > len(def.Columns) {
			err = pgerror.New(pgerror.InvalidColumnReference, "table %q has %d columns available but %d columns specified",
				alias.Aliasname, len(def.Columns), len(rv.Alias.Colnames))
			return false
		}
		node.Node = &pg.Node_RangeSubselect{RangeSubselect: &pg.RangeSubselect{Subquery: sub, Alias: alias}}
		return false
	})
	return err
}

// mergeView reads a simple view named by f, a FROM item of sel, as its
// table: f becomes the table aliased by the view's name (or f's alias) and
// the view's WHERE is ANDed into sel's, so that the planner sees the scan
// (and pushes aggregates into it) as if the query were written on the
// table. A view is simple when it selects exactly the table's columns, in
// order and unrenamed (what SELECT * FROM t [WHERE ...] stores), from one
// table, with no DISTINCT, grouping, window, ORDER BY, LIMIT, CTE or
// subquery: then every name the query can use means the same thing.
func mergeView(sel *pg.SelectStmt, f *pg.Node, views ViewLookup, cols TableColumns, ctes map[string]bool) {
	rv := f.GetRangeVar()
	if rv == nil || ctes[rv.Relname] || rv.Schemaname != "" && rv.Schemaname != "public" || rv.Catalogname != "" ||
		rv.Alias != nil && len(rv.Alias.Colnames) > 0 {
		return
	}
	def, ok := views(rv.Relname)
	if !ok {
		return
	}
	tree, err := pg.Parse(def.Query)
	if err != nil || len(tree.Stmts) != 1 {
		return
	}
	v := tree.Stmts[0].Stmt.GetSelectStmt()
	if v == nil || v.Op != pg.SetOperation_SETOP_NONE || len(v.DistinctClause) > 0 || len(v.GroupClause) > 0 ||
		v.HavingClause != nil || len(v.WindowClause) > 0 || len(v.SortClause) > 0 || v.LimitCount != nil ||
		v.LimitOffset != nil || v.WithClause != nil || len(v.ValuesLists) > 0 || len(v.LockingClause) > 0 ||
		len(v.FromClause) != 1 || v.GroupDistinct {
		return
	}
	base := v.FromClause[0].GetRangeVar()
	if base == nil || ctes[base.Relname] || base.Schemaname != "" && base.Schemaname != "public" || base.Catalogname != "" ||
		base.Alias != nil && len(base.Alias.Colnames) > 0 {
		return
	}
	if _, isView := views(base.Relname); isView {
		return
	}
	tcols, ok := cols(base.Relname)
	if !ok || len(tcols) != len(v.TargetList) || !slices.Equal(tcols, def.Columns) {
		return
	}
	qual := base.Relname
	if base.Alias != nil {
		qual = base.Alias.Aliasname
	}
	for i, tn := range v.TargetList {
		rt := tn.GetResTarget()
		cr := rt.GetVal().GetColumnRef()
		if cr == nil || len(cr.Fields) > 2 {
			return
		}
		name := cr.Fields[len(cr.Fields)-1].GetString_()
		if name == nil || name.Sval != tcols[i] || rt.Name != "" && rt.Name != tcols[i] {
			return
		}
		if len(cr.Fields) == 2 && cr.Fields[0].GetString_().GetSval() != qual {
			return
		}
	}
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	where := v.WhereClause
	if where != nil {
		simple := true
		walkMessages(where.ProtoReflect(), func(m protoreflect.Message) bool {
			switch x := m.Interface().(type) {
			case *pg.SubLink:
				simple = false
			case *pg.ColumnRef:
				switch {
				case len(x.Fields) == 1 && x.Fields[0].GetAStar() == nil:
					x.Fields = append([]*pg.Node{pg.MakeStrNode(alias)}, x.Fields...)
				case len(x.Fields) == 2 && x.Fields[0].GetString_().GetSval() == qual:
					x.Fields[0] = pg.MakeStrNode(alias)
				default:
					simple = false
				}
				return false
			}
			return simple
		})
		if !simple {
			return
		}
		if sel.WhereClause == nil {
			sel.WhereClause = where
		} else {
			sel.WhereClause = pg.MakeBoolExprNode(pg.BoolExprType_AND_EXPR, []*pg.Node{where, sel.WhereClause}, 0)
		}
	}
	f.Node = &pg.Node_RangeVar{RangeVar: &pg.RangeVar{Relname: base.Relname, Inh: true, Relpersistence: "p",
		Alias: &pg.Alias{Aliasname: alias}}}
}

// RelationNames returns the names of the relations (tables or views) the
// SELECT query reads, CTE names aside, each once.
func RelationNames(query string) ([]string, error) {
	tree, err := pg.Parse(query)
	if err != nil {
		return nil, syntaxError(err)
	}
	ctes := map[string]bool{}
	var out []string
	for _, raw := range tree.Stmts {
		walkMessages(raw.Stmt.ProtoReflect(), func(m protoreflect.Message) bool {
			if c, ok := m.Interface().(*pg.CommonTableExpr); ok {
				ctes[c.Ctename] = true
			}
			return true
		})
		walkMessages(raw.Stmt.ProtoReflect(), func(m protoreflect.Message) bool {
			if rv, ok := m.Interface().(*pg.RangeVar); ok {
				if !ctes[rv.Relname] && (rv.Schemaname == "" || rv.Schemaname == "public") && !slices.Contains(out, rv.Relname) {
					out = append(out, rv.Relname)
				}
				return false
			}
			return true
		})
	}
	return out, nil
}

// ExpandStar rewrites the `*` and `rel.*` items of the SELECT query's
// target list (the leftmost SELECT of a set operation too) into the
// columns they stand for now, as PostgreSQL fixes them when a view is
// created, when every FROM item is a table or view named directly
// (joined with ON or by commas): cols gives their columns. Other `*`
// stay (the view then reads what they mean at query time).
func ExpandStar(query string, cols TableColumns) (string, error) {
	tree, err := pg.Parse(query)
	if err != nil {
		return "", syntaxError(err)
	}
	if len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return query, nil
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	changed := false
	var expand func(s *pg.SelectStmt)
	expand = func(s *pg.SelectStmt) {
		if s == nil {
			return
		}
		if s.Op != pg.SetOperation_SETOP_NONE {
			expand(s.Larg)
			expand(s.Rarg)
			return
		}
		if starTargets(s, cols) {
			changed = true
		}
	}
	expand(sel)
	if !changed {
		return query, nil
	}
	return pg.Deparse(tree)
}

// fromRel is a FROM item that a star expands over.
type fromRel struct {
	qual string
	cols []string
}

func starTargets(s *pg.SelectStmt, cols TableColumns) bool {
	hasStar := false
	for _, tn := range s.TargetList {
		if cr := tn.GetResTarget().GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			hasStar = true
		}
	}
	if !hasStar || cols == nil {
		return false
	}
	var rels []fromRel
	var collect func(n *pg.Node) bool
	collect = func(n *pg.Node) bool {
		switch {
		case n.GetRangeVar() != nil:
			rv := n.GetRangeVar()
			if rv.Schemaname != "" && rv.Schemaname != "public" {
				return false
			}
			c, ok := cols(rv.Relname)
			if !ok {
				return false
			}
			q := rv.Relname
			if rv.Alias != nil {
				if len(rv.Alias.Colnames) > 0 {
					return false
				}
				q = rv.Alias.Aliasname
			}
			rels = append(rels, fromRel{qual: q, cols: c})
			return true
		case n.GetJoinExpr() != nil:
			j := n.GetJoinExpr()
			if j.IsNatural || len(j.UsingClause) > 0 || j.Alias != nil {
				return false
			}
			return collect(j.Larg) && collect(j.Rarg)
		}
		return false
	}
	for _, f := range s.FromClause {
		if !collect(f) {
			return false
		}
	}
	var out []*pg.Node
	for _, tn := range s.TargetList {
		rt := tn.GetResTarget()
		cr := rt.GetVal().GetColumnRef()
		if cr == nil || cr.Fields[len(cr.Fields)-1].GetAStar() == nil {
			out = append(out, tn)
			continue
		}
		qual := ""
		if len(cr.Fields) >= 2 {
			qual = cr.Fields[len(cr.Fields)-2].GetString_().GetSval()
		}
		found := false
		for _, r := range rels {
			if qual != "" && r.qual != qual {
				continue
			}
			found = true
			for _, c := range r.cols {
				ref := pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(r.qual), pg.MakeStrNode(c)}, 0)
				out = append(out, pg.MakeResTargetNodeWithVal(ref, 0))
			}
		}
		if !found {
			return false // an unknown qualifier: planning reports it
		}
	}
	s.TargetList = out
	return true
}

// viewKindName names the relation kind in "is not a ..." errors.
func viewKindName(view bool) string {
	if view {
		return "view"
	}
	return "table"
}

// IsNotA is PostgreSQL's error for a DROP TABLE of a view, DROP VIEW of a
// table, and the like (42809).
func IsNotA(name string, view bool) error {
	e := pgerror.New(pgerror.WrongObjectType, "%q is not a %s", name, viewKindName(view))
	if view {
		e.Hint = "Use DROP TABLE to remove a table."
	} else {
		e.Hint = "Use DROP VIEW to remove a view."
	}
	return e
}

// InsertSelect returns INSERT INTO table (cols) query: how CREATE TABLE AS
// writes its rows, through the INSERT path.
func InsertSelect(table string, cols []string, query string) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO "` + strings.ReplaceAll(table, `"`, `""`) + `" (`)
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
	}
	b.WriteString(") " + query)
	return b.String()
}

// RenameRelation rewrites the SELECT query after the relation old was
// renamed to new: FROM items naming old, and column qualifiers that meant
// it (old.col where no FROM item is aliased old).
func RenameRelation(query, old, new string) (string, error) {
	tree, err := pg.Parse(query)
	if err != nil {
		return "", syntaxError(err)
	}
	aliased := false
	walkMessages(tree.ProtoReflect(), func(m protoreflect.Message) bool {
		if rv, ok := m.Interface().(*pg.RangeVar); ok && rv.Alias != nil && rv.Alias.Aliasname == old {
			aliased = true
		}
		return true
	})
	walkMessages(tree.ProtoReflect(), func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg.RangeVar:
			if x.Relname == old && (x.Schemaname == "" || x.Schemaname == "public") {
				x.Relname = new
			}
		case *pg.ColumnRef:
			if !aliased && len(x.Fields) >= 2 {
				if q := x.Fields[len(x.Fields)-2].GetString_(); q != nil && q.Sval == old {
					q.Sval = new
				}
			}
		}
		return true
	})
	return pg.Deparse(tree)
}
