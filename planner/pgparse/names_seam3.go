package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// rangeNames are the names a column reference's qualifier can mean
// anywhere in a statement: every FROM item's alias or, without one, its
// relation or function name, every WITH query's name, and INSERT ... ON
// CONFLICT's excluded. A qualifier that is none of them is PostgreSQL's
// "missing FROM-clause entry" (42P01) wherever the reference is, and one
// that names a relation only by the name an alias hides is its "invalid
// reference to FROM-clause entry". go-mysql-server reports both as an
// unknown table, which read as "relation ... does not exist".
type rangeNames struct {
	names   map[string]bool   // aliases, unaliased relation names, CTEs, functions
	aliased map[string]string // relation name -> its alias, for relations that have one
	at      map[string]int32  // relation name -> parse location of its first mention
}

// walkTree calls visit on m and on every message below it, parents first.
func walkTree(m protoreflect.Message, visit func(protoreflect.Message)) {
	visit(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			if fd.Kind() == protoreflect.MessageKind {
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					walkTree(l.Get(i).Message(), visit)
				}
			}
		case fd.IsMap():
		case fd.Kind() == protoreflect.MessageKind:
			walkTree(v.Message(), visit)
		}
		return true
	})
}

// collectRangeNames walks the whole parse tree of a statement.
func collectRangeNames(n *pg.Node) *rangeNames {
	rn := &rangeNames{names: map[string]bool{"excluded": true, "old": true, "new": true}, aliased: map[string]string{}, at: map[string]int32{}}
	visit := func(m protoreflect.Message) {
		switch x := m.Interface().(type) {
		case *pg.RangeVar:
			if _, seen := rn.at[x.Relname]; !seen && x.Location >= 0 {
				rn.at[x.Relname] = x.Location
			}
			if x.Alias != nil {
				if _, seen := rn.aliased[x.Relname]; !seen {
					rn.aliased[x.Relname] = x.Alias.Aliasname
				}
			} else {
				rn.names[x.Relname] = true
			}
		case *pg.Alias:
			rn.names[x.Aliasname] = true
		case *pg.CommonTableExpr:
			rn.names[x.Ctename] = true
		case *pg.FuncCall:
			if k := len(x.Funcname); k > 0 {
				rn.names[x.Funcname[k-1].GetString_().GetSval()] = true
			}
		}
	}
	if n != nil {
		walkTree(n.ProtoReflect(), visit)
	}
	for rel := range rn.aliased {
		if rn.names[rel] {
			delete(rn.aliased, rel) // also a name of its own somewhere
		}
	}
	return rn
}

// badQualifier returns the error PostgreSQL gives for a column reference
// qualified by table (at parse location loc) that no FROM item of the
// statement can be, or nil.
func (t *translator) badQualifier(table string, loc int32) *pgerror.Error {
	if t.ranges == nil || t.ranges.names[table] || table == srfSelectAlias || loc <= 0 {
		// Known, or made by the translator (srf_select.go, views.go,
		// dml_dmljoin.go: references without a place in the query).
		return nil
	}
	var e *pgerror.Error
	if alias, ok := t.ranges.aliased[table]; ok {
		e = pgerror.New(pgerror.UndefinedTable, "invalid reference to FROM-clause entry for table %q", table)
		e.Hint = "Perhaps you meant to reference the table alias \"" + alias + "\"."
	} else {
		e = pgerror.New(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", table)
	}
	e.Position = t.position(loc)
	return e
}

// qualifierError is an expression that fails with err when the planner
// binds it: in PostgreSQL's order, after the FROM clause (a relation that
// does not exist is reported first), at the reference's place in the
// statement.
func qualifierError(err *pgerror.Error) ast.Expr {
	return ast.InjectedExpr{Expression: pgexpr.InjectableError{Err: err}}
}

// checkInsertColumn fails like PostgreSQL's checkInsertTargets (42703,
// naming the relation) when the target table is a known user table that
// has no column rt.Name.
func (t *translator) checkInsertColumn(rel *pg.RangeVar, rt *pg.ResTarget) {
	if t.tableColumns == nil || rel.Schemaname != "" && rel.Schemaname != "public" {
		return
	}
	cols, ok := t.tableColumns(rel.Relname)
	if !ok {
		return
	}
	for _, c := range cols {
		if c == rt.Name { // quoted names are case-sensitive (design 095)
			return
		}
	}
	e := pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, rel.Relname)
	e.Position = t.position(rt.Location)
	panic(failure{e})
}

// with adds the names of the statement as written (before its views were
// expanded: a view's name and alias) to rn, the names of the expanded
// statement (the views' own FROM items).
func (rn *rangeNames) with(written *rangeNames) *rangeNames {
	if written == nil {
		return rn
	}
	for n := range written.names {
		rn.names[n] = true
	}
	for rel, alias := range written.aliased {
		if _, seen := rn.aliased[rel]; !seen {
			rn.aliased[rel] = alias
		}
	}
	for rel := range rn.aliased {
		if rn.names[rel] {
			delete(rn.aliased, rel)
		}
	}
	return rn
}
