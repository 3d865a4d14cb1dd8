package planner

import (
	"io"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/iters"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// The row engine removes duplicate rows (SELECT DISTINCT, UNION,
// INTERSECT, EXCEPT) by a hash of each row's printed values, and -0 prints
// "-0": -0 and 0, equal in PostgreSQL, were two rows. For a Distinct or a
// SetOp whose rows hold a float column, execBuilder builds the iterators
// below instead, which hash -0 as 0 and keep every value as it is (the
// row kept is the first of its duplicates, as before). The vectorized
// executor has no DISTINCT of rows; its count(DISTINCT) already reads -0
// as 0 (exec.intKeyGetter).

// floatRowHash is sql.HashOf of row with every float -0 read as 0.
func floatRowHash(ctx *sql.Context, row sql.Row) (uint64, error) {
	var cp sql.Row
	for i, v := range row {
		var zero any
		switch x := v.(type) {
		case float64:
			if x == 0 && math.Signbit(x) {
				zero = float64(0)
			}
		case float32:
			if x == 0 && math.Signbit(float64(x)) {
				zero = float32(0)
			}
		}
		if zero == nil {
			continue
		}
		if cp == nil {
			cp = append(sql.Row(nil), row...)
		}
		cp[i] = zero
	}
	if cp != nil {
		row = cp
	}
	return sql.HashOf(ctx, row)
}

// floatDistinctIter returns the rows of child whose hash it has not seen.
type floatDistinctIter struct {
	child   sql.RowIter
	seen    sql.KeyValueCache
	dispose sql.DisposeFunc
}

func newFloatDistinctIter(ctx *sql.Context, child sql.RowIter) *floatDistinctIter {
	cache, dispose := ctx.Memory.NewHistoryCache()
	return &floatDistinctIter{child: child, seen: cache, dispose: dispose}
}

// Next implements sql.RowIter.
func (d *floatDistinctIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		row, err := d.child.Next(ctx)
		if err != nil {
			if err == io.EOF {
				d.release()
			}
			return nil, err
		}
		h, err := floatRowHash(ctx, row)
		if err != nil {
			return nil, err
		}
		if _, err := d.seen.Get(h); err == nil {
			continue
		}
		if err := d.seen.Put(h, struct{}{}); err != nil {
			return nil, err
		}
		return row, nil
	}
}

func (d *floatDistinctIter) release() {
	if d.dispose != nil {
		d.dispose()
		d.dispose = nil
	}
}

// Close implements sql.RowIter.
func (d *floatDistinctIter) Close(ctx *sql.Context) error {
	d.release()
	return d.child.Close(ctx)
}

// floatSetOpIter is INTERSECT [ALL] (except false) or EXCEPT [ALL]
// (except true): the rows of left that (do not) match a row of right,
// each row of right matching once.
type floatSetOpIter struct {
	left, right sql.RowIter
	except      bool
	counts      map[uint64]int
}

// Next implements sql.RowIter.
func (s *floatSetOpIter) Next(ctx *sql.Context) (sql.Row, error) {
	if s.counts == nil {
		s.counts = map[uint64]int{}
		for {
			row, err := s.right.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			h, err := floatRowHash(ctx, row)
			if err != nil {
				return nil, err
			}
			s.counts[h]++
		}
	}
	for {
		row, err := s.left.Next(ctx)
		if err != nil {
			return nil, err
		}
		h, err := floatRowHash(ctx, row)
		if err != nil {
			return nil, err
		}
		matched := s.counts[h] > 0
		if matched {
			s.counts[h]--
		}
		if matched != s.except {
			return row, nil
		}
	}
}

// Close implements sql.RowIter.
func (s *floatSetOpIter) Close(ctx *sql.Context) error {
	lerr := s.left.Close(ctx)
	if rerr := s.right.Close(ctx); rerr != nil && lerr == nil {
		lerr = rerr
	}
	return lerr
}

