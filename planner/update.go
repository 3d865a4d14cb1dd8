package planner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage/catalog"
	"openwit/storage/compact"
)

// UPDATE (docs/design/074-update.md) works as DELETE does (dml.go): it
// publishes the table's buffered rows, then rewrites every file holding
// rows the condition is true for with those rows changed, and swaps all
// of them in one catalog transaction, retrying from a fresh listing when
// a concurrent compaction, DELETE or UPDATE swapped one of its files
// first. A row whose new time falls in another time shard than its
// file's moves to a new file of that shard, published in the same swap
// (compact.UpdateRows, docs/design/086-time-column-update.md).

// updateRows runs UPDATE: p's AST is SELECT <new values> FROM the table
// WHERE the condition, planned on the row engine so that every new value
// and the condition are go-mysql-server expressions over the table's rows.
func (s *Session) updateRows(ctx context.Context, p *Prepared, params []any) (*Rows, error) {
	u := p.st.Update
	t, err := s.e.dmlTable(ctx, u.Table)
	if err != nil {
		return nil, err
	}
	if err := s.checkDML("UPDATE", t); err != nil {
		return nil, err
	}
	targets := make([]int, len(u.Columns))
	for i, name := range u.Columns {
		targets[i] = -1
		for j, c := range t.Columns {
			if c.Name == name {
				targets[i] = j
			}
		}
		if targets[i] < 0 {
			return nil, pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
		}
	}
	saved := s.base.rowEngine
	s.base.rowEngine = saved || u.Keys == nil // the joined form runs as a query (dml_dmljoin.go)
	sctx, node, cancel, err := p.bindPlan(ctx, params)
	s.base.rowEngine = saved
	if err != nil {
		return nil, err
	}
	defer cancel()
	if p.st.Deferred != nil {
		return nil, p.st.Deferred
	}
	schema, returning := dmlReturningSchema(p.st, node)
	if u.Keys != nil { // UPDATE ... FROM, WITH, subqueries in SET (dml_dmljoin.go)
		return s.updateJoined(sctx, t, node, u, targets, schema, returning)
	}
	values, tbl, alias, filter, empty, err := updateScan(node, t, len(targets)+u.Checks, returning)
	if err != nil && u.Join != nil { // a correlated subquery (dml_dmljoin.go)
		jctx, jnode, jcancel, err := s.planJoin(ctx, p, u.Join, params)
		if err != nil {
			return nil, err
		}
		defer jcancel()
		ju := *u
		ju.Keys = u.Join.Keys
		return s.updateJoined(jctx, t, jnode, &ju, targets, schema, returning)
	}
	if err != nil {
		return nil, err
	}
	if empty { // WHERE false
		if returning {
			return (&returned{}).result(sctx, "UPDATE 0", schema)
		}
		return &Rows{tag: "UPDATE 0"}, nil
	}
	checks := viewChecks(p.st, values[len(targets):len(targets)+u.Checks]) // views_viewdml.go
	values = append(values[:len(targets):len(targets)], values[len(targets)+u.Checks:]...)
	var ret *returned
	if returning {
		ret = &returned{exprs: values[len(targets):]}
		values = values[:len(targets)]
	}
	for i, def := range u.Default {
		if !def {
			continue
		}
		// SET c = DEFAULT: the column's DEFAULT, NULL without one.
		values[i] = expression.NewLiteral(nil, tbl.schema[targets[i]].Type)
		cd, err := s.e.columnDefault(sctx, t.Columns[targets[i]])
		if err != nil {
			return nil, err
		}
		if cd != nil {
			values[i] = cd.Expr
		}
	}
	update, err := newRowUpdater(sctx, tbl, targets, values, filter, ret, checks)
	if err != nil {
		return nil, err
	}
	n, err := s.e.updateWhere(sctx, t, tbl, alias, filter, update, ret)
	if err != nil {
		return nil, mapError(err)
	}
	return ret.result(sctx, fmt.Sprintf("UPDATE %d", n), schema)
}

// updateScan finds the new values (then the RETURNING list), the scan of
// t and its filter in the plan of SELECT <n values> [, <returning>] FROM t
// WHERE cond (the shapes deleteScan takes, under a projection).
func updateScan(node sql.Node, t *catalog.Table, n int, returning bool) (values []sql.Expression, tbl *table, alias string, filter sql.Expression, empty bool, err error) {
	unsupported := pgerror.New(pgerror.FeatureNotSupported, "UPDATE with these values or this WHERE condition is not supported (subqueries and references to other tables are not)")
	values = projectionOf(node)
	tbl, alias, filter, empty, err = deleteScan(node, t)
	if err != nil || empty {
		return values, nil, "", nil, empty, err
	}
	if len(values) < n || !returning && len(values) != n {
		return nil, nil, "", nil, false, unsupported
	}
	// A subquery in the new values or the RETURNING list sees another
	// scope row than the one the updater builds.
	if unsupportedIn(values, false) {
		return nil, nil, "", nil, false, unsupported
	}
	return values, tbl, alias, filter, false, nil
}

