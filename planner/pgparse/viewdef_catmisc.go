package pgparse

import (
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/planner/pgtypes"
)

// ViewRelation is what ViewDefinition needs of a relation a view reads: its
// column names and type OIDs, in order.
type ViewRelation struct {
	Names []string
	Types []uint32
}

// ViewDefinition prints a view's stored SELECT the way PostgreSQL 15's
// pg_get_viewdef does: a line per output column and per clause, columns
// qualified by their relation, an AS wherever the output name is not the
// column's own, the implicit casts PostgreSQL's parse analysis adds
// ('error'::text, (2)::double precision, (host)::text), and parentheses
// around every operator (pretty false) or only where precedence needs
// them (pretty true: psql's \d+). cols are the view's column names;
// rel looks up a relation of the FROM list; out gives the output text
// of date and time constants (in the session's TimeZone).
//
// It covers what dashboards' views are made of: select lists, FROM with
// tables, views and joins, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT and
// OFFSET, comparisons, arithmetic, AND/OR/NOT, IS NULL, LIKE, IN lists
// and the common aggregates. ok is false for anything else (subqueries,
// CASE, other functions, constants of other types), where the caller
// keeps the one-line form.
func ViewDefinition(query string, cols []string, rel func(name string) (ViewRelation, bool), out ConstOutput, pretty bool) (s string, ok bool) {
	tree, err := pg.Parse(query)
	if err != nil || len(tree.Stmts) != 1 {
		return "", false
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil {
		return "", false
	}
	defer func() {
		if r := recover(); r != nil {
			if _, bail := r.(vdBail); !bail {
				panic(r)
			}
			s, ok = "", false
		}
	}()
	d := &viewDeparser{rel: rel, out: out, pretty: pretty}
	s, _ = d.selectStmt(sel, cols)
	return s + ";", true
}

// vdBail aborts ViewDefinition on a shape it does not print.
type vdBail struct{}

func bail() { panic(vdBail{}) }

type viewDeparser struct {
	rel    func(string) (ViewRelation, bool)
	out    ConstOutput
	pretty bool
	scope  []vdRange
}

// vdRange is one relation of the FROM list: the name columns are
// qualified by (its alias, else its name) and its columns.
type vdRange struct {
	qual string
	rel  ViewRelation
}

// selectStmt prints a SELECT whose output columns are named cols and
// returns their types too.
func (d *viewDeparser) selectStmt(sel *pg.SelectStmt, cols []string) (string, []uint32) {
	if sel.Op != pg.SetOperation_SETOP_NONE || sel.WithClause != nil || sel.IntoClause != nil ||
		len(sel.ValuesLists) > 0 || len(sel.WindowClause) > 0 || sel.LockingClause != nil || len(sel.FromClause) == 0 {
		bail()
	}
	var b strings.Builder
	b.WriteString(" SELECT ")
	if len(sel.DistinctClause) > 0 {
		if len(sel.DistinctClause) != 1 || sel.DistinctClause[0].Node != nil {
			bail() // DISTINCT ON
		}
		b.WriteString("DISTINCT ")
	}
	var from []string
	for _, f := range sel.FromClause {
		from = append(from, d.fromItem(f))
	}
	if len(sel.TargetList) != len(cols) {
		bail()
	}
	targets := make([]vdNode, len(sel.TargetList))
	for i, t := range sel.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			bail()
		}
		targets[i] = d.expr(rt.Val)
		if i > 0 {
			b.WriteString(",\n    ")
		}
		if c, isCase := targets[i].(*vdCase); isCase {
			if i == 0 {
				bail()
			}
			b.WriteString(c.renderAt(d))
		} else {
			b.WriteString(d.top(targets[i]))
		}
		if v, isVar := targets[i].(*vdVar); !isVar || v.col != cols[i] {
			b.WriteString(" AS " + vdIdent(cols[i]))
		}
	}
	b.WriteString("\n   FROM " + strings.Join(from, ",\n    "))
	if sel.WhereClause != nil {
		b.WriteString("\n  WHERE " + d.top(d.boolExpr(sel.WhereClause)))
	}
	if len(sel.GroupClause) > 0 {
		var gs []string
		for _, g := range sel.GroupClause {
			gs = append(gs, d.sortGroupItem(g, sel, targets))
		}
		b.WriteString("\n  GROUP BY " + strings.Join(gs, ", "))
	}
	if sel.HavingClause != nil {
		b.WriteString("\n HAVING " + d.top(d.boolExpr(sel.HavingClause)))
	}
	if len(sel.SortClause) > 0 {
		var os []string
		for _, s := range sel.SortClause {
			sb := s.GetSortBy()
			if sb == nil || sb.SortbyDir == pg.SortByDir_SORTBY_USING {
				bail()
			}
			item := d.sortGroupItem(sb.Node, sel, targets)
			desc := sb.SortbyDir == pg.SortByDir_SORTBY_DESC
			if desc {
				item += " DESC"
			}
			switch {
			case sb.SortbyNulls == pg.SortByNulls_SORTBY_NULLS_FIRST && !desc:
				item += " NULLS FIRST"
			case sb.SortbyNulls == pg.SortByNulls_SORTBY_NULLS_LAST && desc:
				item += " NULLS LAST"
			}
			os = append(os, item)
		}
		b.WriteString("\n  ORDER BY " + strings.Join(os, ", "))
	}
	if sel.LimitOffset != nil {
		b.WriteString("\n OFFSET " + d.limitValue(sel.LimitOffset))
	}
	if sel.LimitCount != nil {
		if sel.LimitOption != pg.LimitOption_LIMIT_OPTION_COUNT && sel.LimitOption != pg.LimitOption_LIMIT_OPTION_DEFAULT {
			bail()
		}
		b.WriteString("\n LIMIT " + d.limitValue(sel.LimitCount))
	}
	oids := make([]uint32, len(targets))
	for i, t := range targets {
		if oids[i] = d.typed(t).typ(); oids[i] == 0 {
			bail()
		}
	}
	return b.String(), oids
}

