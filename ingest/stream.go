package ingest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/storage"
	"openwit/storage/catalog"
)

// WAL payload versions of streamed statements (see doc.go).
const (
	payloadProvisional = 3 // a batch applied only if its commit record follows
	payloadCommit      = 4 // the commit of provisional records
)

// Stream is one statement's batches written to the WAL while the
// statement runs (COPY FROM STDIN): Add appends each batch as a
// provisional record without waiting for its fsync, and Commit appends a
// small commit record naming them, buffers every row at the commit
// record's LSN and returns after its fsync. Replay applies provisional
// records only when their commit record follows, so a statement is
// applied whole or not at all, and the client waits at the end only for
// the commit record. A Stream holds its batches until Commit or Abort;
// the WAL is not truncated past its first record meanwhile. Not safe for
// concurrent use.
type Stream struct {
	in       *Ingester
	tableID  int64
	lsns     []uint64 // provisional records, in order
	parts    []Part   // their parts, retained until Commit or Abort
	rows     int64
	walBytes int64
	start    time.Time
	done     bool
}

// BeginStream starts a stream of batches into one table.
func (in *Ingester) BeginStream(tableID int64) *Stream {
	return &Stream{in: in, tableID: tableID, start: time.Now()}
}

// Add writes parts (rows of the stream's table split by shard) as one
// provisional WAL record and keeps them for Commit. It takes its own
// references to the records: callers release theirs. An error wrapping
// ErrOverloaded means the record was refused; the stream should be
// aborted.
func (s *Stream) Add(_ context.Context, parts []Part) error {
	if s.done {
		return errors.New("ingest: stream already finished")
	}
	if len(parts) == 0 {
		return nil
	}
	in := s.in
	buf := getPayloadBuffer()
	defer putPayloadBuffer(buf)
	payload, err := encodePayloadVersion(buf, payloadProvisional, s.tableID, parts)
	if err != nil {
		return err
	}
	var size int64
	for _, p := range parts {
		size += recordSize(p.Rec)
	}
	in.mu.Lock()
	if in.tables[s.tableID] == nil {
		in.mu.Unlock()
		return fmt.Errorf("table %d: %w", s.tableID, catalog.ErrNotFound)
	}
	lsn, err := in.appendWALLocked(size, payload)
	if err != nil {
		in.mu.Unlock()
		return err
	}
	if len(s.lsns) == 0 {
		// Truncation keeps this record and every later one until the
		// stream ends (truncateWAL).
		in.streams[s] = lsn
	}
	in.mu.Unlock()
	in.cfg.WAL.StartSync()
	s.lsns = append(s.lsns, lsn)
	s.walBytes += int64(len(payload))
	for _, p := range parts {
		p.Rec.Retain()
		s.parts = append(s.parts, p)
		s.rows += p.Rec.NumRows()
	}
	return nil
}

// Commit writes the stream's commit record, buffers every row added (at
// the commit record's LSN, so they become visible together) and returns
// after the commit record's fsync, which covers every provisional record
// before it. It returns the LSN of the commit record, 0 when nothing was
// added. The stream is finished either way. An error wrapping
// ErrOverloaded means nothing was applied.
func (s *Stream) Commit(ctx context.Context) (uint64, error) {
	if s.done {
		return 0, errors.New("ingest: stream already finished")
	}
	defer s.Abort()
	if len(s.lsns) == 0 {
		return 0, nil
	}
	in := s.in
	payload := encodeCommit(s.tableID, s.lsns)
	in.mu.Lock()
	ts := in.tables[s.tableID]
	if ts == nil {
		in.mu.Unlock()
		return 0, fmt.Errorf("table %d: %w", s.tableID, catalog.ErrNotFound)
	}
	// Batches built before columns were added are widened with NULLs,
	// as in Append; replay widens the WAL's copy again.
	recs := make([]arrow.RecordBatch, 0, len(s.parts))
	release := func() {
		for _, r := range recs {
			r.Release()
		}
	}
	var size int64
	for _, p := range s.parts {
		w, err := storage.Conform(in.mem, p.Rec, ts.schema)
		if err != nil {
			in.mu.Unlock()
			release()
			return 0, fmt.Errorf("batch schema %s does not match table %s: %w", p.Rec.Schema(), ts.table.Name, err)
		}
		recs = append(recs, w)
		size += recordSize(w)
	}
	lsn, err := in.appendWALLocked(size, payload)
	if err != nil {
		in.mu.Unlock()
		release()
		return 0, err
	}
	for i, p := range s.parts {
		in.appendChunkFrom(ts, p.Shard, lsn, s.lsns[0], recs[i])
	}
	delete(in.streams, s)
	in.batches.received(s.tableID, lsn, s.rows, size, len(s.parts), s.start, false)
	in.mu.Unlock()
	in.cfg.WAL.StartSync()
	in.rowsIn.Add(float64(s.rows))
	in.bytesIn.Add(float64(s.walBytes + int64(len(payload))))
	return lsn, in.Sync(ctx, lsn)
}

