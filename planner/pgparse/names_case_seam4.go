package pgparse

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// columnNames are the column names a statement can mean, for PostgreSQL's
// case-sensitive reading of quoted identifiers (design 095).
// go-mysql-server resolves column names without regard to case, so
// `SELECT msg FROM t` read t's column "Msg". A column reference whose name
// is no name the statement can define exactly (a column of one of its
// user tables, an output alias, a column alias list, a column definition
// list, a function or relation name) but that names a column of one of
// its user tables in another case is PostgreSQL's 42703.
type columnNames struct {
	exact map[string]bool
	// folded holds the lower-case forms of the user tables' column names.
	folded map[string]bool
	// badRelation is the first relation named in a case no table has
	// while its lower-case form is a user table: go-mysql-server's error
	// would name the lower-case form.
	badRelation *pg.RangeVar
}

// collectColumnNames walks the whole parse tree of a statement (views
// expanded) and looks up the columns of its user tables.
func collectColumnNames(n *pg.Node, cols TableColumns) *columnNames {
	if n == nil || cols == nil {
		return nil
	}
	cn := &columnNames{exact: map[string]bool{}, folded: map[string]bool{}}
	seen := map[string]bool{}
	ctes := map[string]bool{}
	var rels []*pg.RangeVar
	visit := func(m protoreflect.Message) {
		switch x := m.Interface().(type) {
		case *pg.RangeVar:
			cn.exact[x.Relname] = true
			if x.Alias != nil {
				cn.exact[x.Alias.Aliasname] = true
			}
			if (x.Schemaname == "" || x.Schemaname == "public") && x.Catalogname == "" && !seen[x.Relname] {
				seen[x.Relname] = true
				rels = append(rels, x)
			}
		case *pg.SelectStmt:
			for _, tn := range x.TargetList {
				if rt := tn.GetResTarget(); rt != nil && rt.Name != "" {
					cn.exact[rt.Name] = true
				}
			}
		case *pg.Alias:
			cn.exact[x.Aliasname] = true
			for _, c := range x.Colnames {
				cn.exact[c.GetString_().GetSval()] = true
			}
		case *pg.CommonTableExpr:
			cn.exact[x.Ctename] = true
			ctes[x.Ctename] = true
			for _, c := range x.Aliascolnames {
				cn.exact[c.GetString_().GetSval()] = true
			}
		case *pg.ColumnDef:
			cn.exact[x.Colname] = true
		case *pg.FuncCall:
			if k := len(x.Funcname); k > 0 {
				cn.exact[x.Funcname[k-1].GetString_().GetSval()] = true
			}
		}
	}
	walkTree(n.ProtoReflect(), visit)
	// Looked up after the walk: a WITH query's name is no table, and the
	// system catalogs are none either (a lookup can be a catalog query).
	for _, rv := range rels {
		if ctes[rv.Relname] || strings.HasPrefix(rv.Relname, "pg_") {
			continue
		}
		if names, ok := cols(rv.Relname); ok {
			for _, c := range names {
				cn.exact[c] = true
				cn.folded[strings.ToLower(c)] = true
			}
		} else if l := strings.ToLower(rv.Relname); l != rv.Relname && cn.badRelation == nil {
			if _, ok := cols(l); ok {
				cn.badRelation = rv
			}
		}
	}
	if cn.badRelation == nil && len(cn.folded) == 0 {
		return nil // no user table column
	}
	return cn
}

// checkRelationCase fails like PostgreSQL (42P01, the name as written)
// for a relation named in a case no table has when its lower-case form is
// a user table.
func (t *translator) checkRelationCase() {
	if t.colNames == nil || t.colNames.badRelation == nil {
		return
	}
	rv := t.colNames.badRelation
	e := pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", rv.Relname)
	e.Position = t.position(rv.Location)
	panic(failure{e})
}

// wrongCaseColumn returns PostgreSQL's 42703 for a column reference whose
// name (the last of parts, at parse location loc) only a case-insensitive
// match finds, or nil.
func (t *translator) wrongCaseColumn(parts []string, loc int32) *pgerror.Error {
	name := parts[len(parts)-1]
	if t.colNames == nil || t.colNames.exact[name] || !t.colNames.folded[strings.ToLower(name)] || loc <= 0 {
		return nil
	}
	var e *pgerror.Error
	if len(parts) == 1 {
		e = pgerror.New(pgerror.UndefinedColumn, "column %q does not exist", name)
	} else {
		e = pgerror.New(pgerror.UndefinedColumn, "column %s does not exist", strings.Join(parts, "."))
	}
	e.Hint = t.columnHint(parts)
	e.Position = t.position(loc)
	return e
}

