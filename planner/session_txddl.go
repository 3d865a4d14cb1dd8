package planner

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// CREATE and ALTER TABLE in a transaction block (designs 097, 101). The
// catalog has no transactions held across client round trips (design
// 059), so a table is created or altered at once, as before; but the
// session remembers what its open block did, and when the block ends
// without committing (ROLLBACK, COMMIT of a failed block, a failed
// implicit block, ROLLBACK TO a savepoint taken before the statement, a
// connection closed inside the block) it undoes it, newest first. Schema
// migrations that fail half way through then leave nothing behind, as in
// PostgreSQL, and can be run again.
//
// A created table is dropped only while it is still the one the block
// made (same id: not dropped and re-created since) and holds no committed
// rows: the block's own rows were never committed, so rows there were
// written by another session, which PostgreSQL would not have let see the
// table. Dropping those would lose acknowledged writes; the table stays
// and the server logs a warning.
//
// An altered table gets back the definition it had before the block's
// first ALTER of it (name, columns, time column, comment, options), only
// while its definition is still the one the block's last ALTER left (no
// other session changed it since). A column the block added is dropped
// again, so its data name stays taken (rows another session wrote to it
// are kept in the files, unseen, as for DROP COLUMN); a column it dropped
// comes back with the values stored before. DROP TABLE sets the table
// aside until COMMIT (session_txdrop.go); views in a block still take
// effect at once and stay.

// ddlUndo is one CREATE or ALTER TABLE of the open block.
type ddlUndo struct {
	name string
	id   int64
	// before and after are an ALTER TABLE's definitions of the table;
	// both nil for a CREATE TABLE.
	before, after *catalog.Table
	// hidden is the name a DROP TABLE set the table aside under (name is
	// its own); empty for CREATE and ALTER.
	hidden string
}

// created reports whether u is a CREATE TABLE.
func (u ddlUndo) created() bool { return u.before == nil && u.hidden == "" }

// inBlock reports whether a transaction block, explicit or implicit, is
// open: its DDL is undone if it does not commit.
func (s *Session) inBlock() bool { return s.tx.active || s.implicit }

// noteCreated records t (nil: nothing was created) when a block is open.
func (s *Session) noteCreated(t *catalog.Table) {
	if t == nil || !s.inBlock() {
		return
	}
	s.ddl = append(s.ddl, ddlUndo{name: t.Name, id: t.ID})
}

// noteAltered records an ALTER TABLE that changed before into after, when
// a block is open.
func (s *Session) noteAltered(before, after *catalog.Table) {
	if before == nil || after == nil || !s.inBlock() || sameDefinition(before, after) {
		return
	}
	s.ddl = append(s.ddl, ddlUndo{name: after.Name, id: after.ID, before: before, after: after})
}

// commitDDL forgets the block's DDL: it committed. The tables its DROP
// TABLEs set aside are dropped now (session_txdrop.go).
func (s *Session) commitDDL(ctx context.Context) {
	for _, u := range s.ddl {
		if u.hidden != "" {
			s.dropSetAside(ctx, u)
		}
	}
	s.ddl = s.ddl[:0]
}

// undoDDL undoes the block's CREATE and ALTER TABLE after the first from
// of them, newest first, and forgets them. A table's ALTERs are undone
// together, at the place of its first one, from the definition its last
// one left; those of a table the same statements created are not (it is
// dropped).
func (s *Session) undoDDL(ctx context.Context, from int) {
	if from >= len(s.ddl) {
		return
	}
	undo := s.ddl[from:]
	created := map[int64]bool{}
	for _, u := range undo {
		if u.created() {
			created[u.id] = true
		}
	}
	for i := len(undo) - 1; i >= 0; i-- {
		u := undo[i]
		if u.hidden != "" {
			if err := s.e.restoreSetAside(ctx, u.id, u.hidden, u.name); err != nil {
				s.e.cfg.Logger.Warn("undo DROP TABLE of a rolled-back transaction block", "table", u.name, "kept as", u.hidden, "err", err, "pid", s.act.pid)
			}
			continue
		}
		if u.created() {
			s.undoCreate(ctx, u)
			continue
		}
		if created[u.id] || slices.ContainsFunc(undo[:i], func(o ddlUndo) bool { return o.before != nil && o.id == u.id }) {
			continue
		}
		last := u
		for _, o := range undo[i+1:] {
			if o.before != nil && o.id == u.id {
				last = o
			}
		}
		if err := s.e.undoAlter(ctx, u.before, last.after); err != nil {
			s.e.cfg.Logger.Warn("undo ALTER TABLE of a rolled-back transaction block", "table", last.after.Name, "err", err, "pid", s.act.pid)
		}
	}
	s.ddl = s.ddl[:from]
}

