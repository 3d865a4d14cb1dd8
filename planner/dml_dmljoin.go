package planner

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage/catalog"
	"openwit/storage/compact"
)

// The joined form of DELETE and UPDATE (docs/design/081-dml-join.md):
// UPDATE ... FROM, DELETE ... USING, WITH, subqueries in the new values
// and correlated subqueries in the condition. The statement's SELECT
// (pgparse/dml_dmljoin.go) lists every column of the target (the keys),
// then the new values and the RETURNING list, over the target joined with
// the other relations. After the table's buffered rows are published it
// runs once on the row engine; its rows say which target rows change (by
// their values: rows with the same values in every column are the same to
// every expression, so they are changed alike) and how. Then the files
// holding such rows are rewritten and swapped as a plain DELETE or UPDATE
// does (rewriteListed), the rows found again by their values in whatever
// file a concurrent compaction moved them to.

// joined is what the joined form's query found: per target row (its
// key), the new values and the RETURNING row.
type joined struct {
	rows map[string]*joinedRow
	// times are the target rows' times (Unix microseconds), sorted; a
	// file without one in its range holds no such row.
	times []int64
	// timed is false when the target has no time column to prune by.
	timed bool
}

// joinedRow is one target row the statement changes.
type joinedRow struct {
	vals []any   // UPDATE: the new values, converted to the columns' types
	ret  sql.Row // the RETURNING row
}

// joinedKeys returns, for the joined form's key columns, the table's
// columns (keys[i] is column cols[i]); the keys must be every column.
func joinedKeys(t *catalog.Table, keys []string) ([]int, error) {
	if len(keys) != len(t.Columns) {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "cached plan must not change result type")
	}
	cols := make([]int, len(keys))
	for i, k := range keys {
		cols[i] = slices.IndexFunc(t.Columns, func(c catalog.Column) bool { return c.Name == k })
		if cols[i] < 0 {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "cached plan must not change result type")
		}
	}
	return cols, nil
}

// planJoin plans j, the joined form of p's statement, with p's parameters,
// as a query (scans vectorized where they can be).
func (s *Session) planJoin(ctx context.Context, p *Prepared, j *pgparse.DMLJoin, params []any) (*sql.Context, sql.Node, context.CancelFunc, error) {
	q := &Prepared{s: s, st: &pgparse.Statement{Kind: pgparse.KindQuery, SQL: p.st.SQL, AST: j.AST, NumParams: p.st.NumParams}, paramOIDs: p.paramOIDs}
	return q.bindPlan(ctx, params)
}

// deleteJoined runs DELETE in the joined form: node's select list is the
// keys, then the RETURNING list (schema).
func (s *Session) deleteJoined(sctx *sql.Context, t *catalog.Table, node sql.Node, keys []string, schema sql.Schema, returning bool) (*Rows, error) {
	tbl, cols, err := s.joinedTable(t, keys)
	if err != nil {
		return nil, err
	}
	jobs, err := s.e.dmlJobs()
	if err != nil {
		return nil, err
	}
	if err := s.e.publishBuffered(sctx, t, "DELETE"); err != nil {
		return nil, mapError(err)
	}
	found, err := s.e.runJoined(sctx, tbl, cols, node, nil)
	if err != nil {
		return nil, err
	}
	ret := joinedReturned(schema, returning)
	if len(found.rows) == 0 {
		return ret.result(sctx, "DELETE 0", schema)
	}
	var mu sync.Mutex
	match := func(_ context.Context, rec arrow.RecordBatch) ([]bool, error) {
		mu.Lock()
		defer mu.Unlock()
		out := make([]bool, rec.NumRows())
		for r := range out {
			jr, err := found.lookup(sctx, tbl, cols, rec, r)
			if err != nil {
				return nil, err
			}
			if jr != nil {
				out[r] = true
				if err := ret.add(sctx, jr.ret); err != nil {
					return nil, err
				}
			}
		}
		return out, sctx.Err()
	}
	n, err := s.e.rewriteListed(sctx, t, ret, "DELETE", found.pick, func(files []*catalog.File) (compact.DeleteResult, error) {
		return jobs.DeleteRows(sctx, t, files, match)
	})
	if err != nil {
		return nil, mapError(err)
	}
	return ret.result(sctx, fmt.Sprintf("DELETE %d", n), schema)
}

