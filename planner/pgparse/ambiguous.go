package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Ambiguous column names. go-mysql-server reports an unqualified name that
// two FROM items have (42702) in plain expressions, but in a SELECT with
// aggregates or GROUP BY it takes the first table's column, where
// PostgreSQL raises "column reference is ambiguous". For such a SELECT
// over more than one FROM item the translator writes, for each unqualified
// name in its select list, GROUP BY and HAVING, a probe: SELECT name FROM
// <the same FROM>, which the planner binds (without running it) so that
// go-mysql-server's own resolution, USING and NATURAL joins included,
// decides whether the name is ambiguous.

// ambiguityProbes returns the probes of a SELECT whose FROM is from.
func (t *translator) ambiguityProbes(s *pg.SelectStmt, from ast.TableExprs) []ast.SelectStatement {
	if len(s.FromClause) == 0 || (len(s.FromClause) == 1 && s.FromClause[0].GetJoinExpr() == nil) {
		return nil
	}
	var nodes []*pg.Node
	for _, n := range s.TargetList {
		nodes = append(nodes, n)
	}
	nodes = append(nodes, s.GroupClause...)
	if s.HavingClause != nil {
		nodes = append(nodes, s.HavingClause)
	}
	grouped := len(s.GroupClause) > 0 || s.HavingClause != nil
	var names []string
	seen := map[string]bool{}
	for _, n := range nodes {
		walkNoSubqueries(n.ProtoReflect(), func(m protoreflect.Message) {
			switch x := m.Interface().(type) {
			case *pg.FuncCall:
				grouped = true
			case *pg.ColumnRef:
				if len(x.Fields) != 1 || x.Fields[0].GetString_() == nil {
					return
				}
				name := x.Fields[0].GetString_().Sval
				if _, merged := t.fullUsing[name]; merged {
					return // a FULL JOIN USING column: coalesce(l.c, r.c)
				}
				if !seen[name] {
					seen[name] = true
					names = append(names, name)
				}
			}
		})
	}
	if !grouped {
		return nil // go-mysql-server checks these itself
	}
	probes := make([]ast.SelectStatement, 0, len(names))
	for _, name := range names {
		probes = append(probes, &ast.Select{
			SelectExprs: ast.SelectExprs{&ast.AliasedExpr{Expr: &ast.ColName{Name: ast.NewColIdent(name)}}},
			From:        from,
		})
	}
	return probes
}
