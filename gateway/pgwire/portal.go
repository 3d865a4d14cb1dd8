package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
)

// prepared is a parsed statement: a named prepared statement, the unnamed
// one, or one statement of a simple query.
type prepared struct {
	name      string
	query     string
	stmt      Statement // nil for an empty query
	paramOIDs []uint32
	cols      []Column // nil: no rows (NoData)
}

// portalState tracks a portal through execution.
type portalState int

const (
	portalReady     portalState = iota // bound, not executed
	portalSuspended                    // Execute hit its row limit; rows open
	portalDone                         // ran to completion
	portalFailed                       // execution failed; cannot run again
)

// portal is a bound statement ready to execute, with its open Rows while
// suspended.
type portal struct {
	name    string
	ps      *prepared
	params  []any
	formats []int16 // result format per column
	ctx     context.Context
	cancel  context.CancelFunc
	rows    Rows
	recs    *recordCursor // rows read as Arrow batches (RecordRows), or nil
	state   portalState
	tag     string
	busy    time.Duration // time spent executing, for the duration metric
	// beforeComplete, when set, runs before the CommandComplete: the
	// commit of a simple query's implicit transaction. Its error fails
	// the statement.
	beforeComplete func() error
}

// newPrepared asks the statement for its parameter and result types. Types
// the client declared in Parse win over the backend's, as in PostgreSQL
// where a declared parameter type is fixed: drivers such as pgjdbc reject a
// ParameterDescription that contradicts what they declared.
func (c *conn) newPrepared(name, query string, st Statement, declared []uint32) (*prepared, error) {
	ps := &prepared{name: name, query: query, stmt: st}
	if st == nil {
		return ps, nil
	}
	err := protect(c.log, "Statement.ParamOIDs", func() error {
		ps.paramOIDs = st.ParamOIDs()
		ps.cols = st.Columns()
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Declared parameters exist even when the query does not use them, and
	// an unresolved type is reported as text. Never write into the
	// backend's slice.
	oids := make([]uint32, max(len(declared), len(ps.paramOIDs)))
	copy(oids, ps.paramOIDs)
	for i, oid := range declared {
		if oid != 0 {
			oids[i] = oid
		}
	}
	for i, oid := range oids {
		if oid == 0 {
			oids[i] = pgtype.TextOID
		}
	}
	ps.paramOIDs = oids
	if len(ps.paramOIDs) > 65535 {
		return nil, pgerror.New(pgerror.ProgramLimitExceeded, "statement has %d parameters; the limit is 65535", len(ps.paramOIDs))
	}
	if len(ps.cols) > 1664 {
		return nil, pgerror.New(pgerror.ProgramLimitExceeded, "target lists can have at most 1664 entries")
	}
	return ps, nil
}

// parseQuery calls Session.Parse; a CancelRequest cancels it like a
// running statement.
func (c *conn) parseQuery(query string, paramOIDs []uint32) ([]Statement, error) {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	c.startRunning(cancel)
	var stmts []Statement
	err := protect(c.log, "Session.Parse", func() error {
		var err error
		stmts, err = c.sess.Parse(ctx, query, paramOIDs)
		return err
	})
	if c.stopRunning() && err != nil && c.ctx.Err() == nil {
		err = errQueryCanceled()
	}
	return stmts, err
}

// newPortal binds ps with decoded parameters and result formats (nil means
// all text).
func (c *conn) newPortal(name string, ps *prepared, params []any, formats []int16) *portal {
	if formats == nil {
		formats = make([]int16, len(ps.cols))
	}
	ctx, cancel := context.WithCancel(c.ctx)
	return &portal{name: name, ps: ps, params: params, formats: formats, ctx: ctx, cancel: cancel}
}

// release closes the portal's rows and context.
func (c *conn) release(p *portal) {
	if p.recs != nil {
		p.recs.release()
		p.recs = nil
	}
	if p.rows != nil {
		rows := p.rows
		p.rows = nil
		if err := protect(c.log, "Rows.Close", rows.Close); err != nil {
			c.log.Warn("pgwire close rows", "err", err)
		}
	}
	p.cancel()
}

// closePortal closes and forgets a portal; a missing one is not an error.
func (c *conn) closePortal(name string) {
	if p, ok := c.portals[name]; ok {
		delete(c.portals, name)
		c.release(p)
	}
}

// rowDescription describes cols with the given result formats.
func rowDescription(cols []Column, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		size := col.TypeSize
		if size == 0 {
			size = typeSize(col.TypeOID)
		}
		mod := col.TypeModifier
		if mod == 0 {
			mod = -1
		}
		var f int16
		if formats != nil {
			f = formats[i]
		}
		fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: col.TableAttrNum,
			DataTypeOID:          col.TypeOID,
			DataTypeSize:         size,
			TypeModifier:         mod,
			Format:               f,
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// runPortal executes p, sending at most maxRows rows (0 = all): DataRows,
// then CommandComplete, or PortalSuspended when the limit was reached. On
// error the portal is failed and the error returned for the caller to
// report.
func (c *conn) runPortal(p *portal, maxRows uint32) error {
	switch p.state {
	case portalFailed:
		return pgerror.New(codeObjectNotInPrerequisite, "portal %q cannot be run", p.name)
	case portalDone:
		// PostgreSQL re-running an exhausted portal fetches nothing.
		tag := p.tag
		if p.ps.cols != nil {
			tag = "SELECT 0"
		}
		c.w.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		return nil
	}
	if p.ps.stmt == nil {
		c.w.send(&pgproto3.EmptyQueryResponse{})
		p.state = portalDone
		return nil
	}
	c.startRunning(p.cancel)
	start := time.Now()
	suspended, err := c.fetch(p, maxRows)
	canceled := c.stopRunning()
	p.busy += time.Since(start)
	if err != nil {
		if canceled && c.w.err == nil && c.ctx.Err() == nil {
			err = errQueryCanceled()
		}
		p.state = portalFailed
		c.release(p)
		c.srv.met.queryDuration.Observe(p.busy.Seconds())
		return err
	}
	if !suspended {
		c.srv.met.queryDuration.Observe(p.busy.Seconds())
		c.srv.met.queriesOK.Inc()
	}
	return nil
}

// fetch does runPortal's work and reports whether the portal is suspended.
func (c *conn) fetch(p *portal, maxRows uint32) (bool, error) {
	if cs, ok := p.ps.stmt.(CopyStatement); ok && p.rows == nil {
		return false, c.runCopy(p, cs)
	}
	if p.rows == nil {
		var rows Rows
		err := protect(c.log, "Statement.Execute", func() error {
			var err error
			rows, err = p.ps.stmt.Execute(p.ctx, p.params)
			return err
		})
		if err != nil {
			if rows != nil {
				_ = protect(c.log, "Rows.Close", rows.Close)
			}
			return false, err
		}
		if rows == nil {
			return false, pgerror.New(pgerror.InternalError, "backend returned no rows")
		}
		p.rows = rows
		if nr, ok := rows.(Noticer); ok {
			for _, n := range nr.Notices() {
				c.w.send(noticeResponse(n))
			}
		}
		c.openRecords(p)
	}
	var n uint64
	for {
		if maxRows > 0 && n >= uint64(maxRows) {
			p.state = portalSuspended
			c.w.send(&pgproto3.PortalSuspended{})
			return true, nil
		}
		if p.recs != nil {
			err := c.nextRecordRow(p)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return false, err
			}
			start := len(c.w.buf)
			if err := protect(c.log, "encode row", func() error { return c.appendRecordRow(p) }); err != nil {
				c.w.buf = c.w.buf[:start] // drop a partial DataRow
				return false, err
			}
			n++
			if err := c.w.flushIfFull(); err != nil {
				return false, err
			}
			continue
		}
		var row []any
		err := protect(c.log, "Rows.Next", func() error {
			var err error
			row, err = p.rows.Next(p.ctx)
			return err
		})
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, err
		}
		start := len(c.w.buf)
		if err := protect(c.log, "encode row", func() error { return c.appendDataRow(p, row) }); err != nil {
			c.w.buf = c.w.buf[:start] // drop a partial DataRow
			return false, err
		}
		n++
		if err := c.w.flushIfFull(); err != nil {
			return false, err
		}
	}
	var tag string
	_ = protect(c.log, "Rows.Tag", func() error {
		tag = p.rows.Tag()
		return nil
	})
	if tag == "" && p.ps.cols != nil {
		tag = "SELECT " + strconv.FormatUint(n, 10)
	}
	if c.tx == txFailed && strings.HasPrefix(tag, "COMMIT") {
		// COMMIT of a failed transaction block rolls it back.
		tag = "ROLLBACK"
	}
	if p.recs != nil {
		p.recs.release()
		p.recs = nil
	}
	rows := p.rows
	p.rows = nil
	if err := protect(c.log, "Rows.Close", rows.Close); err != nil {
		return false, err
	}
	if err := p.complete(); err != nil {
		return false, err
	}
	p.state = portalDone
	p.tag = tag
	c.w.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	c.afterTag(tag)
	return false, nil
}

// appendDataRow encodes one row into the output buffer.
func (c *conn) appendDataRow(p *portal, row []any) error {
	cols := p.ps.cols
	if cols == nil {
		return pgerror.New(pgerror.InternalError, "backend returned a row for a statement without result columns")
	}
	if len(row) != len(cols) {
		return pgerror.New(pgerror.InternalError, "backend returned %d values for %d columns", len(row), len(cols))
	}
	w := &c.w
	start := w.beginMessage('D')
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(row)))
	for i, raw := range row {
		v, err := normalize(raw)
		if err != nil {
			w.buf = w.buf[:start]
			return pgerror.New(pgerror.InternalError, "column %q: %v", cols[i].Name, err)
		}
		if v == nil {
			w.buf = binary.BigEndian.AppendUint32(w.buf, 0xFFFFFFFF)
			continue
		}
		lenPos := len(w.buf)
		w.buf = append(w.buf, 0, 0, 0, 0)
		if p.formats[i] == formatBinary {
			w.buf, err = c.enc.appendBinary(w.buf, cols[i].TypeOID, v)
		} else {
			w.buf, err = c.enc.appendText(w.buf, cols[i].TypeOID, v)
		}
		if err != nil {
			w.buf = w.buf[:start]
			return err
		}
		binary.BigEndian.PutUint32(w.buf[lenPos:], uint32(len(w.buf)-lenPos-4))
	}
	return w.finishMessage(start)
}

