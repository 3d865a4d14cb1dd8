package planner

import (
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// A LATERAL join inside a subquery (an EXISTS, IN or scalar subquery that
// reads the outer query), in go-mysql-server v0.20.0's terms:
//
//   - the subquery runs with the outer row R: each row source of its plan
//     is wrapped in a PrependNode that puts R in front of the source's
//     rows (plan.PrependRowInPlan), inside derived tables that see the
//     outer scope, around the others;
//   - a join in a subquery has both sides wrapped in a StripRowNode that
//     drops R again (fix_exec_indexes), and its rows are R, left, right;
//   - the right side of a lateral join is planned to read R, then the
//     left row L, then its own columns.
//
// go-mysql-server's lateral join iterator prepends only L (without R) to
// the right side's sources, evaluates its table functions' arguments
// against L, and cuts the right side's rows after len(L) while the
// StripRowNode has already dropped len(R) columns: the right side read
// the outer row at the wrong places ("unable to find field", or wrong
// values). scopedLateralIter runs such a join with R+L as the right
// side's scope instead.

// lateralInScope reports whether j is a lateral join that runs inside a
// subquery with the outer row row.
func lateralInScope(j *plan.JoinNode, row sql.Row) bool {
	return j.Op.IsLateral() && j.ScopeLen > 0 && len(row) > 0
}

// scopedLateralIter joins each left row L with the rows of the right side
// run with the scope R+L; rows are R, L, right (less the parts of R past
// the join's scope, as go-mysql-server's join iterators cut them).
type scopedLateralIter struct {
	b        sql.NodeExecBuilder
	outer    sql.Row // R
	left     sql.RowIter
	right    sql.Node // the right side without R's wrappers
	rightLen int
	cond     sql.Expression
	leftJoin bool
	scopeLen int

	scope   sql.Row // R+L of the current left row, nil before the first
	rIter   sql.RowIter
	matched bool
}

func newScopedLateralIter(ctx *sql.Context, b sql.NodeExecBuilder, j *plan.JoinNode, row sql.Row) (sql.RowIter, error) {
	right := j.Right()
	if s, ok := right.(*plan.StripRowNode); ok {
		right = s.Child // the rows are cut here, after R+L
	}
	right = dropPrepends(right, row)
	left, err := b.Build(ctx, j.Left(), row)
	if err != nil {
		return nil, err
	}
	return &scopedLateralIter{
		b: b, outer: row, left: left, right: right, rightLen: len(j.Right().Schema()),
		cond: j.Filter, leftJoin: j.Op == plan.JoinTypeLateralLeft, scopeLen: j.ScopeLen,
	}, nil
}

// Next implements sql.RowIter.
func (it *scopedLateralIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		if it.rIter == nil {
			l, err := it.left.Next(ctx)
			if err != nil {
				return nil, err
			}
			it.scope = make(sql.Row, 0, len(it.outer)+len(l)+it.rightLen)
			it.scope = append(append(it.scope, it.outer...), l...)
			n, _, err := transform.Node(it.right, plan.PrependRowInPlan(it.scope, true))
			if err != nil {
				return nil, err
			}
			if it.rIter, err = it.b.Build(ctx, n, it.scope); err != nil {
				return nil, err
			}
			it.matched = false
		}
		r, err := it.rIter.Next(ctx)
		if err == io.EOF {
			cerr := it.rIter.Close(ctx)
			it.rIter = nil
			if cerr != nil {
				return nil, cerr
			}
			if it.leftJoin && !it.matched {
				return it.output(make(sql.Row, it.rightLen)), nil
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if len(r) < len(it.scope) {
			return nil, fmt.Errorf("lateral join: right row of %d values under a scope of %d", len(r), len(it.scope))
		}
		row := it.output(r[len(it.scope):])
		if it.cond != nil {
			ok, err := sql.EvaluateCondition(ctx, it.cond, row)
			if err != nil {
				return nil, err
			}
			if !sql.IsTrue(ok) {
				continue
			}
		}
		it.matched = true
		return row, nil
	}
}

// output is R, L, right, without the part of R past the join's scope.
func (it *scopedLateralIter) output(right sql.Row) sql.Row {
	row := make(sql.Row, 0, len(it.scope)+len(right))
	row = append(append(row, it.scope...), right...)
	if it.scopeLen < len(it.outer) {
		row = append(row[:it.scopeLen], row[len(it.outer):]...)
	}
	return row
}

// Close implements sql.RowIter.
func (it *scopedLateralIter) Close(ctx *sql.Context) error {
	var rerr error
	if it.rIter != nil {
		rerr = it.rIter.Close(ctx)
		it.rIter = nil
	}
	if err := it.left.Close(ctx); err != nil {
		return err
	}
	return rerr
}

// dropPrepends removes from n the PrependNodes that prepend row (the same
// slice: the one the enclosing subquery wrapped its sources with).
func dropPrepends(n sql.Node, row sql.Row) sql.Node {
	if p, ok := n.(*plan.PrependNode); ok && len(p.Row) == len(row) && &p.Row[0] == &row[0] {
		return dropPrepends(p.Child, row)
	}
	kids := n.Children()
	var out []sql.Node
	for i, k := range kids {
		nk := dropPrepends(k, row)
		if nk == k {
			continue
		}
		if out == nil {
			out = append([]sql.Node(nil), kids...)
		}
		out[i] = nk
	}
	if out == nil {
		return n
	}
	nn, err := n.WithChildren(out...)
	if err != nil {
		return n
	}
	return nn
}
