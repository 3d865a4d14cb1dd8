package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
)

// checkRecursiveCTE applies PostgreSQL's shape rules to a WITH RECURSIVE
// item that refers to itself: non-recursive term UNION [ALL] recursive
// term, the self-reference exactly once in the recursive term, not inside
// a subquery, not on the nullable side of an outer join, and no aggregate,
// ORDER BY, LIMIT or OFFSET there. go-mysql-server runs such a query as a
// fixpoint iteration but would accept some of these shapes and answer
// differently, or fail with XX000. An item that does not refer to itself
// is an ordinary CTE, as in PostgreSQL.
func (t *translator) checkRecursiveCTE(cte *pg.CommonTableExpr, sel *pg.SelectStmt) {
	name := cte.Ctename
	if len(selfRefs(sel.ProtoReflect(), name, false)) == 0 {
		return
	}
	// loc is kept for a cursor position once the translator knows the
	// statement's text (a byte offset is not psql's character position).
	fail := func(code string, _ int32, format string, args ...any) {
		t.fail(code, format, args...)
	}
	if sel.Op != pg.SetOperation_SETOP_UNION || sel.Larg == nil || sel.Rarg == nil {
		fail("42P19", cte.Location, "recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term", name)
	}
	if r := selfRefs(sel.Larg.ProtoReflect(), name, false); len(r) > 0 {
		fail("42P19", r[0].loc, "recursive reference to query %q must not appear within its non-recursive term", name)
	}
	switch {
	case len(sel.SortClause) > 0:
		fail(pgerror.FeatureNotSupported, nodeLocation(sel.SortClause[0]), "ORDER BY in a recursive query is not implemented")
	case sel.LimitOffset != nil:
		fail(pgerror.FeatureNotSupported, nodeLocation(sel.LimitOffset), "OFFSET in a recursive query is not implemented")
	case sel.LimitCount != nil:
		fail(pgerror.FeatureNotSupported, nodeLocation(sel.LimitCount), "LIMIT in a recursive query is not implemented")
	}
	refs := selfRefs(sel.Rarg.ProtoReflect(), name, false)
	for _, r := range refs {
		switch {
		case r.inSubquery:
			fail("42P19", r.loc, "recursive reference to query %q must not appear within a subquery", name)
		case r.inOuterJoin:
			fail("42P19", r.loc, "recursive reference to query %q must not appear within an outer join", name)
		}
	}
	if len(refs) > 1 {
		fail("42P19", refs[1].loc, "recursive reference to query %q must not appear more than once", name)
	}
	if rec := sel.Rarg; rec.Op == pg.SetOperation_SETOP_NONE {
		walkFuncCalls(rec.ProtoReflect(), func(fc *pg.FuncCall) {
			if fc.Over == nil && (isAggregateName(funcCallName(fc)) || fc.AggStar) {
				fail("42P19", fc.Location, "aggregate functions are not allowed in a recursive query's recursive term")
			}
		})
	}
}

// selfRef is one reference to a recursive CTE's own name.
type selfRef struct {
	loc         int32
	inSubquery  bool
	inOuterJoin bool
}

// selfRefs lists the unqualified range references to name in a parse
// tree, in source order, and whether each sits in a subquery or on the
// nullable side of an outer join. A nested WITH that defines the same
// name hides it (its own references are its own).
func selfRefs(m protoreflect.Message, name string, inSub bool) []selfRef {
	var out []selfRef
	var walk func(m protoreflect.Message, inSub, nullable bool)
	walk = func(m protoreflect.Message, inSub, nullable bool) {
		walkMessages(m, func(m protoreflect.Message) bool {
			switch x := m.Interface().(type) {
			case *pg.RangeVar:
				if x.Schemaname == "" && x.Relname == name {
					out = append(out, selfRef{loc: x.Location, inSubquery: inSub, inOuterJoin: nullable})
				}
				return false
			case *pg.SubLink:
				if x.Subselect != nil {
					walk(x.Subselect.ProtoReflect(), true, nullable)
				}
				return false
			case *pg.RangeSubselect:
				if x.Subquery != nil {
					walk(x.Subquery.ProtoReflect(), true, nullable)
				}
				return false
			case *pg.WithClause:
				for _, c := range x.Ctes {
					if c.GetCommonTableExpr().GetCtename() == name {
						return false
					}
				}
			case *pg.JoinExpr:
				l, r := nullable, nullable
				switch x.Jointype {
				case pg.JoinType_JOIN_LEFT:
					r = true
				case pg.JoinType_JOIN_RIGHT:
					l = true
				case pg.JoinType_JOIN_FULL:
					l, r = true, true
				}
				if x.Larg != nil {
					walk(x.Larg.ProtoReflect(), inSub, l)
				}
				if x.Rarg != nil {
					walk(x.Rarg.ProtoReflect(), inSub, r)
				}
				if x.Quals != nil {
					walk(x.Quals.ProtoReflect(), inSub, nullable)
				}
				return false
			}
			return true
		})
	}
	walk(m, inSub, false)
	return out
}

// nodeLocation is the source offset of a node that has one, or -1.
func nodeLocation(n *pg.Node) int32 {
	loc := int32(-1)
	if n == nil {
		return loc
	}
	m := n.ProtoReflect()
	var find func(m protoreflect.Message) bool
	find = func(m protoreflect.Message) bool {
		if fd := m.Descriptor().Fields().ByName("location"); fd != nil && fd.Kind() == protoreflect.Int32Kind {
			loc = int32(m.Get(fd).Int())
			return true
		}
		found := false
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
				found = find(v.Message())
			}
			return !found
		})
		return found
	}
	find(m)
	return loc
}