// limitValue prints a LIMIT or OFFSET count: a bigint in PostgreSQL, so
// an integer constant prints bare.
func (d *viewDeparser) limitValue(n *pg.Node) string {
	c := n.GetAConst()
	if c == nil || c.GetIval() == nil && c.GetIsnull() {
		if c != nil && c.GetIsnull() {
			return "ALL"
		}
		bail()
	}
	if c.GetIval() == nil {
		bail()
	}
	v := c.GetIval().Ival
	if v < 0 {
		bail()
	}
	return strconv.Itoa(int(v))
}

// sortGroupItem prints a GROUP BY or ORDER BY item: a column as itself,
// anything else in parentheses; an output column's number or name means
// that output column.
func (d *viewDeparser) sortGroupItem(n *pg.Node, sel *pg.SelectStmt, targets []vdNode) string {
	var e vdNode
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		i := int(c.GetIval().Ival)
		if i < 1 || i > len(targets) {
			bail()
		}
		e = targets[i-1]
	} else if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil && !d.hasColumn(cr.Fields[0].GetString_().Sval) {
		name := cr.Fields[0].GetString_().Sval
		for i, t := range sel.TargetList {
			if t.GetResTarget().Name == name {
				e = targets[i]
			}
		}
		if e == nil {
			bail()
		}
	} else {
		e = d.expr(n)
	}
	if _, isVar := e.(*vdVar); isVar {
		return d.top(e)
	}
	if _, isCase := e.(*vdCase); isCase {
		bail()
	}
	return "(" + d.top(e) + ")"
}

func (d *viewDeparser) hasColumn(name string) bool {
	for _, r := range d.scope {
		for _, c := range r.rel.Names {
			if c == name {
				return true
			}
		}
	}
	return false
}

// fromItem prints a FROM item and adds its relations to the scope.
func (d *viewDeparser) fromItem(n *pg.Node) string {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		if rv.Schemaname != "" && rv.Schemaname != "public" || !rv.Inh {
			bail()
		}
		r, ok := d.rel(rv.Relname)
		if !ok {
			bail()
		}
		qual, s := rv.Relname, vdIdent(rv.Relname)
		if rv.Alias != nil {
			if len(rv.Alias.Colnames) > 0 {
				bail()
			}
			qual = rv.Alias.Aliasname
			s += " " + vdIdent(qual)
		}
		d.scope = append(d.scope, vdRange{qual: qual, rel: r})
		return s
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		sel := rs.Subquery.GetSelectStmt()
		if rs.Lateral || sel == nil || rs.Alias == nil || len(rs.Alias.Colnames) > 0 {
			bail()
		}
		names := subselectNames(sel)
		inner := &viewDeparser{rel: d.rel, out: d.out, pretty: d.pretty}
		s, oids := inner.selectStmt(sel, names)
		d.scope = append(d.scope, vdRange{qual: rs.Alias.Aliasname, rel: ViewRelation{Names: names, Types: oids}})
		return "(" + strings.ReplaceAll(s, "\n", "\n        ") + ") " + vdIdent(rs.Alias.Aliasname)
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		if j.IsNatural || len(j.UsingClause) > 0 || j.Alias != nil || j.JoinUsingAlias != nil {
			bail()
		}
		l := d.fromItem(j.Larg)
		r := d.fromItem(j.Rarg)
		var kw string
		switch j.Jointype {
		case pg.JoinType_JOIN_INNER:
			kw = "JOIN"
			if j.Quals == nil {
				kw = "CROSS JOIN"
			}
		case pg.JoinType_JOIN_LEFT:
			kw = "LEFT JOIN"
		case pg.JoinType_JOIN_RIGHT:
			kw = "RIGHT JOIN"
		case pg.JoinType_JOIN_FULL:
			kw = "FULL JOIN"
		default:
			bail()
		}
		s := l + "\n     " + kw + " " + r
		if j.Quals != nil {
			on := d.top(d.boolExpr(j.Quals))
			if !d.pretty {
				on = "(" + on + ")"
			}
			s += " ON " + on
		}
		if !d.pretty {
			s = "(" + s + ")"
		}
		return s
	}
	bail()
	return ""
}