// afterTag updates the transaction status and reports changed settings
// after a CommandComplete.
func (c *conn) afterTag(tag string) {
	word, _, _ := strings.Cut(tag, " ")
	switch strings.ToUpper(word) {
	case "BEGIN", "START":
		c.tx = txActive
	case "COMMIT", "ROLLBACK", "END", "ABORT":
		c.tx = txIdle
		if t, ok := c.sess.(Transactional); ok && t.InTransaction() {
			c.tx = txActive // ROLLBACK TO a savepoint: the block goes on
		}
		// The end of a block undoes its SET LOCAL (and, rolled back, its SET).
		c.reportChangedParams()
	case "PREPARE":
		if strings.EqualFold(tag, "PREPARE TRANSACTION") {
			c.tx = txIdle
		}
	case "DEALLOCATE":
		if strings.EqualFold(tag, "DEALLOCATE ALL") {
			clear(c.stmts) // PostgreSQL's DEALLOCATE ALL drops the protocol's too
		}
	case "DISCARD":
		if strings.EqualFold(tag, "DISCARD ALL") {
			c.discardAll()
		}
		c.reportChangedParams()
	case "SET", "RESET", "SELECT":
		// A SELECT can change settings too: set_config().
		c.reportChangedParams()
	}
}

// discardAll drops the connection's prepared statements and portals, as
// DISCARD ALL does (DEALLOCATE ALL, CLOSE ALL).
func (c *conn) discardAll() {
	clear(c.stmts)
	for name := range c.portals {
		c.closePortal(name)
	}
}

// checkAborted rejects statements other than transaction exits while the
// transaction block is failed.
func (c *conn) checkAborted(query string) error {
	if c.tx != txFailed {
		return nil
	}
	switch strings.ToUpper(firstKeyword(query)) {
	case "ROLLBACK", "COMMIT", "END", "ABORT":
		return nil
	}
	return pgerror.New(codeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
}

// firstKeyword returns the first word of query, skipping whitespace and
// comments.
func firstKeyword(q string) string {
	i := 0
	for i < len(q) {
		switch {
		case q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r' || q[i] == '\f' || q[i] == '(' || q[i] == ';':
			i++
		case strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return ""
			}
			i += j + 1
		case strings.HasPrefix(q[i:], "/*"):
			depth := 0
			for i < len(q) {
				if strings.HasPrefix(q[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(q[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			j := i
			for j < len(q) && (q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] == '_') {
				j++
			}
			return q[i:j]
		}
	}
	return ""
}

// complete runs p.beforeComplete once.
func (p *portal) complete() error {
	f := p.beforeComplete
	p.beforeComplete = nil
	if f == nil {
		return nil
	}
	return f()
}
