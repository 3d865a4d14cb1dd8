package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// regDisplay makes the top-level select list print a relation, type,
// schema or role named by a string ('logs'::regclass, to_regclass('logs'))
// by its name, as PostgreSQL's regclass output does. OpenWit keeps these
// values as OIDs (int8) so that comparisons with oid columns work; only the
// statement's own output shows the name, so a subquery's 'logs'::regclass
// still compares with pg_class.oid.
func regDisplay(sel *pg.SelectStmt) {
	if sel == nil || sel.Op != pg.SetOperation_SETOP_NONE {
		return
	}
	for _, n := range sel.TargetList {
		rt := n.GetResTarget()
		if rt == nil || rt.Val == nil {
			continue
		}
		kind := regKind(rt.Val)
		if kind == "" {
			continue
		}
		if rt.Name == "" {
			rt.Name = ColumnName(rt.Val)
		}
		rt.Val = pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode("pg_oid_name")},
			[]*pg.Node{pg.MakeAConstStrNode(kind, -1), rt.Val}, -1)
	}
}

// regKind is the OID alias type whose name a select-list expression shows:
// a cast of a string literal to regclass, regtype, regnamespace or regrole,
// or a to_regclass-style call; "" for anything else.
func regKind(n *pg.Node) string {
	if tc := n.GetTypeCast(); tc != nil {
		names := tc.TypeName.GetNames()
		if len(names) == 0 || len(tc.TypeName.ArrayBounds) > 0 {
			return ""
		}
		arg := tc.Arg
		if inner := arg.GetTypeCast(); inner != nil {
			if in := inner.TypeName.GetNames(); len(in) > 0 && in[len(in)-1].GetString_().Sval == "text" {
				arg = inner.Arg
			}
		}
		if arg.GetAConst().GetSval() == nil {
			return ""
		}
		switch k := names[len(names)-1].GetString_().Sval; k {
		case "regclass", "regtype", "regnamespace", "regrole":
			return k
		}
		return ""
	}
	if fc := n.GetFuncCall(); fc != nil && len(fc.Funcname) > 0 {
		switch fc.Funcname[len(fc.Funcname)-1].GetString_().Sval {
		case "to_regclass":
			return "regclass"
		case "to_regtype":
			return "regtype"
		case "to_regnamespace":
			return "regnamespace"
		case "to_regrole":
			return "regrole"
		}
	}
	return ""
}