// subselectNames are the output column names of a subquery in FROM:
// its aliases, else the column's or the function's name.
func subselectNames(sel *pg.SelectStmt) []string {
	names := make([]string, len(sel.TargetList))
	for i, t := range sel.TargetList {
		rt := t.GetResTarget()
		switch {
		case rt == nil:
			bail()
		case rt.Name != "":
			names[i] = rt.Name
		case rt.Val.GetColumnRef() != nil:
			f := rt.Val.GetColumnRef().Fields
			names[i] = f[len(f)-1].GetString_().GetSval()
		case rt.Val.GetFuncCall() != nil:
			names[i] = opName(rt.Val.GetFuncCall().Funcname)
		}
		if names[i] == "" {
			bail()
		}
	}
	return names
}

// resolveColumn finds a column reference in the scope.
func (d *viewDeparser) resolveColumn(cr *pg.ColumnRef) *vdVar {
	var qual, name string
	switch len(cr.Fields) {
	case 1:
		name = cr.Fields[0].GetString_().GetSval()
	case 2:
		qual, name = cr.Fields[0].GetString_().GetSval(), cr.Fields[1].GetString_().GetSval()
	default:
		bail()
	}
	if name == "" {
		bail()
	}
	var found *vdVar
	for _, r := range d.scope {
		if qual != "" && r.qual != qual {
			continue
		}
		for i, c := range r.rel.Names {
			if c == name {
				if found != nil {
					bail() // ambiguous
				}
				found = &vdVar{qual: r.qual, col: c, oid: r.rel.Types[i]}
			}
		}
	}
	if found == nil {
		bail()
	}
	return found
}

// boolExpr is a condition: it must come out boolean.
func (d *viewDeparser) boolExpr(n *pg.Node) vdNode {
	e := d.expr(n)
	if e.typ() != pgtypes.OIDBool {
		bail()
	}
	return e
}

// expr types and prints one expression of the parse tree.
func (d *viewDeparser) expr(n *pg.Node) vdNode {
	switch {
	case n.GetColumnRef() != nil:
		return d.resolveColumn(n.GetColumnRef())
	case n.GetAConst() != nil:
		return constOf(n.GetAConst())
	case n.GetBoolExpr() != nil:
		be := n.GetBoolExpr()
		out := &vdBool{}
		switch be.Boolop {
		case pg.BoolExprType_AND_EXPR:
			out.op = "AND"
		case pg.BoolExprType_OR_EXPR:
			out.op = "OR"
		case pg.BoolExprType_NOT_EXPR:
			out.op = "NOT"
		default:
			bail()
		}
		for _, a := range be.Args {
			out.args = append(out.args, d.boolExpr(a))
		}
		return out
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		return &vdNull{arg: d.typed(d.expr(nt.Arg)), not: nt.Nulltesttype == pg.NullTestType_IS_NOT_NULL}
	case n.GetAExpr() != nil:
		return d.aExpr(n.GetAExpr())
	case n.GetFuncCall() != nil:
		return d.funcCall(n.GetFuncCall())
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		oid := castTypeOID(tc.TypeName)
		arg := d.expr(tc.Arg)
		if c, isConst := arg.(*vdConst); isConst {
			if c.kind != constString || (oid != pgtypes.OIDText && oid != pgtypes.OIDInt4) {
				bail()
			}
			return c.as(d, oid)
		}
		return &vdCast{arg: arg, oid: oid}
	case n.GetCaseExpr() != nil:
		return d.caseExpr(n.GetCaseExpr())
	}
	bail()
	return nil
}

