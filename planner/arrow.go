package planner

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"openwit/exec"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
)

// ArrowRows is the result of a query run by ExecuteArrow: the vectorized
// executor's record batches, projected to the result columns, without
// conversion to rows. Not safe for concurrent use.
type ArrowRows struct {
	ctx     context.Context // the statement's context (statement_timeout)
	cancel  context.CancelFunc
	op      exec.Operator
	release func() // after op is closed
	schema  *arrow.Schema
	cols    []int // result column i is executor column cols[i]
	limit   int64 // most rows returned; -1: no limit
	sent    int64
	closed  bool
}

// ExecuteArrow runs a query whose plan is fully vectorized and returns its
// result as record batches. A plan is fully vectorized when it is, under
// an optional LIMIT with a constant count, either a vectorized fragment
// (filter, aggregation or top-k; see ruleVectorize) or a plain scan of one
// table, optionally under a projection that only picks, reorders or
// renames columns. Result rows come in the order the executor produces
// them: for a plain scan over several sources that is arrival order (SQL
// gives no order without ORDER BY; the row engine reads files in snapshot
// order).
//
// ok is false, with nothing started, when the statement is not a query or
// its plan is not fully vectorized (or the session turned the executor
// off): run Execute instead. The values are those of the row engine's:
// only the Arrow types may differ from the result columns' PostgreSQL types
// (for example a timestamp's zone label), which the caller converts.
func (p *Prepared) ExecuteArrow(ctx context.Context, params []any) (rows *ArrowRows, ok bool, err error) {
	if !p.arrowable() {
		return nil, false, nil
	}
	p.countExec()
	sctx, node, cancel, err := p.bindPlan(ctx, params)
	if err != nil {
		return nil, false, err
	}
	rows, ok, err = p.arrowRows(sctx, node, cancel)
	if !ok {
		cancel()
	}
	return rows, ok, err
}

// arrowable reports whether the statement may run as Arrow batches: a
// query with result columns, in a session that did not turn the executor
// off.
func (p *Prepared) arrowable() bool {
	return p.st.Kind == pgparse.KindQuery && p.cols != nil && !p.s.base.rowEngine
}

// arrowRows starts the planned node as ArrowRows when its plan is fully
// vectorized (see ExecuteArrow); the rows own cancel. ok is false, with
// nothing started and cancel not called, when it is not.
func (p *Prepared) arrowRows(sctx *sql.Context, node sql.Node, cancel context.CancelFunc) (rows *ArrowRows, ok bool, err error) {
	v, cols, limit, ok := p.s.e.arrowPlan(sctx, node)
	if !ok || len(cols) != len(p.cols) {
		return nil, false, nil
	}
	op, release, err := v.run(sctx)
	if err != nil {
		if v.frag.Filter == nil && v.frag.Agg == nil && v.frag.TopK == nil {
			// A plain scan the executor cannot run is the row engine's.
			return nil, false, nil
		}
		cancel()
		return nil, false, mapError(execError(err))
	}
	in := op.Schema()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: p.cols[i].Name, Type: in.Field(c).Type, Nullable: true}
	}
	return &ArrowRows{ctx: sctx, cancel: cancel, op: op, release: release,
		schema: arrow.NewSchema(fields, nil), cols: cols, limit: limit}, true, nil
}

// arrowRowIter reads ArrowRows as go-mysql-server rows, for a fully
// vectorized query run through Execute (the PostgreSQL wire): the
// executor's batches go straight to the result, without the row engine's
// iterators above them. The row it returns is reused by the next call
// (Rows.Next converts it at once).
type arrowRowIter struct {
	ar     *ArrowRows
	schema sql.Schema
	cur    arrow.RecordBatch
	i      int
	row    sql.Row
}

func (it *arrowRowIter) Next(ctx *sql.Context) (sql.Row, error) {
	for it.cur == nil || it.i >= int(it.cur.NumRows()) {
		if it.cur != nil {
			it.cur.Release()
			it.cur = nil
		}
		rec, err := it.ar.Next()
		if err != nil {
			return nil, err
		}
		it.cur, it.i = rec, 0
	}
	if it.row == nil {
		it.row = make(sql.Row, len(it.schema))
	}
	for c := range it.row {
		v, err := arrowValue(ctx, it.cur.Column(c), it.i, it.schema[c].Type)
		if err != nil {
			return nil, err
		}
		it.row[c] = v
	}
	it.i++
	return it.row, nil
}

