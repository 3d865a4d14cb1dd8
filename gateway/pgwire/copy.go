package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/pgerror"
)

// CopyFormat is the data format of a COPY.
type CopyFormat int8

// COPY data formats.
const (
	CopyText CopyFormat = iota
	CopyCSV
	CopyBinary
)

// CopySpec describes a COPY statement: its direction and data format. The
// backend parses the statement's options; defaults are already filled in
// (text: tab and `\N`; csv: ',', "" and '"').
type CopySpec struct {
	From   bool   // COPY ... FROM STDIN; false: COPY ... TO STDOUT
	Table  string // named in error context lines ("COPY t, line 3")
	Format CopyFormat
	// Header: the first line holds column names (text and csv); COPY TO
	// writes it, COPY FROM skips it or, with HeaderMatch, checks it.
	Header      bool
	HeaderMatch bool
	Delimiter   byte
	Null        string
	Quote       byte // csv
	Escape      byte // csv
	// Columns are the rows' columns of COPY TO (what Execute returns).
	Columns []Column
}

// CopyStatement is implemented by Statements that are COPY. Their Columns
// is nil: COPY sends no RowDescription. For COPY TO the server calls
// Execute and streams the rows (described by CopySpec.Columns) as
// CopyData; for COPY FROM it calls BeginCopyFrom and feeds the sink the
// rows the client sends.
type CopyStatement interface {
	Statement
	Copy() CopySpec
	// BeginCopyFrom resolves the target of COPY FROM (unknown table or
	// column errors come from here, before CopyInResponse).
	BeginCopyFrom(ctx context.Context) (CopySink, error)
}

// CopySink receives the rows of one COPY FROM STDIN. It is used by one
// goroutine. Nothing it receives may become visible before Commit; after a
// failed Append or a failed COPY the server calls Abort.
type CopySink interface {
	// Columns are the incoming columns in order: each row has one value per
	// column, decoded by its TypeOID as Bind parameters are (nil for NULL).
	Columns() []Column
	// Append takes one row. The slice and the values are only valid during
	// the call: strings and byte slices may alias the input buffers, so a
	// sink copies what it keeps.
	Append(ctx context.Context, row []any) error
	// Commit writes every appended row as one all-or-nothing write and
	// returns how many there were.
	Commit(ctx context.Context) (int64, error)
	// Abort discards the rows. It is idempotent and may follow Commit.
	Abort()
}

// copyMaxRecord bounds one COPY FROM row (text, csv or binary) held while
// it arrives in pieces.
const copyMaxRecord = 256 << 20

