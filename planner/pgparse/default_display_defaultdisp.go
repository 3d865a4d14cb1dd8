package pgparse

import (
	"fmt"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/storage"
)

// Display of column DEFAULT expressions (docs/design/075). PostgreSQL
// stores a DEFAULT analyzed (constants converted to their resolved types,
// the whole coerced to the column's type) and shows it deparsed by
// ruleutils: pg_get_expr(adbin, adrelid), information_schema.columns,
// psql's \d, pgjdbc's getColumns. DisplayDefault redoes that analysis for
// the expressions a DEFAULT may hold and prints the result the way
// ruleutils prints it (pg_get_expr's pretty flags: indented CASE, every
// operator parenthesized).

// ConstOutput returns the output text (the type's output function) of the
// literal lit read as a value of type typ (OpenWit's type names: "int4",
// "timestamptz", "interval", "text[]", ...). The caller evaluates it, in
// the session's TimeZone for the types that depend on it.
type ConstOutput func(lit, typ string) (string, error)

// DisplayDefault returns PostgreSQL's display of the DEFAULT expression
// text (as stored in catalog.Column.Default) of a column of type colType.
func DisplayDefault(text, colType string, out ConstOutput) (string, error) {
	return displayDefault(text, colType, out, false)
}

// PrettyDefault returns pg_get_expr's pretty form (pg_get_expr(adbin,
// adrelid, true), psql's \d) of a DEFAULT's display text (DisplayDefault's
// result) on a column of type colType ("": not known): the same text
// with only the parentheses precedence needs.
func PrettyDefault(display, colType string) (string, error) {
	return displayDefault(display, colType, func(lit, _ string) (string, error) { return lit, nil }, true)
}

func displayDefault(text, colType string, out ConstOutput, pretty bool) (string, error) {
	sts, err := pg.Parse("SELECT " + text)
	if err != nil {
		return "", err
	}
	if len(sts.Stmts) != 1 {
		return "", fmt.Errorf("DEFAULT %s: not one expression", text)
	}
	sel := sts.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return "", fmt.Errorf("DEFAULT %s: not one expression", text)
	}
	d := &defaultDisplay{out: out, pretty: pretty}
	v, err := d.analyze(sel.TargetList[0].GetResTarget().Val)
	if err != nil {
		return "", err
	}
	// The coercion to the column's type is implicit: not shown, but an
	// untyped literal becomes a constant of the column's type (without
	// its typmod, which a hidden length coercion applies).
	v, err = d.coerce(v, baseOfType(colType), false)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	// The coercion to the column's type is a node of its own, hidden, but
	// in pretty mode an operator under it is parenthesized as under a
	// cast (ruleutils' isSimpleNode).
	// A column declared numeric is stored as OpenWit's default
	// numeric(p,s), which PostgreSQL's numeric has no typmod for.
	typmod := strings.Contains(colType, "(") && colType != fmt.Sprintf("numeric(%d,%d)", storage.DefaultNumericPrecision, storage.DefaultNumericScale)
	hidden := v.typ != "" && v.typ != "unknown" && colType != "" && (v.typ != baseOfType(colType) || typmod)
	if d.pretty && hidden && !isSimple(v, &dexpr{kind: kindCast}, true) {
		b.WriteString("(")
		d.render(&b, v, false)
		b.WriteString(")")
	} else {
		d.render(&b, v, false)
	}
	return b.String(), nil
}

// dexpr is one analyzed node: its resolved type and how to print it.
type dexpr struct {
	typ string // OpenWit type name; "unknown": an untyped literal or NULL; "": not known here
	// A constant: its output text (for "unknown" the literal as written).
	isConst bool
	null    bool
	val     string
	// Otherwise print writes it (at indentation level ind).
	print func(b *strings.Builder, d *defaultDisplay)
	// implicit is an implicit cast of arg to typ: shown as (arg)::typ
	// where PostgreSQL shows implicit casts (operands, arguments), as arg
	// at the top.
	implicit *dexpr
	kind     dkind  // for the parentheses of pretty printing
	op       string // kindOp: the operator; kindBool: AND, OR or NOT
	unary    bool   // kindOp: a prefix operator
}

// dkind is the shape of a node as ruleutils' isSimpleNode sees it.
type dkind int

const (
	kindFunc     dkind = iota // function-like: calls, constants, CASE, ARRAY[...]
	kindOp                    // an operator
	kindCast                  // a cast written as ::type
	kindBool                  // AND, OR, NOT
	kindNullTest              // IS [NOT] NULL
)

type defaultDisplay struct {
	out    ConstOutput
	indent int
	// pretty is pg_get_expr's pretty mode (psql's \d): parentheses only
	// where precedence needs them.
	pretty bool
}

// open and close write an operator's own parentheses, which pretty mode
// leaves to the parent (child).
func (d *defaultDisplay) open(b *strings.Builder) {
	if !d.pretty {
		b.WriteString("(")
	}
}