// updateJoined runs UPDATE in the joined form: node's select list is the
// keys, the new values of the columns targets, then the RETURNING list
// (schema). defaults[i] is the DEFAULT of SET targets[i] = DEFAULT.
func (s *Session) updateJoined(sctx *sql.Context, t *catalog.Table, node sql.Node, u *pgparse.Update, targets []int, schema sql.Schema, returning bool) (*Rows, error) {
	if u.Checks > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "UPDATE ... FROM, WITH or subqueries through a view WITH CHECK OPTION is not supported")
	}
	tbl, cols, err := s.joinedTable(t, u.Keys)
	if err != nil {
		return nil, err
	}
	pr, ok := node.(*plan.Project)
	k := len(u.Keys)
	if !ok || len(pr.Projections) < k+len(targets) {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "UPDATE with these values is not supported")
	}
	exprs := slices.Clone(pr.Projections)
	for i, def := range u.Default {
		if !def {
			continue
		}
		exprs[k+i] = expression.NewLiteral(nil, tbl.schema[targets[i]].Type)
		cd, err := s.e.columnDefault(sctx, t.Columns[targets[i]])
		if err != nil {
			return nil, err
		}
		if cd != nil {
			exprs[k+i] = cd.Expr
		}
	}
	// RETURNING sees the new values: its references to an assigned column
	// of the target become that column's new value, converted.
	qual := ""
	if gf, ok := unalias(exprs[0]).(*expression.GetField); ok {
		qual = gf.Table()
	}
	for r := k + len(targets); r < len(exprs); r++ {
		x, _, err := transform.Expr(exprs[r], func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			gf, ok := e.(*expression.GetField)
			if !ok || !strings.EqualFold(gf.Table(), qual) {
				return e, transform.SameTree, nil
			}
			for i, c := range targets {
				if strings.EqualFold(t.Columns[c].Name, gf.Name()) {
					return &assigned{value: unalias(exprs[k+i]), tbl: tbl, col: c}, transform.NewTree, nil
				}
			}
			return e, transform.SameTree, nil
		})
		if err != nil {
			return nil, err
		}
		if _, ok := exprs[r].(*expression.GetField); ok && x != exprs[r] {
			x = expression.NewAlias(exprs[r].(*expression.GetField).Name(), x)
		}
		exprs[r] = x
	}
	np, err := pr.WithExpressions(exprs...)
	if err != nil {
		return nil, err
	}
	jobs, err := s.e.dmlJobs()
	if err != nil {
		return nil, err
	}
	if err := s.e.publishBuffered(sctx, t, "UPDATE"); err != nil {
		return nil, mapError(err)
	}
	found, err := s.e.runJoined(sctx, tbl, cols, np, targets)
	if err != nil {
		return nil, err
	}
	ret := joinedReturned(schema, returning)
	if len(found.rows) == 0 {
		return ret.result(sctx, "UPDATE 0", schema)
	}
	var mu sync.Mutex
	update := func(_ context.Context, rec arrow.RecordBatch) (int, arrow.RecordBatch, error) {
		mu.Lock()
		defer mu.Unlock()
		var changed []int
		var newVals [][]any
		for r := 0; r < int(rec.NumRows()); r++ {
			jr, err := found.lookup(sctx, tbl, cols, rec, r)
			if err != nil {
				return 0, nil, err
			}
			if jr == nil {
				continue
			}
			changed = append(changed, r)
			newVals = append(newVals, jr.vals)
			if err := ret.add(sctx, jr.ret); err != nil {
				return 0, nil, err
			}
		}
		if err := sctx.Err(); err != nil {
			return 0, nil, err
		}
		return replaceTargets(rec, t, targets, changed, newVals) // update.go
	}
	n, err := s.e.rewriteListed(sctx, t, ret, "UPDATE", found.pick, func(files []*catalog.File) (compact.DeleteResult, error) {
		return jobs.UpdateRows(sctx, t, files, update)
	})
	if err != nil {
		return nil, mapError(err)
	}
	return ret.result(sctx, fmt.Sprintf("UPDATE %d", n), schema)
}