// Abort drops the stream's batches; its provisional records stay in the
// WAL without a commit record (replay ignores them) until truncated. It
// is idempotent.
func (s *Stream) Abort() {
	if s.in != nil && len(s.lsns) > 0 {
		s.in.mu.Lock()
		delete(s.in.streams, s)
		s.in.mu.Unlock()
	}
	s.done = true
	for _, p := range s.parts {
		p.Rec.Release()
	}
	s.parts = nil
}

// encodeCommit encodes the commit record of provisional records lsns:
//
//	u8 version (4), i64 table id, u32 n, n × u64 LSN
func encodeCommit(tableID int64, lsns []uint64) []byte {
	b := make([]byte, 13, 13+8*len(lsns))
	b[0] = payloadCommit
	binary.LittleEndian.PutUint64(b[1:], uint64(tableID))
	binary.LittleEndian.PutUint32(b[9:], uint32(len(lsns)))
	for _, l := range lsns {
		b = binary.LittleEndian.AppendUint64(b, l)
	}
	return b
}

func decodeCommit(b []byte) (int64, []uint64, error) {
	if len(b) < 13 || b[0] != payloadCommit {
		return 0, nil, errBadPayload
	}
	tableID := int64(binary.LittleEndian.Uint64(b[1:]))
	n := int(binary.LittleEndian.Uint32(b[9:]))
	b = b[13:]
	if len(b) != 8*n || n == 0 {
		return 0, nil, errBadPayload
	}
	lsns := make([]uint64, n)
	for i := range lsns {
		lsns[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return tableID, lsns, nil
}

// provisional is a decoded provisional record held by replay until its
// commit record.
type provisional struct {
	tableID int64
	parts   []decodedPart
}

// replayDecoder turns WAL records into the parts replay applies:
// provisional records wait for their commit record, which returns their
// parts; those still waiting at the end were never acknowledged.
type replayDecoder struct {
	in      *Ingester
	pending map[uint64]provisional
}

// decode returns the tables' parts to apply for the record at lsn, and
// the lowest LSN of the records that hold them; nothing for a provisional
// record, and for a commit whose provisional records are gone (truncation
// removes them only after every row they held was published: see
// truncateWAL).
func (d *replayDecoder) decode(lsn uint64, payload []byte) ([]decodedTable, uint64, error) {
	if len(payload) == 0 {
		return nil, 0, errBadPayload
	}
	switch payload[0] {
	case payloadProvisional:
		tableID, parts, err := decodePayload(payload, d.in.mem)
		if err != nil {
			return nil, 0, err
		}
		d.pending[lsn] = provisional{tableID, parts}
		return nil, lsn, nil
	case payloadCommit:
		tableID, lsns, err := decodeCommit(payload)
		if err != nil {
			return nil, 0, err
		}
		var parts []decodedPart
		missing := 0
		for _, l := range lsns {
			p, ok := d.pending[l]
			if !ok || p.tableID != tableID {
				missing++
				continue
			}
			delete(d.pending, l)
			parts = append(parts, p.parts...)
		}
		if missing > 0 {
			for _, p := range parts {
				p.rec.Release()
			}
			d.in.log.Info("wal commit record without its provisional records (published and truncated); skipped", "lsn", lsn, "missing", missing)
			return nil, lsns[0], nil
		}
		return []decodedTable{{tableID: tableID, parts: parts}}, lsns[0], nil
	}
	tables, err := decodeRecord(payload, d.in.mem)
	return tables, lsn, err
}

// close releases the provisional records no commit record followed.
func (d *replayDecoder) close() (dropped int) {
	for _, p := range d.pending {
		for _, part := range p.parts {
			part.rec.Release()
		}
		dropped++
	}
	d.pending = nil
	return dropped
}