// castTypeOID resolves the type of an explicit cast (no typmods).
func castTypeOID(tn *pg.TypeName) uint32 {
	if tn == nil || len(tn.Typmods) > 0 || len(tn.ArrayBounds) > 0 {
		bail()
	}
	name := opName(tn.Names)
	oids := map[string]uint32{"int4": pgtypes.OIDInt4, "integer": pgtypes.OIDInt4, "int": pgtypes.OIDInt4,
		"int8": pgtypes.OIDInt8, "bigint": pgtypes.OIDInt8, "int2": pgtypes.OIDInt2, "smallint": pgtypes.OIDInt2,
		"text": pgtypes.OIDText, "float8": pgtypes.OIDFloat8, "double precision": pgtypes.OIDFloat8,
		"numeric": pgtypes.OIDNumeric, "bool": pgtypes.OIDBool, "boolean": pgtypes.OIDBool}
	oid, ok := oids[name]
	if !ok {
		bail()
	}
	return oid
}

func (d *viewDeparser) caseExpr(ce *pg.CaseExpr) vdNode {
	if ce.Arg != nil {
		bail()
	}
	out := &vdCase{}
	var vals []vdNode
	for _, w := range ce.Args {
		cw := w.GetCaseWhen()
		out.conds = append(out.conds, d.boolExpr(cw.Expr))
		vals = append(vals, d.expr(cw.Result))
	}
	if ce.Defresult != nil {
		vals = append(vals, d.expr(ce.Defresult))
	}
	// The results' common type: every typed result must agree; string
	// literals take it (text when all are literals).
	var t uint32
	for _, v := range vals {
		if c, isConst := v.(*vdConst); isConst && c.kind == constString {
			continue
		}
		switch {
		case t == 0:
			t = v.typ()
		case t != v.typ():
			bail()
		}
	}
	if t == 0 {
		t = pgtypes.OIDText
	}
	for i, v := range vals {
		vals[i] = d.coerce(v, t)
	}
	out.vals, out.oid = vals[:len(out.conds)], t
	if ce.Defresult != nil {
		out.def = vals[len(vals)-1]
	}
	return out
}

// typed resolves a constant standing alone (an operand of IS NULL, a
// select-list item) to its own type: a string literal is text.
func (d *viewDeparser) typed(e vdNode) vdNode {
	if c, isConst := e.(*vdConst); isConst && c.kind == constString {
		return c.as(d, pgtypes.OIDText)
	}
	return e
}

// top prints a whole clause or select-list item.
func (d *viewDeparser) top(e vdNode) string {
	if c, isConst := e.(*vdConst); isConst && c.kind == constString {
		return c.as(d, pgtypes.OIDText).render(d)
	}
	return e.render(d)
}

func isInt(oid uint32) bool {
	return oid == pgtypes.OIDInt2 || oid == pgtypes.OIDInt4 || oid == pgtypes.OIDInt8
}

func vdString(oid uint32) bool { return oid == pgtypes.OIDText || oid == pgtypes.OIDVarchar }

// asText casts a varchar operand to text, as PostgreSQL's varchar (which
// has no operators of its own) is compared and concatenated.
func asText(e vdNode) vdNode {
	if e.typ() == pgtypes.OIDVarchar {
		return &vdCast{arg: e, oid: pgtypes.OIDText, implicit: true}
	}
	return e
}

// coerce converts e to type t the way parse analysis does for an operand:
// a constant becomes a constant (or an implicit cast of one) of t, a
// column of a narrower type an implicit cast.
func (d *viewDeparser) coerce(e vdNode, t uint32) vdNode {
	if e.typ() == t || isInt(e.typ()) && isInt(t) && t != pgtypes.OIDInt2 {
		if c, isConst := e.(*vdConst); isConst && c.kind == constString {
			return c.as(d, t)
		}
		return e
	}
	c, isConst := e.(*vdConst)
	switch {
	case isConst && c.kind == constString:
		return c.as(d, t)
	case isConst && c.kind == constNull:
		bail()
	case vdString(e.typ()) && t == pgtypes.OIDText:
		return asText(e)
	case isInt(e.typ()) && (t == pgtypes.OIDNumeric || t == pgtypes.OIDFloat8 || t == pgtypes.OIDFloat4),
		e.typ() == pgtypes.OIDNumeric && (t == pgtypes.OIDFloat8 || t == pgtypes.OIDFloat4):
		return &vdCast{arg: e, oid: t, implicit: true}
	}
	bail()
	return nil
}

