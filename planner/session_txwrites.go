package planner

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/pgerror"
	"openwit/storage"
	"openwit/storage/catalog"
)

// Transactional writes (design 059). Inside a transaction block (BEGIN ...
// COMMIT) and inside an implicit one (a simple query holding several
// statements, or the Executes up to a Sync, as in PostgreSQL; the gateway
// calls BeginImplicit and EndImplicit) INSERT and COPY FROM do not write to
// the ingester: their rows are staged in the session as Arrow batches. The
// session's own scans see them (read your writes: they are one more source
// of fresh rows of the table's snapshot), other sessions do not. COMMIT
// writes every staged row with one Ingester.InsertTx (one WAL record,
// fsynced before COMMIT's CommandComplete); ROLLBACK, COMMIT of a failed
// block, a failed implicit block and the end of the session drop them.
// Outside blocks every statement commits on its own, as before.

// DefaultTxWriteMaxBytes is the default of Config.TxWriteMaxBytes.
const DefaultTxWriteMaxBytes = DefaultCopyMaxBytes

// txWrites are the rows a transaction block wrote, until COMMIT.
type txWrites struct {
	order []int64                 // tables in the order of their first write
	parts map[int64][]ingest.Part // retained batches by table id
	bytes int64
	limit int64
}

func newTxWrites(limit int64) *txWrites {
	return &txWrites{parts: map[int64][]ingest.Part{}, limit: limit}
}

// stage keeps a statement's rows of table t (it retains the records). It
// refuses, keeping nothing of the statement, rows that would take the
// block past its limit: 54000, PostgreSQL's code for a limit of what one
// transaction may hold (it says "cannot have more than 2^32-2 commands in
// a transaction" with it); the 53xxx codes mean "retry later", which would
// not help here.
func (w *txWrites) stage(t *catalog.Table, parts []ingest.Part) error {
	var size int64
	for _, p := range parts {
		size += arrowBytes(p.Rec)
	}
	if w.bytes+size > w.limit {
		return &pgerror.Error{Code: pgerror.ProgramLimitExceeded,
			Message: fmt.Sprintf("transaction block holds %d bytes of rows not yet committed; this statement's %d bytes would pass the limit of %d bytes", w.bytes, size, w.limit),
			Detail:  "rows written inside a transaction block are held in memory until COMMIT and written atomically",
			Hint:    "commit more often, or write outside a transaction block"}
	}
	if _, ok := w.parts[t.ID]; !ok {
		w.order = append(w.order, t.ID)
	}
	for _, p := range parts {
		p.Rec.Retain()
		w.parts[t.ID] = append(w.parts[t.ID], p)
	}
	w.bytes += size
	return nil
}

// txMark is a point in the staged writes that rollbackTo returns to.
type txMark struct {
	order int
	parts map[int64]int
	bytes int64
}

// mark returns the current point of w (nil: nothing staged).
func (w *txWrites) mark() txMark {
	if w == nil {
		return txMark{}
	}
	m := txMark{order: len(w.order), parts: make(map[int64]int, len(w.parts)), bytes: w.bytes}
	for id, ps := range w.parts {
		m.parts[id] = len(ps)
	}
	return m
}

// rollbackTo drops the rows staged after m.
func (w *txWrites) rollbackTo(m txMark) {
	if w == nil {
		return
	}
	for id, ps := range w.parts {
		keep := m.parts[id]
		for _, p := range ps[keep:] {
			p.Rec.Release()
		}
		if keep == 0 {
			delete(w.parts, id)
		} else {
			w.parts[id] = ps[:keep]
		}
	}
	w.order, w.bytes = w.order[:m.order], m.bytes
}

// release drops every staged row.
func (w *txWrites) release() {
	for _, ps := range w.parts {
		for _, p := range ps {
			p.Rec.Release()
		}
	}
	w.order, w.bytes = nil, 0
	clear(w.parts)
}

// commit writes the staged rows as one unit and then drops them.
func (w *txWrites) commit(ctx context.Context, in *ingest.Ingester) error {
	defer w.release()
	if len(w.order) == 0 {
		return nil
	}
	writes := make([]ingest.TableWrite, len(w.order))
	for i, id := range w.order {
		writes[i] = ingest.TableWrite{TableID: id, Parts: w.parts[id]}
	}
	err := in.InsertTx(ctx, writes)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ingest.ErrOverloaded):
		return overloadedError(err)
	case errors.Is(err, wal.ErrTooLarge):
		return &pgerror.Error{Code: pgerror.ProgramLimitExceeded,
			Message: "the transaction's rows are larger than one WAL record may be; nothing was written", Err: err}
	}
	return fmt.Errorf("commit: %w", err)
}

