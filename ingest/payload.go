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

const payloadVersion = 1

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
	// Size the buffer once: growing a large payload by doubling costs more
	// than encoding it. IPC adds a schema, metadata and padding per part.
	size := 13
	for _, p := range parts {
		size += 12 + int(recordSize(p.Rec)) + 4096
	}
	buf.Grow(size)
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
			return nil, fmt.Errorf("encode batch: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("encode batch: %w", err)
		}
		binary.LittleEndian.PutUint32(buf.Bytes()[lenAt:], uint32(buf.Len()-start))
	}
	return buf.Bytes(), nil
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