func (d *defaultDisplay) close(b *strings.Builder) {
	if !d.pretty {
		b.WriteString(")")
	}
}

// child writes an operand of parent (ruleutils' get_rule_expr_paren):
// in pretty mode in parentheses unless isSimple says they are not needed.
func (d *defaultDisplay) child(b *strings.Builder, v, parent *dexpr, left bool) {
	if d.pretty && !isSimple(v, parent, left) {
		b.WriteString("(")
		d.render(b, v, true)
		b.WriteString(")")
		return
	}
	d.render(b, v, true)
}

// nodeKind is v's kind as printed (an implicit cast shown is a cast).
func nodeKind(v *dexpr) dkind {
	if v.implicit != nil {
		return kindCast
	}
	return v.kind
}

// isSimple is ruleutils' isSimpleNode for the node kinds here.
func isSimple(v, parent *dexpr, left bool) bool {
	pk := nodeKind(parent)
	switch nodeKind(v) {
	case kindFunc:
		return true
	case kindCast:
		return true
	case kindOp:
		if pk == kindOp {
			if v.unary || parent.unary {
				return false
			}
			lo, hi := strings.Contains("+-", v.op) && len(v.op) == 1, strings.Contains("*/%", v.op) && len(v.op) == 1
			plo, phi := strings.Contains("+-", parent.op) && len(parent.op) == 1, strings.Contains("*/%", parent.op) && len(parent.op) == 1
			switch {
			case !(lo || hi) || !(plo || phi):
				return false
			case hi && plo:
				return true
			case lo && phi:
				return false
			}
			return left
		}
		return pk == kindBool
	case kindNullTest:
		return pk == kindBool
	case kindBool:
		if pk == kindBool {
			switch v.op {
			case "NOT", "AND":
				return parent.op == "AND" || parent.op == "OR"
			case "OR":
				return parent.op == "OR"
			}
		}
		return false
	}
	return false
}

func baseOfType(t string) string {
	if i := strings.IndexByte(t, '('); i >= 0 && !strings.HasSuffix(t, "[]") {
		return t[:i]
	}
	return t
}

// displayTypeName is PostgreSQL's format_type of an OpenWit type name.
func displayTypeName(t string) string {
	if e, ok := strings.CutSuffix(t, "[]"); ok {
		return displayTypeName(e) + "[]"
	}
	base, mod, hasMod := strings.Cut(t, "(")
	names := map[string]string{
		"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real", "float8": "double precision",
		"bool": "boolean", "varchar": "character varying", "time": "time without time zone",
		"timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
		"timetz": "time with time zone",
	}
	if hasMod {
		switch base {
		case "bpchar":
			return "character(" + mod
		case "timestamp":
			return "timestamp(" + mod + " without time zone"
		case "timestamptz":
			return "timestamp(" + mod + " with time zone"
		case "time":
			return "time(" + mod + " without time zone"
		}
		if n, ok := names[base]; ok {
			return n + "(" + mod
		}
		return t
	}
	if n, ok := names[t]; ok {
		return n
	}
	return t
}

// exprTypeName maps a TypeName of a cast to an OpenWit type name, with
// its typmod ("varchar(2)", "numeric(10,2)") and array suffix.
func exprTypeName(tn *pg.TypeName) (string, error) {
	var parts []string
	for _, n := range tn.Names {
		parts = append(parts, n.GetString_().GetSval())
	}
	name := strings.ToLower(parts[len(parts)-1])
	aliases := map[string]string{
		"int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8", "real": "float4",
		"float": "float8", "double precision": "float8", "boolean": "bool", "decimal": "numeric",
		"character varying": "varchar", "char": "bpchar", "character": "bpchar",
	}
	if a, ok := aliases[name]; ok {
		name = a
	}
	var mods []string
	for _, m := range tn.Typmods {
		c := m.GetAConst()
		if c == nil || c.GetIval() == nil {
			return "", fmt.Errorf("type modifier of %s", name)
		}
		mods = append(mods, strconv.Itoa(int(c.GetIval().Ival)))
	}
	if name == "bpchar" && len(mods) == 0 && len(parts) == 1 && strings.EqualFold(parts[0], "char") {
		mods = []string{"1"}
	}
	if len(mods) > 0 {
		name += "(" + strings.Join(mods, ",") + ")"
	}
	if len(tn.ArrayBounds) > 0 {
		name += "[]"
	}
	return name, nil
}

func (d *defaultDisplay) constant(typ, val string) *dexpr {
	return &dexpr{typ: typ, isConst: true, val: val}
}

