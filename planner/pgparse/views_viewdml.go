package pgparse

import (
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
)

// Writes through views (docs/design/076-view-dml.md). PostgreSQL 15 makes a
// simple view automatically updatable: INSERT, UPDATE and DELETE on it act
// on its one base table (or view, recursively). rewriteViewDML turns such a
// statement, before translation, into the same statement on the base
// table: view columns become their base columns, view column references
// in the new values, conditions and RETURNING lists become the view's
// expressions, and the view's WHERE is ANDed into UPDATE's and DELETE's
// conditions. Everything after it sees a write to a table, so the INSERT,
// UPDATE and DELETE paths are not duplicated.

// ViewCheck is one WITH CHECK OPTION condition a row written through views
// must satisfy: the WHERE of View, over the base table's columns.
type ViewCheck struct {
	View string
	// Cond is the condition over the base table, as PostgreSQL text.
	Cond    string
	node    *pg.Node
	cascade bool
}

// codeCheckOptionViolation is SQLSTATE 44000.
const codeCheckOptionViolation = "44000"

// codeObjectNotInPrerequisiteState is SQLSTATE 55000.
const codeObjectNotInPrerequisiteState = "55000"

// CheckOptionViolation is the error of a row a view's WITH CHECK OPTION
// refuses.
func CheckOptionViolation(view string) *pgerror.Error {
	return pgerror.New(codeCheckOptionViolation, "new row violates check option for view %q", view)
}

// dmlVerb is how PostgreSQL's errors name a write through a view.
type dmlVerb int

const (
	verbInsert dmlVerb = iota
	verbUpdate
	verbDelete
)

func (v dmlVerb) viewError(view, detail string) error {
	e := &pgerror.Error{Code: codeObjectNotInPrerequisiteState, Detail: detail}
	switch v {
	case verbInsert:
		e.Message = "cannot insert into view \"" + view + "\""
		e.Hint = "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule."
	case verbUpdate:
		e.Message = "cannot update view \"" + view + "\""
		e.Hint = "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule."
	default:
		e.Message = "cannot delete from view \"" + view + "\""
		e.Hint = "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule."
	}
	return e
}

func (v dmlVerb) columnError(col, view string) error {
	e := pgerror.New(pgerror.FeatureNotSupported, "cannot update column %q of view %q", col, view)
	if v == verbInsert {
		e = pgerror.New(pgerror.FeatureNotSupported, "cannot insert into column %q of view %q", col, view)
	}
	e.Detail = "View columns that are not columns of their base relation are not updatable."
	return e
}

// viewLevel is one view a write goes through.
type viewLevel struct {
	name string
	def  *ViewDef
	sel  *pg.SelectStmt
	// base is the view's FROM item; qual the name its columns are
	// qualified by in the view's query.
	base *pg.RangeVar
	qual string
	// exprs[i] is view column i's expression; baseCol[i] the base column
	// it is, "" when it is not a plain column (not updatable).
	exprs   []*pg.Node
	baseCol []string
	// others is set when the statement names other relations (UPDATE
	// ... FROM, DELETE ... USING, docs/design/081-dml-join.md): a
	// reference that is not to a view column may be to one of theirs.
	others bool
	from   []*pg.Node
}

// viewTargetName returns the name a DML target names when it may be a
// view (unqualified or in public).
func viewTargetName(rv *pg.RangeVar) (string, bool) {
	if rv == nil || rv.Schemaname != "" && rv.Schemaname != "public" || rv.Catalogname != "" && rv.Catalogname != "openwit" {
		return "", false
	}
	return rv.Relname, true
}