// updateWhere changes the rows of t for which filter is true (every row
// for a nil filter) as update says: it publishes the table's buffered
// rows, lists its files, prunes them as a query with this filter would,
// and has the others rewritten in one swap.
func (e *Engine) updateWhere(ctx *sql.Context, t *catalog.Table, tbl *table, alias string, filter sql.Expression, update compact.RowUpdater, ret *returned) (int64, error) {
	jobs, err := e.dmlJobs()
	if err != nil {
		return 0, err
	}
	return e.rewriteWhere(ctx, t, tbl, alias, filter, ret, "UPDATE", func(files []*catalog.File) (compact.DeleteResult, error) {
		return jobs.UpdateRows(ctx, t, files, update)
	})
}

// newRowUpdater returns the updater that evaluates filter (nil: true) on
// every row of a batch and, where it is true, values[i] as the new value
// of table column targets[i], converted to the column's type and checked
// as INSERT checks a value (NOT NULL, varchar and char lengths).
func newRowUpdater(ctx *sql.Context, tbl *table, targets []int, values []sql.Expression, filter sql.Expression, ret *returned, checks []viewCheck) (compact.RowUpdater, error) {
	cols := tbl.columns() // row position -> table column
	used := map[int]bool{}
	exprs := append([]sql.Expression{filter}, values...)
	if ret != nil {
		exprs = append(exprs, ret.exprs...)
	}
	for _, c := range checks {
		exprs = append(exprs, c.cond)
	}
	// targetPos[i] is the row position of targets[i], -1 when the scan
	// does not read it (RETURNING sees the new values there).
	targetPos := make([]int, len(targets))
	for i, c := range targets {
		targetPos[i] = -1
		for pos, cc := range cols {
			if cc == c {
				targetPos[i] = pos
			}
		}
	}
	for _, x := range exprs {
		if x == nil {
			continue
		}
		transform.InspectExpr(x, func(x sql.Expression) bool {
			if gf, ok := x.(*expression.GetField); ok {
				used[gf.Index()] = true
			}
			return false
		})
	}
	positions := make([]int, 0, len(used))
	for i := range used {
		if i < 0 || i >= len(cols) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "UPDATE with these values or this WHERE condition is not supported")
		}
		positions = append(positions, i)
	}
	def := tbl.def
	// UpdateRows calls it from several goroutines; go-mysql-server
	// expressions and the sql.Context are not meant to be shared.
	var mu sync.Mutex
	return func(_ context.Context, rec arrow.RecordBatch) (int, arrow.RecordBatch, error) {
		mu.Lock()
		defer mu.Unlock()
		n := int(rec.NumRows())
		row := make(sql.Row, len(cols))
		var changed []int    // the rows changed, ascending
		newVals := [][]any{} // per changed row, the targets' values
		for r := 0; r < n; r++ {
			for _, pos := range positions {
				c := cols[pos]
				v, err := arrowValue(ctx, rec.Column(c), r, tbl.schema[c].Type)
				if err != nil {
					return 0, nil, err
				}
				row[pos] = v
			}
			if filter != nil {
				ok, err := sql.EvaluateCondition(ctx, filter, row)
				if err != nil {
					return 0, nil, mapError(err)
				}
				if !sql.IsTrue(ok) {
					continue
				}
			}
			vals := make([]any, len(targets))
			for i, x := range values {
				v, err := x.Eval(ctx, row)
				if err != nil {
					return 0, nil, mapError(err)
				}
				if vals[i], err = assignValue(ctx, tbl, targets[i], v); err != nil {
					return 0, nil, err
				}
			}
			changed = append(changed, r)
			newVals = append(newVals, vals)
			if ret != nil || len(checks) > 0 {
				newRow := row.Copy()
				for i, pos := range targetPos {
					if pos >= 0 {
						newRow[pos] = vals[i]
					}
				}
				if err := checkRow(ctx, checks, newRow, tbl.schema, func() (sql.Row, error) {
					return updatedRow(ctx, tbl, rec, r, targets, vals) // views_viewdml.go
				}); err != nil {
					return 0, nil, err
				}
				if err := ret.add(ctx, newRow); err != nil {
					return 0, nil, err
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		return replaceTargets(rec, def, targets, changed, newVals)
	}, nil
}

// assignValue converts v, the new value of table column c, to the
// column's type and checks it as INSERT checks a value (varchar and char
// lengths, NOT NULL; the time column is never NULL).
func assignValue(ctx *sql.Context, tbl *table, c int, v any) (any, error) {
	col := tbl.def.Columns[c]
	if v != nil {
		var err error
		if v, _, err = tbl.schema[c].Type.Convert(ctx, v); err != nil {
			return nil, mapError(err)
		}
		if v, err = fitChar(col, v); err != nil {
			return nil, err
		}
		if v, err = fitArray(ctx, col, v); err != nil {
			return nil, err
		}
	}
	if v == nil && col.NotNull {
		return nil, pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", col.Name, tbl.def.Name)
	}
	if v == nil && col.Name == tbl.def.TimeColumn {
		return nil, pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint (the time column)", col.Name, tbl.def.Name)
	}
	return v, nil
}

// replaceTargets returns how many rows of rec changed and, when some, rec
// with the rows changed[k] holding newVals[k][i] in column targets[i].
func replaceTargets(rec arrow.RecordBatch, def *catalog.Table, targets, changed []int, newVals [][]any) (int, arrow.RecordBatch, error) {
	if len(changed) == 0 {
		return 0, nil, nil
	}
	out := append([]arrow.Array(nil), rec.Columns()...)
	var made []arrow.Array
	defer func() {
		for _, a := range made {
			a.Release()
		}
	}()
	for i, c := range targets {
		a, err := replaceRows(rec.Column(c), changed, newVals, i)
		if pe := (*pgerror.Error)(nil); errors.As(err, &pe) {
			return 0, nil, pe // an array element's input error (22P02, 22003)
		}
		if err != nil {
			return 0, nil, pgerror.New(pgerror.DatatypeMismatch, "column %q: %v", def.Columns[c].Name, err)
		}
		made = append(made, a)
		out[c] = a
	}
	return len(changed), array.NewRecordBatch(rec.Schema(), out, rec.NumRows()), nil
}

// replaceRows returns orig with the rows changed[k] replaced by
// newVals[k][i]: the runs of unchanged rows are slices of orig, the new
// values one array, concatenated.
func replaceRows(orig arrow.Array, changed []int, newVals [][]any, i int) (arrow.Array, error) {
	mem := memory.DefaultAllocator
	b := array.NewBuilder(mem, orig.DataType())
	defer b.Release()
	for _, vals := range newVals {
		if err := appendValue(b, vals[i]); err != nil {
			return nil, err
		}
	}
	repl := b.NewArray()
	defer repl.Release()
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	start := 0
	for k, r := range changed {
		if r > start {
			parts = append(parts, array.NewSlice(orig, int64(start), int64(r)))
		}
		parts = append(parts, array.NewSlice(repl, int64(k), int64(k+1)))
		start = r + 1
	}
	if start < orig.Len() {
		parts = append(parts, array.NewSlice(orig, int64(start), int64(orig.Len())))
	}
	return array.Concatenate(parts, mem)
}

// inferUpdateParams types the parameters that are a whole new value of
// an UPDATE (SET c = $1) as the column c, as PostgreSQL describes them;
// inferParams types the others from their context.
func (p *Prepared) inferUpdateParams(ctx *sql.Context, node sql.Node) {
	u := p.st.Update
	if u == nil || p.st.NumParams == 0 {
		return
	}
	pr, ok := node.(*plan.Project)
	k := len(u.Keys) // the joined form's keys head the list (dml_dmljoin.go)
	if !ok || len(pr.Projections) < k+len(u.Columns) {
		return
	}
	t, err := p.s.e.tableDef(ctx, u.Table)
	if err != nil {
		return
	}
	for i, x := range pr.Projections[k : k+len(u.Columns)] {
		if a, ok := x.(*expression.Alias); ok {
			x = a.Child
		}
		bv, ok := x.(*expression.BindVar)
		if !ok {
			continue
		}
		for _, c := range t.Columns {
			if c.Name != u.Columns[i] {
				continue
			}
			gt, err := pgtypes.GMSType(c.Type)
			if err != nil {
				break
			}
			oid, _ := pgtypes.OID(gt)
			if n, err := strconv.Atoi(strings.TrimPrefix(bv.Name, "v")); err == nil && n >= 1 && n <= len(p.paramOIDs) && p.paramOIDs[n-1] == 0 {
				p.paramOIDs[n-1] = oid
			}
		}
	}
}
