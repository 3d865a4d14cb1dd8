package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// limitExpr translates a LIMIT or OFFSET argument. A non-negative integer
// literal or a parameter goes to go-mysql-server as it is (its top-N
// paths see the literal); anything else (1 + 1, a scalar subquery, a
// string, a negative number) is cast to bigint and evaluated once at run
// time, as PostgreSQL does. Column references are 42P10, as in
// PostgreSQL.
func (t *translator) limitExpr(n *pg.Node, offset bool) ast.Expr {
	if c := n.GetAConst(); c != nil && c.GetIval() != nil && c.GetIval().Ival >= 0 {
		return t.expr(n)
	}
	if n.GetParamRef() != nil {
		return t.expr(n)
	}
	clause := "LIMIT"
	if offset {
		clause = "OFFSET"
	}
	if n.GetAConst().GetBoolval() != nil || n.GetBoolExpr() != nil {
		// go-mysql-server's booleans are integers: refuse them here.
		t.fail(pgerror.DatatypeMismatch, "argument of %s must be type bigint, not type boolean", clause)
	}
	walkNoSubqueries(n.ProtoReflect(), func(m protoreflect.Message) {
		if _, ok := m.Interface().(*pg.ColumnRef); ok {
			t.fail(pgerror.InvalidColumnReference, "argument of %s must not contain variables", clause)
		}
	})
	cast := pgexpr.InjectableCast{To: "int8"}
	arg := ast.InjectedExpr{Expression: cast, Children: ast.Exprs{t.expr(n)}}
	return ast.InjectedExpr{Expression: pgexpr.InjectableLimit{Offset: offset, StringLiteral: n.GetAConst().GetSval() != nil}, Children: ast.Exprs{arg}}
}