// rewriteViewDML rewrites n, an INSERT, UPDATE or DELETE on a view, into
// the statement on the view's base table (through views over views) and
// returns the WITH CHECK OPTION conditions the written rows must satisfy,
// innermost view first, as PostgreSQL checks them. Other statements are
// left alone.
func rewriteViewDML(n *pg.Node, views ViewLookup, cols TableColumns) ([]ViewCheck, error) {
	if views == nil {
		return nil, nil
	}
	var checks []ViewCheck
	for depth := 0; ; depth++ {
		// Forms the translator refuses (WITH, UPDATE ... FROM, DELETE ...
		// USING, WHERE CURRENT OF) are left for it to report.
		var rv *pg.RangeVar
		switch {
		case n.GetInsertStmt() != nil && n.GetInsertStmt().WithClause == nil:
			rv = n.GetInsertStmt().Relation
		case n.GetUpdateStmt() != nil && n.GetUpdateStmt().WhereClause.GetCurrentOfExpr() == nil:
			rv = n.GetUpdateStmt().Relation
		case n.GetDeleteStmt() != nil && n.GetDeleteStmt().WhereClause.GetCurrentOfExpr() == nil:
			rv = n.GetDeleteStmt().Relation
		default:
			return nil, nil
		}
		name, ok := viewTargetName(rv)
		if !ok {
			break
		}
		def, ok := views(name)
		if !ok {
			break
		}
		if depth >= maxViewDepth {
			return nil, pgerror.New(invalidObjectDefinition, "infinite recursion detected in rules for relation %q", name)
		}
		lvl, err := parseViewLevel(name, def)
		if err != nil {
			return nil, err
		}
		switch {
		case n.GetInsertStmt() != nil:
			err = lvl.insert(n.GetInsertStmt(), cols)
		case n.GetUpdateStmt() != nil:
			err = lvl.update(n.GetUpdateStmt())
		default:
			err = lvl.delete(n.GetDeleteStmt())
		}
		if err != nil {
			return nil, err
		}
		for i := range checks {
			if checks[i].node != nil {
				if err := lvl.substitute(checks[i].node, nil); err != nil {
					return nil, err
				}
			}
		}
		if n.GetDeleteStmt() == nil {
			checks = lvl.addCheck(checks)
		}
	}
	for i := range checks {
		if checks[i].node != nil {
			text, err := deparseExpr(checks[i].node)
			if err != nil {
				return nil, pgerror.New(pgerror.InternalError, "check option of view %q: %v", checks[i].View, err)
			}
			checks[i].Cond = text
		}
	}
	checks = slices.DeleteFunc(checks, func(c ViewCheck) bool { return c.node == nil })
	return checks, nil
}

// addCheck adds the view's WITH CHECK OPTION to checks as PostgreSQL's
// rewriter does: a view with the option checks its WHERE; under a view
// with CASCADED CHECK OPTION every view does, as if it had the option.
// New checks go first, so the innermost view is checked first.
func (l *viewLevel) addCheck(checks []ViewCheck) []ViewCheck {
	has, cascaded := l.def.CheckOption != "", l.def.CheckOption == "cascaded"
	if len(checks) > 0 && checks[0].cascade {
		has, cascaded = true, true
	}
	if !has || !cascaded && l.sel.WhereClause == nil {
		return checks
	}
	c := ViewCheck{View: l.name, cascade: cascaded}
	if l.sel.WhereClause != nil {
		c.node = l.copyExpr(l.sel.WhereClause)
	}
	out := append([]ViewCheck{c}, checks...)
	return out
}

// parseViewLevel parses a view's query and maps its columns.
func parseViewLevel(name string, def *ViewDef) (*viewLevel, error) {
	tree, err := pg.Parse(def.Query)
	if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, pgerror.New(pgerror.InternalError, "view %q: stored query does not parse: %v", name, err)
	}
	l := &viewLevel{name: name, def: def, sel: tree.Stmts[0].Stmt.GetSelectStmt()}
	l.baseCol = make([]string, len(def.Columns))
	if len(l.sel.FromClause) == 1 {
		if rv := l.sel.FromClause[0].GetRangeVar(); rv != nil {
			l.base, l.qual = rv, rv.Relname
			if rv.Alias != nil {
				l.qual = rv.Alias.Aliasname
			}
		}
	}
	if l.sel.Op != pg.SetOperation_SETOP_NONE || len(l.sel.TargetList) != len(def.Columns) {
		return l, nil
	}
	for i, tn := range l.sel.TargetList {
		val := tn.GetResTarget().GetVal()
		l.exprs = append(l.exprs, val)
		cr := val.GetColumnRef()
		if cr == nil || l.base == nil || len(cr.Fields) > 2 {
			continue
		}
		s := cr.Fields[len(cr.Fields)-1].GetString_()
		if s == nil || len(cr.Fields) == 2 && cr.Fields[0].GetString_().GetSval() != l.qual {
			continue
		}
		l.baseCol[i] = s.Sval
	}
	return l, nil
}

