package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// execBuilder builds go-mysql-server's row iterators, but for an INSERT
// into a real column (float4Dest), a Window with a numeric sum
// (exactWindowSums), a Distinct or set operation over a float column
// (float_distinct.go), a VALUES list and a Project
// with a float column: go-mysql-server's projection turns -0 into 0 (as
// MySQL does), PostgreSQL keeps the sign ('-0'::float8 is -0), so such a
// projection runs in projectIter, which evaluates the same expressions and
// keeps every value as it is.
type execBuilder struct {
	base sql.NodeExecBuilder // the builder this one overrides; builds the children
}

var _ sql.NodeExecBuilder = (*execBuilder)(nil)

// newExecBuilder returns the row-iterator builder the engine runs plans with.
func newExecBuilder() sql.NodeExecBuilder {
	b := &execBuilder{}
	b.base = rowexec.NewOverrideBuilder(b)
	return b.base
}

// Build returns nil, nil for the nodes go-mysql-server builds itself.
func (b *execBuilder) Build(ctx *sql.Context, n sql.Node, row sql.Row) (sql.RowIter, error) {
	if ii, ok := n.(*plan.InsertInto); ok {
		// An INSERT into a real column converts as PostgreSQL does
		// (float4.go).
		cp, err := withFloat4Dest(ii)
		if cp == nil || err != nil {
			return nil, err
		}
		return b.base.Build(ctx, cp, row)
	}
	if w, ok := n.(*plan.Window); ok {
		// numeric sum() over a window is exact (window_sum.go).
		cp, err := exactWindowSums(w)
		if cp == nil || err != nil {
			return nil, err
		}
		return b.base.Build(ctx, cp, row)
	}
	if j, ok := n.(*plan.JoinNode); ok {
		// A LATERAL join inside a subquery (lateral_scope.go).
		if lateralInScope(j, row) {
			return newScopedLateralIter(ctx, b.base, j, row)
		}
	}
	if v, ok := n.(*plan.Values); ok {
		return valuesIter(ctx, v, row)
	}
	if d, ok := n.(*plan.Distinct); ok && hasFloatColumn(d.Schema()) {
		// -0 and 0 are one row (float_distinct.go).
		child, err := b.base.Build(ctx, d.Child, row)
		if err != nil {
			return nil, err
		}
		return newFloatDistinctIter(ctx, child), nil
	}
	if s, ok := n.(*plan.SetOp); ok && hasFloatColumn(s.Schema()) {
		return b.floatSetOp(ctx, s, row)
	}
	p, ok := n.(*plan.Project)
	if !ok || !hasFloatColumn(p.Schema()) || hasDefaults(p.Projections) {
		return nil, nil
	}
	child, err := b.base.Build(ctx, p.Child, row)
	if err != nil {
		return nil, err
	}
	return &projectIter{projs: p.Projections, child: child}, nil
}

func hasFloatColumn(s sql.Schema) bool {
	for _, c := range s {
		if types.IsFloat(c.Type) {
			return true
		}
	}
	return false
}

// valuesIter evaluates a VALUES list (an INSERT's rows) keeping -0, when
// no tuple holds a column default; nil, nil otherwise. (The schema of a
// VALUES list is its first row's, so a float can hide in any column.)
func valuesIter(ctx *sql.Context, v *plan.Values, row sql.Row) (sql.RowIter, error) {
	for _, et := range v.ExpressionTuples {
		if hasDefaults(et) {
			return nil, nil
		}
	}
	rows := make([]sql.Row, len(v.ExpressionTuples))
	for i, et := range v.ExpressionTuples {
		vals := make(sql.Row, len(et))
		in := row
		if len(in) == 0 {
			in = make(sql.Row, len(et)) // what go-mysql-server evaluates against
		}
		for j, e := range et {
			var err error
			if vals[j], err = e.Eval(ctx, in); err != nil {
				return nil, err
			}
		}
		rows[i] = vals
	}
	return sql.RowsToRowIter(rows...), nil
}

// hasDefaults reports column defaults among the projections (an INSERT's
// source), which go-mysql-server evaluates in a second pass.
func hasDefaults(projs []sql.Expression) bool {
	for _, e := range projs {
		if w, ok := e.(*expression.Wrapper); ok {
			e = w.Unwrap()
		}
		switch e.(type) {
		case *sql.ColumnDefaultValue, plan.ColDefaultExpression:
			return true
		}
	}
	return false
}

// projectIter evaluates a projection's expressions on each child row.
type projectIter struct {
	projs []sql.Expression
	child sql.RowIter
}

func (it *projectIter) Next(ctx *sql.Context) (sql.Row, error) {
	in, err := it.child.Next(ctx)
	if err != nil {
		return nil, err
	}
	out := make(sql.Row, len(it.projs))
	for i, e := range it.projs {
		if out[i], err = e.Eval(ctx, in); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (it *projectIter) Close(ctx *sql.Context) error { return it.child.Close(ctx) }
