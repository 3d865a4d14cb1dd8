package planner

import (
	"context"
	"errors"
	"fmt"

	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// DROP TABLE in a transaction block (design 102). Dropping a table at
// once, as before, lost its rows for good when the block rolled back. Now
// a table dropped in a block that did not create it is set aside: renamed
// to a name of its own (setAsideName) and marked in its options with its
// name and this node, so the name is free for the rest of the block (DROP
// then CREATE of the same name is a common migration) and no statement
// finds it by its name. COMMIT drops it; ROLLBACK and every other way a
// block ends without committing (session_txddl.go) give it its name back.
// A table set aside by a node that stopped before its block ended is given
// back when that node starts again (RestoreSetAside).

// setAsideName is the name a table is set aside under.
func setAsideName(id int64) string { return fmt.Sprintf("openwit_dropped_%d", id) }

// dropTables runs DROP TABLE; in a block, a table the block did not create
// is set aside instead of dropped.
func (s *Session) dropTables(ctx context.Context, dt *pgparse.DropTable) error {
	if !s.inBlock() {
		return s.e.dropTable(ctx, dt)
	}
	return s.e.dropTables(ctx, dt, func(ctx context.Context, t *catalog.Table) (bool, error) {
		for _, u := range s.ddl {
			if u.id == t.ID && u.created() {
				return false, nil // the block made it: a ROLLBACK drops it anyway
			}
		}
		hidden, err := s.e.setAside(ctx, t)
		if err != nil {
			return false, err
		}
		s.ddl = append(s.ddl, ddlUndo{name: t.Name, id: t.ID, hidden: hidden})
		return true, nil
	})
}

// setAside renames t to its set-aside name, marked with its name and this
// node; the caller holds the DDL and schema locks.
func (e *Engine) setAside(ctx context.Context, t *catalog.Table) (string, error) {
	hidden := setAsideName(t.ID)
	// Marked first: a crash between the two leaves a marked table under
	// its own name, which RestoreSetAside unmarks.
	if _, err := e.cfg.Catalog.UpdateTableOptions(ctx, t.Name, map[string]string{catalog.OptDroppedFrom: t.Name, catalog.OptDroppedBy: e.cfg.NodeID}, nil); err != nil {
		return "", fmt.Errorf("drop table %s: %w", t.Name, err)
	}
	out, err := e.cfg.Catalog.RenameTable(ctx, t.ID, hidden)
	if err != nil {
		return "", fmt.Errorf("drop table %s: %w", t.Name, err)
	}
	e.cfg.Ingester.RenameTable(out)
	e.tables.Delete(t.Name)
	e.schemas.Delete(t.ID)
	return hidden, nil
}

// dropSetAside drops a table the committed block set aside.
func (s *Session) dropSetAside(ctx context.Context, u ddlUndo) {
	e := s.e
	quiet := context.WithValue(ctx, noticeKey{}, (*noticeSink)(nil))
	t, err := e.cfg.Catalog.GetTable(ctx, u.hidden)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && t.ID != u.id) {
		return
	}
	if err == nil {
		err = e.dropTable(quiet, &pgparse.DropTable{Names: []string{u.hidden}, IfExists: true})
	}
	if err != nil {
		e.cfg.Logger.Warn("drop a table a committed DROP TABLE set aside; it stays under its set-aside name until dropped by hand",
			"table", u.name, "set aside as", u.hidden, "err", err)
		return
	}
	e.announceChange(ctx, pgparse.KindDropTable) // tables_clusterdml.go
}

// restoreSetAside gives table id, set aside as hidden, its name back.
func (e *Engine) restoreSetAside(ctx context.Context, id int64, hidden, name string) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	unlock, err := e.lockSchema(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return e.restoreLocked(ctx, id, hidden, name)
}

// restoreLocked is restoreSetAside under the locks.
func (e *Engine) restoreLocked(ctx context.Context, id int64, hidden, name string) error {
	t, err := e.cfg.Catalog.GetTable(ctx, hidden)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && t.ID != id) {
		return nil // dropped by hand since
	}
	if err != nil {
		return err
	}
	if hidden != name {
		if _, err := e.cfg.Catalog.GetTable(ctx, name); err == nil || e.viewNamed(ctx, name) {
			return fmt.Errorf("cannot give table %q its name back: a relation %q exists now; rename it by hand (ALTER TABLE %s RENAME TO ...)", hidden, name, hidden)
		}
		if _, err := e.cfg.Catalog.RenameTable(ctx, id, name); err != nil {
			return err
		}
	}
	out, err := e.cfg.Catalog.UpdateTableOptions(ctx, name, nil, []string{catalog.OptDroppedFrom, catalog.OptDroppedBy})
	if err != nil {
		return err
	}
	e.cfg.Ingester.RenameTable(out)
	e.tables.Delete(hidden)
	e.tables.Store(out.Name, out)
	e.schemas.Delete(id)
	return nil
}

// RestoreSetAside gives back the tables this node set aside in blocks that
// never ended (the node stopped inside them): PostgreSQL rolls such a
// block back. Run it at start, before sessions.
func (e *Engine) RestoreSetAside(ctx context.Context) error {
	if e.cfg.NodeID == "" {
		return nil
	}
	ts, err := e.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		from := t.Options[catalog.OptDroppedFrom]
		if from == "" || t.Options[catalog.OptDroppedBy] != e.cfg.NodeID {
			continue
		}
		if t.Name != setAsideName(t.ID) && t.Name != from {
			continue
		}
		if err := e.restoreSetAside(ctx, t.ID, t.Name, from); err != nil {
			errs = append(errs, fmt.Errorf("table %s set aside by DROP TABLE: %w", t.Name, err))
			continue
		}
		e.cfg.Logger.Info("gave back a table a DROP TABLE set aside in a transaction block that never ended", "table", from)
	}
	return errors.Join(errs...)
}

// listTables is the catalog's tables less those set aside: what the
// catalogs a user reads list.
func (e *Engine) listTables(ctx context.Context) ([]*catalog.Table, error) {
	ts, err := e.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return nil, err
	}
	out := ts[:0:0]
	for _, t := range ts {
		if !t.SetAside() {
			out = append(out, t)
		}
	}
	return out, nil
}