// notUpdatable returns PostgreSQL's reason why the view is not
// automatically updatable, "" when it is; checkCols asks for at least one
// updatable column (INSERT and UPDATE).
func (l *viewLevel) notUpdatable(checkCols bool) string {
	s := l.sel
	var aggs, windows, srfs bool
	for _, list := range [][]*pg.Node{s.TargetList, s.SortClause} {
		for _, n := range list {
			walkFuncCalls(n.ProtoReflect(), func(f *pg.FuncCall) {
				switch {
				case f.Over != nil:
					windows = true
				case aggregates[funcCallName(f)] || f.AggStar || f.AggFilter != nil || len(f.AggOrder) > 0 && f.AggWithinGroup:
					aggs = true
				case isSRFCall(f) && slices.Contains(s.TargetList, n):
					srfs = true
				}
			})
		}
	}
	switch {
	case len(s.DistinctClause) > 0:
		return "Views containing DISTINCT are not automatically updatable."
	case len(s.GroupClause) > 0:
		return "Views containing GROUP BY are not automatically updatable."
	case s.HavingClause != nil:
		return "Views containing HAVING are not automatically updatable."
	case s.Op != pg.SetOperation_SETOP_NONE:
		return "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable."
	case s.WithClause != nil:
		return "Views containing WITH are not automatically updatable."
	case s.LimitCount != nil || s.LimitOffset != nil:
		return "Views containing LIMIT or OFFSET are not automatically updatable."
	case aggs:
		return "Views that return aggregate functions are not automatically updatable."
	case windows:
		return "Views that return window functions are not automatically updatable."
	case srfs:
		return "Views that return set-returning functions are not automatically updatable."
	case len(s.FromClause) == 1 && s.FromClause[0].GetRangeTableSample() != nil:
		return "Views containing TABLESAMPLE are not automatically updatable."
	case l.base == nil || len(l.exprs) != len(l.def.Columns):
		return "Views that do not select from a single table or view are not automatically updatable."
	}
	if checkCols && !slices.ContainsFunc(l.baseCol, func(c string) bool { return c != "" }) {
		return "Views that have no updatable columns are not automatically updatable."
	}
	return ""
}

// column returns the index of the view column name, -1 when none.
func (l *viewLevel) column(name string) int {
	return slices.Index(l.def.Columns, name)
}

// checkColumns fails on the first view column (in view order) among
// assigned that is not updatable.
func (l *viewLevel) checkColumns(verb dmlVerb, assigned map[int]bool) error {
	for i := range l.def.Columns {
		if assigned[i] && l.baseCol[i] == "" {
			return verb.columnError(l.def.Columns[i], l.name)
		}
	}
	return nil
}

// baseRelation is the statement's new target: the view's base relation,
// unaliased (the view's expressions are requalified by copyExpr).
func (l *viewLevel) baseRelation() *pg.RangeVar {
	return &pg.RangeVar{Relname: l.base.Relname, Schemaname: l.base.Schemaname, Inh: true, Relpersistence: "p"}
}

