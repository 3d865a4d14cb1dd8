package planner

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
)

// DELETE ... RETURNING and UPDATE ... RETURNING (docs/design/074-update.md).
// The RETURNING list is part of the statement's SELECT (after UPDATE's new
// values), so go-mysql-server binds and types it; the matcher or updater
// evaluates it on every row it removes or changes (UPDATE: with the new
// values in place), and the session sends the rows only once the file swap
// committed. A swap lost to a concurrent change starts the collection over.

// returned collects the RETURNING rows of one DELETE or UPDATE attempt.
type returned struct {
	exprs []sql.Expression
	mu    sync.Mutex
	rows  []sql.Row
}

// reset forgets the rows of a lost attempt.
func (r *returned) reset() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.rows = nil
	r.mu.Unlock()
}

// add evaluates the RETURNING list on row.
func (r *returned) add(ctx *sql.Context, row sql.Row) error {
	if r == nil {
		return nil
	}
	out := make(sql.Row, len(r.exprs))
	for i, x := range r.exprs {
		v, err := x.Eval(ctx, row)
		if err != nil {
			return mapError(err)
		}
		out[i] = v
	}
	r.mu.Lock()
	r.rows = append(r.rows, out)
	r.mu.Unlock()
	return nil
}

// result is the statement's result: its tag, and the collected rows in
// PostgreSQL's representation when it has a RETURNING list.
func (r *returned) result(ctx *sql.Context, tag string, schema sql.Schema) (*Rows, error) {
	if r == nil {
		return &Rows{tag: tag}, nil
	}
	rows := make([][]any, 0, len(r.rows))
	for _, row := range r.rows {
		out := make([]any, len(row))
		for i, v := range row {
			nv, err := pgtypes.Value(ctx, schema[i].Type, v)
			if err != nil {
				return nil, mapError(err)
			}
			out[i] = nv
		}
		rows = append(rows, out)
	}
	return &Rows{tag: tag, rows: rows, schema: schema, ctx: ctx}, nil
}

// dmlReturningSchema is the schema of the RETURNING rows of a DELETE or
// UPDATE whose statement SELECT planned to node; ok is false without a
// RETURNING list.
func dmlReturningSchema(st *pgparse.Statement, node sql.Node) (sql.Schema, bool) {
	switch {
	case st.Delete != nil && st.Delete.Returning:
		s := node.Schema()
		if len(s) < len(st.Delete.Keys) {
			return nil, false
		}
		return s[len(st.Delete.Keys):], true
	case st.Update != nil && st.Update.Returning:
		s := node.Schema()
		n := len(st.Update.Keys) + len(st.Update.Columns) + st.Update.Checks
		if len(s) < n {
			return nil, false
		}
		return s[n:], true
	}
	return nil, false
}

// projectionOf returns the expressions of the projection at the top of
// the plan of a DELETE's or UPDATE's SELECT, or GetFields of its schema
// when go-mysql-server folded the projection away.
func projectionOf(node sql.Node) []sql.Expression {
	if pr, ok := node.(*plan.Project); ok {
		return pr.Projections
	}
	var out []sql.Expression
	for i, c := range node.Schema() {
		out = append(out, expression.NewGetField(i, c.Type, c.Name, c.Nullable))
	}
	return out
}