// vdRank orders the numeric types for an operator's common type.
func vdRank(oid uint32) int { return pgtypes.NumericRank(oid) }

// binaryTypes gives both operands of a binary operator their common type
// and returns it.
func (d *viewDeparser) binaryTypes(l, r vdNode) (vdNode, vdNode, uint32) {
	lc, lok := l.(*vdConst)
	rc, rok := r.(*vdConst)
	lu, ru := lok && lc.kind == constString, rok && rc.kind == constString
	switch {
	case lu && ru:
		return lc.as(d, pgtypes.OIDText), rc.as(d, pgtypes.OIDText), pgtypes.OIDText
	case lu:
		t := r.typ()
		if t == pgtypes.OIDVarchar {
			t = pgtypes.OIDText
		}
		return lc.as(d, t), asText(r), t
	case ru:
		t := l.typ()
		if t == pgtypes.OIDVarchar {
			t = pgtypes.OIDText
		}
		return asText(l), rc.as(d, t), t
	}
	lt, rt := l.typ(), r.typ()
	if vdString(lt) && vdString(rt) {
		return asText(l), asText(r), pgtypes.OIDText
	}
	if lt == rt {
		return l, r, lt
	}
	lr, rr := vdRank(lt), vdRank(rt)
	if lr == 0 || rr == 0 {
		bail()
	}
	if isInt(lt) && isInt(rt) {
		// Cross-width integer operators exist: no cast, the wider type.
		if lr > rr {
			return l, r, lt
		}
		return l, r, rt
	}
	if lr > rr {
		return l, d.coerce(r, lt), lt
	}
	return d.coerce(l, rt), r, rt
}

func (d *viewDeparser) aExpr(a *pg.A_Expr) vdNode {
	op := opName(a.Name)
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			if op != "-" {
				bail()
			}
			r := d.expr(a.Rexpr)
			if _, isConst := r.(*vdConst); isConst || vdRank(r.typ()) == 0 {
				bail()
			}
			return &vdOp{op: op, r: r, oid: r.typ()}
		}
		l, r := d.expr(a.Lexpr), d.expr(a.Rexpr)
		switch op {
		case "=", "<>", "!=", "<", ">", "<=", ">=":
			if op == "!=" {
				op = "<>"
			}
			l, r, _ = d.binaryTypes(l, r)
			return &vdOp{op: op, l: l, r: r, oid: pgtypes.OIDBool}
		case "+", "-", "*", "/", "%":
			l, r, t := d.binaryTypes(l, r)
			if vdRank(t) == 0 {
				bail()
			}
			return &vdOp{op: op, l: l, r: r, oid: t}
		case "||":
			if !vdString(l.typ()) && !vdString(r.typ()) {
				bail()
			}
			l, r, _ = d.binaryTypes(l, r)
			return &vdOp{op: op, l: l, r: r, oid: pgtypes.OIDText}
		}
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE:
		ops := map[string]string{"~~": "~~", "!~~": "!~~", "~~*": "~~*", "!~~*": "!~~*"}
		if ops[op] == "" {
			bail()
		}
		l := asText(d.expr(a.Lexpr))
		if l.typ() != pgtypes.OIDText {
			bail()
		}
		return &vdOp{op: op, l: l, r: d.coerce(d.expr(a.Rexpr), pgtypes.OIDText), oid: pgtypes.OIDBool}
	case pg.A_Expr_Kind_AEXPR_IN:
		l := d.typed(d.expr(a.Lexpr))
		if l.typ() != pgtypes.OIDText && l.typ() != pgtypes.OIDInt4 {
			bail()
		}
		list := a.Rexpr.GetList()
		if list == nil {
			bail()
		}
		out := &vdAny{l: l, op: "=", quant: "ANY"}
		if op == "<>" {
			out.op, out.quant = "<>", "ALL"
		}
		for _, it := range list.Items {
			el := d.expr(it)
			if _, isConst := el.(*vdConst); !isConst {
				bail()
			}
			el = d.coerce(el, l.typ())
			if _, isConst := el.(*vdConst); !isConst {
				bail()
			}
			out.elems = append(out.elems, el)
		}
		return out
	}
	bail()
	return nil
}