// analyze resolves the types of a raw expression as PostgreSQL's parse
// analysis does for the shapes a DEFAULT holds.
func (d *defaultDisplay) analyze(n *pg.Node) (*dexpr, error) {
	switch x := n.Node.(type) {
	case *pg.Node_AConst:
		return d.aconst(x.AConst)
	case *pg.Node_TypeCast:
		return d.typeCast(x.TypeCast)
	case *pg.Node_SqlvalueFunction:
		return sqlValueFunction(x.SqlvalueFunction)
	case *pg.Node_AExpr:
		return d.aexpr(x.AExpr)
	case *pg.Node_BoolExpr:
		return d.boolExpr(x.BoolExpr)
	case *pg.Node_FuncCall:
		return d.funcCall(x.FuncCall)
	case *pg.Node_CaseExpr:
		return d.caseExpr(x.CaseExpr)
	case *pg.Node_CoalesceExpr:
		return d.variadicExpr("COALESCE", x.CoalesceExpr.Args)
	case *pg.Node_MinMaxExpr:
		name := "GREATEST"
		if x.MinMaxExpr.Op == pg.MinMaxOp_IS_LEAST {
			name = "LEAST"
		}
		return d.variadicExpr(name, x.MinMaxExpr.Args)
	case *pg.Node_AArrayExpr:
		return d.arrayExpr(x.AArrayExpr, "")
	case *pg.Node_NullTest:
		arg, err := d.analyze(x.NullTest.Arg)
		if err != nil {
			return nil, err
		}
		op := " IS NULL"
		if x.NullTest.Nulltesttype == pg.NullTestType_IS_NOT_NULL {
			op = " IS NOT NULL"
		}
		n := &dexpr{typ: "bool", kind: kindNullTest}
		n.print = func(b *strings.Builder, d *defaultDisplay) {
			d.open(b)
			d.child(b, arg, n, true)
			b.WriteString(op)
			d.close(b)
		}
		return n, nil
	}
	text, err := deparseExpr(n)
	if err != nil {
		return nil, err
	}
	return &dexpr{print: func(b *strings.Builder, _ *defaultDisplay) { b.WriteString(text) }}, nil
}

// aconst is a literal as PostgreSQL's make_const types it: an integer
// that fits int4 is int4, one that fits int8 int8, other numbers numeric,
// strings and NULL unknown.
func (d *defaultDisplay) aconst(c *pg.A_Const) (*dexpr, error) {
	switch {
	case c.Isnull:
		return &dexpr{typ: "unknown", isConst: true, null: true}, nil
	case c.GetIval() != nil:
		return d.constant("int4", strconv.Itoa(int(c.GetIval().Ival))), nil
	case c.GetFval() != nil:
		s := c.GetFval().Fval
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return d.constant("int8", s), nil
		}
		v, err := d.out(s, "numeric")
		if err != nil {
			return nil, err
		}
		return d.constant("numeric", v), nil
	case c.GetBoolval() != nil:
		if c.GetBoolval().Boolval {
			return d.constant("bool", "true"), nil
		}
		return d.constant("bool", "false"), nil
	case c.GetSval() != nil:
		return d.constant("unknown", c.GetSval().Sval), nil
	}
	return nil, fmt.Errorf("DEFAULT: this literal is not supported")
}

func (d *defaultDisplay) typeCast(tc *pg.TypeCast) (*dexpr, error) {
	typ, err := exprTypeName(tc.TypeName)
	if err != nil {
		return nil, err
	}
	if ae := tc.Arg.GetAArrayExpr(); ae != nil {
		elem, _ := strings.CutSuffix(typ, "[]")
		return d.arrayExpr(ae, elem)
	}
	arg, err := d.analyze(tc.Arg)
	if err != nil {
		return nil, err
	}
	base := baseOfType(typ)
	if arg.typ == "unknown" || arg.typ == base && base != typ {
		// An untyped literal becomes a constant of the type; a typmod is
		// applied by a length coercion shown as the cast.
		c, err := d.coerce(arg, base, false)
		if err != nil {
			return nil, err
		}
		if base == typ {
			return c, nil
		}
		n := &dexpr{typ: base, kind: kindCast}
		n.print = func(b *strings.Builder, d *defaultDisplay) {
			if c.isConst {
				d.constText(b, c, -1)
			} else {
				d.castArg(b, c, n)
			}
			b.WriteString("::" + displayTypeName(typ))
		}
		return n, nil
	}
	if arg.typ == typ {
		return arg, nil
	}
	n := &dexpr{typ: base, kind: kindCast}
	n.print = func(b *strings.Builder, d *defaultDisplay) {
		d.castArg(b, arg, n)
		b.WriteString("::" + displayTypeName(typ))
	}
	return n, nil
}

// castArg writes the argument of a cast: in parentheses, in pretty mode
// only where it is not a simple node (get_coercion_expr).
func (d *defaultDisplay) castArg(b *strings.Builder, arg, cast *dexpr) {
	if d.pretty {
		d.child(b, arg, cast, true)
		return
	}
	b.WriteString("(")
	d.render(b, arg, false)
	b.WriteString(")")
}