// arrowBytes is the Arrow size of rec's buffers.
func arrowBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		for _, b := range c.Data().Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
	}
	return n
}

// stagingOf returns the staged writes of the session ctx runs in, or nil
// when its writes commit at once.
func stagingOf(ctx context.Context) *txWrites {
	if sc, ok := ctx.(*sql.Context); ok {
		if ps, ok := sc.Session.(*pgSession); ok {
			return ps.txw
		}
	}
	return nil
}

// snapshot is the table's view for a query run in ctx: the ingester's
// snapshot plus the rows the query's own transaction block staged.
func (e *Engine) snapshot(ctx context.Context, tableID int64) (*ingest.Snapshot, error) {
	return e.snapshotWith(stagingOf(ctx), tableID)
}

// snapshotWith is the table's view with the rows staged in w (nil: none).
func (e *Engine) snapshotWith(w *txWrites, tableID int64) (*ingest.Snapshot, error) {
	snap, err := e.cfg.Ingester.Snapshot(tableID)
	if err != nil {
		return nil, err
	}
	if w == nil {
		return snap, nil
	}
	for _, p := range w.parts[tableID] {
		// Staged before a column was added: the new one reads NULL.
		b, err := storage.Conform(memory.DefaultAllocator, p.Rec, snap.Schema)
		if err != nil {
			snap.Release()
			return nil, fmt.Errorf("table %s: %w", snap.Table.Name, err)
		}
		snap.Batches = append(snap.Batches, b)
	}
	return snap, nil
}

// writeRows commits rows of table t at once (one WAL record, fsynced) or,
// in a transaction block, stages them until COMMIT.
func (e *Engine) writeRows(ctx context.Context, t *catalog.Table, parts []ingest.Part) error {
	if w := stagingOf(ctx); w != nil {
		return w.stage(t, parts)
	}
	return e.cfg.Ingester.Insert(ctx, t.ID, parts)
}

// beginWrites starts staging writes, unless they already are (BEGIN in an
// implicit block keeps what the block wrote).
func (s *Session) beginWrites() {
	if s.base.txw == nil {
		limit := s.e.cfg.TxWriteMaxBytes
		if limit <= 0 {
			limit = DefaultTxWriteMaxBytes
		}
		s.base.txw = newTxWrites(limit)
	}
}

// endWrites ends a transaction: commit writes the staged rows, otherwise
// they are dropped. An implicit block still running keeps staging (for
// the statements after a COMMIT or ROLLBACK in the same query).
func (s *Session) endWrites(ctx context.Context, commit bool) error {
	w := s.base.txw
	if w == nil {
		return nil
	}
	if !s.implicit {
		s.base.txw = nil
	}
	if !commit {
		w.release()
		return nil
	}
	return w.commit(ctx, s.e.cfg.Ingester)
}

// BeginImplicit starts the implicit transaction block of a simple query
// holding several statements: their writes are staged until
// EndImplicit. Inside an explicit block it changes nothing.
func (s *Session) BeginImplicit() {
	s.implicit, s.implicitFailed = true, false
	if !s.tx.active {
		s.beginWrites()
	}
}

// EndImplicit ends the implicit block: commit writes what its statements
// staged (unless one failed), otherwise they are dropped. An explicit
// block that one of the statements opened (BEGIN) keeps its rows.
func (s *Session) EndImplicit(ctx context.Context, commit bool) error {
	if !s.implicit {
		return nil
	}
	failed := s.implicitFailed
	s.implicit, s.implicitFailed = false, false
	if s.tx.active {
		return nil // an explicit block opened inside goes on, with what was queued
	}
	err := s.endWrites(ctx, commit && !failed)
	// Notifications go out after the writes are durable, and not at all
	// when a statement failed or the writes could not be committed.
	s.endNotifyBlock(commit && !failed && err == nil)
	if commit && !failed && err == nil {
		s.commitDDL(ctx)
	} else {
		s.undoDDL(ctx, 0)
	}
	return err
}

// FailTransaction records that a statement failed: an explicit block is
// then aborted (COMMIT rolls back), an implicit one is rolled back at its
// end. The wire server calls it for every error it reports, including
// those that never reached the planner (COPY data, encoding).
func (s *Session) FailTransaction() {
	s.failed()
	if s.implicit && !s.tx.active {
		s.implicitFailed = true
	}
}

// InTransaction reports whether an explicit transaction block is open.
func (s *Session) InTransaction() bool { return s.tx.active }