// floatSetOp builds a set operation over rows with a float column as
// go-mysql-server's buildSetOp does, with the iterators above; nil, nil
// for a UNION ALL, which compares nothing.
func (b *execBuilder) floatSetOp(ctx *sql.Context, s *plan.SetOp, row sql.Row) (sql.RowIter, error) {
	if s.SetOpType == plan.UnionType && !s.Distinct {
		return nil, nil
	}
	left, err := b.base.Build(ctx, s.Left(), row)
	if err != nil {
		return nil, err
	}
	var iter sql.RowIter
	switch s.SetOpType {
	case plan.UnionType:
		iter = &iters.UnionIter{Cur: left, NextIter: func(ctx *sql.Context) (sql.RowIter, error) {
			return b.base.Build(ctx, s.Right(), row)
		}}
	case plan.IntersectType, plan.ExceptType:
		right, err := b.base.Build(ctx, s.Right(), row)
		if err != nil {
			_ = left.Close(ctx)
			return nil, err
		}
		if s.Distinct && s.SetOpType == plan.ExceptType {
			// EXCEPT removes the duplicates of both inputs first.
			dl, dr := newFloatDistinctIter(ctx, left), newFloatDistinctIter(ctx, right)
			left, right = dl, dr
		}
		iter = &floatSetOpIter{left: left, right: right, except: s.SetOpType == plan.ExceptType}
	default:
		_ = left.Close(ctx)
		return nil, nil
	}
	if s.Distinct && s.SetOpType != plan.ExceptType {
		iter = newFloatDistinctIter(ctx, iter)
	}
	if s.Offset != nil {
		n, err := iters.GetInt64Value(ctx, s.Offset)
		if err != nil {
			return nil, err
		}
		iter = &offsetRows{skip: n, child: iter}
	}
	switch {
	case s.Limit != nil && len(s.SortFields) > 0:
		n, err := iters.GetInt64Value(ctx, s.Limit)
		if err != nil {
			return nil, err
		}
		iter = iters.NewTopRowsIter(s.SortFields, n, false, iter, len(s.Schema()))
	case s.Limit != nil:
		n, err := iters.GetInt64Value(ctx, s.Limit)
		if err != nil {
			return nil, err
		}
		iter = &iters.LimitIter{Limit: n, ChildIter: iter}
	case len(s.SortFields) > 0:
		iter = iters.NewSortIter(s.SortFields, iter)
	}
	return iter, nil
}

// offsetRows skips the first skip rows of child.
type offsetRows struct {
	skip  int64
	child sql.RowIter
}

// Next implements sql.RowIter.
func (o *offsetRows) Next(ctx *sql.Context) (sql.Row, error) {
	for ; o.skip > 0; o.skip-- {
		if _, err := o.child.Next(ctx); err != nil {
			return nil, err
		}
	}
	return o.child.Next(ctx)
}

// Close implements sql.RowIter.
func (o *offsetRows) Close(ctx *sql.Context) error { return o.child.Close(ctx) }

const ruleFloatInSubquery analyzer.RuleId = 10_089

// floatInSubquery makes `x IN (SELECT f ...)` over float values match -0
// with 0: go-mysql-server's InSubquery looks the left value up in a set
// keyed by the printed values of the subquery's rows. The left operand
// and the subquery's projected value (which only IN reads) become
// floatKeys, which read -0 as 0. It runs after the vectorizer, on the
// plan the row engine runs.
func floatInSubquery(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		in, ok := e.(*plan.InSubquery)
		if !ok || !types.IsFloat(in.LeftChild.Type()) {
			return e, transform.SameTree, nil
		}
		sq, ok := in.RightChild.(*plan.Subquery)
		if !ok || !types.IsFloat(sq.Type()) {
			return e, transform.SameTree, nil
		}
		q, ok := floatKeyProjection(sq.Query)
		if !ok {
			return e, transform.SameTree, nil
		}
		left := in.LeftChild
		if _, done := left.(*floatKey); !done {
			left = &floatKey{Child: left}
		}
		return plan.NewInSubquery(left, sq.WithQuery(q)), transform.NewTree, nil
	})
}

// floatKeyProjection returns q with its one projected column, a float,
// read as a floatKey; false when q's value does not come from a Project
// under nodes that pass rows through.
func floatKeyProjection(q sql.Node) (sql.Node, bool) {
	switch x := q.(type) {
	case *plan.Project:
		if len(x.Projections) != 1 {
			return q, false
		}
		p := x.Projections[0]
		if _, done := p.(*floatKey); done {
			return q, false
		}
		if a, ok := p.(*expression.Alias); ok {
			if _, done := a.Child.(*floatKey); done {
				return q, false
			}
		}
		np, err := x.WithExpressions(&floatKey{Child: p})
		return np, err == nil
	case *plan.Distinct, *plan.Limit, *plan.Offset, *plan.Sort, *plan.TopN, *plan.Filter, *plan.Having:
		c, ok := floatKeyProjection(q.Children()[0])
		if !ok {
			return q, false
		}
		nq, err := q.WithChildren(c)
		return nq, err == nil
	}
	return q, false
}