func sqlValueFunction(f *pg.SQLValueFunction) (*dexpr, error) {
	var name, typ string
	switch f.Op {
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		name, typ = "CURRENT_DATE", "date"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
		name, typ = "CURRENT_TIME", "timetz"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		name, typ = "CURRENT_TIMESTAMP", "timestamptz"
	case pg.SQLValueFunctionOp_SVFOP_LOCALTIME, pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		name, typ = "LOCALTIME", "time"
	case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		name, typ = "LOCALTIMESTAMP", "timestamp"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		name, typ = "CURRENT_ROLE", "name"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER:
		name, typ = "CURRENT_USER", "name"
	case pg.SQLValueFunctionOp_SVFOP_USER:
		name, typ = "USER", "name"
	case pg.SQLValueFunctionOp_SVFOP_SESSION_USER:
		name, typ = "SESSION_USER", "name"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		name, typ = "CURRENT_CATALOG", "name"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		name, typ = "CURRENT_SCHEMA", "name"
	default:
		return nil, fmt.Errorf("DEFAULT: SQL value function %v", f.Op)
	}
	switch f.Op {
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N,
		pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		name += "(" + strconv.Itoa(int(f.Typmod)) + ")"
	}
	return &dexpr{typ: typ, print: func(b *strings.Builder, _ *defaultDisplay) { b.WriteString(name) }}, nil
}

// numericRank orders the numeric types by PostgreSQL's implicit casts:
// a lower rank converts implicitly to a higher one.
var numericRank = map[string]int{"int2": 1, "int4": 2, "int8": 3, "numeric": 4, "float4": 5, "float8": 6}

func isIntType(t string) bool { return t == "int2" || t == "int4" || t == "int8" }

func isStringType(t string) bool {
	return t == "text" || t == "varchar" || t == "bpchar" || t == "name"
}

// binaryOp resolves the operand types of a binary operator: the types its
// operands are converted to (implicitly, shown) and its result type.
func binaryOp(op, l, r string) (lt, rt, res string) {
	cmp := op == "<" || op == ">" || op == "=" || op == "<=" || op == ">=" || op == "<>" || op == "!="
	switch {
	case l == "unknown" && r == "unknown":
		if op == "||" || cmp {
			lt, rt = "text", "text"
		} else {
			lt, rt = "", ""
		}
	case l == "unknown":
		lt, rt = unknownPeer(op, r), r
	case r == "unknown":
		lt, rt = l, unknownPeer(op, l)
	default:
		lt, rt = l, r
	}
	if op == "||" {
		if isStringType(lt) && isStringType(rt) {
			if lt != "text" {
				lt = "text"
			}
			if rt != "text" {
				rt = "text"
			}
		}
		return lt, rt, "text"
	}
	_, lnum := numericRank[lt]
	_, rnum := numericRank[rt]
	if lnum && rnum {
		c := lt
		if op == "^" {
			c = "float8"
			if lt == "numeric" || rt == "numeric" {
				c = "numeric"
			}
		}
		if numericRank[rt] > numericRank[c] {
			c = rt
		}
		if !(isIntType(lt) && isIntType(rt) && op != "^") {
			lt, rt = c, c
		}
		if cmp {
			return lt, rt, "bool"
		}
		if isIntType(lt) && isIntType(rt) {
			// The cross-type integer operators return the wider type.
			if numericRank[rt] > numericRank[lt] {
				return lt, rt, rt
			}
			return lt, rt, lt
		}
		return lt, rt, c
	}
	if cmp {
		if isStringType(lt) && isStringType(rt) {
			return "text", "text", "bool"
		}
		return lt, rt, "bool"
	}
	switch {
	case (lt == "timestamptz" || lt == "timestamp" || lt == "date" || lt == "time") && rt == "interval" && (op == "+" || op == "-"):
		if lt == "date" {
			return "timestamp", rt, "timestamp"
		}
		return lt, rt, lt
	case lt == "interval" && (rt == "timestamptz" || rt == "timestamp") && op == "+":
		return lt, rt, rt
	case lt == "date" && isIntType(rt) && (op == "+" || op == "-"):
		return lt, "int4", "date"
	case lt == "date" && rt == "date" && op == "-":
		return lt, rt, "int4"
	case (lt == "timestamptz" || lt == "timestamp") && lt == rt && op == "-":
		return lt, rt, "interval"
	case lt == "interval" && rt == "interval":
		return lt, rt, lt
	}
	return lt, rt, ""
}

// unknownPeer is the type an untyped literal operand takes beside an
// operand of type other: PostgreSQL first tries the same type.
func unknownPeer(op, other string) string {
	if op == "||" {
		return "text"
	}
	switch other {
	case "timestamptz", "timestamp", "date", "time":
		if op == "+" || op == "-" {
			return "interval"
		}
	}
	return other
}

