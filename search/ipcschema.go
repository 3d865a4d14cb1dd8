package search

import (
	"encoding/binary"
	"errors"
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"
)

// The Arrow IPC reader trusts its flatbuffers: a corrupt vector length
// makes it allocate that many fields (an out-of-memory crash, not a
// panic), and a child offset pointing back to its parent recurses without
// end. verifySchemaMessage walks the schema message of a ticket the way
// the reader will and checks every length it allocates by against the
// bytes there are, the nesting depth and the number of fields, before the
// reader sees it. (Reads out of range only panic, which deserializeSchema
// recovers.)

// Slots (vtable offsets) of Arrow's Message.fbs / Schema.fbs tables.
const (
	slotMessageHeaderType = 6
	slotMessageHeader     = 8
	slotSchemaFields      = 6
	slotSchemaMetadata    = 8
	slotFieldChildren     = 14
	slotFieldMetadata     = 16

	messageHeaderSchema = 1 // MessageHeader.Schema

	maxSchemaDepth  = 64
	maxSchemaFields = 100_000
)

// verifySchemaMessage checks the first message of an IPC stream.
func verifySchemaMessage(b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt schema message: %v", r)
		}
	}()
	if len(b) < 8 {
		return errors.New("truncated schema message")
	}
	off := 0
	if binary.LittleEndian.Uint32(b) == 0xFFFFFFFF { // continuation marker
		off = 4
	}
	n := int64(int32(binary.LittleEndian.Uint32(b[off:])))
	off += 4
	if n < 4 || int64(off)+n > int64(len(b)) {
		return fmt.Errorf("schema message of %d bytes in %d", n, len(b)-off)
	}
	buf := b[off : int64(off)+n]
	msg := &flatbuffers.Table{Bytes: buf, Pos: flatbuffers.GetUOffsetT(buf)}
	if ht := msg.GetUint8Slot(slotMessageHeaderType, 0); ht != messageHeaderSchema {
		return fmt.Errorf("message header type %d is not a schema", ht)
	}
	o := flatbuffers.UOffsetT(msg.Offset(slotMessageHeader))
	if o == 0 {
		return errors.New("schema message without a header")
	}
	var schema flatbuffers.Table
	msg.Union(&schema, o)
	v := &schemaVerifier{}
	if err := v.tables(&schema, slotSchemaFields, 0); err != nil {
		return err
	}
	_, _, err = vector(&schema, slotSchemaMetadata)
	return err
}

type schemaVerifier struct{ fields int }

// tables checks a vector of Field tables and their children.
func (v *schemaVerifier) tables(t *flatbuffers.Table, slot flatbuffers.VOffsetT, depth int) error {
	if depth > maxSchemaDepth {
		return fmt.Errorf("fields nested deeper than %d", maxSchemaDepth)
	}
	start, n, err := vector(t, slot)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if v.fields++; v.fields > maxSchemaFields {
			return fmt.Errorf("more than %d fields", maxSchemaFields)
		}
		f := &flatbuffers.Table{Bytes: t.Bytes, Pos: t.Indirect(start + flatbuffers.UOffsetT(i)*flatbuffers.SizeUOffsetT)}
		if _, _, err := vector(f, slotFieldMetadata); err != nil {
			return err
		}
		if err := v.tables(f, slotFieldChildren, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// vector returns the element start and length of a vector of offsets, and
// an error when its elements would run past the buffer.
func vector(t *flatbuffers.Table, slot flatbuffers.VOffsetT) (flatbuffers.UOffsetT, int, error) {
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return 0, 0, nil
	}
	start := t.Vector(o)
	n := t.VectorLen(o)
	if int64(start)+int64(n)*flatbuffers.SizeUOffsetT > int64(len(t.Bytes)) || n < 0 {
		return 0, 0, fmt.Errorf("vector of %d elements past the end of the message", n)
	}
	return start, n, nil
}