// joinedTable returns the planner's table for t and its key columns.
func (s *Session) joinedTable(t *catalog.Table, keys []string) (*table, []int, error) {
	cols, err := joinedKeys(t, keys)
	if err != nil {
		return nil, nil, err
	}
	tbl, err := newTable(s.e, t)
	if err != nil {
		return nil, nil, err
	}
	return tbl, cols, nil
}

// joinedReturned collects the RETURNING rows the joined form computed.
func joinedReturned(schema sql.Schema, returning bool) *returned {
	if !returning {
		return nil
	}
	ret := &returned{}
	for i, c := range schema {
		ret.exprs = append(ret.exprs, expression.NewGetField(i, c.Type, c.Name, c.Nullable))
	}
	return ret
}

// unalias returns x without an Alias around it.
func unalias(x sql.Expression) sql.Expression {
	if a, ok := x.(*expression.Alias); ok {
		return a.Child
	}
	return x
}

// runJoined runs the joined form's query node: each row is the key (the
// target's columns cols), then, for UPDATE, the new values of the columns
// targets, then the RETURNING row. A target row met again (several
// matching FROM rows) keeps its first values, as PostgreSQL keeps one.
func (e *Engine) runJoined(ctx *sql.Context, tbl *table, cols []int, node sql.Node, targets []int) (*joined, error) {
	_, iter, _, err := e.gms.PrepQueryPlanForExecution(ctx, "", node, nil)
	if err != nil {
		return nil, mapError(err)
	}
	defer iter.Close(ctx)
	found := &joined{rows: map[string]*joinedRow{}}
	tcol := -1
	for i, c := range cols {
		if tbl.def.Columns[c].Name == tbl.def.TimeColumn {
			tcol = i
		}
	}
	found.timed = tcol >= 0
	k := len(cols)
	for {
		row, err := iter.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, mapError(err)
		}
		if len(row) < k+len(targets) {
			return nil, pgerror.New(pgerror.InternalError, "joined DML: %d columns, want at least %d", len(row), k+len(targets))
		}
		key := rowKey(row[:k])
		if found.rows[key] != nil {
			continue
		}
		jr := &joinedRow{ret: row[k+len(targets):]}
		if targets != nil {
			jr.vals = make([]any, len(targets))
			for i, c := range targets {
				if jr.vals[i], err = assignValue(ctx, tbl, c, row[k+i]); err != nil { // update.go
					return nil, err
				}
			}
		}
		found.rows[key] = jr
		if tcol >= 0 {
			tv, ok := row[tcol].(time.Time)
			if !ok {
				found.timed = false
			} else {
				found.times = append(found.times, tv.UnixMicro())
			}
		}
	}
	sort.Slice(found.times, func(i, j int) bool { return found.times[i] < found.times[j] })
	return found, nil
}

// pick keeps the files whose time range holds a changed row's time.
func (j *joined) pick(files []*catalog.File) []*catalog.File {
	if !j.timed {
		return files
	}
	out := make([]*catalog.File, 0, len(files))
	for _, f := range files {
		if f.MinTime == 0 && f.MaxTime == 0 {
			out = append(out, f) // no time range recorded
			continue
		}
		i := sort.Search(len(j.times), func(i int) bool { return j.times[i] >= f.MinTime })
		if i < len(j.times) && j.times[i] <= f.MaxTime {
			out = append(out, f)
		}
	}
	return out
}

