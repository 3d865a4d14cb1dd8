package planner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/ingest"
	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage/catalog"
	"openwit/storage/compact"
)

// DELETE and TRUNCATE (docs/design/067-delete-truncate.md). Both first
// publish the table's buffered rows, here and on the other nodes
// (publishBuffered, docs/design/078-cluster-dml.md), so
// that every row acknowledged before the statement is in a published file
// and a WAL replay cannot bring a removed row back (its LSN is at or below
// the checkpoint the flush raised). TRUNCATE then removes every file of
// the table in one catalog swap; DELETE rewrites the files holding
// matching rows without them and swaps all of them in one catalog
// transaction (storage/compact.DeleteRows), retrying from the listing
// when a concurrent compaction or DELETE took one of its files first
// (catalog.ReplaceFiles is a compare-and-swap on the file set).

// maxDeleteAttempts bounds the listings a DELETE makes after losing its
// swap to concurrent changes of the same files.
const maxDeleteAttempts = 20

// dmlJobs returns the storage jobs DELETE and TRUNCATE use to rewrite and
// swap files: Config.DML, or jobs over the engine's catalog and bucket
// that keep the ingester's file list in step.
func (e *Engine) dmlJobs() (*compact.Jobs, error) {
	e.dmlOnce.Do(func() {
		if e.cfg.DML != nil {
			e.dml = e.cfg.DML
			return
		}
		e.dml, e.dmlErr = compact.New(compact.Config{Catalog: e.cfg.Catalog, Bucket: e.cfg.Bucket, Logger: e.cfg.Logger,
			OnReplace: e.cfg.Ingester.ReplaceFiles})
	})
	return e.dml, e.dmlErr
}

// checkDML refuses DELETE and TRUNCATE where they cannot keep their
// promise: inside a transaction block (they are not transactional), and
// after the same implicit block staged rows of one of the tables.
func (s *Session) checkDML(what string, tables ...*catalog.Table) error {
	if s.tx.active {
		return pgerror.New(pgerror.FeatureNotSupported, "%s inside a transaction block is not supported", what)
	}
	if w := s.base.txw; w != nil {
		for _, t := range tables {
			if len(w.parts[t.ID]) > 0 {
				return &pgerror.Error{Code: pgerror.FeatureNotSupported,
					Message: fmt.Sprintf("%s of table %s after rows were written to it in the same transaction is not supported", what, t.Name),
					Hint:    "send the writes and the " + what + " as separate statements, each with its own Sync"}
			}
		}
	}
	return nil
}

// dmlTable returns the user table name for DELETE or TRUNCATE, or the
// error PostgreSQL gives: 42501 for a catalog table, 42P01 for none.
func (e *Engine) dmlTable(ctx context.Context, name string) (*catalog.Table, error) {
	t, err := e.tableDef(ctx, name)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	if e.pgCatalogTable(name) != nil {
		return nil, pgerror.New(codeInsufficientPrivilege, "permission denied for table %s", name)
	}
	return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", name)
}

// codeInsufficientPrivilege is SQLSTATE 42501.
const codeInsufficientPrivilege = "42501"

// truncate runs TRUNCATE: every table named must exist before any is
// changed.
func (s *Session) truncate(ctx context.Context, tr *pgparse.Truncate) (*Rows, error) {
	tables := make([]*catalog.Table, 0, len(tr.Tables))
	for _, name := range tr.Tables {
		t, err := s.e.dmlTable(ctx, name)
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	if err := s.checkDML("TRUNCATE", tables...); err != nil {
		return nil, err
	}
	for _, t := range tables {
		if _, err := s.e.truncateTable(ctx, t); err != nil {
			return nil, mapError(err)
		}
	}
	return &Rows{tag: "TRUNCATE TABLE"}, nil
}

// truncateTable publishes the table's buffered rows, then removes all of
// its files; it returns the rows removed.
func (e *Engine) truncateTable(ctx context.Context, t *catalog.Table) (int64, error) {
	jobs, err := e.dmlJobs()
	if err != nil {
		return 0, err
	}
	if err := e.publishBuffered(ctx, t, "TRUNCATE"); err != nil {
		return 0, err
	}
	n, err := jobs.Truncate(ctx, t)
	if errors.Is(err, catalog.ErrNotFound) {
		return 0, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", t.Name)
	}
	return n, err
}

// deleteRows runs DELETE: p's AST is SELECT * FROM the table WHERE the
// condition, planned on the row engine so that the condition is one
// go-mysql-server expression over the table's rows.
func (s *Session) deleteRows(ctx context.Context, p *Prepared, params []any) (*Rows, error) {
	d := p.st.Delete
	t, err := s.e.dmlTable(ctx, d.Table)
	if err != nil {
		return nil, err
	}
	if err := s.checkDML("DELETE", t); err != nil {
		return nil, err
	}
	saved := s.base.rowEngine
	s.base.rowEngine = saved || d.Keys == nil // the joined form runs as a query (dml_dmljoin.go)
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
	if d.Keys != nil { // DELETE ... USING, WITH (dml_dmljoin.go)
		return s.deleteJoined(sctx, t, node, d.Keys, schema, returning)
	}
	var ret *returned
	if returning {
		ret = &returned{exprs: projectionOf(node)}
		if unsupportedIn(ret.exprs, false) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "DELETE ... RETURNING with subqueries is not supported")
		}
	}
	tbl, alias, filter, empty, err := deleteScan(node, t)
	if err != nil && d.Join != nil { // a correlated subquery (dml_dmljoin.go)
		jctx, jnode, jcancel, err := s.planJoin(ctx, p, d.Join, params)
		if err != nil {
			return nil, err
		}
		defer jcancel()
		return s.deleteJoined(jctx, t, jnode, d.Join.Keys, schema, returning)
	}
	if err != nil {
		return nil, err
	}
	if empty {
		return ret.result(sctx, "DELETE 0", schema) // WHERE false
	}
	if filter == nil && returning {
		// Every row, read to return it: not a TRUNCATE.
		filter = expression.NewLiteral(true, types.Boolean)
	}
	var n int64
	if filter == nil {
		n, err = s.e.truncateTable(sctx, t)
	} else {
		n, err = s.e.deleteWhere(sctx, t, tbl, alias, filter, ret)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return ret.result(sctx, fmt.Sprintf("DELETE %d", n), schema)
}

