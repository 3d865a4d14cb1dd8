package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Batch stages, in order. A batch's stage is the last one it reached.
const (
	StageReceived   = "received"    // accepted by ingest, WAL record written, not yet fsynced
	StageWALWritten = "wal_written" // fsynced: acknowledged
	StageStored     = "stored"      // every row is in a published file
	StageIndexed    = "indexed"     // its files are indexed (set by the indexer)
)

// Batch is the progress of one ingest batch (one WAL record) through the
// write path. Zero times are stages not reached (yet).
type Batch struct {
	// ID is NODE:LSN, unique across nodes sharing a catalog.
	ID           string
	Node         string
	TableID      int64
	LSN          uint64
	Rows         int64
	Bytes        int64
	ReceivedAt   time.Time
	WALWrittenAt time.Time
	StoredAt     time.Time
	IndexedAt    time.Time
}

// Stage returns the last stage the batch reached.
func (b *Batch) Stage() string {
	switch {
	case !b.IndexedAt.IsZero():
		return StageIndexed
	case !b.StoredAt.IsZero():
		return StageStored
	case !b.WALWrittenAt.IsZero():
		return StageWALWritten
	}
	return StageReceived
}

// BatchLog records ingest batches for observability (the openwit_batches
// view). Both backends implement it; it is a separate interface because it
// is optional for the write path. Methods are safe for concurrent use.
type BatchLog interface {
	// RecordBatches inserts or updates batches in one transaction. A
	// stage time already recorded is kept (the first report wins), so
	// updates may arrive in any order and be repeated.
	RecordBatches(ctx context.Context, bs []Batch) error
	// ListBatches returns up to limit batches, most recently received
	// first (ties by ID).
	ListBatches(ctx context.Context, limit int) ([]Batch, error)
	// PruneBatches deletes stored (or indexed) batches received before
	// before, and beyond the keep most recently received ones, and returns
	// how many it deleted. Batches not yet stored are kept: a stuck batch
	// stays visible.
	PruneBatches(ctx context.Context, before time.Time, keep int) (int64, error)
}

var (
	_ BatchLog = (*SQLite)(nil)
	_ BatchLog = (*Postgres)(nil)
)

const batchColumns = `id, node, table_id, lsn, row_count, byte_size, received_at_us, wal_written_at_us, stored_at_us, indexed_at_us`

// optMicros is a nullable time in µs: NULL for the zero time.
func optMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

func fromOptMicros(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return fromMicros(*v)
}

// RecordBatches implements BatchLog.
func (s *store) RecordBatches(ctx context.Context, bs []Batch) error {
	for i := range bs {
		b := &bs[i]
		if b.ID == "" || b.ReceivedAt.IsZero() || b.LSN > 1<<63-1 {
			return fmt.Errorf("record batches: batch %q: id and received time are required, lsn at most 2^63-1: %w", b.ID, ErrInvalid)
		}
	}
	if len(bs) == 0 {
		return nil
	}
	err := s.run(ctx, txIdempotent, func(q querier) error {
		for _, b := range bs {
			_, err := q.exec(ctx, `INSERT INTO openwit_ingest_batches (`+batchColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO UPDATE SET
	wal_written_at_us = COALESCE(openwit_ingest_batches.wal_written_at_us, excluded.wal_written_at_us),
	stored_at_us = COALESCE(openwit_ingest_batches.stored_at_us, excluded.stored_at_us),
	indexed_at_us = COALESCE(openwit_ingest_batches.indexed_at_us, excluded.indexed_at_us)`,
				b.ID, b.Node, b.TableID, int64(b.LSN), b.Rows, b.Bytes, micros(b.ReceivedAt),
				optMicros(b.WALWrittenAt), optMicros(b.StoredAt), optMicros(b.IndexedAt))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d batches: %w", len(bs), err)
	}
	return nil
}

// ListBatches implements BatchLog.
func (s *store) ListBatches(ctx context.Context, limit int) ([]Batch, error) {
	if limit < 0 {
		return nil, fmt.Errorf("list batches: limit %d: %w", limit, ErrInvalid)
	}
	var out []Batch
	err := s.run(ctx, txRead, func(q querier) error {
		out = nil
		rs, err := q.query(ctx, `SELECT `+batchColumns+` FROM openwit_ingest_batches
ORDER BY received_at_us DESC, id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var (
				b                 Batch
				lsn, recv         int64
				wal, stored, indx *int64
			)
			if err := rs.Scan(&b.ID, &b.Node, &b.TableID, &lsn, &b.Rows, &b.Bytes, &recv, &wal, &stored, &indx); err != nil {
				return err
			}
			b.LSN = uint64(lsn)
			b.ReceivedAt = fromMicros(recv)
			b.WALWrittenAt, b.StoredAt, b.IndexedAt = fromOptMicros(wal), fromOptMicros(stored), fromOptMicros(indx)
			out = append(out, b)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	return out, nil
}

// PruneBatches implements BatchLog.
func (s *store) PruneBatches(ctx context.Context, before time.Time, keep int) (int64, error) {
	if keep < 0 {
		return 0, fmt.Errorf("prune batches: keep %d: %w", keep, ErrInvalid)
	}
	var n int64
	err := s.run(ctx, txIdempotent, func(q querier) error {
		cut := micros(before)
		var nth int64
		err := q.queryRow(ctx, `SELECT received_at_us FROM openwit_ingest_batches
ORDER BY received_at_us DESC, id LIMIT 1 OFFSET $1`, keep).Scan(&nth)
		switch {
		case isNoRows(err):
		case err != nil:
			return err
		case nth+1 > cut:
			// Rows received at or before the keep-th newest go too.
			cut = nth + 1
		}
		n, err = q.exec(ctx, `DELETE FROM openwit_ingest_batches
WHERE received_at_us < $1 AND (stored_at_us IS NOT NULL OR indexed_at_us IS NOT NULL)`, cut)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune batches: %w", err)
	}
	return n, nil
}

// errNoBatchLog is returned by AsBatchLog's callers when a catalog does
// not record batches.
var errNoBatchLog = errors.New("catalog does not record ingest batches")

// AsBatchLog returns c's BatchLog, or an error if c has none.
func AsBatchLog(c Catalog) (BatchLog, error) {
	if bl, ok := c.(BatchLog); ok {
		return bl, nil
	}
	return nil, errNoBatchLog
}