// copyExpr returns a copy of an expression of the view's query with its
// column references qualified by the base relation's name instead of an
// alias the view gave it.
func (l *viewLevel) copyExpr(x *pg.Node) *pg.Node {
	c := proto.Clone(x).(*pg.Node)
	if l.qual == l.base.Relname && !l.others {
		return c
	}
	columnRefsNoSub(c, func(cr *pg.ColumnRef) {
		switch {
		case len(cr.Fields) == 2 && cr.Fields[0].GetString_().GetSval() == l.qual:
			cr.Fields[0] = pg.MakeStrNode(l.base.Relname)
		case len(cr.Fields) == 1 && l.others:
			// Qualified, so that a column of another relation of the
			// statement by the same name is not taken for it.
			cr.Fields = append([]*pg.Node{pg.MakeStrNode(l.base.Relname)}, cr.Fields...)
		}
	})
	return c
}

// columnRefsNoSub calls fn on the column references of x outside
// subqueries.
func columnRefsNoSub(x *pg.Node, fn func(*pg.ColumnRef)) {
	walkNodes(x, func(n *pg.Node) bool {
		if cr := n.GetColumnRef(); cr != nil {
			fn(cr)
			return false
		}
		return true
	})
}

// walkNodes calls fn on every Node wrapper under x (x included) whose
// parent fn returned true for, not inside a subquery's SELECT (a
// SubLink's test expression is walked).
func walkNodes(x *pg.Node, fn func(*pg.Node) bool) {
	if x == nil || !fn(x) {
		return
	}
	if sl := x.GetSubLink(); sl != nil {
		walkNodes(sl.Testexpr, fn)
		return
	}
	walkMessagesFrom(x, fn)
}

// walkMessagesFrom walks the children of x for walkNodes.
func walkMessagesFrom(x *pg.Node, fn func(*pg.Node) bool) {
	first := true
	walkMessages(x.ProtoReflect(), func(m protoreflect.Message) bool {
		if first {
			first = false
			return true
		}
		if n, ok := m.Interface().(*pg.Node); ok {
			walkNodes(n, fn)
			return false
		}
		return true
	})
}

// substitute replaces, in x (an expression of a statement on the view),
// the references to view columns by the view's expressions for them.
// qual is the name the statement's target goes by (its alias or the view's
// name); nil substitutes references already made by an outer level.
func (l *viewLevel) substitute(x *pg.Node, qual *string) error {
	var err error
	q := l.name
	if qual != nil {
		q = *qual
	}
	walkNodes(x, func(n *pg.Node) bool {
		cr := n.GetColumnRef()
		if cr == nil || err != nil {
			return err == nil
		}
		last := cr.Fields[len(cr.Fields)-1]
		switch {
		case len(cr.Fields) > 2:
			return false
		case len(cr.Fields) == 2 && cr.Fields[0].GetString_().GetSval() != q && l.others:
			return false
		case len(cr.Fields) == 2 && cr.Fields[0].GetString_().GetSval() != q:
			err = pgerror.New(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", cr.Fields[0].GetString_().GetSval())
			return false
		case last.GetAStar() != nil:
			err = pgerror.New(pgerror.FeatureNotSupported, "a whole-row reference to view %q in a write through it is not supported", l.name)
			return false
		}
		name := last.GetString_().GetSval()
		i := l.column(name)
		if i < 0 && len(cr.Fields) == 1 && l.others {
			return false
		}
		if i < 0 {
			if len(cr.Fields) == 2 {
				err = pgerror.New(pgerror.UndefinedColumn, "column %s.%s does not exist", q, name)
			} else {
				err = pgerror.New(pgerror.UndefinedColumn, "column %q does not exist", name)
			}
			return false
		}
		n.Node = l.copyExpr(l.exprs[i]).Node
		return false
	})
	return err
}

// stmtQual is the name a DML statement's target goes by.
func stmtQual(rv *pg.RangeVar) string {
	if rv.Alias != nil {
		return rv.Alias.Aliasname
	}
	return rv.Relname
}

// returning rewrites a RETURNING list over the view: `*` and `v.*` become
// the view's columns, each item keeps the name PostgreSQL gives it.
func (l *viewLevel) returning(list []*pg.Node, qual string) ([]*pg.Node, error) {
	var out []*pg.Node
	for _, n := range list {
		rt := n.GetResTarget()
		if cr := rt.GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			if len(cr.Fields) == 2 && cr.Fields[0].GetString_().GetSval() != qual {
				return nil, pgerror.New(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", cr.Fields[0].GetString_().GetSval())
			}
			if len(cr.Fields) <= 2 {
				for i, c := range l.def.Columns {
					out = append(out, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Name: c, Val: l.copyExpr(l.exprs[i]), Location: -1}}})
				}
				if len(cr.Fields) == 1 {
					// RETURNING * goes on with the other relations' columns.
					more, err := fromStars(l.from)
					if err != nil {
						return nil, err
					}
					out = append(out, more...)
				}
				continue
			}
		}
		if rt.Name == "" {
			rt.Name = figureColname(rt.Val)
		}
		if err := l.substitute(rt.Val, &qual); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// figureColname is the result name PostgreSQL gives an expression whose
