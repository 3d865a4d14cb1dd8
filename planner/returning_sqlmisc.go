package planner

import (
	"context"
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/planner/pgtypes"
)

// INSERT ... RETURNING (design 066). go-mysql-server evaluates the
// RETURNING expressions on each row it hands the table's inserter, but
// with RETURNING it drops the iterator that completes the statement, so
// the inserter's rows would never be written. The statement's inserters
// register with the session instead; Rows drains the insert, computing
// every returned row, then completes each inserter (the WAL append and
// fsync, or staging in a transaction block) and only then sends a row:
// the client sees nothing of a write that is not acknowledged. Any error
// discards what the inserters hold, so a failed INSERT writes nothing.

// returningWrites are the inserters of the running INSERT ... RETURNING.
type returningWrites struct {
	inserters []*inserter
}

// registerReturning hands in to the session's running INSERT ...
// RETURNING, if one runs; it reports whether it did.
func registerReturning(ctx *sql.Context, in *inserter) bool {
	if ctx == nil {
		return false
	}
	ps, ok := ctx.Session.(*pgSession)
	if !ok || ps.returning == nil {
		return false
	}
	ps.returning.inserters = append(ps.returning.inserters, in)
	return true
}

// returningColumns describes the rows of an INSERT ... RETURNING from its
// analyzed plan: the RETURNING expressions' types, names and, for plain
// columns, the table and attribute.
func (p *Prepared) returningColumns(ctx context.Context, node sql.Node) []Column {
	var ins *plan.InsertInto
	transform.Inspect(node, func(n sql.Node) bool {
		if x, ok := n.(*plan.InsertInto); ok && ins == nil {
			ins = x
		}
		return ins == nil
	})
	cols := make([]Column, 0, len(node.Schema()))
	for i, c := range node.Schema() {
		oid, size := pgtypes.OID(c.Type)
		col := Column{Name: c.Name, TypeOID: oid, TypeSize: size}
		if m := pgtypes.CharTypmod(c.Type); m > 0 {
			col.TypeModifier = m
		}
		if ins != nil && i < len(ins.Returning) {
			e := ins.Returning[i]
			if a, ok := e.(*expression.Alias); ok {
				e = a.Child
			}
			if gf, ok := e.(*expression.GetField); ok {
				p.s.e.describeSource(ctx, columnSource{table: gf.Table(), column: gf.Name()}, &col)
			}
		}
		cols = append(cols, col)
	}
	return cols
}

// buildReturning builds the row iterator of a planned INSERT ...
// RETURNING, collecting the inserters it creates.
func (p *Prepared) buildReturning(sctx *sql.Context, node sql.Node) (sql.Schema, sql.RowIter, *returningWrites, error) {
	node, err := fixReturningIndexes(node)
	if err != nil {
		return nil, nil, nil, err
	}
	w := &returningWrites{}
	p.s.base.returning = w
	defer func() { p.s.base.returning = nil }()
	schema, iter, _, err := p.s.e.gms.PrepQueryPlanForExecution(sctx, p.st.SQL, node, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	return schema, iter, w, nil
}

// discardReturning drops what the inserters of an INSERT ... RETURNING
// closed before it was drained hold: nothing is written.
func (r *Rows) discardReturning() {
	if r.returning == nil {
		return
	}
	for _, in := range r.returning.inserters {
		_ = in.DiscardChanges(r.ctx, nil)
	}
	r.returning = nil
}

// drainReturning runs an INSERT ... RETURNING to its end: it computes
// every returned row, writes the inserted rows (acknowledged: after the
// WAL fsync, or staged in the transaction block) and then serves the rows.
// On an error nothing is written.
func (r *Rows) drainReturning() error {
	w := r.returning
	r.returning = nil
	r.started = true
	var out [][]any
	var err error
	for {
		row, nerr := r.iter.Next(r.ctx)
		if nerr == io.EOF {
			break
		}
		if nerr != nil {
			err = mapError(nerr)
			break
		}
		vals := make([]any, len(row))
		for i, v := range row {
			nv, verr := pgtypes.Value(r.ctx, r.schema[i].Type, v)
			if verr != nil {
				err = mapError(verr)
				break
			}
			vals[i] = nv
		}
		if err != nil {
			break
		}
		out = append(out, vals)
	}
	if err == nil {
		for _, in := range w.inserters {
			if cerr := in.StatementComplete(r.ctx); cerr != nil {
				err = mapError(cerr)
				break
			}
		}
	}
	for _, in := range w.inserters {
		_ = in.DiscardChanges(r.ctx, err) // releases what is left
	}
	if cerr := r.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if out == nil {
		out = [][]any{}
	}
	r.rows = out
	r.tag = fmt.Sprintf("INSERT 0 %d", len(out))
	return nil
}

// fixReturningIndexes points the RETURNING expressions' column references
// at the inserted row, which is in the table's column order:
// go-mysql-server indexes them by the INSERT's source, which differs with
// a column list.
func fixReturningIndexes(node sql.Node) (sql.Node, error) {
	out, _, err := transform.Node(node, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		ins, ok := n.(*plan.InsertInto)
		if !ok || len(ins.Returning) == 0 {
			return n, transform.SameTree, nil
		}
		dest := ins.Destination.Schema()
		ret := make([]sql.Expression, len(ins.Returning))
		for i, e := range ins.Returning {
			fixed, _, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
				gf, ok := e.(*expression.GetField)
				if !ok {
					return e, transform.SameTree, nil
				}
				idx := dest.IndexOfColName(gf.Name())
				if idx < 0 || idx == gf.Index() {
					return e, transform.SameTree, nil
				}
				return gf.WithIndex(idx), transform.NewTree, nil
			})
			if err != nil {
				return nil, transform.SameTree, err
			}
			ret[i] = fixed
		}
		nn := *ins
		nn.Returning = ret
		return &nn, transform.NewTree, nil
	})
	return out, err
}
