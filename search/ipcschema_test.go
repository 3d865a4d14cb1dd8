package search

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	flatbuffers "github.com/google/flatbuffers/go"
)

// frame wraps a flatbuffer message as the first message of an IPC stream.
func frame(msg []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0xFFFFFFFF)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(msg)))
	b = append(b, msg...)
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(b, 0xFFFFFFFF), 0)
}

// cyclicSchema builds a schema message whose only field lists itself as
// its child: the IPC reader would recurse until the stack overflows.
func cyclicSchema() []byte {
	b := flatbuffers.NewBuilder(0)
	b.StartObject(7)
	g := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(g)
	kids := b.EndVector(1)
	b.StartObject(7)
	b.PrependUOffsetTSlot(5, kids, 0)
	f := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(f)
	fields := b.EndVector(1)
	b.StartObject(4)
	b.PrependUOffsetTSlot(1, fields, 0)
	schema := b.EndObject()
	b.StartObject(5)
	b.PrependByteSlot(1, messageHeaderSchema, 0)
	b.PrependUOffsetTSlot(2, schema, 0)
	b.Finish(b.EndObject())
	buf := b.FinishedBytes()
	// Point the child at its parent (offsets wrap around in uint32).
	elem := uint32(len(buf)) - uint32(kids) + 4
	parent := uint32(len(buf)) - uint32(f)
	binary.LittleEndian.PutUint32(buf[elem:], parent-elem)
	return frame(buf)
}

func TestVerifySchemaMessage(t *testing.T) {
	nested := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.StructOf(arrow.Field{Name: "b", Type: arrow.ListOf(arrow.BinaryTypes.String)}),
			Metadata: arrow.NewMetadata([]string{"k"}, []string{"v"})},
	}, nil)
	if err := verifySchemaMessage(flight.SerializeSchema(nested, memory.DefaultAllocator)); err != nil {
		t.Fatalf("valid schema: %v", err)
	}
	valid := flight.SerializeSchema(nested, memory.DefaultAllocator)
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"cycle":     {cyclicSchema(), "nested deeper"},
		"truncated": {valid[:10], "schema message of"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if err := verifySchemaMessage(c.b); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if _, err := deserializeSchema(c.b); err == nil {
				t.Fatal("deserializeSchema accepted it")
			}
		})
	}
}