// name comes from a column (a column, or a cast of one); "" otherwise.
func figureColname(x *pg.Node) string {
	switch {
	case x.GetColumnRef() != nil:
		f := x.GetColumnRef().Fields
		return f[len(f)-1].GetString_().GetSval()
	case x.GetTypeCast() != nil:
		return figureColname(x.GetTypeCast().Arg)
	}
	return ""
}

// insert rewrites INSERT INTO view.
func (l *viewLevel) insert(s *pg.InsertStmt, cols TableColumns) error {
	qual := stmtQual(s.Relation)
	targets := map[int]bool{}
	var order []int
	if len(s.Cols) > 0 {
		for _, c := range s.Cols {
			rt := c.GetResTarget()
			i := l.column(rt.Name)
			if i < 0 {
				return pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, l.name)
			}
			if targets[i] {
				return pgerror.New(pgerror.DuplicateColumn, "column %q specified more than once", rt.Name)
			}
			targets[i] = true
			order = append(order, i)
		}
	}
	w := -1 // the source's width, -1 when unknown
	if s.SelectStmt != nil {
		w = insertWidth(s.SelectStmt.GetSelectStmt(), cols, -1)
	}
	if len(s.Cols) == 0 && s.SelectStmt != nil {
		n := len(l.def.Columns)
		if w >= 0 {
			n = min(w, n)
		}
		for i := 0; i < n; i++ {
			targets[i] = true
			order = append(order, i)
		}
	}
	// Parse analysis (before the view's updatability) checks the widths.
	switch {
	case w > len(order) && (len(s.Cols) > 0 || w > len(l.def.Columns)):
		return pgerror.New(pgerror.SyntaxError, "INSERT has more expressions than target columns")
	case w >= 0 && w < len(order) && len(s.Cols) > 0:
		return pgerror.New(pgerror.SyntaxError, "INSERT has more target columns than expressions")
	}
	if why := l.notUpdatable(true); why != "" {
		return verbInsert.viewError(l.name, why)
	}
	if err := l.checkColumns(verbInsert, targets); err != nil {
		return err
	}
	var indirection [][]*pg.Node // a column list's subscripts stay with their columns
	for _, c := range s.Cols {
		indirection = append(indirection, c.GetResTarget().Indirection)
	}
	s.Cols = nil
	for k, i := range order {
		rt := &pg.ResTarget{Name: l.baseCol[i], Location: -1}
		if k < len(indirection) {
			rt.Indirection = indirection[k]
		}
		s.Cols = append(s.Cols, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: rt}})
	}
	if len(s.ReturningList) > 0 {
		list, err := l.returning(s.ReturningList, qual)
		if err != nil {
			return err
		}
		s.ReturningList = list
	}
	s.Relation = l.baseRelation()
	return nil
}