func (d *defaultDisplay) aexpr(e *pg.A_Expr) (*dexpr, error) {
	switch {
	case e.Kind == pg.A_Expr_Kind_AEXPR_NULLIF:
		return d.variadicExpr("NULLIF", []*pg.Node{e.Lexpr, e.Rexpr})
	case (e.Kind == pg.A_Expr_Kind_AEXPR_OP_ANY || e.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL) && len(e.Name) == 1:
		return d.arrayOp(e)
	}
	if e.Kind != pg.A_Expr_Kind_AEXPR_OP || len(e.Name) != 1 {
		text, err := deparseExpr(&pg.Node{Node: &pg.Node_AExpr{AExpr: e}})
		if err != nil {
			return nil, err
		}
		return &dexpr{print: func(b *strings.Builder, _ *defaultDisplay) { b.WriteString(text) }}, nil
	}
	op := e.Name[0].GetString_().GetSval()
	r, err := d.analyze(e.Rexpr)
	if err != nil {
		return nil, err
	}
	if e.Lexpr == nil {
		if r.typ == "unknown" {
			return nil, fmt.Errorf("DEFAULT: operator %s of an untyped literal", op)
		}
		n := &dexpr{typ: r.typ, kind: kindOp, op: op, unary: true}
		n.print = func(b *strings.Builder, d *defaultDisplay) {
			d.open(b)
			b.WriteString(op + " ")
			d.child(b, r, n, true)
			d.close(b)
		}
		return n, nil
	}
	l, err := d.analyze(e.Lexpr)
	if err != nil {
		return nil, err
	}
	lt, rt, res := binaryOp(op, l.typ, r.typ)
	if l, err = d.coerce(l, lt, true); err != nil {
		return nil, err
	}
	if r, err = d.coerce(r, rt, true); err != nil {
		return nil, err
	}
	n := &dexpr{typ: res, kind: kindOp, op: op}
	n.print = func(b *strings.Builder, d *defaultDisplay) {
		d.open(b)
		d.child(b, l, n, true)
		b.WriteString(" " + op + " ")
		d.child(b, r, n, false)
		d.close(b)
	}
	return n, nil
}

// arrayOp is x op ANY (array) and x op ALL (array) (ruleutils'
// ScalarArrayOpExpr): an untyped side takes the other's (element) type.
func (d *defaultDisplay) arrayOp(e *pg.A_Expr) (*dexpr, error) {
	op := e.Name[0].GetString_().GetSval()
	l, err := d.analyze(e.Lexpr)
	if err != nil {
		return nil, err
	}
	r, err := d.analyze(e.Rexpr)
	if err != nil {
		return nil, err
	}
	if elem, ok := strings.CutSuffix(r.typ, "[]"); ok && l.typ == "unknown" {
		if l, err = d.coerce(l, elem, true); err != nil {
			return nil, err
		}
	} else if r.typ == "unknown" && l.typ != "unknown" && l.typ != "" {
		if r, err = d.coerce(r, l.typ+"[]", true); err != nil {
			return nil, err
		}
	}
	word := "ANY"
	if e.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL {
		word = "ALL"
	}
	n := &dexpr{typ: "bool", kind: kindNullTest}
	n.print = func(b *strings.Builder, d *defaultDisplay) {
		d.open(b)
		d.child(b, l, n, true)
		b.WriteString(" " + op + " " + word + " (")
		d.child(b, r, n, false)
		b.WriteString(")")
		d.close(b)
	}
	return n, nil
}

