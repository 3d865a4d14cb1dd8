package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/storage"
)

// TableWrite is what one transaction writes to one table: batches split by
// time shard.
type TableWrite struct {
	TableID int64
	Parts   []Part
}

// InsertTx makes the rows a transaction wrote to one or more tables
// durable and visible as one unit: they are written as one WAL record
// (payload version 2 when there are several tables), become visible to
// queries together once it is fsynced, and a replay restores all of them
// or none. It returns after the fsync. Writes to a table that no longer
// exists (dropped after the rows were staged) are kept in the record but
// not buffered; replay skips them as it skips any record of a dropped
// table. It does not take ownership of the records' references. An error
// wrapping ErrOverloaded means nothing was written.
func (in *Ingester) InsertTx(ctx context.Context, writes []TableWrite) error {
	var nonEmpty []TableWrite
	for _, w := range writes {
		if len(w.Parts) > 0 {
			nonEmpty = append(nonEmpty, w)
		}
	}
	switch len(nonEmpty) {
	case 0:
		return nil
	case 1:
		// One table: the ordinary record, as an autocommitted INSERT.
		lsn, err := in.Append(ctx, nonEmpty[0].TableID, nonEmpty[0].Parts)
		if err != nil || lsn == 0 {
			return err
		}
		return in.Sync(ctx, lsn)
	}
	lsn, err := in.appendTx(nonEmpty)
	if err != nil {
		return err
	}
	return in.Sync(ctx, lsn)
}

// appendTx writes several tables' batches as one WAL record and buffers
// their rows under one lock with the record's LSN, as Append does for one.
func (in *Ingester) appendTx(writes []TableWrite) (uint64, error) {
	start := time.Now()
	buf := getPayloadBuffer()
	defer putPayloadBuffer(buf)
	payload, err := encodeTxPayload(buf, writes)
	if err != nil {
		return 0, err
	}
	in.mu.Lock()
	type widened struct {
		ts    *tableState
		shard int64
		rec   arrow.RecordBatch
	}
	var recs []widened
	release := func() {
		for _, r := range recs {
			r.rec.Release()
		}
	}
	var rows, size int64
	for _, w := range writes {
		ts := in.tables[w.TableID]
		if ts == nil {
			continue // dropped since: replay skips its part of the record too
		}
		for _, p := range w.Parts {
			wr, err := storage.Conform(in.mem, p.Rec, ts.schema)
			if err != nil {
				in.mu.Unlock()
				release()
				return 0, fmt.Errorf("batch schema %s does not match table %s: %w", p.Rec.Schema(), ts.table.Name, err)
			}
			recs = append(recs, widened{ts: ts, shard: p.Shard, rec: wr})
			rows += p.Rec.NumRows()
			size += recordSize(wr)
		}
	}
	lsn, err := in.appendWALLocked(size, payload)
	if err != nil {
		in.mu.Unlock()
		release()
		return 0, err
	}
	for _, r := range recs {
		in.appendChunk(r.ts, r.shard, lsn, r.rec)
	}
	// The record is tracked as one batch under its first table.
	if len(recs) > 0 {
		in.batches.received(writes[0].TableID, lsn, rows, size, len(recs), start, false)
	}
	in.mu.Unlock()
	in.cfg.WAL.StartSync()
	in.rowsIn.Add(float64(rows))
	in.bytesIn.Add(float64(len(payload)))
	return lsn, nil
}
