package ingest

import (
	"bytes"
	"log/slog"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzReplayDecode feeds replay's decoder arbitrary records after a valid
// provisional one: it returns an error or parts, never panics, and a
// commit record it accepts names the LSNs it was encoded with.
func FuzzReplayDecode(f *testing.F) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	prov, err := encodePayloadVersion(new(bytes.Buffer), payloadProvisional, 7, []Part{{Shard: 0, Rec: rec}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeCommit(7, []uint64{1}))
	f.Add(encodeCommit(7, []uint64{1, 5}))
	f.Add(encodeCommit(8, []uint64{1}))
	f.Add(slices.Clone(prov))
	f.Add([]byte{payloadCommit, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		d := &replayDecoder{in: &Ingester{mem: mem, log: slog.New(slog.DiscardHandler)}, pending: map[uint64]provisional{}}
		if tables, _, err := d.decode(1, prov); err != nil || tables != nil {
			t.Fatalf("provisional record: %v, %d tables", err, len(tables))
		}
		tables, from, err := d.decode(2, data)
		for _, dt := range tables {
			for _, p := range dt.parts {
				p.rec.Release()
			}
		}
		d.close()
		mem.AssertSize(t, 0)
		if err != nil || len(data) == 0 || data[0] != payloadCommit {
			return
		}
		tableID, lsns, err := decodeCommit(data)
		if err != nil {
			t.Fatalf("decode accepted a commit record decodeCommit refuses: %v", err)
		}
		if !bytes.Equal(encodeCommit(tableID, lsns), data) || from != lsns[0] {
			t.Fatalf("commit record does not round-trip: %x, from %d", data, from)
		}
	})
}
