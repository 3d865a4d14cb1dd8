package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/planner/pgexpr"
)

// The forms clients' catalog queries use (pgjdbc's DatabaseMetaData, psql's
// \d commands, GUI schema browsers) that OpenWit has no general support
// for: OID alias types, current_schemas() arrays, array subscripts and
// field selection. Each is translated into a scalar function the planner
// implements over its generated pg_catalog (planner/pgcatalog.go).

// InformationSchemaPrefix prefixes the names under which the pg_catalog
// database holds PostgreSQL's information_schema views.
const InformationSchemaPrefix = "information_schema."

// searchPath is current_schemas(true); current_schemas(false) drops
// pg_catalog, as in PostgreSQL.
func searchPath(implicit bool) []string {
	if implicit {
		return []string{"pg_catalog", "public"}
	}
	return []string{"public"}
}

// currentSchemas reports whether n is a call current_schemas(bool const)
// and returns the schemas it yields.
func currentSchemas(n *pg.Node) ([]string, bool) {
	fc := n.GetFuncCall()
	if fc == nil || len(fc.Args) != 1 || len(fc.Funcname) == 0 ||
		fc.Funcname[len(fc.Funcname)-1].GetString_().Sval != "current_schemas" {
		return nil, false
	}
	b := fc.Args[0].GetAConst().GetBoolval()
	if b == nil {
		if tc := fc.Args[0].GetTypeCast(); tc != nil {
			b = tc.Arg.GetAConst().GetBoolval()
		}
	}
	if b == nil && fc.Args[0].GetAConst() == nil {
		return nil, false
	}
	return searchPath(b != nil && b.Boolval), true
}

func strList(ss []string) ast.ValTuple {
	out := make(ast.ValTuple, len(ss))
	for i, s := range ss {
		out[i] = ast.NewStrVal([]byte(s))
	}
	return out
}

// oidCast translates a cast to an OID alias type (regclass, regproc,
// regprocedure, regtype, regnamespace, regrole, oid); ok is false for any
// other type. A string literal is looked up as a name (an unknown name is
// 42P01/42704 as in PostgreSQL); any other value is an OID, kept as int8
// (regclass/regtype/regproc of an OID display the name).
func (t *translator) oidCast(tc *pg.TypeCast) (ast.Expr, bool) {
	names := tc.TypeName.GetNames()
	if len(names) == 0 || len(tc.TypeName.ArrayBounds) > 0 {
		return nil, false
	}
	typ := names[len(names)-1].GetString_().Sval
	switch typ {
	case "regclass", "regproc", "regprocedure", "regtype", "regnamespace", "regrole", "oid", "text", "varchar", "name":
	default:
		return nil, false
	}
	if typ == "text" || typ == "varchar" || typ == "name" {
		// 'x'::regclass::text is the relation's name (after the lookup).
		if inner := tc.Arg.GetTypeCast(); inner != nil {
			if n := inner.TypeName.GetNames(); len(n) > 0 && inner.Arg.GetAConst().GetSval() != nil {
				switch k := n[len(n)-1].GetString_().Sval; k {
				case "regclass", "regtype", "regnamespace", "regrole":
					return t.fn("pg_oid_name", ast.NewStrVal([]byte(k)), t.expr(tc.Arg)), true
				}
			}
		}
		return nil, false
	}
	arg := tc.Arg
	if inner := arg.GetTypeCast(); typ == "oid" && inner != nil && inner.Arg.GetAConst().GetSval() != nil {
		// 'f'::regproc::oid (psql's \sf): the function's pg_proc OID.
		if n := inner.TypeName.GetNames(); len(n) > 0 {
			switch k := n[len(n)-1].GetString_().Sval; k {
			case "regproc", "regprocedure":
				return t.fn("pg_oid_of", ast.NewStrVal([]byte(k+"_oid")), ast.NewStrVal([]byte(inner.Arg.GetAConst().GetSval().Sval))), true
			}
		}
	}
	if inner := arg.GetTypeCast(); inner != nil && inner.Arg.GetAConst() != nil {
		if n := inner.TypeName.GetNames(); len(n) > 0 && n[len(n)-1].GetString_().Sval == "text" {
			arg = inner.Arg
		}
	}
	if s := arg.GetAConst().GetSval(); s != nil {
		return t.fn("pg_oid_of", ast.NewStrVal([]byte(typ)), ast.NewStrVal([]byte(s.Sval))), true
	}

	switch typ {
	case "regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole":
		return t.fn("pg_oid_name", ast.NewStrVal([]byte(typ)), t.expr(tc.Arg)), true
	}
	return t.fn("pg_oid", t.expr(tc.Arg)), true
}

// indirection translates subscripts and field selection: (current_schemas(b))[i]
// becomes the i-th schema; other subscripts call pg_array_subscript and
// field selection pg_field_select (planner/pgcatalog.go).
func (t *translator) indirection(ai *pg.A_Indirection) ast.Expr {
	if e, ok := t.jsonSubscripts(ai); ok {
		return e
	}
	if len(ai.Indirection) != 1 {
		t.unsupported("nested subscripts and field selection")
	}
	ind := ai.Indirection[0]
	if ix := ind.GetAIndices(); ix != nil {
		if ix.IsSlice {
			t.unsupported("array slices")
		}
		idx := t.expr(ix.Uidx)
		if schemas, ok := currentSchemas(ai.Arg); ok {
			ce := &ast.CaseExpr{Expr: idx}
			for i, s := range schemas {
				ce.Whens = append(ce.Whens, &ast.When{Cond: intLiteral(int64(i + 1)), Val: ast.NewStrVal([]byte(s))})
			}
			return ce
		}
		return ast.InjectedExpr{Expression: pgexpr.InjectableSubscript{}, Children: ast.Exprs{t.fn("pg_array_subscript", t.expr(ai.Arg), idx)}}
	}
	if s := ind.GetString_(); s != nil {
		return t.fn("pg_field_select", t.expr(ai.Arg), ast.NewStrVal([]byte(s.Sval)))
	}
	t.unsupported("subscripts and field selection")
	return nil
}

// arrayUpper folds array_upper(current_schemas(b), 1); ok is false for any
// other call.
func arrayUpper(f *pg.FuncCall) (ast.Expr, bool) {
	if len(f.Args) != 2 {
		return nil, false
	}
	schemas, ok := currentSchemas(f.Args[0])
	if !ok {
		return nil, false
	}
	return intLiteral(int64(len(schemas))), true
}

// arraySubLink translates ARRAY(SELECT x ...) into the array's text form,
// '{a,b}' ('{}' when empty), as catalog arrays are represented:
//
//	(SELECT '{' || coalesce(string_agg(v::text, ','), '') || '}' FROM (SELECT x ...) AS _array(v))
func (t *translator) arraySubLink(s *pg.SubLink) ast.Expr {
	probe, err := pg.Parse("SELECT") // the parse tree version Deparse expects
	if err != nil {
		t.unsupported("this ARRAY subquery")
	}
	inner, err := pg.Deparse(&pg.ParseResult{Version: probe.Version, Stmts: []*pg.RawStmt{{Stmt: s.Subselect}}})
	if err != nil {
		t.unsupported("this ARRAY subquery")
	}
	tree, err := pg.Parse("SELECT coalesce(array_agg(v), '{}') FROM (" + inner + ") AS _array(v)")
	if err != nil || len(tree.Stmts) != 1 {
		t.unsupported("this ARRAY subquery")
	}
	return &ast.Subquery{Select: t.selectStmt(tree.Stmts[0].Stmt.GetSelectStmt(), false)}
}
