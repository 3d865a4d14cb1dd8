package pgwire

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/jackc/pgx/v5/pgproto3"
)

// flushThreshold is the amount of buffered output after which a result
// stream is written out without waiting for ReadyForQuery, Flush or
// PortalSuspended: large results are streamed, not accumulated.
const flushThreshold = 64 << 10

// writer buffers backend messages for one connection. The first write error
// is sticky: once set, nothing more is sent and the connection is finished.
type writer struct {
	w   io.Writer
	buf []byte
	err error
}

// send appends msg to the buffer.
func (w *writer) send(msg pgproto3.BackendMessage) {
	if w.err != nil {
		return
	}
	buf, err := msg.Encode(w.buf)
	if err != nil {
		w.err = fmt.Errorf("encode %T: %w", msg, err)
		return
	}
	w.buf = buf
}

// flush writes the buffer out.
func (w *writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	if cap(w.buf) > 1<<20 {
		w.buf = nil // do not keep a huge buffer alive for an idle connection
	} else {
		w.buf = w.buf[:0]
	}
	if err != nil {
		w.err = fmt.Errorf("write to client: %w", err)
	}
	return w.err
}

// flushIfFull flushes when enough output is buffered.
func (w *writer) flushIfFull() error {
	if len(w.buf) >= flushThreshold {
		return w.flush()
	}
	return w.err
}

// beginMessage appends a message header with a placeholder length and
// returns the position of the type byte.
func (w *writer) beginMessage(typ byte) int {
	start := len(w.buf)
	w.buf = append(w.buf, typ, 0, 0, 0, 0)
	return start
}

// finishMessage fills in the length of the message started at start. A
// message whose length does not fit the protocol's int32 is dropped and
// reported as an error.
func (w *writer) finishMessage(start int) error {
	n := len(w.buf) - start - 1
	if n > math.MaxInt32 {
		w.buf = w.buf[:start]
		return fmt.Errorf("message of %d bytes exceeds the protocol limit", n)
	}
	binary.BigEndian.PutUint32(w.buf[start+1:], uint32(n))
	return nil
}