func (d *defaultDisplay) boolExpr(e *pg.BoolExpr) (*dexpr, error) {
	var args []*dexpr
	for _, a := range e.Args {
		v, err := d.analyze(a)
		if err != nil {
			return nil, err
		}
		if v, err = d.coerce(v, "bool", true); err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	n := &dexpr{typ: "bool", kind: kindBool, op: "AND"}
	switch e.Boolop {
	case pg.BoolExprType_OR_EXPR:
		n.op = "OR"
	case pg.BoolExprType_NOT_EXPR:
		n.op = "NOT"
		n.print = func(b *strings.Builder, d *defaultDisplay) {
			d.open(b)
			b.WriteString("NOT ")
			d.child(b, args[0], n, true)
			d.close(b)
		}
		return n, nil
	}
	n.print = func(b *strings.Builder, d *defaultDisplay) {
		d.open(b)
		for i, a := range args {
			if i > 0 {
				b.WriteString(" " + n.op + " ")
			}
			d.child(b, a, n, i == 0)
		}
		d.close(b)
	}
	return n, nil
}

// commonType is the type PostgreSQL's select_common_type picks for
// vals: the first known type, widened along the numeric types; text when
// all are untyped.
func commonType(vals []*dexpr) string {
	c := ""
	for _, v := range vals {
		switch {
		case v.typ == "unknown" || v.typ == "":
		case c == "":
			c = v.typ
		case numericRank[v.typ] > numericRank[c] && numericRank[c] > 0:
			c = v.typ
		case isStringType(c) && isStringType(v.typ) && c != v.typ:
			c = "text"
		}
	}
	if c == "" {
		return "text"
	}
	return c
}

func (d *defaultDisplay) variadicExpr(name string, argNodes []*pg.Node) (*dexpr, error) {
	var args []*dexpr
	for _, a := range argNodes {
		v, err := d.analyze(a)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	typ := commonType(args)
	for i := range args {
		var err error
		if args[i], err = d.coerce(args[i], typ, true); err != nil {
			return nil, err
		}
	}
	return callExpr(typ, name, args), nil
}

func (d *defaultDisplay) arrayExpr(e *pg.A_ArrayExpr, elem string) (*dexpr, error) {
	var elems []*dexpr
	for _, a := range e.Elements {
		v, err := d.analyze(a)
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
	}
	typ := elem
	if typ == "" {
		if len(elems) == 0 {
			return nil, fmt.Errorf("cannot determine type of empty array")
		}
		typ = commonType(elems)
	}
	for i := range elems {
		var err error
		if elems[i], err = d.coerce(elems[i], baseOfType(typ), true); err != nil {
			return nil, err
		}
	}
	return &dexpr{typ: baseOfType(typ) + "[]", print: func(b *strings.Builder, d *defaultDisplay) {
		b.WriteString("ARRAY[")
		for i, a := range elems {
			if i > 0 {
				b.WriteString(", ")
			}
			d.render(b, a, true)
		}
		b.WriteString("]")
		if len(elems) == 0 {
			b.WriteString("::" + displayTypeName(typ) + "[]")
		}
	}}, nil
}

func (d *defaultDisplay) caseExpr(e *pg.CaseExpr) (*dexpr, error) {
	var arg *dexpr
	var err error
	if e.Arg != nil {
		if arg, err = d.analyze(e.Arg); err != nil {
			return nil, err
		}
	}
	type when struct{ cond, result *dexpr }
	var whens []when
	var results []*dexpr
	for _, w := range e.Args {
		cw := w.GetCaseWhen()
		c, err := d.analyze(cw.Expr)
		if err != nil {
			return nil, err
		}
		r, err := d.analyze(cw.Result)
		if err != nil {
			return nil, err
		}
		if arg == nil {
			if c, err = d.coerce(c, "bool", true); err != nil {
				return nil, err
			}
		} else {
			_, ct, _ := binaryOp("=", arg.typ, c.typ)
			if c, err = d.coerce(c, ct, true); err != nil {
				return nil, err
			}
		}
		whens = append(whens, when{c, r})
		results = append(results, r)
	}
	var def *dexpr
	if e.Defresult != nil {
		if def, err = d.analyze(e.Defresult); err != nil {
			return nil, err
		}
		results = append(results, def)
	}
	typ := commonType(results)
	if def == nil {
		def = &dexpr{typ: typ, isConst: true, null: true}
	}
	for i := range whens {
		if whens[i].result, err = d.coerce(whens[i].result, typ, true); err != nil {
			return nil, err
		}
	}
	if def, err = d.coerce(def, typ, true); err != nil {
		return nil, err
	}
	return &dexpr{typ: typ, print: func(b *strings.Builder, d *defaultDisplay) {
		d.keyword(b, "CASE", 0, 4, 0)
		if arg != nil {
			b.WriteString(" ")
			d.render(b, arg, true)
		}
		for _, w := range whens {
			d.keyword(b, "WHEN ", 0, 0, 0)
			d.render(b, w.cond, false)
			b.WriteString(" THEN ")
			d.render(b, w.result, true)
		}
		d.keyword(b, "ELSE ", 0, 0, 0)
		d.render(b, def, true)
		d.keyword(b, "END", -4, 0, 0)
	}}, nil
}

// keyword is ruleutils' appendContextKeyword with indentation on.
func (d *defaultDisplay) keyword(b *strings.Builder, s string, before, after, plus int) {
	d.indent += before
	trimmed := strings.TrimRight(b.String(), " ")
	b.Reset()
	b.WriteString(trimmed)
	b.WriteString("\n")
	b.WriteString(strings.Repeat(" ", max(d.indent, 0)+plus))
	b.WriteString(s)
	d.indent = max(d.indent+after, 0)
}

// funcSig is what the display needs of a function: its parameter types
// (an untyped literal argument becomes a constant of that type; "" leaves
// it untyped, as for "any" parameters; "=" is the first argument's type)
// and its result type ("=": the first argument's).
type funcSig struct {
	params []string
	rest   string // type of the arguments past params
	result string
}

var defaultFuncs = map[string]funcSig{
	"now": {result: "timestamptz"}, "statement_timestamp": {result: "timestamptz"},
	"transaction_timestamp": {result: "timestamptz"}, "clock_timestamp": {result: "timestamptz"},
	"random": {result: "float8"}, "pi": {result: "float8"}, "gen_random_uuid": {result: "uuid"},
	"timeofday": {result: "text"}, "version": {result: "text"},
	"upper": {params: []string{"text"}, result: "text"}, "lower": {params: []string{"text"}, result: "text"},
	"initcap": {params: []string{"text"}, result: "text"}, "md5": {params: []string{"text"}, result: "text"},
	"length": {params: []string{"text"}, result: "int4"}, "char_length": {params: []string{"text"}, result: "int4"},
	"btrim": {params: []string{"text", "text"}, result: "text"}, "ltrim": {params: []string{"text", "text"}, result: "text"},
	"rtrim": {params: []string{"text", "text"}, result: "text"}, "reverse": {params: []string{"text"}, result: "text"},
	"replace": {params: []string{"text", "text", "text"}, result: "text"},
	"lpad":    {params: []string{"text", "int4", "text"}, result: "text"}, "rpad": {params: []string{"text", "int4", "text"}, result: "text"},
	"left": {params: []string{"text", "int4"}, result: "text"}, "right": {params: []string{"text", "int4"}, result: "text"},
	"repeat": {params: []string{"text", "int4"}, result: "text"}, "substr": {params: []string{"text", "int4", "int4"}, result: "text"},
	"split_part": {params: []string{"text", "text", "int4"}, result: "text"},
	"concat":     {rest: "", result: "text"}, "concat_ws": {params: []string{"text"}, rest: "", result: "text"},
	"format":             {params: []string{"text"}, rest: "", result: "text"},
	"jsonb_build_object": {rest: "", result: "jsonb"}, "jsonb_build_array": {rest: "", result: "jsonb"},
	"json_build_object": {rest: "", result: "json"}, "json_build_array": {rest: "", result: "json"},
	"date_trunc":   {params: []string{"text", "timestamptz", "text"}, result: "="},
	"to_char":      {params: []string{"timestamptz", "text"}, result: "text"},
	"to_timestamp": {params: []string{"float8"}, result: "timestamptz"},
	"abs":          {params: []string{"="}, result: "="}, "round": {params: []string{"=", "int4"}, result: "="},
	"floor": {params: []string{"="}, result: "="}, "ceil": {params: []string{"="}, result: "="},
	"trunc": {params: []string{"="}, result: "="}, "sqrt": {params: []string{"float8"}, result: "float8"},
	"date_part":    {params: []string{"text", "="}, result: "float8"},
	"txid_current": {result: "int8"}, "pg_backend_pid": {result: "int4"},
	"current_setting": {params: []string{"text"}, result: "text"}, "inet_client_addr": {result: "inet"},
	"to_jsonb": {params: []string{"text"}, result: "jsonb"}, "uuid_generate_v4": {result: "uuid"},
}

func (d *defaultDisplay) funcCall(fc *pg.FuncCall) (*dexpr, error) {
	name := funcCallName(fc)
	var args []*dexpr
	for _, a := range fc.Args {
		v, err := d.analyze(a)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	if name == "extract" && fc.Funcformat == pg.CoercionForm_COERCE_SQL_SYNTAX && len(args) == 2 && args[0].isConst && args[0].typ == "unknown" {
		// EXTRACT(field FROM source): ruleutils prints the SQL syntax.
		field, src := args[0].val, args[1]
		return &dexpr{typ: "numeric", print: func(b *strings.Builder, d *defaultDisplay) {
			b.WriteString("EXTRACT(" + field + " FROM ")
			d.render(b, src, false)
			b.WriteString(")")
		}}, nil
	}
	if name == "timezone" && fc.Funcformat == pg.CoercionForm_COERCE_SQL_SYNTAX && len(args) == 2 {
		return d.atTimeZone(args[0], args[1])
	}
	sig, known := defaultFuncs[name]
	if !known {
		sig = funcSig{rest: "text", result: ""}
	}
	first := ""
	if len(args) > 0 {
		first = args[0].typ
	}
	for i := range args {
		p := sig.rest
		if i < len(sig.params) {
			p = sig.params[i]
		}
		if p == "=" {
			p = first
			if p == "unknown" {
				p = "text"
			}
		}
		if p == "timestamptz" && (args[i].typ == "timestamp" || args[i].typ == "date" && name != "date_trunc") {
			p = args[i].typ
		}
		if p == "" {
			continue
		}
		var err error
		if args[i], err = d.coerce(args[i], p, true); err != nil {
			return nil, err
		}
	}
	res := sig.result
	if res == "=" {
		res = ""
		if len(args) > 1 {
			res = args[1].typ
		} else if len(args) > 0 {
			res = args[0].typ
		}
		if name == "abs" || name == "round" || name == "floor" || name == "ceil" || name == "trunc" {
			res = args[0].typ
		}
	}
	printName := name
	if len(fc.Funcname) == 2 && fc.Funcname[0].GetString_().GetSval() != "pg_catalog" {
		printName = fc.Funcname[0].GetString_().GetSval() + "." + name
	}
	return callExpr(res, printName, args), nil
}

// atTimeZone is source AT TIME ZONE zone (the function timezone(zone,
// source)): a timestamptz becomes a timestamp and the reverse; an
// untyped zone is text.
func (d *defaultDisplay) atTimeZone(zone, src *dexpr) (*dexpr, error) {
	var err error
	if zone.typ == "unknown" {
		if zone, err = d.coerce(zone, "text", true); err != nil {
			return nil, err
		}
	}
	if src.typ == "unknown" {
		if src, err = d.coerce(src, "timestamptz", true); err != nil {
			return nil, err
		}
	}
	typ := ""
	switch src.typ {
	case "timestamptz":
		typ = "timestamp"
	case "timestamp":
		typ = "timestamptz"
	}
	n := &dexpr{typ: typ}
	// In parentheses also in pretty mode; its operands are
	// parenthesized as under a cast (a function call in SQL syntax).
	p := &dexpr{kind: kindCast}
	n.print = func(b *strings.Builder, d *defaultDisplay) {
		b.WriteString("(")
		d.child(b, src, p, true)
		b.WriteString(" AT TIME ZONE ")
		d.child(b, zone, p, false)
		b.WriteString(")")
	}
	return n, nil
}

// coerce converts v to typ: an untyped literal becomes a constant of typ
// (its value converted by the type's input and output functions); a value
// of another type gets an implicit cast. shown says whether PostgreSQL
// prints that cast here.
func (d *defaultDisplay) coerce(v *dexpr, typ string, shown bool) (*dexpr, error) {
	if typ == "" || v.typ == typ || v.typ == "" {
		return v, nil
	}
	if v.typ == "unknown" && v.isConst {
		if v.null {
			return &dexpr{typ: typ, isConst: true, null: true}, nil
		}
		if isStringType(typ) {
			return d.constant(typ, v.val), nil
		}
		out, err := d.out(v.val, typ)
		if err != nil {
			return nil, err
		}
		if typ == "bool" {
			if out == "t" || out == "true" {
				out = "true"
			} else {
				out = "false"
			}
		}
		return d.constant(typ, out), nil
	}
	if v.typ == "unknown" {
		return v, nil
	}
	if !shown {
		return v, nil
	}
	// A varchar or bpchar value converts to text by a binary-coercible
	// cast, which PostgreSQL does not print as a function call.
	if typ == "text" && (v.typ == "varchar" || v.typ == "bpchar") {
		return v, nil
	}
	return &dexpr{typ: typ, implicit: v}, nil
}

// render writes v; showImplicit: print an implicit cast (operands and
// arguments) rather than only its argument (the top).
func (d *defaultDisplay) render(b *strings.Builder, v *dexpr, showImplicit bool) {
	switch {
	case v.implicit != nil:
		if !showImplicit {
			d.render(b, v.implicit, false)
			return
		}
		if c := v.implicit; c.isConst && c.typ == v.typ {
			d.constText(b, c, -1)
		} else {
			d.castArg(b, c, v)
		}
		b.WriteString("::" + displayTypeName(v.typ))
	case v.isConst:
		d.constText(b, v, 0)
	default:
		v.print(b, d)
	}
}

// constText is ruleutils' get_const_expr: showtype -1 leaves off the
// type label, 0 adds it where the text alone would not read back as
// the type.
func (d *defaultDisplay) constText(b *strings.Builder, v *dexpr, showtype int) {
	if v.null {
		b.WriteString("NULL")
		if showtype >= 0 && v.typ != "unknown" {
			b.WriteString("::" + displayTypeName(v.typ))
		}
		return
	}
	label := true
	switch v.typ {
	case "int4":
		if strings.HasPrefix(v.val, "-") {
			b.WriteString(quoteLiteral(v.val))
		} else {
			b.WriteString(v.val)
			label = false
		}
	case "numeric":
		if v.val != "" && v.val[0] >= '0' && v.val[0] <= '9' && strings.ContainsAny(v.val, "eE.") {
			b.WriteString(v.val)
			label = false
		} else {
			b.WriteString(quoteLiteral(v.val))
		}
	case "bool":
		b.WriteString(v.val)
		label = false
	case "unknown":
		b.WriteString(quoteLiteral(v.val))
		label = false
	default:
		b.WriteString(quoteLiteral(v.val))
	}
	if label && showtype >= 0 {
		b.WriteString("::" + displayTypeName(v.typ))
	}
}

// quoteLiteral is ruleutils' simple_quote_literal with
// standard_conforming_strings on: quotes doubled, no E prefix.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// callExpr is a function call of type typ printed as name(arg, ...).
func callExpr(typ, name string, args []*dexpr) *dexpr {
	return &dexpr{typ: typ, print: func(b *strings.Builder, d *defaultDisplay) {
		b.WriteString(name + "(")
		for i, a := range args {
			if i > 0 {
				b.WriteString(", ")
			}
			d.render(b, a, true)
		}
		b.WriteString(")")
	}}
}