// insertWidth is the number of columns the INSERT's source has (its first
// VALUES row, or its select list with `*` expanded when it can be), or
// fallback.
func insertWidth(sel *pg.SelectStmt, cols TableColumns, fallback int) int {
	for sel != nil && sel.Op != pg.SetOperation_SETOP_NONE {
		sel = sel.Larg
	}
	if sel == nil {
		return fallback
	}
	if len(sel.ValuesLists) > 0 {
		return len(sel.ValuesLists[0].GetList().GetItems())
	}
	w := 0
	for _, tn := range sel.TargetList {
		cr := tn.GetResTarget().GetVal().GetColumnRef()
		if cr == nil || cr.Fields[len(cr.Fields)-1].GetAStar() == nil {
			w++
			continue
		}
		if len(sel.FromClause) != 1 || sel.FromClause[0].GetRangeVar() == nil || cols == nil {
			return fallback
		}
		c, ok := cols(sel.FromClause[0].GetRangeVar().Relname)
		if !ok {
			return fallback
		}
		w += len(c)
	}
	return w
}

// update rewrites UPDATE view.
func (l *viewLevel) update(s *pg.UpdateStmt) error {
	qual := stmtQual(s.Relation)
	l.others, l.from = len(s.FromClause) > 0, s.FromClause
	assigned := map[int]bool{}
	for _, n := range s.TargetList {
		rt := n.GetResTarget()
		if rt == nil {
			continue
		}
		i := l.column(rt.Name)
		if i < 0 {
			return pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, l.name)
		}
		assigned[i] = true
	}
	if err := l.checkWhere(s.WhereClause, qual); err != nil {
		return err
	}
	if why := l.notUpdatable(true); why != "" {
		return verbUpdate.viewError(l.name, why)
	}
	if err := l.checkColumns(verbUpdate, assigned); err != nil {
		return err
	}
	for _, n := range s.TargetList {
		rt := n.GetResTarget()
		if rt == nil {
			continue
		}
		i := l.column(rt.Name)
		rt.Name = l.baseCol[i]
		if rt.Val.GetSetToDefault() != nil {
			// A view column has no DEFAULT of its own: PostgreSQL sets
			// NULL (the base column's DEFAULT applies to INSERT only).
			rt.Val = &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true, Location: -1}}}
			continue
		}
		if err := l.substitute(rt.Val, &qual); err != nil {
			return err
		}
	}
	return l.retarget(&s.WhereClause, &s.ReturningList, &s.Relation, qual)
}

// delete rewrites DELETE FROM view.
func (l *viewLevel) delete(s *pg.DeleteStmt) error {
	qual := stmtQual(s.Relation)
	l.others, l.from = len(s.UsingClause) > 0, s.UsingClause
	if err := l.checkWhere(s.WhereClause, qual); err != nil {
		return err
	}
	if why := l.notUpdatable(false); why != "" {
		return verbDelete.viewError(l.name, why)
	}
	return l.retarget(&s.WhereClause, &s.ReturningList, &s.Relation, qual)
}

// retarget rewrites an UPDATE's or DELETE's WHERE (the view's condition
// ANDed in) and RETURNING list onto the base table, and names the base
// table as the statement's relation.
func (l *viewLevel) retarget(where **pg.Node, returning *[]*pg.Node, rel **pg.RangeVar, qual string) error {
	w, err := l.where(*where, qual)
	if err != nil {
		return err
	}
	*where = w
	if len(*returning) > 0 {
		list, err := l.returning(*returning, qual)
		if err != nil {
			return err
		}
		*returning = list
	}
	*rel = l.baseRelation()
	return nil
}

// checkWhere reports the name errors of a statement's WHERE (PostgreSQL
// finds them before it looks at the view's updatability).
func (l *viewLevel) checkWhere(where *pg.Node, qual string) error {
	if where == nil {
		return nil
	}
	return l.substituteCopy(where, qual)
}

func (l *viewLevel) substituteCopy(x *pg.Node, qual string) error {
	if len(l.exprs) != len(l.def.Columns) {
		return nil // not updatable: reported next
	}
	return l.substitute(proto.Clone(x).(*pg.Node), &qual)
}