// funcCall prints the aggregates and functions whose result types it
// knows.
func (d *viewDeparser) funcCall(f *pg.FuncCall) vdNode {
	name := opName(f.Funcname)
	if f.AggFilter != nil || len(f.AggOrder) > 0 || f.Over != nil || f.AggWithinGroup || f.FuncVariadic {
		bail()
	}
	out := &vdFunc{name: name, distinct: f.AggDistinct}
	if f.AggStar {
		if name != "count" || len(f.Args) > 0 {
			bail()
		}
		out.star, out.oid = true, pgtypes.OIDInt8
		return out
	}
	var args []vdNode
	for _, a := range f.Args {
		args = append(args, d.expr(a))
	}
	one := func() vdNode {
		if len(args) != 1 {
			bail()
		}
		if _, isConst := args[0].(*vdConst); isConst {
			bail()
		}
		return args[0]
	}
	switch name {
	case "count":
		out.args, out.oid = []vdNode{one()}, pgtypes.OIDInt8
	case "sum", "avg":
		a := one()
		t := a.typ()
		switch {
		case t == pgtypes.OIDFloat8 || t == pgtypes.OIDFloat4:
			out.oid = pgtypes.OIDFloat8
		case t == pgtypes.OIDNumeric || name == "avg" && isInt(t) || t == pgtypes.OIDInt8:
			out.oid = pgtypes.OIDNumeric
		case isInt(t):
			out.oid = pgtypes.OIDInt8
		default:
			bail()
		}
		out.args = []vdNode{a}
	case "min", "max":
		a := one()
		if a.typ() == pgtypes.OIDVarchar {
			a = asText(a)
		}
		if vdRank(a.typ()) == 0 && a.typ() != pgtypes.OIDText && a.typ() != pgtypes.OIDTimestampTZ {
			bail()
		}
		out.args, out.oid = []vdNode{a}, a.typ()
	case "upper", "lower":
		a := asText(one())
		if a.typ() != pgtypes.OIDText {
			bail()
		}
		out.args, out.oid = []vdNode{a}, pgtypes.OIDText
	case "date_trunc":
		if len(args) != 2 || args[1].typ() != pgtypes.OIDTimestampTZ {
			bail()
		}
		if _, isConst := args[1].(*vdConst); isConst {
			bail()
		}
		out.args, out.oid = []vdNode{d.coerce(args[0], pgtypes.OIDText), args[1]}, pgtypes.OIDTimestampTZ
	default:
		bail()
	}
	return out
}

// Expression nodes, typed, printed as PostgreSQL's ruleutils prints the
// analyzed expression.
type vdNode interface {
	typ() uint32
	render(d *viewDeparser) string
}

type vdVar struct {
	qual, col string
	oid       uint32
}

func (v *vdVar) typ() uint32                 { return v.oid }
func (v *vdVar) render(*viewDeparser) string { return vdIdent(v.qual) + "." + vdIdent(v.col) }

const (
	constString  = iota // a string literal: PostgreSQL's unknown type
	constInt            // an integer literal (int4, or int8 past its range)
	constNumeric        // a literal with a decimal point
	constBool
	constNull
)

type vdConst struct {
	kind int
	text string
	oid  uint32 // the constant's type once resolved; 0 for unknown
}

func constOf(c *pg.A_Const) *vdConst {
	switch {
	case c.GetIsnull():
		return &vdConst{kind: constNull}
	case c.GetIval() != nil:
		return &vdConst{kind: constInt, text: strconv.Itoa(int(c.GetIval().Ival)), oid: pgtypes.OIDInt4}
	case c.GetFval() != nil:
		s := c.GetFval().Fval
		if !strings.ContainsAny(s, ".eE") {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return &vdConst{kind: constInt, text: s, oid: pgtypes.OIDInt8}
			}
		}
		if strings.ContainsAny(s, "eE") {
			bail()
		}
		return &vdConst{kind: constNumeric, text: s, oid: pgtypes.OIDNumeric}
	case c.GetSval() != nil:
		return &vdConst{kind: constString, text: c.GetSval().Sval}
	case c.GetBoolval() != nil:
		t := "false"
		if c.GetBoolval().Boolval {
			t = "true"
		}
		return &vdConst{kind: constBool, text: t, oid: pgtypes.OIDBool}
	}
	bail()
	return nil
}

