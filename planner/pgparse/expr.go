package pgparse

import (
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/storage"
)

func (t *translator) exprs(ns []*pg.Node) ast.Exprs {
	out := make(ast.Exprs, len(ns))
	for i, n := range ns {
		out[i] = t.expr(n)
	}
	return out
}

func (t *translator) expr(n *pg.Node) ast.Expr {
	if n == nil {
		return &ast.NullVal{}
	}
	switch {
	case n.GetAConst() != nil:
		return t.constant(n.GetAConst())
	case n.GetColumnRef() != nil:
		return t.columnRef(n.GetColumnRef())
	case n.GetParamRef() != nil:
		num := int(n.GetParamRef().Number)
		if num > t.numParams {
			t.numParams = num
		}
		return ast.NewValArg([]byte(":v" + strconv.Itoa(num)))
	case n.GetAExpr() != nil:
		return t.aExpr(n.GetAExpr())
	case n.GetBoolExpr() != nil:
		return t.boolExpr(n.GetBoolExpr())
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		op := ast.IsNullStr
		if nt.Nulltesttype == pg.NullTestType_IS_NOT_NULL {
			op = ast.IsNotNullStr
		}
		return &ast.IsExpr{Operator: op, Expr: t.expr(nt.Arg)}
	case n.GetBooleanTest() != nil:
		bt := n.GetBooleanTest()
		op := map[pg.BoolTestType]string{
			pg.BoolTestType_IS_TRUE:        ast.IsTrueStr,
			pg.BoolTestType_IS_NOT_TRUE:    ast.IsNotTrueStr,
			pg.BoolTestType_IS_FALSE:       ast.IsFalseStr,
			pg.BoolTestType_IS_NOT_FALSE:   ast.IsNotFalseStr,
			pg.BoolTestType_IS_UNKNOWN:     ast.IsNullStr,
			pg.BoolTestType_IS_NOT_UNKNOWN: ast.IsNotNullStr,
		}[bt.Booltesttype]
		return &ast.IsExpr{Operator: op, Expr: t.expr(bt.Arg)}
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		if e, ok := t.oidCast(tc); ok {
			return e
		}
		if len(tc.TypeName.ArrayBounds) > 0 && tc.Arg.GetColumnRef() != nil {
			// Catalog arrays are their text form, and some (oidvector,
			// int2vector) are not array literals: a cast to an element
			// type OpenWit lacks keeps the column as it is, and a column
			// whose value is no array literal stays as it is.
			names := tc.TypeName.Names
			if _, err := storage.CanonicalType(names[len(names)-1].GetString_().Sval, nil); err != nil || len(tc.TypeName.ArrayBounds) > 1 {
				return t.expr(tc.Arg)
			}
			elem := t.typeName(&pg.TypeName{Names: tc.TypeName.Names, Typmods: tc.TypeName.Typmods})
			return ast.InjectedExpr{Expression: pgexpr.InjectableArrayCast{Elem: elem, Lenient: true}, Children: ast.Exprs{t.expr(tc.Arg)}}
		}
		if len(tc.TypeName.ArrayBounds) > 0 {
			if len(tc.TypeName.ArrayBounds) > 1 {
				t.unsupported("multidimensional arrays")
			}
			elem := t.typeName(&pg.TypeName{Names: tc.TypeName.Names, Typmods: tc.TypeName.Typmods})
			return ast.InjectedExpr{Expression: pgexpr.InjectableArrayCast{Elem: elem}, Children: ast.Exprs{t.expr(tc.Arg)}}
		}
		if names := tc.TypeName.Names; len(names) > 0 && names[len(names)-1].GetString_().Sval == "interval" {
			if len(tc.TypeName.Typmods) > 0 {
				t.unsupported("interval field restrictions")
			}
			return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "interval"}, Children: ast.Exprs{t.expr(tc.Arg)}}
		}
		to := t.typeName(tc.TypeName)
		if names := tc.TypeName.Names; names[len(names)-1].GetString_().Sval == "json" {
			to = "json" // keeps its input text (planner/pgexpr/json_ops.go)
		}
		return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: to}, Children: ast.Exprs{t.expr(tc.Arg)}}
	case n.GetFuncCall() != nil:
		return t.funcCall(n.GetFuncCall())
	case n.GetGroupingFunc() != nil:
		return t.groupingFunc(n.GetGroupingFunc())
	case n.GetCaseExpr() != nil:
		ce := n.GetCaseExpr()
		out := &ast.CaseExpr{}
		if ce.Arg != nil {
			out.Expr = t.expr(ce.Arg)
		}
		for _, w := range ce.Args {
			cw := w.GetCaseWhen()
			out.Whens = append(out.Whens, &ast.When{Cond: t.expr(cw.Expr), Val: t.expr(cw.Result)})
		}
		if ce.Defresult != nil {
			out.Else = t.expr(ce.Defresult)
		}
		return ast.InjectedExpr{Expression: pgexpr.InjectableCase{}, Children: ast.Exprs{out}}
	case n.GetCoalesceExpr() != nil:
		return ast.InjectedExpr{Expression: pgexpr.InjectableCharResult{Func: "coalesce"}, Children: ast.Exprs{t.fn("coalesce", t.exprs(n.GetCoalesceExpr().Args)...)}}
	case n.GetMinMaxExpr() != nil:
		mm := n.GetMinMaxExpr()
		name := "greatest"
		if mm.Op == pg.MinMaxOp_IS_LEAST {
			name = "least"
		}
		return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: name}, Children: t.exprs(mm.Args)}
	case n.GetSqlvalueFunction() != nil:
		return t.sqlValueFunction(n.GetSqlvalueFunction())
	case n.GetSubLink() != nil:
		return t.subLink(n.GetSubLink())
	case n.GetList() != nil:
		return ast.ValTuple(t.exprs(n.GetList().Items))
	case n.GetRowExpr() != nil:
		return ast.ValTuple(t.exprs(n.GetRowExpr().Args))
	case n.GetCollateClause() != nil:
		// Collations are accepted and ignored: text compares bytewise (C).
		return t.expr(n.GetCollateClause().Arg)
	case n.GetAIndirection() != nil:
		return t.indirection(n.GetAIndirection())
	case n.GetAArrayExpr() != nil:
		return t.arrayCtor(n.GetAArrayExpr())
	}
	t.unsupported("expression " + strings.TrimPrefix(strings.TrimPrefix(typeName(n), "*pg_query.Node_"), "*pg_query."))
	return nil
}

func typeName(n *pg.Node) string {
	if n.GetNode() == nil {
		return "empty"
	}
	s := strings.TrimPrefix(strings.TrimPrefix(fmtType(n.GetNode()), "*pg_query.Node_"), "*pg_query.")
	return s
}

