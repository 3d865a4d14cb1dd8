package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Payload versions: 1 is one batch of one table, 2 a transaction's
// batches of several tables (see doc.go).
const (
	payloadVersion   = 1
	payloadVersionTx = 2
)

// payloadBuffers recycles the buffers payloads are encoded into: a batch
// of a bulk-ingest stream is ~10 MB, and a fresh buffer per batch costs an
// allocation, zeroing and page faults of that size. A bounded free list,
// not a sync.Pool: the pool is emptied by every GC cycle, which large
// batches trigger often.
var payloadBuffers = make(chan *bytes.Buffer, 8)

// maxPooledPayload is the largest buffer kept for reuse.
const maxPooledPayload = 64 << 20

func getPayloadBuffer() *bytes.Buffer {
	select {
	case b := <-payloadBuffers:
		return b
	default:
		return new(bytes.Buffer)
	}
}

func putPayloadBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledPayload {
		return
	}
	b.Reset()
	select {
	case payloadBuffers <- b:
	default: // enough kept
	}
}

// encodePayload encodes one batch of one table as a WAL record payload (see
// doc.go) into buf, which it resets; the result aliases buf.
func encodePayload(buf *bytes.Buffer, tableID int64, parts []Part) ([]byte, error) {
	return encodePayloadVersion(buf, payloadVersion, tableID, parts)
}

// encodePayloadVersion is encodePayload with the version byte given:
// payloadVersion or payloadProvisional (same layout).
func encodePayloadVersion(buf *bytes.Buffer, version byte, tableID int64, parts []Part) ([]byte, error) {
	buf.Reset()
	buf.Grow(payloadSize(parts))
	if err := appendPayload(buf, version, tableID, parts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// payloadSize estimates the encoded size of parts: sizing the buffer once
// costs less than growing a large payload by doubling. IPC adds a schema,
// metadata and padding per part.
func payloadSize(parts []Part) int {
	size := 13
	for _, p := range parts {
		size += 12 + int(recordSize(p.Rec)) + 4096
	}
	return size
}

// encodeTxPayload encodes the batches of several tables as one version 2
// payload into buf, which it resets; the result aliases buf.
func encodeTxPayload(buf *bytes.Buffer, writes []TableWrite) ([]byte, error) {
	buf.Reset()
	size := 5
	for _, w := range writes {
		size += 4 + payloadSize(w.Parts)
	}
	buf.Grow(size)
	var hdr [5]byte
	hdr[0] = payloadVersionTx
	binary.LittleEndian.PutUint32(hdr[1:], uint32(len(writes)))
	buf.Write(hdr[:])
	for _, w := range writes {
		lenAt := buf.Len()
		buf.Write([]byte{0, 0, 0, 0})
		if err := appendPayload(buf, payloadVersion, w.TableID, w.Parts); err != nil {
			return nil, err
		}
		binary.LittleEndian.PutUint32(buf.Bytes()[lenAt:], uint32(buf.Len()-lenAt-4))
	}
	return buf.Bytes(), nil
}

// appendPayload appends one table's batch as a version 1 payload (or a
// provisional one: the same layout) to buf.
func appendPayload(buf *bytes.Buffer, version byte, tableID int64, parts []Part) error {
	var hdr [13]byte
	hdr[0] = version
	binary.LittleEndian.PutUint64(hdr[1:], uint64(tableID))
	binary.LittleEndian.PutUint32(hdr[9:], uint32(len(parts)))
	buf.Write(hdr[:])
	for _, p := range parts {
		var ph [12]byte
		binary.LittleEndian.PutUint64(ph[0:], uint64(p.Shard))
		lenAt := buf.Len() + 8
		buf.Write(ph[:])
		start := buf.Len()
		w := ipc.NewWriter(buf, ipc.WithSchema(p.Rec.Schema()))
		if err := w.Write(p.Rec); err != nil {
			return fmt.Errorf("encode batch: %w", err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("encode batch: %w", err)
		}
		binary.LittleEndian.PutUint32(buf.Bytes()[lenAt:], uint32(buf.Len()-start))
	}
	return nil
}

type decodedPart struct {
	shard int64
	rec   arrow.RecordBatch
}

var errBadPayload = errors.New("malformed ingest payload")

// decodePayload decodes a WAL record payload. The returned records are owned
// by the caller.
func decodePayload(b []byte, mem memory.Allocator) (int64, []decodedPart, error) {
	if len(b) < 13 || (b[0] != payloadVersion && b[0] != payloadProvisional) {
		return 0, nil, errBadPayload
	}
	tableID := int64(binary.LittleEndian.Uint64(b[1:]))
	n := int(binary.LittleEndian.Uint32(b[9:]))
	b = b[13:]
	var parts []decodedPart
	release := func() {
		for _, p := range parts {
			p.rec.Release()
		}
	}
	for i := 0; i < n; i++ {
		if len(b) < 12 {
			release()
			return 0, nil, errBadPayload
		}
		shard := int64(binary.LittleEndian.Uint64(b))
		l := int(binary.LittleEndian.Uint32(b[8:]))
		b = b[12:]
		if l > len(b) {
			release()
			return 0, nil, errBadPayload
		}
		r, err := ipc.NewReader(bytes.NewReader(b[:l]), ipc.WithAllocator(mem))
		if err != nil {
			release()
			return 0, nil, fmt.Errorf("%w: %v", errBadPayload, err)
		}
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain()
			parts = append(parts, decodedPart{shard: shard, rec: rec})
		}
		err = r.Err()
		r.Release()
		if err != nil {
			release()
			return 0, nil, fmt.Errorf("%w: %v", errBadPayload, err)
		}
		b = b[l:]
	}
	return tableID, parts, nil
}

// decodedTable is one table's rows of a WAL record.
type decodedTable struct {
	tableID int64
	parts   []decodedPart
}

// decodeRecord decodes a WAL record payload of either version into the
// batches of each table it holds. The returned records are owned by the
// caller.
func decodeRecord(b []byte, mem memory.Allocator) ([]decodedTable, error) {
	if len(b) > 0 && b[0] == payloadVersion {
		id, parts, err := decodePayload(b, mem)
		if err != nil {
			return nil, err
		}
		return []decodedTable{{tableID: id, parts: parts}}, nil
	}
	if len(b) < 5 || b[0] != payloadVersionTx {
		return nil, errBadPayload
	}
	n := int(binary.LittleEndian.Uint32(b[1:]))
	b = b[5:]
	var out []decodedTable
	release := func() {
		for _, t := range out {
			for _, p := range t.parts {
				p.rec.Release()
			}
		}
	}
	for i := 0; i < n; i++ {
		if len(b) < 4 {
			release()
			return nil, errBadPayload
		}
		l := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if l > len(b) {
			release()
			return nil, errBadPayload
		}
		id, parts, err := decodePayload(b[:l], mem)
		if err != nil {
			release()
			return nil, err
		}
		out = append(out, decodedTable{tableID: id, parts: parts})
		b = b[l:]
	}
	if len(b) != 0 {
		release()
		return nil, errBadPayload
	}
	return out, nil
}
