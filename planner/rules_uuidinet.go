package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/planner/pgexpr"
)

const ruleUUIDInetLiterals analyzer.RuleId = 10_069

// uuidInetLiterals reads the untyped string literals compared with a
// uuid, inet or cidr operand (=, <>, <, ..., IN) as values of that type
// at plan time (pgexpr.CoerceUUIDInetLiteral), so that `id = '{A0EE...}'`
// compares canonical values, in the vectorized executor too, and bad input
// is 22P02; and it rejects min and max of uuid (42883), as PostgreSQL 15
// has neither.
func uuidInetLiterals(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if err := pgexpr.CheckMinMax(e); err != nil {
				return nil, transform.SameTree, err
			}
			c, ok := e.(expression.Comparer)
			if !ok {
				return e, transform.SameTree, nil
			}
			out, ok, err := pgexpr.CoerceUUIDInetLiteral(ctx, c)
			if err != nil {
				return nil, transform.SameTree, err
			}
			if !ok {
				return e, transform.SameTree, nil
			}
			return out, transform.NewTree, nil
		})
	})
}