// lookup returns what the statement does to row r of rec (every column of
// the table), nil when the row is not one of the joined form's.
func (j *joined) lookup(ctx *sql.Context, tbl *table, cols []int, rec arrow.RecordBatch, r int) (*joinedRow, error) {
	vals := make(sql.Row, len(cols))
	for i, c := range cols {
		if c >= int(rec.NumCols()) {
			return nil, pgerror.New(pgerror.InternalError, "joined DML: batch without column %d", c)
		}
		v, err := arrowValue(ctx, rec.Column(c), r, tbl.schema[c].Type)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return j.rows[rowKey(vals)], nil
}

// rowKey encodes the values of a row so that two rows have the same key
// exactly when every value is the same (a NULL matches a NULL).
func rowKey(row sql.Row) string {
	var b strings.Builder
	var num [8]byte
	for _, v := range row {
		switch x := v.(type) {
		case nil:
			b.WriteByte('n')
			continue
		case int8:
			binary.LittleEndian.PutUint64(num[:], uint64(x))
			b.WriteByte('b')
		case int16:
			binary.LittleEndian.PutUint64(num[:], uint64(x))
			b.WriteByte('h')
		case int32:
			binary.LittleEndian.PutUint64(num[:], uint64(x))
			b.WriteByte('i')
		case int64:
			binary.LittleEndian.PutUint64(num[:], uint64(x))
			b.WriteByte('l')
		case float32:
			binary.LittleEndian.PutUint64(num[:], uint64(math.Float32bits(x)))
			b.WriteByte('f')
		case float64:
			binary.LittleEndian.PutUint64(num[:], math.Float64bits(x))
			b.WriteByte('d')
		case time.Time:
			binary.LittleEndian.PutUint64(num[:], uint64(x.UnixNano()))
			b.WriteByte('t')
		case string:
			writeKeyText(&b, 's', x)
			continue
		case []byte:
			writeKeyText(&b, 'y', string(x))
			continue
		case decimal.Decimal:
			writeKeyText(&b, 'm', x.Coefficient().String()+"e"+fmt.Sprint(x.Exponent()))
			continue
		case fmt.Stringer:
			writeKeyText(&b, 'o', fmt.Sprintf("%T:%s", v, x.String()))
			continue
		default:
			writeKeyText(&b, 'o', fmt.Sprintf("%T:%#v", v, v))
			continue
		}
		b.Write(num[:])
	}
	return b.String()
}

// writeKeyText writes a tagged, length-prefixed text to a row key.
func writeKeyText(b *strings.Builder, tag byte, s string) {
	var n [8]byte
	b.WriteByte(tag)
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	b.Write(n[:])
	b.WriteString(s)
}

// assigned is the new value of a target column as UPDATE stores it (the
// value converted to the column's type), for the RETURNING list of the
// joined form.
type assigned struct {
	value sql.Expression
	tbl   *table
	col   int
}

var _ sql.Expression = (*assigned)(nil)

// Resolved implements sql.Expression.
func (a *assigned) Resolved() bool { return a.value.Resolved() }

// String implements sql.Expression.
func (a *assigned) String() string { return a.value.String() }

// Type implements sql.Expression: the column's type.
func (a *assigned) Type() sql.Type { return a.tbl.schema[a.col].Type }

// IsNullable implements sql.Expression.
func (a *assigned) IsNullable() bool { return true }

// Eval implements sql.Expression.
func (a *assigned) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := a.value.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	return assignValue(ctx, a.tbl, a.col, v)
}

// Children implements sql.Expression.
func (a *assigned) Children() []sql.Expression { return []sql.Expression{a.value} }

// WithChildren implements sql.Expression.
func (a *assigned) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, errors.New("assigned: one child")
	}
	return &assigned{value: children[0], tbl: a.tbl, col: a.col}, nil
}
