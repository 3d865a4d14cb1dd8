package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// PostgreSQL's system column tableoid: the OID of the relation a row comes
// from (docs/design/100). OpenWit's relations have no system columns, so
// that SELECT * never shows one; a reference rel.tableoid (or tableoid
// with a single relation in FROM) is translated into the OID of the FROM
// item's relation, the same constant for every row, looked up as a
// ::regclass cast would. psql's \dd and \dL join pg_description on it.

// systemColumnTableOID translates the column reference parts when it is
// tableoid of a relation of the current FROM clause; ok is false
// otherwise (a CTE, a subquery, a table with a real column of that name,
// a qualifier FROM does not have).
func (t *translator) systemColumnTableOID(parts []string, loc int32) (ast.Expr, bool) {
	if parts[len(parts)-1] != "tableoid" || len(parts) > 2 {
		return nil, false
	}
	var rels []*pg.RangeVar
	var walk func(n *pg.Node)
	walk = func(n *pg.Node) {
		switch {
		case n.GetRangeVar() != nil:
			rels = append(rels, n.GetRangeVar())
		case n.GetJoinExpr() != nil:
			j := n.GetJoinExpr()
			if j.Alias != nil {
				return // a named join hides its relations
			}
			walk(j.Larg)
			walk(j.Rarg)
		}
	}
	for _, n := range t.from {
		walk(n)
	}
	var rv *pg.RangeVar
	if len(parts) == 1 {
		var cands []*pg.RangeVar
		for _, r := range rels {
			if r.Schemaname != "" || !t.cteNames[r.Relname] {
				cands = append(cands, r)
			}
		}
		switch {
		case len(cands) > 1:
			// Every relation has it.
			e := pgerror.New(pgerror.AmbiguousColumn, "column reference \"tableoid\" is ambiguous")
			if loc > 0 {
				e.Position = t.position(loc)
			}
			return qualifierError(e), true
		case len(cands) == 0:
			return nil, false
		}
		rv = cands[0]
	} else {
		for _, r := range rels {
			name := r.Relname
			if r.Alias != nil {
				name = r.Alias.Aliasname
			}
			if name == parts[0] {
				rv = r
				break
			}
		}
	}
	if rv == nil || rv.Catalogname != "" || rv.Schemaname == "" && t.cteNames[rv.Relname] {
		return nil, false
	}
	if t.tableColumns != nil && (rv.Schemaname == "" || rv.Schemaname == "public") {
		if cols, ok := t.tableColumns(rv.Relname); ok {
			for _, c := range cols {
				if c == "tableoid" {
					return nil, false
				}
			}
		}
	}
	name := pgexpr.QuoteIdent(rv.Relname)
	if rv.Schemaname != "" {
		name = pgexpr.QuoteIdent(rv.Schemaname) + "." + name
	}
	return t.fn("pg_oid_of", ast.NewStrVal([]byte("regclass")), ast.NewStrVal([]byte(name))), true
}
