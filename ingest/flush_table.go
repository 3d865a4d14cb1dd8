package ingest

import (
	"context"
	"fmt"

	"openwit/storage/catalog"
)

// FlushTable publishes every row of the table this ingester buffers
// (acknowledged before the call) as files, raising the table's WAL
// checkpoints in the same catalog transactions, and truncates the WAL
// below what is still buffered. After it returns, the table's rows that
// were acknowledged here before the call are all in published files, so a
// catalog swap that removes those files removes the rows for good: a WAL
// replay skips them (their LSNs are at or below the checkpoints). DELETE
// and TRUNCATE call it before they list the table's files
// (docs/design/067-delete-truncate.md). Rows of other nodes' buffers are
// not affected.
func (in *Ingester) FlushTable(ctx context.Context, tableID int64) error {
	in.mu.Lock()
	_, ok := in.tables[tableID]
	in.mu.Unlock()
	if !ok {
		return fmt.Errorf("flush table %d: %w", tableID, catalog.ErrNotFound)
	}
	// Rows are visible once durable: wait for what was appended so far, so
	// that every row a client saw acknowledged is published.
	if err := in.cfg.WAL.Sync(ctx, in.cfg.WAL.LastLSN()); err != nil {
		return fmt.Errorf("flush table %d: %w", tableID, err)
	}
	if err := in.flushTable(ctx, true, tableID); err != nil {
		return fmt.Errorf("flush table %d: %w", tableID, err)
	}
	return nil
}
