package planner

import (
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

const ruleFloatGroupKeys analyzer.RuleId = 10_041

// floatGroupKeys makes the row engine's GROUP BY put -0 and 0 of a float
// key in one group, as PostgreSQL does (they are equal). go-mysql-server
// hashes a key's printed value, and -0 prints "-0". It runs after the
// vectorizer, on the GroupBy nodes left to the row engine; only the key
// the rows are hashed by changes, not the values the select list shows
// (each group's, as before).
func floatGroupKeys(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		g, ok := n.(*plan.GroupBy)
		if !ok {
			return n, transform.SameTree, nil
		}
		var keys []sql.Expression
		for i, e := range g.GroupByExprs {
			if !types.IsFloat(e.Type()) {
				continue
			}
			if keys == nil {
				keys = append([]sql.Expression(nil), g.GroupByExprs...)
			}
			keys[i] = &floatKey{Child: e}
		}
		if keys == nil {
			return n, transform.SameTree, nil
		}
		ng := *g
		ng.GroupByExprs = keys
		return &ng, transform.NewTree, nil
	})
}

// floatKey is a float group key with -0 read as 0.
type floatKey struct{ Child sql.Expression }

var _ sql.Expression = (*floatKey)(nil)

func (k *floatKey) Resolved() bool             { return k.Child.Resolved() }
func (k *floatKey) String() string             { return k.Child.String() }
func (k *floatKey) Type() sql.Type             { return k.Child.Type() }
func (k *floatKey) IsNullable() bool           { return k.Child.IsNullable() }
func (k *floatKey) Children() []sql.Expression { return []sql.Expression{k.Child} }

// WithChildren implements sql.Expression.
func (k *floatKey) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("float group key: %d children", len(children))
	}
	return &floatKey{Child: children[0]}, nil
}

// Eval implements sql.Expression.
func (k *floatKey) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := k.Child.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case float64:
		if x == 0 {
			return math.Abs(x), nil
		}
	case float32:
		if x == 0 {
			return float32(0), nil
		}
	}
	return v, nil
}
