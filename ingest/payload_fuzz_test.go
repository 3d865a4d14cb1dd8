package ingest

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzDecodeRecord feeds WAL payloads of both versions, valid and
// mangled, to decodeRecord: it returns an error or batches, never panics,
// and leaks no Arrow memory either way.
func FuzzDecodeRecord(f *testing.F) {
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil))
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	var buf bytes.Buffer
	one, err := encodePayload(&buf, 7, []Part{{Shard: 1, Rec: rec}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Clone(one))
	tx, err := encodeTxPayload(&buf, []TableWrite{{TableID: 7, Parts: []Part{{Shard: 1, Rec: rec}}}, {TableID: 8, Parts: []Part{{Shard: 2, Rec: rec}, {Shard: 3, Rec: rec}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Clone(tx))
	f.Add(tx[:len(tx)/2])
	f.Add([]byte{payloadVersionTx, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, payload []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		tables, err := decodeRecord(payload, mem)
		if err == nil {
			for _, dt := range tables {
				for _, p := range dt.parts {
					p.rec.Release()
				}
			}
		}
		mem.AssertSize(t, 0)
	})
}