// schemaQualifier returns PostgreSQL's error for a column reference or
// t.* qualified by schema.table where the schema is none OpenWit has
// (searchRangeTableForRel finds no relation then, only a FROM item
// called table), or nil: 42P01 invalid reference to the FROM item when
// one is called table, missing FROM-clause entry otherwise.
func (t *translator) schemaQualifier(schema, table string, loc int32) *pgerror.Error {
	switch schema {
	case "public", "pg_catalog", "information_schema":
		return nil
	}
	var e *pgerror.Error
	if t.ranges != nil && t.ranges.names[table] {
		e = pgerror.New(pgerror.UndefinedTable, "invalid reference to FROM-clause entry for table %q", table)
		e.Hint = "There is an entry for table \"" + table + "\", but it cannot be referenced from this part of the query."
	} else {
		e = pgerror.New(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", table)
	}
	e.Position = t.position(loc)
	return e
}

// maxFuzzyDistance is PostgreSQL's MAX_FUZZY_DISTANCE (parse_relation.c).
const maxFuzzyDistance = 3

// columnHint is PostgreSQL's "Perhaps you meant to reference the column"
// hint over the user tables of the current FROM clause (the qualifier's
// only, when there is one): the column nearest to the name by Levenshtein
// distance, when it is within maxFuzzyDistance and half the name's length
// and no more than two columns are that near.
func (t *translator) columnHint(parts []string) string {
	name := parts[len(parts)-1]
	type match struct{ ref, col string }
	best := maxFuzzyDistance + 1
	var first, second *match
	for _, rv := range fromRangeVars(t.from) {
		ref := rv.Relname
		if rv.Alias != nil {
			ref = rv.Alias.Aliasname
		}
		if len(parts) > 1 && parts[len(parts)-2] != ref {
			continue
		}
		if (rv.Schemaname != "" && rv.Schemaname != "public") || rv.Catalogname != "" || t.cteNames[rv.Relname] {
			continue
		}
		cols, ok := t.tableColumns(rv.Relname)
		if !ok {
			continue
		}
		for _, c := range cols {
			d := levenshtein(c, name)
			if d > len(name)/2 || d > best {
				continue
			}
			switch {
			case d < best:
				best, first, second = d, &match{ref, c}, nil
			case first == nil:
				if best <= maxFuzzyDistance {
					first = &match{ref, c}
				}
			case second != nil:
				// Too many at this distance: only a nearer one counts now.
				best, first, second = d-1, nil, nil
			default:
				second = &match{ref, c}
			}
		}
	}
	switch {
	case first == nil:
		return ""
	case second == nil:
		return "Perhaps you meant to reference the column \"" + first.ref + "." + first.col + "\"."
	}
	return "Perhaps you meant to reference the column \"" + first.ref + "." + first.col +
		"\" or the column \"" + second.ref + "." + second.col + "\"."
}

// fromRangeVars are the relations of a FROM clause, joins included.
func fromRangeVars(from []*pg.Node) []*pg.RangeVar {
	var out []*pg.RangeVar
	var add func(n *pg.Node)
	add = func(n *pg.Node) {
		switch {
		case n == nil:
		case n.GetRangeVar() != nil:
			out = append(out, n.GetRangeVar())
		case n.GetJoinExpr() != nil:
			add(n.GetJoinExpr().Larg)
			add(n.GetJoinExpr().Rarg)
		}
	}
	for _, n := range from {
		add(n)
	}
	return out
}

// levenshtein is the edit distance between a and b in bytes, each
// insertion, deletion and substitution costing 1 (PostgreSQL's
// varstr_levenshtein with unit costs).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// isInjectedError reports whether e is an expression that fails when it is
// bound (qualifierError).
func isInjectedError(e ast.Expr) bool {
	ie, ok := e.(ast.InjectedExpr)
	if !ok {
		return false
	}
	_, ok = ie.Expression.(pgexpr.InjectableError)
	return ok
}