func (t *translator) fn(name string, args ...ast.Expr) ast.Expr {
	se := make(ast.SelectExprs, len(args))
	for i, a := range args {
		se[i] = &ast.AliasedExpr{Expr: a}
	}
	return &ast.FuncExpr{Name: ast.NewColIdent(name), Exprs: se}
}

func (t *translator) constant(c *pg.A_Const) ast.Expr {
	if c.Isnull {
		return &ast.NullVal{}
	}
	switch {
	case c.GetIval() != nil:
		return intLiteral(int64(c.GetIval().Ival))
	case c.GetFval() != nil:
		f := c.GetFval().Fval
		if !strings.ContainsAny(f, ".eE") {
			// An integer literal too big for int4: PostgreSQL types it int8,
			// or numeric beyond int8.
			if i, err := strconv.ParseInt(f, 10, 64); err == nil {
				return intLiteral(i)
			}
		}
		if strings.ContainsAny(f, "eE") {
			// 1e3 is numeric in PostgreSQL (MySQL: double); write it out.
			if d, err := decimal.NewFromString(f); err == nil {
				scale := max(0, -int(d.Exponent()))
				prec := max(len(d.Coefficient().String())+max(0, int(d.Exponent())), scale+1)
				if prec <= 65 && scale <= 30 { // go-mysql-server's decimal limits
					return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: d, Type: types.MustCreateDecimalType(uint8(prec), uint8(scale))}}
				}
			}
		}
		return ast.NewFloatVal([]byte(f))
	case c.GetSval() != nil:
		return ast.NewStrVal([]byte(c.GetSval().Sval))
	case c.GetBoolval() != nil:
		return ast.BoolVal(c.GetBoolval().Boolval)
	case c.GetBsval() != nil:
		t.unsupported("bit string literals")
	}
	return &ast.NullVal{}
}

// comparedNumeric returns the operand e (translated from n) of a
// comparison; a numeric constant with a fraction becomes a literal of
// go-mysql-server's widest decimal type at its own scale. go-mysql-server's
// planbuilder converts a decimal literal compared with a decimal column to
// the column's type when that type prints at least as wide, which rounds
// it to the column's scale (a numeric(10,2) column > 1.499 became > 1.50);
// PostgreSQL compares the constant's exact value.
func comparedNumeric(n *pg.Node, e ast.Expr) ast.Expr {
	c := n.GetAConst()
	if c == nil || c.GetFval() == nil {
		return e
	}
	f := c.GetFval().Fval
	if !strings.Contains(f, ".") || strings.ContainsAny(f, "eE") {
		return e
	}
	d, err := decimal.NewFromString(f)
	if err != nil || d.Exponent() >= 0 || -d.Exponent() > 30 {
		return e
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: d, Type: types.MustCreateDecimalType(65, uint8(-d.Exponent()))}}
}

func (t *translator) columnRef(cr *pg.ColumnRef) ast.Expr {
	var parts []string
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			t.unsupported("* in this position")
		}
		parts = append(parts, f.GetString_().Sval)
	}
	if e, ok := t.fullUsing[parts[0]]; ok && len(parts) == 1 {
		return e
	}
	if e, ok := t.systemColumnTableOID(parts, cr.Location); ok { // tableoid.go
		return e
	}
	if len(parts) == 3 {
		if err := t.schemaQualifier(parts[0], parts[1], cr.Location); err != nil {
			return qualifierError(err)
		}
	}
	if len(parts) == 2 || len(parts) == 3 {
		if err := t.badQualifier(parts[len(parts)-2], cr.Location); err != nil {
			return qualifierError(err)
		}
	}
	if err := t.wrongCaseColumn(parts, cr.Location); err != nil {
		return qualifierError(err)
	}
	col := &ast.ColName{Name: ast.NewColIdent(parts[len(parts)-1])}
	switch len(parts) {
	case 1:
	case 2:
		col.Qualifier = ast.TableName{Name: ast.NewTableIdent(parts[0])}
	case 3:
		if parts[0] != "public" {
			t.fail(pgerror.InvalidSchemaName, "schema %q does not exist", parts[0])
		}
		col.Qualifier = ast.TableName{Name: ast.NewTableIdent(parts[1])}
	default:
		t.unsupported("column references with more than 3 parts")
	}
	return col
}

func opName(names []*pg.Node) string {
	var parts []string
	for _, n := range names {
		parts = append(parts, n.GetString_().Sval)
	}
	if len(parts) == 2 && parts[0] == "pg_catalog" {
		return parts[1]
	}
	return strings.Join(parts, ".")
}