// runCopy executes a COPY statement in place of fetch: COPY FROM STDIN
// reads the client's CopyData until CopyDone, COPY TO STDOUT writes the
// rows as CopyData. Both end with CommandComplete "COPY n".
func (c *conn) runCopy(p *portal, st CopyStatement) error {
	var spec CopySpec
	if err := protect(c.log, "CopyStatement.Copy", func() error { spec = st.Copy(); return nil }); err != nil {
		return err
	}
	var n int64
	var err error
	if spec.From {
		n, err = c.copyIn(p, st, spec)
	} else {
		n, err = c.copyOut(p, spec)
	}
	if err != nil {
		return err
	}
	if err := p.complete(); err != nil {
		return err
	}
	tag := "COPY " + strconv.FormatInt(n, 10)
	p.state = portalDone
	p.tag = tag
	c.w.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

// copyIn runs COPY FROM STDIN. On any error it returns at once, as
// PostgreSQL does; CopyData, CopyDone and CopyFail that are still on their
// way are then ignored by the message loop (or by the extended protocol's
// skip-to-Sync).
func (c *conn) copyIn(p *portal, st CopyStatement, spec CopySpec) (n int64, err error) {
	var sink CopySink
	if err := protect(c.log, "CopyStatement.BeginCopyFrom", func() error {
		var err error
		sink, err = st.BeginCopyFrom(p.ctx)
		return err
	}); err != nil {
		return 0, err
	}
	if sink == nil {
		return 0, pgerror.New(pgerror.InternalError, "backend returned no COPY sink")
	}
	defer func() { _ = protect(c.log, "CopySink.Abort", func() error { sink.Abort(); return nil }) }()
	var cols []Column
	if err := protect(c.log, "CopySink.Columns", func() error { cols = sink.Columns(); return nil }); err != nil {
		return 0, err
	}
	format := formatText
	if spec.Format == CopyBinary {
		format = formatBinary
	}
	codes := make([]uint16, len(cols))
	for i := range codes {
		codes[i] = uint16(format)
	}
	c.w.send(&pgproto3.CopyInResponse{OverallFormat: byte(format), ColumnFormatCodes: codes})
	if err := c.w.flush(); err != nil {
		return 0, err
	}
	// A CancelRequest cancels p.ctx; the read that waits for CopyData is
	// woken through the socket's deadline, which is cleared again before
	// the connection reads anything else.
	woken := make(chan struct{})
	stopWake := context.AfterFunc(p.ctx, func() {
		_ = c.nc.SetReadDeadline(time.Now())
		close(woken)
	})
	defer func() {
		if !stopWake() {
			<-woken
			if c.ctx.Err() == nil {
				_ = c.nc.SetReadDeadline(time.Time{})
			}
		}
	}()
	r := newCopyReader(spec, cols, &c.enc)
	emit := copySinkEmit(c, p.ctx, sink, len(cols))
	for {
		if err := p.ctx.Err(); err != nil {
			if c.ctx.Err() != nil {
				c.sendFatal(errAdminShutdown())
				return 0, err
			}
			return 0, errQueryCanceled()
		}
		msg, err := c.rd.Receive()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && p.ctx.Err() != nil && c.ctx.Err() == nil {
				return 0, errQueryCanceled()
			}
			if c.readFailed(err) {
				continue
			}
			c.done = true
			return 0, fmt.Errorf("read COPY data: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := r.feed(m.Data, emit); err != nil {
				return 0, err
			}
		case *pgproto3.CopyDone:
			if err := r.finish(emit); err != nil {
				return 0, err
			}
			err := protect(c.log, "CopySink.Commit", func() error {
				var err error
				n, err = sink.Commit(p.ctx)
				return err
			})
			return n, err
		case *pgproto3.CopyFail:
			return 0, pgerror.New(pgerror.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
			// Ignored during COPY, as PostgreSQL does: libpq may send them
			// without knowing the command was a COPY.
		case *pgproto3.Terminate:
			c.done = true
			return 0, errors.New("client terminated during COPY")
		default:
			name := strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
			return 0, errProtocol("unexpected message %s during COPY from stdin", name)
		}
	}
}

// copyOut runs COPY TO STDOUT: the statement's rows, each as one CopyData
// in the requested format.
func (c *conn) copyOut(p *portal, spec CopySpec) (int64, error) {
	var rows Rows
	err := protect(c.log, "Statement.Execute", func() error {
		var err error
		rows, err = p.ps.stmt.Execute(p.ctx, p.params)
		return err
	})
	if rows != nil {
		defer func() { _ = protect(c.log, "Rows.Close", rows.Close) }()
	}
	if err != nil {
		return 0, err
	}
	if rows == nil {
		return 0, pgerror.New(pgerror.InternalError, "backend returned no rows")
	}
	cols := spec.Columns
	format := formatText
	if spec.Format == CopyBinary {
		format = formatBinary
		for _, col := range cols {
			if !c.enc.canBinary(col.TypeOID) {
				return 0, pgerror.New(pgerror.UndefinedFunction, "no binary output function available for type %s", typeName(col.TypeOID))
			}
		}
	}
	codes := make([]uint16, len(cols))
	for i := range codes {
		codes[i] = uint16(format)
	}
	c.w.send(&pgproto3.CopyOutResponse{OverallFormat: byte(format), ColumnFormatCodes: codes})
	w := copyWriter{spec: spec, cols: cols, enc: &c.enc}
	switch {
	case spec.Format == CopyBinary:
		start := c.w.beginMessage('d')
		c.w.buf = append(c.w.buf, binarySignature...)
		c.w.buf = append(c.w.buf, 0, 0, 0, 0, 0, 0, 0, 0) // flags, extension length
		if err := c.w.finishMessage(start); err != nil {
			return 0, err
		}
	case spec.Header:
		start := c.w.beginMessage('d')
		c.w.buf = w.appendHeader(c.w.buf)
		if err := c.w.finishMessage(start); err != nil {
			return 0, err
		}
	}
	var n int64
	for {
		var row []any
		err := protect(c.log, "Rows.Next", func() error {
			var err error
			row, err = rows.Next(p.ctx)
			return err
		})
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		if len(row) != len(cols) {
			return n, pgerror.New(pgerror.InternalError, "backend returned %d values for %d columns", len(row), len(cols))
		}
		start := c.w.beginMessage('d')
		var buf []byte
		err = protect(c.log, "encode row", func() error {
			var err error
			buf, err = w.appendRow(c.w.buf, row)
			return err
		})
		if err != nil {
			c.w.buf = c.w.buf[:start]
			return n, err
		}
		c.w.buf = buf
		if err := c.w.finishMessage(start); err != nil {
			return n, err
		}
		n++
		if err := c.w.flushIfFull(); err != nil {
			return n, err
		}
	}
	if spec.Format == CopyBinary {
		start := c.w.beginMessage('d')
		c.w.buf = binary.BigEndian.AppendUint16(c.w.buf, 0xFFFF)
		if err := c.w.finishMessage(start); err != nil {
			return n, err
		}
	}
	c.w.send(&pgproto3.CopyDone{})
	return n, nil
}