func (it *arrowRowIter) Close(*sql.Context) error {
	if it.cur != nil {
		it.cur.Release()
		it.cur = nil
	}
	return it.ar.Close()
}

// arrowPlan matches [Limit →] [Project of columns →] (vecNode | plain
// scan) and returns the vectorized node, the executor column of each
// result column and the row limit (-1: none).
func (e *Engine) arrowPlan(ctx *sql.Context, n sql.Node) (v *vecNode, cols []int, limit int64, ok bool) {
	limit = -1
	if l, isLimit := n.(*plan.Limit); isLimit {
		lit, isLit := l.Limit.(*expression.Literal)
		if !isLit {
			return nil, nil, 0, false
		}
		k, isInt := pgtypes.Int64(lit.Value())
		if !isInt || k < 0 {
			return nil, nil, 0, false
		}
		limit, n = k, l.Child
	}
	var picks []int // positions in the child's rows
	if pr, isProj := n.(*plan.Project); isProj {
		for _, x := range pr.Projections {
			if a, isAlias := x.(*expression.Alias); isAlias {
				x = a.Child
			}
			gf, isGF := x.(*expression.GetField)
			if !isGF {
				return nil, nil, 0, false
			}
			picks = append(picks, gf.Index())
		}
		n = pr.Child
	}
	switch x := n.(type) {
	case *vecNode:
		v = x
	case *plan.ResolvedTable, *plan.TableAlias:
		tbl, alias, filter, isScan := scanOf(x)
		if !isScan || filter != nil {
			return nil, nil, 0, false
		}
		c := e.newCompiler(ctx, tbl, alias)
		if len(c.cols) == 0 {
			return nil, nil, 0, false
		}
		frag := c.fragment()
		if limit > 0 {
			frag.Limit = limit
		}
		v = &vecNode{eng: e, tbl: tbl, frag: frag, schema: tbl.Schema(), out: identity(len(c.cols)),
			bounds: c.timeBounds(nil)}
	default:
		return nil, nil, 0, false
	}
	if picks == nil {
		picks = identity(len(v.schema))
	}
	for _, i := range picks {
		if i < 0 || i >= len(v.out) || v.out[i] < 0 || (v.kinds != nil && v.kinds[i] != outPlain) {
			return nil, nil, 0, false
		}
		cols = append(cols, v.out[i])
	}
	return v, cols, limit, true
}

// Schema is the schema of every batch Next returns: the result columns'
// names, the executor's types, every field nullable.
func (r *ArrowRows) Schema() *arrow.Schema { return r.schema }

// Next returns the next non-empty batch, or io.EOF. The caller owns the
// batch and releases it; it stays valid after later calls. Next runs in
// the context given to ExecuteArrow (bounded by statement_timeout).
func (r *ArrowRows) Next() (arrow.RecordBatch, error) {
	for {
		if r.closed || (r.limit >= 0 && r.sent >= r.limit) {
			return nil, io.EOF
		}
		rec, err := r.op.Next(r.ctx)
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			return nil, mapError(execError(err))
		}
		n := rec.NumRows()
		if n == 0 {
			continue
		}
		cols := make([]arrow.Array, len(r.cols))
		for i, c := range r.cols {
			cols[i] = rec.Column(c)
		}
		out := array.NewRecordBatch(r.schema, cols, n)
		if r.limit >= 0 && r.sent+n > r.limit {
			cut := out.NewSlice(0, r.limit-r.sent)
			out.Release()
			out, n = cut, r.limit-r.sent
		}
		r.sent += n
		return out, nil
	}
}

// Close stops the query and releases the result. It is idempotent.
func (r *ArrowRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.op.Close()
	r.release()
	r.cancel()
	if err != nil {
		return mapError(execError(err))
	}
	return nil
}