// undoCreate drops a table the block created, unless it changed since.
func (s *Session) undoCreate(ctx context.Context, c ddlUndo) {
	e := s.e
	t, err := e.cfg.Catalog.GetTable(ctx, c.name)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && t.ID != c.id) {
		return // dropped (and maybe re-created) since
	}
	if err == nil {
		var rows bool
		rows, err = e.tableHasRows(ctx, c.id)
		if err == nil && rows {
			e.cfg.Logger.Warn("table created in a rolled-back transaction block kept: other sessions wrote rows to it",
				"table", c.name, "pid", s.act.pid)
			return
		}
	}
	if err == nil {
		// Not the statement's own drop: no "does not exist, skipping".
		quiet := context.WithValue(ctx, noticeKey{}, (*noticeSink)(nil))
		err = e.dropTable(quiet, &pgparse.DropTable{Names: []string{c.name}, IfExists: true})
		if err == nil {
			e.announceChange(ctx, pgparse.KindDropTable) // tables_clusterdml.go
		}
	}
	if err != nil {
		e.cfg.Logger.Warn("drop table created in a rolled-back transaction block", "table", c.name, "err", err)
	}
}

// undoAlter gives the table after describes the definition before, if its
// definition is still after.
func (e *Engine) undoAlter(ctx context.Context, before, after *catalog.Table) error {
	changed, err := e.restoreDefinition(ctx, before, after)
	if changed {
		e.announceChange(ctx, pgparse.KindAlterTable) // tables_clusterdml.go
	}
	return err
}

// restoreDefinition is undoAlter under the DDL and schema locks; changed
// when it changed the catalog (also when it failed half way).
func (e *Engine) restoreDefinition(ctx context.Context, before, after *catalog.Table) (changed bool, err error) {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	unlock, err := e.lockSchema(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	cur, err := e.cfg.Catalog.GetTable(ctx, after.Name)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && cur.ID != after.ID) {
		return false, nil // dropped or renamed since
	}
	if err != nil {
		return false, err
	}
	if !sameDefinition(cur, after) {
		e.cfg.Logger.Warn("ALTER TABLE of a rolled-back transaction block kept: the table changed since", "table", cur.Name)
		return false, nil
	}
	if before.Name != cur.Name {
		if _, err := e.cfg.Catalog.GetTable(ctx, before.Name); err == nil || e.viewNamed(ctx, before.Name) {
			return false, fmt.Errorf("cannot rename %q back to %q: a relation has that name", cur.Name, before.Name)
		}
		out, err := e.cfg.Catalog.RenameTable(ctx, cur.ID, before.Name)
		if err != nil {
			return false, err
		}
		changed = true
		if err := e.renameInViews(ctx, cur.ID, false, cur.Name, out.Name); err != nil { // views.go
			return true, err
		}
		e.cfg.Ingester.RenameTable(out)
		e.tables.Delete(cur.Name)
		e.tables.Store(out.Name, out)
		cur = out
	}
	w := restoredColumns(before, after)
	if !sameColumns(cur, w) {
		out, err := e.cfg.Catalog.AlterTable(ctx, cur.ID, func(tb *catalog.Table) error {
			tb.Columns, tb.Dropped, tb.TimeColumn, tb.Comment = w.Columns, w.Dropped, w.TimeColumn, w.Comment
			return nil
		})
		if err != nil {
			return changed, err
		}
		changed = true
		if err := e.cfg.Ingester.AlterTable(out); err != nil {
			return true, err
		}
		cur = out
	}
	var set map[string]string
	var reset []string
	for k, v := range before.Options {
		if cv, ok := cur.Options[k]; !ok || cv != v {
			if set == nil {
				set = map[string]string{}
			}
			set[k] = v
		}
	}
	for k := range cur.Options {
		if _, ok := before.Options[k]; !ok {
			reset = append(reset, k)
		}
	}
	if len(set) > 0 || len(reset) > 0 {
		if cur, err = e.cfg.Catalog.UpdateTableOptions(ctx, cur.Name, set, reset); err != nil {
			return changed, err
		}
		changed = true
	}
	e.schemas.Delete(cur.ID)
	e.tables.Store(cur.Name, cur)
	return true, nil
}

// restoredColumns is before's columns, time column and comment, with the
// columns after has and before had not (added by the block) dropped, as
// DROP COLUMN drops them: their data names stay taken.
func restoredColumns(before, after *catalog.Table) *catalog.Table {
	w := &catalog.Table{Columns: slices.Clone(before.Columns), Dropped: slices.Clone(before.Dropped),
		TimeColumn: before.TimeColumn, Comment: before.Comment}
	known := map[string]bool{}
	for _, c := range slices.Concat(before.Columns, before.Dropped) {
		known[c.FieldName()] = true
	}
	var added []catalog.Column
	for j, c := range after.Columns {
		if !known[c.FieldName()] {
			c.Num = after.AttNum(j)
			c.Default, c.DefaultDisplay, c.Missing, c.Comment = "", "", nil, ""
			added = append(added, c)
		}
	}
	for _, c := range after.Dropped {
		if !known[c.FieldName()] {
			added = append(added, c) // added and dropped by the block
		}
	}
	if len(added) > 0 {
		// With a dropped column, every column keeps its number.
		for j := range w.Columns {
			w.Columns[j].Num = before.AttNum(j)
		}
		w.Dropped = append(w.Dropped, added...)
	}
	return w
}

// sameColumns reports whether a and b have the same columns, dropped
// columns, time column and comment.
func sameColumns(a, b *catalog.Table) bool {
	eq := func(x, y catalog.Column) bool { return reflect.DeepEqual(x, y) }
	return a.TimeColumn == b.TimeColumn && a.Comment == b.Comment &&
		slices.EqualFunc(a.Columns, b.Columns, eq) && slices.EqualFunc(a.Dropped, b.Dropped, eq)
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