// unsupportedIn reports whether exprs hold what DELETE and UPDATE cannot
// evaluate row by row: a parameter left unbound, or a subquery (with
// cached, an uncorrelated one is fine: it runs once and go-mysql-server
// caches its result for every row).
func unsupportedIn(exprs []sql.Expression, cached bool) bool {
	bad := false
	for _, x := range exprs {
		if x == nil {
			continue
		}
		transform.InspectExpr(x, func(e sql.Expression) bool {
			switch x := e.(type) {
			case *plan.Subquery:
				bad = !cached || !x.CanCacheResults()
			case *expression.BindVar:
				bad = true
			}
			return bad
		})
	}
	return bad
}

// deleteScan finds the scan of t and its filter in the plan of SELECT *
// FROM t WHERE cond. A nil filter with empty false means every row (no
// WHERE, or one that folded to true); empty means none (it folded to
// false). Shapes other than [Project →] [Filter →] table, and filters
// holding subqueries, are not supported.
func deleteScan(node sql.Node, t *catalog.Table) (tbl *table, alias string, filter sql.Expression, empty bool, err error) {
	unsupported := pgerror.New(pgerror.FeatureNotSupported, "DELETE with this WHERE condition is not supported (subqueries and references to other tables are not)")
	n := node
	for {
		switch x := n.(type) {
		case *plan.Project:
			n = x.Child
			continue
		case *plan.EmptyTable:
			return nil, "", nil, true, nil
		}
		break
	}
	tbl, alias, filter, ok := scanOf(n)
	if !ok || tbl.def.ID != t.ID {
		return nil, "", nil, false, unsupported
	}
	if unsupportedIn([]sql.Expression{filter}, true) {
		return nil, "", nil, false, unsupported
	}
	return tbl, alias, filter, false, nil
}

// deleteWhere removes the rows of t for which filter is true: it publishes
// the table's buffered rows, lists its files, prunes them as a query with
// this filter would (time range, zone maps, Bloom and text filters), and
// has the remaining ones rewritten without the matching rows in one swap.
func (e *Engine) deleteWhere(ctx *sql.Context, t *catalog.Table, tbl *table, alias string, filter sql.Expression, ret *returned) (int64, error) {
	jobs, err := e.dmlJobs()
	if err != nil {
		return 0, err
	}
	match, err := newRowMatcher(ctx, tbl, filter, ret)
	if err != nil {
		return 0, err
	}
	return e.rewriteWhere(ctx, t, tbl, alias, filter, ret, "DELETE", func(files []*catalog.File) (compact.DeleteResult, error) {
		return jobs.DeleteRows(ctx, t, files, match)
	})
}

// rewriteWhere is the loop DELETE and UPDATE share: it publishes the
// table's buffered rows, then lists its files, keeps those that may hold
// rows filter is true for (all of them for a nil filter) and has run
// rewrite and swap them, listing again when a concurrent compaction,
// DELETE or UPDATE swapped one of them first (ret, the RETURNING rows,
// starts over then). It returns the rows changed.
func (e *Engine) rewriteWhere(ctx *sql.Context, t *catalog.Table, tbl *table, alias string, filter sql.Expression, ret *returned,
	what string, run func([]*catalog.File) (compact.DeleteResult, error)) (int64, error) {
	if err := e.publishBuffered(ctx, t, what); err != nil {
		return 0, err
	}
	return e.rewriteListed(ctx, t, ret, what, func(files []*catalog.File) []*catalog.File {
		if filter == nil {
			return files
		}
		return e.deleteCandidates(ctx, t, tbl, alias, filter, files)
	}, run)
}