// as is a string literal given type t: PostgreSQL stores the constant of
// t it reads as.
func (c *vdConst) as(d *viewDeparser, t uint32) vdNode {
	switch t {
	case pgtypes.OIDText:
		return &vdConst{kind: constString, text: c.text, oid: t}
	case pgtypes.OIDTimestampTZ, pgtypes.OIDTimestamp, pgtypes.OIDDate:
		names := map[uint32]string{pgtypes.OIDTimestampTZ: "timestamptz", pgtypes.OIDTimestamp: "timestamp", pgtypes.OIDDate: "date"}
		v, err := d.out(c.text, names[t])
		if err != nil {
			bail()
		}
		return &vdConst{kind: constString, text: v, oid: t}
	case pgtypes.OIDInt4, pgtypes.OIDInt8:
		n, err := strconv.ParseInt(strings.TrimSpace(c.text), 10, 64)
		if err != nil || t == pgtypes.OIDInt4 && int64(int32(n)) != n {
			bail()
		}
		return &vdConst{kind: constInt, text: strconv.FormatInt(n, 10), oid: t}
	}
	bail()
	return nil
}

func (c *vdConst) typ() uint32 {
	if c.kind == constString && c.oid == 0 {
		return 0
	}
	return c.oid
}

func (c *vdConst) render(*viewDeparser) string {
	switch c.kind {
	case constString:
		return quoteLiteral(c.text) + "::" + pgtypes.TypeName(c.oid)
	case constBool:
		return c.text
	case constInt:
		if c.oid == pgtypes.OIDInt4 && !strings.HasPrefix(c.text, "-") {
			return c.text
		}
		return "'" + c.text + "'::" + pgtypes.TypeName(c.oid)
	case constNumeric:
		if !strings.HasPrefix(c.text, "-") {
			return c.text
		}
		return "'" + c.text + "'::numeric"
	}
	bail()
	return ""
}

// vdCast is a cast: implicit ones (added by parse analysis) print as
// explicit ones, as PostgreSQL does.
type vdCast struct {
	arg      vdNode
	oid      uint32
	implicit bool
}

func (c *vdCast) typ() uint32 { return c.oid }

func (c *vdCast) render(d *viewDeparser) string {
	arg := c.arg.render(d)
	if !d.pretty {
		return "(" + arg + ")::" + pgtypes.TypeName(c.oid)
	}
	if !simple(c.arg, c) {
		arg = "(" + arg + ")"
	}
	return arg + "::" + pgtypes.TypeName(c.oid)
}

type vdOp struct {
	op   string
	l, r vdNode // l nil for a prefix operator
	oid  uint32
}

func (o *vdOp) typ() uint32 { return o.oid }

func (o *vdOp) render(d *viewDeparser) string {
	var s string
	if o.l == nil {
		s = o.op + " " + d.operand(o.r, o)
	} else {
		s = d.operand(o.l, o) + " " + o.op + " " + d.operand(o.r, o)
	}
	if !d.pretty {
		return "(" + s + ")"
	}
	return s
}

// operand prints a child of parent, in parentheses where pretty printing
// needs them (without pretty printing every operator prints its own).
func (d *viewDeparser) operand(e, parent vdNode) string {
	s := e.render(d)
	if d.pretty && !simple(e, parent) {
		return "(" + s + ")"
	}
	return s
}

type vdBool struct {
	op   string
	args []vdNode
}

func (b *vdBool) typ() uint32 { return pgtypes.OIDBool }

func (b *vdBool) render(d *viewDeparser) string {
	var s string
	if b.op == "NOT" {
		s = "NOT " + d.operand(b.args[0], b)
	} else {
		parts := make([]string, len(b.args))
		for i, a := range b.args {
			parts[i] = d.operand(a, b)
		}
		s = strings.Join(parts, " "+b.op+" ")
	}
	if !d.pretty {
		return "(" + s + ")"
	}
	return s
}

type vdNull struct {
	arg vdNode
	not bool
}

func (n *vdNull) typ() uint32 { return pgtypes.OIDBool }

func (n *vdNull) render(d *viewDeparser) string {
	s := d.operand(n.arg, n) + " IS NULL"
	if n.not {
		s = d.operand(n.arg, n) + " IS NOT NULL"
	}
	if !d.pretty {
		return "(" + s + ")"
	}
	return s
}

// vdAny is x = ANY (ARRAY[...]) (an IN list) or x <> ALL (ARRAY[...]).
type vdAny struct {
	l         vdNode
	op, quant string
	elems     []vdNode
}

func (a *vdAny) typ() uint32 { return pgtypes.OIDBool }

func (a *vdAny) render(d *viewDeparser) string {
	els := make([]string, len(a.elems))
	for i, e := range a.elems {
		els[i] = e.render(d)
	}
	s := d.operand(a.l, a) + " " + a.op + " " + a.quant + " (ARRAY[" + strings.Join(els, ", ") + "])"
	if !d.pretty {
		return "(" + s + ")"
	}
	return s
}