// where is the statement's condition over the base relation: the view's
// WHERE AND the statement's.
func (l *viewLevel) where(w *pg.Node, qual string) (*pg.Node, error) {
	if w != nil {
		if err := l.substitute(w, &qual); err != nil {
			return nil, err
		}
	}
	if l.sel.WhereClause == nil {
		return w, nil
	}
	vw := l.copyExpr(l.sel.WhereClause)
	if w == nil {
		return vw, nil
	}
	return pg.MakeBoolExprNode(pg.BoolExprType_AND_EXPR, []*pg.Node{vw, w}, -1), nil
}

// updateChecks puts the check conditions of an UPDATE through views at the
// head of its RETURNING list, so that they are planned with the new values
// and evaluated on each new row (Update.Checks counts them); the returned
// function restores Update.Returning after translation.
func updateChecks(n *pg.Node, checks []ViewCheck) func(*Statement) {
	u := n.GetUpdateStmt()
	if u == nil || len(checks) == 0 {
		return func(*Statement) {}
	}
	returning := len(u.ReturningList) > 0
	list := make([]*pg.Node, 0, len(checks)+len(u.ReturningList))
	for _, c := range checks {
		list = append(list, pg.MakeResTargetNodeWithVal(c.node, -1))
	}
	u.ReturningList = append(list, u.ReturningList...)
	return func(st *Statement) {
		if st.Update != nil {
			st.Update.Returning = returning
			st.Update.Checks = len(checks)
		}
	}
}

// viewCheckOption returns the check option of CREATE VIEW: WITH [LOCAL |
// CASCADED] CHECK OPTION or WITH (check_option = ...). Other options
// are not supported.
func (t *translator) viewCheckOption(s *pg.ViewStmt) string {
	out := ""
	for _, o := range s.Options {
		de := o.GetDefElem()
		if de == nil || de.Defname != "check_option" {
			t.unsupported("CREATE VIEW with options other than check_option")
		}
		v := t.defElemValue(de)
		if v != "local" && v != "cascaded" {
			e := pgerror.New(pgerror.InvalidParameterValue, "invalid value for enum option \"check_option\": %s", v)
			e.Detail = `Valid values are "local" and "cascaded".`
			panic(failure{e})
		}
		out = v
	}
	switch s.WithCheckOption {
	case pg.ViewCheckOption_LOCAL_CHECK_OPTION:
		out = "local"
	case pg.ViewCheckOption_CASCADED_CHECK_OPTION:
		out = "cascaded"
	}
	return out
}

// ViewNotUpdatable returns PostgreSQL's reason why a view with this query
// and these column names is not automatically updatable (for INSERT and
// UPDATE), "" when it is: CREATE VIEW ... WITH CHECK OPTION refuses such a
// view, and information_schema shows it.
func ViewNotUpdatable(name, query string, columns []string, forDelete bool) string {
	l, err := parseViewLevel(name, &ViewDef{Query: query, Columns: columns})
	if err != nil {
		return err.Error()
	}
	return l.notUpdatable(!forDelete)
}

// ViewUpdatability tells whether INSERT and UPDATE (cols) and DELETE (del)
// can write through the view itself, and names its base relation.
func ViewUpdatability(name, query string, columns []string) (cols, del bool, base string) {
	l, err := parseViewLevel(name, &ViewDef{Query: query, Columns: columns})
	if err != nil {
		return false, false, ""
	}
	if l.base != nil {
		base = l.base.Relname
	}
	return l.notUpdatable(true) == "", l.notUpdatable(false) == "", base
}

// ViewColumnBases returns, for a view that DELETE can write through (ok),
// the base column each view column is ("" when it is not a plain column)
// and the base relation's name.
func ViewColumnBases(name, query string, columns []string) (bases []string, base string, ok bool) {
	l, err := parseViewLevel(name, &ViewDef{Query: query, Columns: columns})
	if err != nil || l.notUpdatable(false) != "" {
		return nil, "", false
	}
	return l.baseCol, l.base.Relname, true
}