func (t *translator) aExpr(a *pg.A_Expr) ast.Expr {
	op := opName(a.Name)
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			switch op {
			case "-":
				if c := a.Rexpr.GetAConst(); c != nil && c.GetIval() != nil {
					return intLiteral(-int64(c.GetIval().Ival))
				}
				return ast.InjectedExpr{Expression: pgexpr.InjectableArith{Op: "-", Neg: true}, Children: ast.Exprs{intLiteral(0), t.expr(a.Rexpr)}}
			case "+":
				return t.expr(a.Rexpr)
			case "|/", "||/", "@":
				// square root, cube root and absolute value
				fn := map[string]string{"|/": "sqrt", "||/": "cbrt", "@": "abs"}[op]
				return t.funcCall(&pg.FuncCall{Funcname: []*pg.Node{pg.MakeStrNode(fn)}, Args: []*pg.Node{a.Rexpr}})
			case "~":
				return bitOp(op, nil, t.expr(a.Rexpr))
			}
			t.unsupported("prefix operator " + op)
		}
		switch op {
		case "~~", "!~~", "~~*", "!~~*":
			return t.like(a, strings.HasPrefix(op, "!"), strings.HasSuffix(op, "*"))
		}
		l, r := t.expr(a.Lexpr), t.expr(a.Rexpr)
		switch op {
		case "=", "<", ">", "<=", ">=":
			return &ast.ComparisonExpr{Operator: op, Left: comparedNumeric(a.Lexpr, l), Right: comparedNumeric(a.Rexpr, r)}
		case "<>", "!=":
			return &ast.ComparisonExpr{Operator: ast.NotEqualStr, Left: comparedNumeric(a.Lexpr, l), Right: comparedNumeric(a.Rexpr, r)}
		case "^":
			return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "power"}, Children: ast.Exprs{l, r}}
		case "+", "*", "/", "%":
			return ast.InjectedExpr{Expression: pgexpr.InjectableArith{Op: op}, Children: ast.Exprs{l, r}}
		case "-", "||":
			// jsonb - and || when an operand is jsonb, else arithmetic,
			// array concatenation or textcat (planner/pgexpr/json_ops.go).
			return ast.InjectedExpr{Expression: pgexpr.InjectableJSONOp{Op: op}, Children: ast.Exprs{l, r}}
		case "@>", "<@":
			// array containment when an operand is an array, else jsonb's
			// (planner/pgexpr/json_ops.go).
			return ast.InjectedExpr{Expression: pgexpr.InjectableJSONOp{Op: op}, Children: ast.Exprs{l, r}}
		case "&&", "<<", ">>", "<<=", ">>=":
			// inet containment when an operand is inet or cidr, else array
			// overlap or an integer shift (planner/pgexpr/inet_ops.go).
			return ast.InjectedExpr{Expression: pgexpr.InjectableInetOp{Op: op}, Children: ast.Exprs{l, r}}
		case "&", "|", "#":
			return bitOp(op, l, r)
		case "^@":
			return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "starts_with"}, Children: ast.Exprs{l, r}}
		case "~", "~*", "!~", "!~*":
			mode := map[string]int64{"~": 0, "~*": 1, "!~": 2, "!~*": 3}[op]
			return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "regex_match"}, Children: ast.Exprs{l, r, intLiteral(mode)}}
		}
		if pgexpr.IsJSONOperator(op) {
			return ast.InjectedExpr{Expression: pgexpr.InjectableJSONOp{Op: op}, Children: ast.Exprs{l, r}}
		}
		t.fail(pgerror.UndefinedFunction, "operator does not exist: %s", op)
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE:
		return t.like(a, op == "!~~" || op == "!~~*", a.Kind == pg.A_Expr_Kind_AEXPR_ILIKE)
	case pg.A_Expr_Kind_AEXPR_IN:
		l := t.expr(a.Lexpr)
		list := ast.ValTuple(t.exprs(a.Rexpr.GetList().GetItems()))
		if op == "<>" {
			return &ast.ComparisonExpr{Operator: ast.NotInStr, Left: l, Right: list}
		}
		return &ast.ComparisonExpr{Operator: ast.InStr, Left: l, Right: list}
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		bounds := a.Rexpr.GetList().GetItems()
		opr := ast.BetweenStr
		if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			opr = ast.NotBetweenStr
		}
		return &ast.RangeCond{Operator: opr, Left: t.expr(a.Lexpr), From: t.expr(bounds[0]), To: t.expr(bounds[1])}
	case pg.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		// As PostgreSQL rewrites it: x BETWEEN SYMMETRIC a AND b is
		// x BETWEEN a AND b OR x BETWEEN b AND a; NOT BETWEEN SYMMETRIC
		// is the AND of both NOT BETWEENs.
		bounds := a.Rexpr.GetList().GetItems()
		lo, hi := t.expr(bounds[0]), t.expr(bounds[1])
		if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			return &ast.AndExpr{
				Left:  &ast.RangeCond{Operator: ast.NotBetweenStr, Left: t.expr(a.Lexpr), From: lo, To: hi},
				Right: &ast.RangeCond{Operator: ast.NotBetweenStr, Left: t.expr(a.Lexpr), From: hi, To: lo}}
		}
		return &ast.OrExpr{
			Left:  &ast.RangeCond{Operator: ast.BetweenStr, Left: t.expr(a.Lexpr), From: lo, To: hi},
			Right: &ast.RangeCond{Operator: ast.BetweenStr, Left: t.expr(a.Lexpr), From: hi, To: lo}}
	case pg.A_Expr_Kind_AEXPR_NULLIF:
		return ast.InjectedExpr{Expression: pgexpr.InjectableCharResult{Func: "nullif"}, Children: ast.Exprs{t.fn("nullif", t.expr(a.Lexpr), t.expr(a.Rexpr))}}
	case pg.A_Expr_Kind_AEXPR_DISTINCT:
		return &ast.NotExpr{Expr: &ast.ComparisonExpr{Operator: ast.NullSafeEqualStr, Left: t.expr(a.Lexpr), Right: t.expr(a.Rexpr)}}
	case pg.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		return &ast.ComparisonExpr{Operator: ast.NullSafeEqualStr, Left: t.expr(a.Lexpr), Right: t.expr(a.Rexpr)}
	case pg.A_Expr_Kind_AEXPR_OP_ANY, pg.A_Expr_Kind_AEXPR_OP_ALL:
		return t.arrayAny(a, op, a.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL)
	case pg.A_Expr_Kind_AEXPR_SIMILAR:
		// The pattern arrives as similar_to_escape(pattern [, escape]).
		fc := a.Rexpr.GetFuncCall()
		if fc == nil || len(fc.Args) < 1 || len(fc.Args) > 2 || fc.Args[0].GetAConst().GetSval() == nil ||
			(len(fc.Args) == 2 && fc.Args[1].GetAConst().GetSval() == nil) {
			t.unsupported("SIMILAR TO with a non-constant pattern or ESCAPE")
		}
		esc := `\`
		if len(fc.Args) == 2 {
			esc = fc.Args[1].GetAConst().GetSval().Sval
		}
		re, err := pgexpr.SimilarToARE(fc.Args[0].GetAConst().GetSval().Sval, esc)
		if err != nil {
			panic(failure{err})
		}
		mode := int64(0)
		if op == "!~" {
			mode = 2
		}
		return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "regex_match"},
			Children: ast.Exprs{t.expr(a.Lexpr), ast.NewStrVal([]byte(re)), intLiteral(mode)}}
	}
	t.unsupported("operator expression " + a.Kind.String())
	return nil
}

// arrayAny translates x op ANY (array) and x op ALL (array). An ARRAY[...]
// constructor becomes comparisons joined by OR (ANY) or AND (ALL), which
// have exactly PostgreSQL's three-valued result (= ANY becomes IN); any
// other array (a literal string, a parameter, either cast to an array
// type) is compared element by element at run time (pgexpr.ArrayAny).
func (t *translator) arrayAny(a *pg.A_Expr, op string, all bool) ast.Expr {
	cmp := map[string]string{"=": ast.EqualStr, "<>": ast.NotEqualStr, "!=": ast.NotEqualStr,
		"<": ast.LessThanStr, "<=": ast.LessEqualStr, ">": ast.GreaterThanStr, ">=": ast.GreaterEqualStr}[op]
	if cmp == "" {
		t.unsupported(op + " ANY/ALL (array)")
	}
	if op == "!=" {
		op = "<>"
	}
	r := a.Rexpr
	if schemas, ok := currentSchemas(r); ok {
		// current_schemas(b) is a constant list (catalog queries).
		in := &ast.ComparisonExpr{Operator: ast.InStr, Left: t.expr(a.Lexpr), Right: strList(schemas)}
		switch {
		case op == "=" && !all:
			return in
		case op == "<>" && all:
			in.Operator = ast.NotInStr
			return in
		}
		t.unsupported(op + " ANY/ALL (current_schemas())")
	}
	if arr := r.GetAArrayExpr(); arr != nil {
		if len(arr.Elements) == 0 {
			t.fail(pgerror.IndeterminateDatatype, "cannot determine type of empty array")
		}
		for _, e := range arr.Elements {
			if e.GetAArrayExpr() != nil {
				t.unsupported("multidimensional arrays")
			}
		}
		// The array's element type comes from its elements alone, which
		// the engine's types decide (pgexpr.InjectableArrayCompare).
		typed := func(e ast.Expr) ast.Expr {
			return ast.InjectedExpr{Expression: pgexpr.InjectableArrayCompare{Op: op, Position: t.position(a.Location)}, Children: ast.Exprs{e}}
		}
		if op == "=" && !all {
			return typed(&ast.ComparisonExpr{Operator: ast.InStr, Left: t.expr(a.Lexpr), Right: ast.ValTuple(t.exprs(arr.Elements))})
		}
		var out ast.Expr
		for _, e := range arr.Elements {
			c := &ast.ComparisonExpr{Operator: cmp, Left: t.expr(a.Lexpr), Right: t.expr(e)}
			switch {
			case out == nil:
				out = c
			case all:
				out = &ast.AndExpr{Left: out, Right: c}
			default:
				out = &ast.OrExpr{Left: out, Right: c}
			}
		}
		return typed(out)
	}
	elem := ""
	if tc := r.GetTypeCast(); tc != nil && len(tc.TypeName.ArrayBounds) > 0 {
		if len(tc.TypeName.ArrayBounds) > 1 {
			t.unsupported("multidimensional arrays")
		}
		bare := &pg.TypeName{Names: tc.TypeName.Names, Typmods: tc.TypeName.Typmods}
		elem = t.typeName(bare)
		if arr := tc.Arg.GetAArrayExpr(); arr != nil {
			// ARRAY[...]::int[]: the constructor's elements, each cast
			// to the element type, as above.
			return t.arrayAny(&pg.A_Expr{Kind: a.Kind, Name: a.Name, Lexpr: a.Lexpr, Rexpr: castElements(arr, bare)}, op, all)
		}
		r = tc.Arg
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableArrayAny{Op: op, All: all, Elem: elem},
		Children: ast.Exprs{t.expr(a.Lexpr), t.expr(r)}}
}

func (t *translator) boolExpr(b *pg.BoolExpr) ast.Expr {
	args := t.exprs(b.Args)
	switch b.Boolop {
	case pg.BoolExprType_AND_EXPR:
		e := args[0]
		for _, a := range args[1:] {
			e = &ast.AndExpr{Left: e, Right: a}
		}
		return e
	case pg.BoolExprType_OR_EXPR:
		e := args[0]
		for _, a := range args[1:] {
			e = &ast.OrExpr{Left: e, Right: a}
		}
		return e
	case pg.BoolExprType_NOT_EXPR:
		if ex, ok := args[0].(*ast.ExistsExpr); ok {
			guardNotExists(ex.Subquery) // not_exists.go
		}
		return &ast.NotExpr{Expr: args[0]}
	}
	t.unsupported("boolean expression")
	return nil
}

func (t *translator) subLink(s *pg.SubLink) ast.Expr {
	if s.SubLinkType == pg.SubLinkType_ARRAY_SUBLINK {
		return t.arraySubLink(s)
	}
	sel := s.Subselect.GetSelectStmt()
	sq := &ast.Subquery{Select: t.selectStmt(sel, false)}
	switch s.SubLinkType {
	case pg.SubLinkType_EXISTS_SUBLINK:
		if e, ok := existsAggregate(sq); ok {
			return e
		}
		return &ast.ExistsExpr{Subquery: sq}
	case pg.SubLinkType_EXPR_SUBLINK:
		return sq
	case pg.SubLinkType_ANY_SUBLINK:
		t.checkSubLinkWidth(s)
		op := opName(s.OperName)
		if op == "" || op == "=" {
			return &ast.ComparisonExpr{Operator: ast.InStr, Left: t.expr(s.Testexpr), Right: sq}
		}
		if e := t.quantified(s, op, false); e != nil {
			return e
		}
		t.unsupported(op + " ANY (subquery)")
	case pg.SubLinkType_ALL_SUBLINK:
		t.checkSubLinkWidth(s)
		op := opName(s.OperName)
		if op == "<>" {
			return &ast.ComparisonExpr{Operator: ast.NotInStr, Left: t.expr(s.Testexpr), Right: sq}
		}
		if e := t.quantified(s, op, true); e != nil {
			return e
		}
		t.unsupported(op + " ALL (subquery)")
	}
	t.unsupported("this kind of subquery")
	return nil
}

// quantified rewrites x op ANY (S) and x op ALL (S) for op in <, <=, >, >=
// (and = ALL, <> ANY) into aggregates over S with PostgreSQL's three-valued
// result:
//
//	ANY: false if S is empty; NULL if x is NULL; true if some s satisfies
//	     x op s (decided by min or max of S); NULL if S holds a NULL;
//	     else false.
//	ALL: true if S is empty; NULL if x is NULL; false if some s fails
//	     x op s; NULL if S holds a NULL; else true.
//
// It returns nil for operators it does not handle. S is evaluated once per
// aggregate (a correlated S once per outer row and aggregate).
func (t *translator) quantified(s *pg.SubLink, op string, all bool) ast.Expr {
	cmp := map[string]string{"<": ast.LessThanStr, "<=": ast.LessEqualStr, ">": ast.GreaterThanStr, ">=": ast.GreaterEqualStr, "=": ast.EqualStr, "<>": ast.NotEqualStr}[op]
	if cmp == "" || (op == "=" && !all) || (op == "<>" && all) {
		return nil
	}
	// agg is (SELECT fn(c) FROM (S) AS openwit_q(c)); S is translated anew
	// for each use so that no AST node is shared.
	agg := func(fn string, star bool) ast.Expr {
		col := &ast.ColName{Name: ast.NewColIdent("openwit_q_c")}
		e := &ast.FuncExpr{Name: ast.NewColIdent(fn), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: col}}}
		if star {
			e.Exprs = ast.SelectExprs{&ast.StarExpr{}}
		}
		inner := &ast.Subquery{Select: t.selectStmt(s.Subselect.GetSelectStmt(), false), Columns: ast.Columns{ast.NewColIdent("openwit_q_c")}}
		return &ast.Subquery{Select: &ast.Select{
			SelectExprs: ast.SelectExprs{&ast.AliasedExpr{Expr: e}},
			From:        ast.TableExprs{&ast.AliasedTableExpr{Expr: inner, As: ast.NewTableIdent("openwit_q")}},
		}}
	}
	x := func() ast.Expr { return t.expr(s.Testexpr) }
	test := func(ext string) ast.Expr {
		return &ast.ComparisonExpr{Operator: cmp, Left: x(), Right: agg(ext, false)}
	}
	// pass is x op ANY/ALL over the non-NULL values of S: for ANY some s
	// satisfies x op s, for ALL every s does; NULL when S has no non-NULL
	// value or x is NULL.
	var pass ast.Expr
	switch {
	case op == "=" || op == "<>":
		// = ALL holds iff min = max = x; <> ANY holds unless it does.
		same := &ast.AndExpr{Left: &ast.ComparisonExpr{Operator: ast.EqualStr, Left: x(), Right: agg("min", false)},
			Right: &ast.ComparisonExpr{Operator: ast.EqualStr, Left: x(), Right: agg("max", false)}}
		if all {
			pass = same
		} else {
			pass = &ast.NotExpr{Expr: same}
		}
	case all == (op == ">" || op == ">="):
		pass = test("max")
	default:
		pass = test("min")
	}
	empty := &ast.ComparisonExpr{Operator: ast.EqualStr, Left: agg("count", true), Right: intLiteral(0)}
	// unknown is NULL when S holds a NULL, else false.
	unknown := &ast.AndExpr{Left: &ast.ComparisonExpr{Operator: ast.GreaterThanStr, Left: agg("count", true), Right: agg("count", false)}, Right: &ast.NullVal{}}
	// The CASE of the doc comment in three-valued logic (a CASE would be
	// typed as an integer by go-mysql-server):
	//	ANY: NOT empty AND (pass OR unknown)
	//	ALL: empty OR (pass AND NOT unknown)
	if all {
		return &ast.OrExpr{Left: empty, Right: &ast.AndExpr{Left: pass, Right: &ast.NotExpr{Expr: unknown}}}
	}
	return &ast.AndExpr{Left: &ast.NotExpr{Expr: empty}, Right: &ast.OrExpr{Left: pass, Right: unknown}}
}

func (t *translator) sqlValueFunction(s *pg.SQLValueFunction) ast.Expr {
	switch s.Op {
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "pg_now"}}
	case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "timestamp"}, Children: ast.Exprs{ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "pg_now"}}}}
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		// The date of now() in the session TimeZone, typed date
		// (go-mysql-server's curdate is text in the server's zone).
		return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "date"}, Children: ast.Exprs{ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "pg_now"}}}}
	case pg.SQLValueFunctionOp_SVFOP_LOCALTIME, pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "time"}, Children: ast.Exprs{ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "pg_now"}}}}
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg.SQLValueFunctionOp_SVFOP_USER,
		pg.SQLValueFunctionOp_SVFOP_SESSION_USER, pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		return t.fn("pg_current_user")
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return ast.NewStrVal([]byte("openwit"))
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return ast.NewStrVal([]byte("public"))
	}
	t.unsupported(strings.ToUpper(sqlValueFunctionName(s.Op)))
	return nil
}

// functions maps PostgreSQL function names to the name they are
// implemented under: in planner/pgexpr when PostgreSQL semantics differ from
// go-mysql-server's, else go-mysql-server's own. Names not listed pass
// through and are resolved by go-mysql-server (unknown names fail with
// 42883).
var functions = map[string]string{
	"position":         "strpos",
	"stddev":           "stddev_samp",
	"variance":         "var_samp",
	"every":            "bool_and",
	"now":              "pg_now",
	"char_length":      "length",
	"character_length": "length",
	"substr":           "substring",
	"ceiling":          "ceil",
}

// aggregates are the aggregate function names (for placement checks).
var aggregates = map[string]bool{
	"json_arrayagg": true, "json_agg": true, "jsonb_agg": true, "json_object_agg": true, "jsonb_object_agg": true, "percentile_cont": true, "percentile_disc": true, "mode": true,
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "bool_and": true, "bool_or": true,
	"every": true, "string_agg": true, "array_agg": true, "stddev": true, "stddev_samp": true,
	"stddev_pop": true, "variance": true, "var_samp": true, "var_pop": true,
	"corr": true, "covar_pop": true, "covar_samp": true, "regr_count": true, "regr_sxx": true, "regr_syy": true,
	"regr_sxy": true, "regr_avgx": true, "regr_avgy": true, "regr_r2": true, "regr_slope": true, "regr_intercept": true,
	"bit_and": true, "bit_or": true, "bit_xor": true,
}

func (t *translator) funcCall(f *pg.FuncCall) ast.Expr {
	var parts []string
	for _, n := range f.Funcname {
		parts = append(parts, n.GetString_().Sval)
	}
	name := parts[len(parts)-1]
	shown := name
	f.Args = t.namedArgs(name, f.Args)
	if e, ok := arrayUpper(f); ok && name == "array_upper" {
		return e
	}
	if len(parts) > 1 && parts[0] != "pg_catalog" && !(parts[0] == "information_schema" && name == "_pg_expandarray") {
		t.fail(pgerror.UndefinedFunction, "function %s does not exist", strings.Join(parts, "."))
	}

	var filter ast.Expr
	if f.AggFilter != nil {
		if !aggregates[name] {
			t.unsupported("FILTER on non-aggregate window functions")
		}
		filter = t.expr(f.AggFilter)
	}
	if aggregates[name] && f.Over == nil {
		if t.inAggregate {
			t.fail(pgerror.GroupingError, "aggregate function calls cannot be nested")
		}
		t.inAggregate = true
		defer func() { t.inAggregate = false }()
	}
	if f.AggWithinGroup && (name == "percentile_cont" || name == "percentile_disc") {
		return t.percentile(name, f)
	}
	if name == "mode" && f.Over == nil {
		return t.modeAgg(f, filter)
	}
	if (len(f.AggOrder) > 0 && name != "string_agg" && name != "array_agg" && !isJSONAgg(name)) || f.AggWithinGroup {
		t.unsupported("ORDER BY / WITHIN GROUP in aggregates")
	}
	if f.FuncVariadic {
		t.unsupported("VARIADIC")
	}
	if t.inWhere && (aggregates[name] || f.Over != nil) {
		if f.Over != nil {
			t.fail(pgerror.WindowingError, "window functions are not allowed in WHERE")
		}
		t.fail(pgerror.GroupingError, "aggregate functions are not allowed in WHERE")
	}
	if f.Over != nil {
		if t.inWindow {
			t.fail(pgerror.WindowingError, "window function calls cannot be nested")
		}
		t.inWindow = true
		defer func() { t.inWindow = false }()
		return t.windowCall(name, f, filter)
	}
	if windowOnly[name] {
		t.fail(pgerror.WrongObjectType, "window function %s requires an OVER clause", name)
	}
	out := &ast.FuncExpr{Name: ast.NewColIdent(name), Distinct: f.AggDistinct}
	if f.AggStar {
		if name != "count" {
			t.fail(pgerror.SyntaxError, "%s(*) specified, but %s is not an aggregate function", name, name)
		}
		if filter != nil {
			// count(*) FILTER (WHERE c) counts the rows where c is true.
			out.Exprs = ast.SelectExprs{&ast.AliasedExpr{Expr: &ast.CaseExpr{Whens: []*ast.When{{Cond: filter, Val: intLiteral(1)}}}}}
			return out
		}
		out.Exprs = ast.SelectExprs{&ast.StarExpr{}}
		return out
	}
	if name == "pg_typeof" && len(f.Args) == 1 && f.Over == nil {
		if c := f.Args[0].GetAConst(); c != nil && c.GetSval() != nil {
			// A string literal keeps PostgreSQL's type unknown where
			// nothing gives it one, as in pg_typeof's "any" argument.
			return ast.NewStrVal([]byte("unknown"))
		}
	}
	if name == "count" && len(f.Args) == 1 && f.Args[0].GetRowExpr() != nil {
		// count([DISTINCT] (a, b)): a row value is never NULL, even when
		// its fields are, so count one string per row that encodes every
		// field (NULL included) unambiguously.
		var parts ast.SelectExprs
		for i, a := range f.Args[0].GetRowExpr().Args {
			if i > 0 {
				parts = append(parts, &ast.AliasedExpr{Expr: ast.NewStrVal([]byte(","))})
			}
			elem := ast.InjectedExpr{Expression: pgexpr.InjectableArrayElem{Info: &pgexpr.ArrayAggInfo{}}, Children: ast.Exprs{t.expr(a)}}
			parts = append(parts, &ast.AliasedExpr{Expr: elem})
		}
		var arg ast.Expr = &ast.FuncExpr{Name: ast.NewColIdent("concat"), Exprs: parts}
		if filter != nil {
			arg = &ast.CaseExpr{Whens: []*ast.When{{Cond: filter, Val: arg}}}
		}
		return &ast.FuncExpr{Name: ast.NewColIdent("count"), Distinct: f.AggDistinct, Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: arg}}}
	}
	if e, ok := t.rowToJSON(name, f); ok {
		return e
	}
	if isJSONAgg(name) {
		return t.jsonAgg(name, f, filter)
	}
	args := t.exprs(f.Args)
	if name == "array_agg" {
		return t.arrayAgg(f, args, filter)
	}
	if filter != nil {
		// agg(x) FILTER (WHERE c) aggregates x only where c is true; every
		// aggregate ignores the NULLs the CASE yields elsewhere.
		for i := range args {
			if i == 1 && name == "string_agg" {
				break // the separator is not filtered
			}
			args[i] = &ast.CaseExpr{Whens: []*ast.When{{Cond: filter, Val: args[i]}}}
		}
	}
	if pgexpr.IsRegrAggregate(name) {
		return t.regrAgg(name, f, args)
	}
	switch name {
	case "log":
		if len(args) == 1 {
			name = "log10"
		} else {
			name = "log" // log(b, x): numeric (planner/pgexpr)
		}
	case "now", "transaction_timestamp", "statement_timestamp", "clock_timestamp":
		name = "pg_now"
	case "random":
		if f.Over == nil {
			// The session's generator, which setseed seeds
			// (pgexpr/random_prng.go).
			return ast.InjectedExpr{Expression: pgexpr.InjectableRandom{}, Children: args}
		}
	case "bool_and", "every", "bool_or":
		// Booleans order false < true: bool_and is min, bool_or is max.
		agg := "min"
		if name == "bool_or" {
			agg = "max"
		}
		if len(args) != 1 {
			t.fail(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		arg := ast.InjectedExpr{Expression: pgexpr.InjectableBoolAggArg{Func: name}, Children: args}
		return ast.InjectedExpr{Expression: pgexpr.InjectableBool{}, Children: ast.Exprs{&ast.FuncExpr{Name: ast.NewColIdent(agg), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: arg}}}}}
	case "avg":
		if !f.AggDistinct && len(args) == 1 {
			info := &pgexpr.SumInfo{}
			sum := &ast.FuncExpr{Name: ast.NewColIdent("sum"), Exprs: ast.SelectExprs{&ast.AliasedExpr{
				Expr: ast.InjectedExpr{Expression: pgexpr.InjectableSumArg{Info: info}, Children: args}}}}
			cnt := &ast.FuncExpr{Name: ast.NewColIdent("count"), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: args[0]}}}
			return ast.InjectedExpr{Expression: pgexpr.InjectableAvg{Info: info}, Children: ast.Exprs{sum, cnt}}
		}
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		if len(args) == 1 {
			// float8 for float input (go-mysql-server's aggregate), exact
			// numeric from sum(x), sum(x²) and count(x) for integers and
			// numeric (pgexpr.InjectableStddev).
			fn := name
			if m, ok := functions[name]; ok {
				fn = m
			}
			agg := func(name string, arg ast.Expr) ast.Expr {
				return &ast.FuncExpr{Name: ast.NewColIdent(name), Distinct: f.AggDistinct, Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: arg}}}
			}
			info := &pgexpr.SumInfo{}
			return ast.InjectedExpr{Expression: pgexpr.InjectableStddev{Info: info, Func: fn}, Children: ast.Exprs{
				agg(fn, ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "float8"}, Children: ast.Exprs{args[0]}}),
				agg("sum", ast.InjectedExpr{Expression: pgexpr.InjectableSumArg{Info: &pgexpr.SumInfo{}}, Children: ast.Exprs{args[0]}}),
				agg("sum", ast.InjectedExpr{Expression: pgexpr.InjectableSquare{Info: info}, Children: ast.Exprs{args[0]}}),
				agg("count", args[0]),
			}}
		}
	case "string_agg":
		if len(args) != 2 {
			t.fail(pgerror.UndefinedFunction, "function string_agg with %d arguments does not exist", len(args))
		}
		gc := &ast.GroupConcatExpr{Distinct: boolDistinct(f.AggDistinct), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: args[0]}}}
		sep, ok := args[1].(*ast.SQLVal)
		if !ok || sep.Type != ast.StrVal {
			t.unsupported("string_agg with a non-constant separator")
		}
		gc.Separator = ast.Separator{SeparatorString: string(sep.Val)}
		gc.OrderBy = t.aggOrderBy(f.AggOrder)
		return gc
	case "min", "max":
		if len(args) == 1 {
			args[0] = ast.InjectedExpr{Expression: pgexpr.InjectableMinMaxArg{}, Children: ast.Exprs{args[0]}}
		}
	case "bit_and", "bit_or", "bit_xor":
		return t.bitAgg(name, f.AggDistinct, args)
	case "mod":
		return ast.InjectedExpr{Expression: pgexpr.InjectableArith{Op: "%"}, Children: args}
	case "sum":
		// PostgreSQL sums integers exactly: sum(int2/int4) is int8 and
		// sum(int8) is numeric. go-mysql-server sums them as float64, so the
		// argument is widened to an exact decimal and the result narrowed.
		if !f.AggDistinct && len(args) == 1 {
			info := &pgexpr.SumInfo{}
			inner := &ast.FuncExpr{Name: ast.NewColIdent("sum"), Exprs: ast.SelectExprs{&ast.AliasedExpr{
				Expr: ast.InjectedExpr{Expression: pgexpr.InjectableSumArg{Info: info}, Children: args}}}}
			return ast.InjectedExpr{Expression: pgexpr.InjectableSumResult{Info: info}, Children: ast.Exprs{inner}}
		}
	}
	if m, ok := functions[name]; ok {
		name = m
	}
	if pgexpr.IsArrayFunc(name) {
		return ast.InjectedExpr{Expression: pgexpr.InjectableArrayFn{Name: name}, Children: args}
	}
	if pgexpr.HasFunc(name) {
		return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: name}, Children: args}
	}
	if e, ok := t.unknownFunc(name, shown, f, args); ok {
		return e
	}
	out.Name = ast.NewColIdent(name)
	for _, a := range args {
		out.Exprs = append(out.Exprs, &ast.AliasedExpr{Expr: a})
	}
	return out
}

// arrayAgg translates array_agg(x [ORDER BY ...]) [FILTER (WHERE c)]
// (see planner/pgexpr/array_agg.go).
func (t *translator) arrayAgg(f *pg.FuncCall, args []ast.Expr, filter ast.Expr) ast.Expr {
	if len(args) != 1 {
		t.fail(pgerror.UndefinedFunction, "function array_agg with %d arguments does not exist", len(args))
	}
	info := &pgexpr.ArrayAggInfo{}
	var elem ast.Expr = ast.InjectedExpr{Expression: pgexpr.InjectableArrayElem{Info: info}, Children: args}
	if filter != nil {
		elem = &ast.CaseExpr{Whens: []*ast.When{{Cond: filter, Val: elem}}}
	}
	gc := &ast.GroupConcatExpr{
		Distinct:  boolDistinct(f.AggDistinct),
		Exprs:     ast.SelectExprs{&ast.AliasedExpr{Expr: elem}},
		Separator: ast.Separator{SeparatorString: ","},
		OrderBy:   t.aggOrderBy(f.AggOrder),
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableArrayAgg{Info: info}, Children: ast.Exprs{gc}}
}

// aggOrderBy translates the ORDER BY inside an aggregate call. Every key is
// preceded by its "IS NULL" so NULLs sort as PostgreSQL sorts them (last
// ascending, first descending, or as NULLS FIRST/LAST says):
// go-mysql-server's group_concat sorts NULL first whatever the direction.
func (t *translator) aggOrderBy(items []*pg.Node) ast.OrderBy {
	var out ast.OrderBy
	for _, n := range items {
		sb := n.GetSortBy()
		if len(sb.UseOp) > 0 {
			t.unsupported("ORDER BY ... USING")
		}
		e := t.expr(sb.Node)
		desc := sb.SortbyDir == pg.SortByDir_SORTBY_DESC
		nullsFirst := desc
		switch sb.SortbyNulls {
		case pg.SortByNulls_SORTBY_NULLS_FIRST:
			nullsFirst = true
		case pg.SortByNulls_SORTBY_NULLS_LAST:
			nullsFirst = false
		}
		nullDir, dir := ast.AscScr, ast.AscScr
		if nullsFirst {
			nullDir = ast.DescScr
		}
		if desc {
			dir = ast.DescScr
		}
		out = append(out, &ast.Order{Expr: &ast.IsExpr{Operator: ast.IsNullStr, Expr: e}, Direction: nullDir}, &ast.Order{Expr: e, Direction: dir})
	}
	return out
}

func fmtType(v any) string { return strings.TrimSpace(strings.Split(typeString(v), " ")[0]) }

// intLiteral is an integer constant typed like PostgreSQL: int4 when it
// fits, int8 otherwise.
func intLiteral(i int64) ast.Expr {
	if i >= math.MinInt32 && i <= math.MaxInt32 {
		return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: int32(i), Type: types.Int32}}
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: i, Type: types.Int64}}
}

// windowFuncs are the window functions go-mysql-server implements with
// PostgreSQL's semantics.
var windowFuncs = map[string]bool{
	"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true,
	"ntile": true, "lag": true, "lead": true, "first_value": true, "last_value": true,
	"nth_value": true, "count": true, "sum": true, "avg": true, "min": true, "max": true,
}

// windowOnly are the window functions that are not aggregates: they need
// OVER.
var windowOnly = map[string]bool{"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true,
	"cume_dist": true, "ntile": true, "lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true}

// windowCall translates a window function call. An aggregate's FILTER
// (WHERE c) feeds it CASE WHEN c THEN x END, whose NULLs every aggregate
// skips (count(*) counts CASE WHEN c THEN 1 END).
func (t *translator) windowCall(name string, f *pg.FuncCall, filter ast.Expr) ast.Expr {
	if !windowFuncs[name] {
		t.notWindowFunction(name)
	}
	if f.AggDistinct {
		t.unsupported("DISTINCT in window functions")
	}
	over := func() *ast.Over {
		o, n := t.windowOver(name, f.Over)
		name = n
		return o
	}
	// A frame's EXCLUDE clause, and nth_value's n, are carried by a
	// marked argument that the planner turns into a pgexpr.FrameWindow.
	// Ranking functions, lag and lead ignore the frame.
	def := t.namedWindow(f.Over)
	marker := pgexpr.InjectableWindowArg{Exclude: frameExclusion(def.FrameOptions), Groups: t.groupsBounds(def.FrameOptions, def.StartOffset, def.EndOffset)}
	switch name {
	case "first_value", "last_value", "nth_value", "min", "max":
		// go-mysql-server's min and max without a frame clause read the
		// whole partition; PostgreSQL's default frame stops at the
		// current row's last peer (design 095).
		marker.Peers = def.FrameOptions&frameNonDefault == 0 && len(def.OrderClause) > 0
	}
	switch name {
	case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead":
		marker.Exclude = pgexpr.ExcludeNoOthers
		marker.Groups = pgexpr.GroupsFrame{}
	case "nth_value":
		marker.Nth = t.nthValueN(f.Args)
		f.Args = f.Args[:1]
		name = "first_value"
	}
	mark := func(e ast.Expr) ast.Expr {
		if marker == (pgexpr.InjectableWindowArg{}) {
			return e
		}
		return ast.InjectedExpr{Expression: marker, Children: ast.Exprs{e}}
	}
	out := &ast.FuncExpr{Over: over()}
	out.Name = ast.NewColIdent(name)
	filtered := func(e ast.Expr) ast.Expr {
		if filter == nil {
			return e
		}
		return &ast.CaseExpr{Whens: []*ast.When{{Cond: filter, Val: e}}}
	}
	if f.AggStar {
		if filter != nil {
			out.Exprs = ast.SelectExprs{&ast.AliasedExpr{Expr: mark(filtered(intLiteral(1)))}}
			return out
		}
		if marker.Exclude != pgexpr.ExcludeNoOthers || marker.Groups.On {
			out.Exprs = ast.SelectExprs{&ast.AliasedExpr{Expr: mark(intLiteral(1))}}
			return out
		}
		out.Exprs = ast.SelectExprs{&ast.StarExpr{}}
		return out
	}
	for i, a := range f.Args {
		e := filtered(t.expr(a))
		if i == 0 {
			e = mark(e)
		}
		out.Exprs = append(out.Exprs, &ast.AliasedExpr{Expr: e})
	}
	if name == "cume_dist" && len(f.Args) == 0 {
		// The rows up to the current one's last peer (the default frame)
		// over the rows of the partition.
		upTo := &ast.FuncExpr{Name: ast.NewColIdent("count"), Exprs: ast.SelectExprs{&ast.StarExpr{}}, Over: over()}
		upTo.Over.Frame = nil
		all := &ast.FuncExpr{Name: ast.NewColIdent("count"), Exprs: ast.SelectExprs{&ast.StarExpr{}}, Over: &ast.Over{PartitionBy: upTo.Over.PartitionBy}}
		float := func(e ast.Expr) ast.Expr {
			return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "float8"}, Children: ast.Exprs{e}}
		}
		return &ast.BinaryExpr{Operator: ast.DivStr, Left: float(upTo), Right: float(all)}
	}
	if name == "sum" && len(f.Args) == 1 {
		// go-mysql-server's windowed sum is 0 over a frame without
		// values; PostgreSQL's is NULL.
		cnt := &ast.FuncExpr{Name: ast.NewColIdent("count"), Over: over(), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: mark(filtered(t.expr(f.Args[0])))}}}
		// Integers are summed exactly, as the aggregate sum is.
		info := &pgexpr.SumInfo{}
		out.Exprs = ast.SelectExprs{&ast.AliasedExpr{Expr: mark(ast.InjectedExpr{Expression: pgexpr.InjectableSumArg{Info: info}, Children: ast.Exprs{filtered(t.expr(f.Args[0]))}})}}
		sum := ast.InjectedExpr{Expression: pgexpr.InjectableSumResult{Info: info}, Children: ast.Exprs{out}}
		return &ast.CaseExpr{Whens: []*ast.When{{Cond: &ast.ComparisonExpr{Operator: ast.EqualStr, Left: cnt, Right: ast.NewIntVal([]byte("0"))}, Val: &ast.NullVal{}}}, Else: sum}
	}
	switch name {
	case "rank", "dense_rank":
		// go-mysql-server's are unsigned (numeric to a client);
		// PostgreSQL's are bigint.
		return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "int8"}, Children: ast.Exprs{out}}
	case "ntile":
		return ast.InjectedExpr{Expression: pgexpr.InjectableCast{To: "int4"}, Children: ast.Exprs{out}}
	}
	if name == "avg" && len(f.Args) == 1 {
		// avg as sum/count over the window, as the aggregate avg is (exact
		// numeric for integers; NULL, not go-mysql-server's NaN, when the
		// frame has no values).
		info := &pgexpr.SumInfo{}
		arg := filtered(t.expr(f.Args[0]))
		sum := &ast.FuncExpr{Name: ast.NewColIdent("sum"), Over: over(), Exprs: ast.SelectExprs{&ast.AliasedExpr{
			Expr: mark(ast.InjectedExpr{Expression: pgexpr.InjectableSumArg{Info: info, Avg: true}, Children: ast.Exprs{arg}})}}}
		cnt := &ast.FuncExpr{Name: ast.NewColIdent("count"), Over: over(), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: mark(arg)}}}
		return ast.InjectedExpr{Expression: pgexpr.InjectableAvg{Info: info}, Children: ast.Exprs{sum, cnt}}
	}
	return out
}

// nthValueN is nth_value's n, which must be a positive integer constant
// here (PostgreSQL evaluates it per row).
func (t *translator) nthValueN(args []*pg.Node) int64 {
	if len(args) != 2 {
		t.fail(pgerror.UndefinedFunction, "function nth_value with %d arguments does not exist", len(args))
	}
	c := args[1].GetAConst()
	if c == nil || c.GetIval() == nil {
		t.unsupported("nth_value with a non-constant n")
	}
	n := int64(c.GetIval().Ival)
	if n <= 0 {
		t.fail("22016", "argument of nth_value must be greater than zero")
	}
	return n
}

func boolDistinct(d bool) string {
	if d {
		return ast.DistinctStr
	}
	return ""
}

// percentile translates percentile_cont/percentile_disc(frac) WITHIN GROUP
// (ORDER BY x).
func (t *translator) percentile(name string, f *pg.FuncCall) ast.Expr {
	if len(f.Args) != 1 || len(f.AggOrder) != 1 || f.Over != nil || f.AggFilter != nil {
		t.unsupported(name + " in this form")
	}

	if t.inWhere {
		t.fail(pgerror.GroupingError, "aggregate functions are not allowed in WHERE")
	}
	sb := f.AggOrder[0].GetSortBy()
	info := &pgexpr.SumInfo{}
	t.inAggregate = true
	x := t.expr(sb.Node)
	t.inAggregate = false
	agg := &ast.FuncExpr{Name: ast.NewColIdent("json_arrayagg"), Exprs: ast.SelectExprs{&ast.AliasedExpr{
		Expr: ast.InjectedExpr{Expression: pgexpr.InjectableRecordType{Info: info}, Children: ast.Exprs{x}}}}}
	children := ast.Exprs{agg}
	arr := f.Args[0].GetAArrayExpr()
	if arr != nil {
		if len(arr.Elements) == 0 {
			t.unsupported(name + " with an empty array of fractions")
		}
		for _, e := range arr.Elements {
			children = append(children, t.expr(e))
		}
	} else {
		children = append(children, t.expr(f.Args[0]))
	}
	return ast.InjectedExpr{
		Expression: pgexpr.InjectablePercentile{Info: info, Disc: name == "percentile_disc", Desc: sb.SortbyDir == pg.SortByDir_SORTBY_DESC, Array: arr != nil},
		Children:   children,
	}
}