// rewriteListed is rewriteWhere after the publish: it lists t's files,
// has run rewrite and swap those pick keeps, and lists again after a lost
// swap.
func (e *Engine) rewriteListed(ctx *sql.Context, t *catalog.Table, ret *returned, what string,
	pick func([]*catalog.File) []*catalog.File, run func([]*catalog.File) (compact.DeleteResult, error)) (int64, error) {
	for range maxDeleteAttempts {
		ret.reset()
		files, err := e.cfg.Catalog.ListFiles(ctx, t.ID)
		if errors.Is(err, catalog.ErrNotFound) {
			return 0, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", t.Name)
		}
		if err != nil {
			return 0, err
		}
		res, err := run(pick(files))
		if errors.Is(err, catalog.ErrConflict) {
			// A concurrent compaction, DELETE or UPDATE swapped a file first.
			e.cfg.Logger.Info("lost file swap, listing again", "table", t.Name, "statement", what)
			continue
		}
		if err != nil {
			return 0, err
		}
		return res.Rows, nil
	}
	return 0, pgerror.New(pgerror.LockNotAvailable, "%s on %s lost %d swaps to concurrent changes of its files; try again", what, t.Name, maxDeleteAttempts)
}

// deleteCandidates returns the files that may hold rows filter is true
// for: the files a vectorized scan with the same filter would read. When
// the filter does not compile to the executor, only its time bounds prune.
func (e *Engine) deleteCandidates(ctx *sql.Context, t *catalog.Table, tbl *table, alias string, filter sql.Expression, files []*catalog.File) []*catalog.File {
	c := e.newCompiler(ctx, tbl, alias)
	frag := c.fragment()
	bounds := c.timeBounds(filter)
	if frag.Filter = c.predicate(filter); c.err != nil {
		frag.Filter = nil
	}
	v := e.newVecNode(tbl, frag, nil, nil, nil, bounds)
	if v == nil {
		frag.Filter = nil
		if v = e.newVecNode(tbl, frag, nil, nil, nil, bounds); v == nil {
			return files
		}
	}
	schema, err := e.arrowSchema(t)
	if err != nil {
		return files
	}
	kept, _ := v.files(ctx, &ingest.Snapshot{Table: t, Schema: schema, Files: files})
	byID := make(map[string]*catalog.File, len(files))
	for _, f := range files {
		byID[f.ID] = f
	}
	out := make([]*catalog.File, 0, len(kept))
	for _, src := range kept {
		if src.File != nil && byID[src.File.ID] != nil {
			out = append(out, byID[src.File.ID])
		}
	}
	return out
}

// newRowMatcher returns the compact.RowMatcher that evaluates filter (an
// expression over the scan's rows, tbl's projected columns) on each row of
// a batch with the table's full schema. Only the columns the filter reads
// are converted.
func newRowMatcher(ctx *sql.Context, tbl *table, filter sql.Expression, ret *returned) (compact.RowMatcher, error) {
	cols := tbl.columns() // row position -> table column
	used := map[int]bool{}
	exprs := []sql.Expression{filter}
	if ret != nil {
		exprs = append(exprs, ret.exprs...)
	}
	for _, x := range exprs {
		transform.InspectExpr(x, func(x sql.Expression) bool {
			if gf, ok := x.(*expression.GetField); ok {
				used[gf.Index()] = true
			}
			return false
		})
	}
	for i := range used {
		if i < 0 || i >= len(cols) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "DELETE with this WHERE condition is not supported")
		}
	}
	positions := make([]int, 0, len(used))
	for i := range used {
		positions = append(positions, i)
	}
	// DeleteRows calls it from several goroutines; go-mysql-server
	// expressions and the sql.Context are not meant to be shared.
	var mu sync.Mutex
	return func(_ context.Context, rec arrow.RecordBatch) ([]bool, error) {
		mu.Lock()
		defer mu.Unlock()
		n := int(rec.NumRows())
		out := make([]bool, n)
		row := make(sql.Row, len(cols))
		for r := 0; r < n; r++ {
			for _, pos := range positions {
				c := cols[pos]
				v, err := arrowValue(ctx, rec.Column(c), r, tbl.schema[c].Type)
				if err != nil {
					return nil, err
				}
				row[pos] = v
			}
			v, err := sql.EvaluateCondition(ctx, filter, row)
			if err != nil {
				return nil, mapError(err)
			}
			out[r] = sql.IsTrue(v)
			if out[r] {
				if err := ret.add(ctx, row); err != nil {
					return nil, err
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return out, nil
	}, nil
}
