package planner

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// Statements that hold across a cluster (docs/design/078-cluster-dml.md):
// DELETE, UPDATE and TRUNCATE first have every node publish its buffered
// rows of the table (Config.ClusterFlush), and schema changes are
// announced to the other nodes (Config.TablesChanged), which reload the
// definitions (ReloadTables).

// publishBuffered publishes every acknowledged row of the table, here
// (Ingester.FlushTable) and on the other nodes (Config.ClusterFlush),
// before what statement rewrites its files. A node that could not be
// reached fails the statement with 55P03: it may hold acknowledged rows
// that the statement would otherwise skip.
func (e *Engine) publishBuffered(ctx context.Context, t *catalog.Table, what string) error {
	if err := e.cfg.Ingester.FlushTable(ctx, t.ID); err != nil {
		return err
	}
	if e.cfg.ClusterFlush == nil {
		return nil
	}
	if err := e.cfg.ClusterFlush(ctx, t.ID); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &pgerror.Error{Code: pgerror.LockNotAvailable,
			Message: fmt.Sprintf("%s of table %s cannot run now: not every node published its buffered rows of it", what, t.Name),
			Detail:  err.Error(),
			Hint:    "try again; a node that is down holds acknowledged rows in its WAL until it is restarted (docs/design/078-cluster-dml.md tells how to remove a node gone for good)",
			Err:     err}
	}
	return nil
}

// announcesChange reports whether a statement kind changes table or view
// definitions that other nodes cache.
func announcesChange(k pgparse.Kind) bool {
	switch k {
	case pgparse.KindAlterTable, pgparse.KindCreateView, pgparse.KindDropView, pgparse.KindAlterView, pgparse.KindDropTable:
		return true
	}
	return false
}

// announceChange tells the other nodes that a statement of kind k changed
// definitions (Config.TablesChanged).
func (e *Engine) announceChange(ctx context.Context, k pgparse.Kind) {
	if e.cfg.TablesChanged != nil && announcesChange(k) {
		e.cfg.TablesChanged(ctx)
	}
}

// ReloadTables takes the catalog's definitions of the tables this node
// knows after another node changed some (ALTER TABLE of any kind, RENAME,
// COMMENT, views): the ingester takes every definition that differs (its
// buffered rows are conformed), and the engine forgets its cached
// definitions and views, so the next statement reads them again.
func (e *Engine) ReloadTables(ctx context.Context) error {
	// Not while this node's own DDL runs: a listing read before its
	// commit would put the older definition back into the ingester.
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	tables, err := e.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return fmt.Errorf("reload tables: %w", err)
	}
	var errs []error
	for _, t := range tables {
		cur := e.cfg.Ingester.Table(t.ID)
		if cur == nil || sameDefinition(cur, t) {
			continue
		}
		if err := e.cfg.Ingester.AlterTable(t); err != nil {
			errs = append(errs, fmt.Errorf("reload table %s: %w", t.Name, err))
		}
	}
	e.tables.Range(func(k, _ any) bool {
		e.tables.Delete(k)
		return true
	})
	e.schemas.Range(func(k, _ any) bool {
		e.schemas.Delete(k)
		return true
	})
	e.forgetViews()
	return errors.Join(errs...)
}

// sameDefinition reports whether two definitions of a table are equal
// (the creation time aside).
func sameDefinition(a, b *catalog.Table) bool {
	x, y := *a, *b
	x.CreatedAt = y.CreatedAt
	if len(x.Options) == 0 && len(y.Options) == 0 {
		x.Options, y.Options = nil, nil
	}
	if len(x.Dropped) == 0 && len(y.Dropped) == 0 {
		x.Dropped, y.Dropped = nil, nil
	}
	return reflect.DeepEqual(x, y)
}
