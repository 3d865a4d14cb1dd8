package planner

import (
	"context"
	"errors"

	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// CREATE TABLE in a transaction block (design 097). The catalog has no
// transactions held across client round trips (design 059), so a table is
// created at once, as before; but the session remembers the tables its
// open block created, and when the block ends without committing
// (ROLLBACK, COMMIT of a failed block, a failed implicit block, ROLLBACK TO
// a savepoint taken before the CREATE, a connection closed inside the
// block) it drops them again, newest first. Schema migrations that fail
// half way through then leave no table behind, as in PostgreSQL.
//
// A table is dropped only while it is still the one the block made (same
// id: not dropped and re-created since) and holds no committed rows: the
// block's own rows were never committed, so rows there were written by
// another session, which PostgreSQL would not have let see the table.
// Dropping those would lose acknowledged writes; the table stays and the
// server logs a warning. Other DDL in a block (DROP TABLE, ALTER TABLE,
// views) still takes effect at once and stays.

// createdTable is a table the open block created.
type createdTable struct {
	name string
	id   int64
}

// noteCreated records t (nil: nothing was created) when a block is open.
func (s *Session) noteCreated(t *catalog.Table) {
	if t == nil || (!s.tx.active && !s.implicit) {
		return
	}
	s.created = append(s.created, createdTable{name: t.Name, id: t.ID})
}

// keepCreated forgets the block's tables: it committed.
func (s *Session) keepCreated() { s.created = s.created[:0] }

// undoCreated drops the tables the block created after the first from of
// them, newest first, and forgets them.
func (s *Session) undoCreated(ctx context.Context, from int) {
	if from >= len(s.created) {
		return
	}
	e := s.e
	for i := len(s.created) - 1; i >= from; i-- {
		c := s.created[i]
		t, err := e.cfg.Catalog.GetTable(ctx, c.name)
		if errors.Is(err, catalog.ErrNotFound) || (err == nil && t.ID != c.id) {
			continue // dropped (and maybe re-created) since
		}
		if err == nil {
			var rows bool
			rows, err = e.tableHasRows(ctx, c.id)
			if err == nil && rows {
				e.cfg.Logger.Warn("table created in a rolled-back transaction block kept: other sessions wrote rows to it",
					"table", c.name, "pid", s.act.pid)
				continue
			}
		}
		if err == nil {
			// Not the statement's own drop: no "does not exist, skipping".
			quiet := context.WithValue(ctx, noticeKey{}, (*noticeSink)(nil))
			err = e.dropTable(quiet, &pgparse.DropTable{Names: []string{c.name}, IfExists: true})
		}
		if err != nil {
			e.cfg.Logger.Warn("drop table created in a rolled-back transaction block", "table", c.name, "err", err)
		}
	}
	s.created = s.created[:from]
}

// tableHasRows reports whether table id has committed rows: published
// files, or rows buffered in this node's ingester.
func (e *Engine) tableHasRows(ctx context.Context, id int64) (bool, error) {
	files, err := e.cfg.Catalog.ListFiles(ctx, id)
	if err != nil || len(files) > 0 {
		return len(files) > 0, err
	}
	snap, err := e.cfg.Ingester.Snapshot(id)
	if errors.Is(err, catalog.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer snap.Release()
	if len(snap.Files) > 0 {
		return true, nil
	}
	for _, b := range snap.Batches {
		if b.NumRows() > 0 {
			return true, nil
		}
	}
	return false, nil
}