type vdFunc struct {
	name     string
	args     []vdNode
	star     bool
	distinct bool
	oid      uint32
}

func (f *vdFunc) typ() uint32 { return f.oid }

func (f *vdFunc) render(d *viewDeparser) string {
	if f.star {
		return f.name + "(*)"
	}
	args := make([]string, len(f.args))
	for i, a := range f.args {
		args[i] = a.render(d)
	}
	s := f.name + "("
	if f.distinct {
		s += "DISTINCT "
	}
	return s + strings.Join(args, ", ") + ")"
}

// vdCase is a searched CASE, printed over several lines as a select-list
// item.
type vdCase struct {
	conds, vals []vdNode
	def         vdNode
	oid         uint32
}

func (c *vdCase) typ() uint32 { return c.oid }

func (c *vdCase) render(*viewDeparser) string {
	bail() // only as a select-list item (renderAt)
	return ""
}

// renderAt prints the CASE as a select-list item after the first: on
// lines of its own, indented as PostgreSQL indents them.
func (c *vdCase) renderAt(d *viewDeparser) string {
	var b strings.Builder
	b.WriteString("    CASE")
	for i, w := range c.conds {
		b.WriteString("\n            WHEN " + d.top(w) + " THEN " + d.top(c.vals[i]))
	}
	if c.def != nil {
		b.WriteString("\n            ELSE " + d.top(c.def))
	}
	b.WriteString("\n        END")
	return b.String()
}

// simple reports whether node needs no parentheses as a child of parent
// when printing pretty, by PostgreSQL's rules: columns, constants and
// function calls never; arithmetic under arithmetic when it binds
// tighter (or is the left operand of the same precedence); operators,
// IS NULL and NOT under AND and OR; AND under AND and OR; OR under OR.
func simple(node, parent vdNode) bool {
	switch n := node.(type) {
	case *vdVar, *vdConst, *vdFunc:
		return true
	case *vdCast:
		return true
	case *vdOp:
		if p, isOp := parent.(*vdOp); isOp {
			prio := func(op string) int {
				switch op {
				case "+", "-":
					return 1
				case "*", "/", "%":
					return 2
				}
				return 0
			}
			if n.l == nil || p.l == nil {
				return false
			}
			np, pp := prio(n.op), prio(p.op)
			switch {
			case np == 0 || pp == 0:
				return false
			case np > pp:
				return true
			case np < pp:
				return false
			}
			return node == p.l
		}
		_, isBool := parent.(*vdBool)
		return isBool
	case *vdNull, *vdAny:
		if _, isAny := node.(*vdAny); isAny {
			return false
		}
		_, isBool := parent.(*vdBool)
		return isBool
	case *vdBool:
		p, isBool := parent.(*vdBool)
		if !isBool {
			return false
		}
		switch n.op {
		case "NOT", "AND":
			return p.op == "AND" || p.op == "OR"
		case "OR":
			return p.op == "OR"
		}
	}
	return false
}

// vdIdent quotes an identifier where PostgreSQL's quote_ident would.
func vdIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			plain = false
		}
	}
	if plain && !reservedIdent[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedIdent are keywords PostgreSQL quotes as column names (the
// reserved ones an observability schema is likely to use).
var reservedIdent = map[string]bool{"user": true, "order": true, "group": true, "select": true, "from": true,
	"where": true, "limit": true, "offset": true, "table": true, "all": true, "and": true, "or": true, "not": true,
	"to": true, "desc": true, "asc": true, "end": true, "case": true, "when": true, "then": true, "else": true,
	"default": true, "check": true, "column": true, "primary": true, "references": true, "using": true, "window": true,
	"having": true, "union": true, "analyse": true, "analyze": true, "array": true, "as": true, "both": true,
	"cast": true, "collate": true, "constraint": true, "create": true, "current_date": true, "current_time": true,
	"current_timestamp": true, "current_user": true, "distinct": true, "do": true, "except": true, "false": true,
	"fetch": true, "for": true, "foreign": true, "grant": true, "in": true, "initially": true, "intersect": true,
	"into": true, "lateral": true, "leading": true, "localtime": true, "localtimestamp": true, "null": true,
	"on": true, "only": true, "placing": true, "returning": true, "session_user": true, "some": true,
	"symmetric": true, "trailing": true, "true": true, "unique": true, "variadic": true, "with": true, "any": true}
