package pgwire

import (
	"errors"
	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/pgerror"
)

// simpleQuery runs a Query message: every statement in the string in order,
// stopping at the first error, then ReadyForQuery.
func (c *conn) simpleQuery(query string) {
	// A simple Query destroys the unnamed statement and portal.
	delete(c.stmts, "")
	c.closePortal("")
	defer func() {
		// A query stopped by an error drops what its implicit
		// transaction wrote (a no-op once it committed).
		_ = c.endImplicit(false)
		c.endImplicitTransaction()
		if !c.done {
			c.readyForQuery()
		}
	}()
	if err := c.checkAborted(query); err != nil {
		c.queryError(err)
		return
	}
	parts := []QueryPart{{SQL: query}}
	if sp, ok := c.sess.(QuerySplitter); ok {
		// A syntax error is reported by parsing the whole string below,
		// which also marks an open transaction failed.
		if ps, err := sp.SplitQuery(query); err == nil && len(ps) > 1 {
			parts = ps
		}
	}
	for i, part := range parts {
		if !c.simpleStatements(query, part, len(parts) > 1, i == len(parts)-1) {
			return
		}
	}
}

// beginImplicit starts the implicit transaction of a simple query holding
// several statements, for a session whose writes are transactional.
func (c *conn) beginImplicit() {
	if t, ok := c.sess.(Transactional); ok && !c.implicit {
		c.implicit = true
		t.BeginImplicit()
	}
}

// endImplicit ends the implicit transaction, if one runs: commit makes
// its writes durable, otherwise they are dropped.
func (c *conn) endImplicit(commit bool) error {
	if !c.implicit {
		return nil
	}
	c.implicit = false
	var err error
	perr := protect(c.log, "Session.EndImplicit", func() error {
		err = c.sess.(Transactional).EndImplicit(c.ctx, commit)
		return nil
	})
	if perr != nil {
		return perr
	}
	return err
}

// simpleStatements parses and runs the statements of part of a simple
// query; false when one failed (the error is sent) or the connection is
// done. multi says the query holds several parts, last that part is the
// last: several statements are one implicit transaction, committed before
// the last one's CommandComplete, as PostgreSQL commits before it.
func (c *conn) simpleStatements(query string, part QueryPart, multi, last bool) bool {
	stmts, err := c.parseQuery(part.SQL, nil)
	if err != nil {
		var pe *pgerror.Error
		if part.Pos > 0 && errors.As(err, &pe) && pe.Position > 0 {
			pe.Position += part.Pos
		}
		c.queryError(err)
		return false
	}
	if len(stmts) == 0 {
		c.w.send(&pgproto3.EmptyQueryResponse{})
		return true
	}
	if multi || len(stmts) > 1 {
		c.beginImplicit()
	}
	for i, st := range stmts {
		ps, err := c.newPrepared("", query, st, nil)
		if err == nil && len(ps.paramOIDs) > 0 {
			// The simple protocol has no way to supply values.
			err = pgerror.New(codeUndefinedParameter, "there is no parameter $1")
		}
		if err != nil {
			c.queryError(err)
			return false
		}
		p := c.newPortal("", ps, nil, nil)
		if last && i == len(stmts)-1 && c.implicit {
			p.beforeComplete = func() error { return c.endImplicit(true) }
		}
		if ps.cols != nil {
			c.w.send(rowDescription(ps.cols, nil))
		}
		err = c.runPortal(p, 0)
		c.release(p)
		if err != nil {
			c.queryError(err)
			return false
		}
		if c.done || c.w.err != nil {
			return false
		}
	}
	return true
}

// queryError reports a statement-level error. When the connection is
// stopping the session is terminated instead.
func (c *conn) queryError(err error) {
	c.srv.met.queriesError.Inc()
	if c.w.err != nil || c.done {
		return
	}
	if c.ctx.Err() != nil {
		c.sendFatal(errAdminShutdown())
		return
	}
	c.w.send(errorResponse(err))
	// Like PostgreSQL, errors go out at once: a pipelining client may be
	// waiting for results without having sent Sync.
	_ = c.w.flush()
	if t, ok := c.sess.(Transactional); ok {
		t.FailTransaction()
		if c.tx == txActive && !t.InTransaction() {
			c.tx = txIdle // a failed COMMIT rolled the block back
			return
		}
	}
	if c.tx == txActive {
		c.tx = txFailed
	}
}

// extendedError reports an error in the extended protocol and discards
// messages until Sync.
func (c *conn) extendedError(err error) {
	c.queryError(err)
	c.skipping = true
}

// handleParse creates a prepared statement.
func (c *conn) handleParse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, dup := c.stmts[m.Name]; dup {
			return pgerror.New(codeDuplicatePreparedStatement, "prepared statement %q already exists", m.Name)
		}
	}
	if err := c.checkAborted(m.Query); err != nil {
		return err
	}
	stmts, err := c.parseQuery(m.Query, m.ParameterOIDs)
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return pgerror.New(pgerror.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	var st Statement
	if len(stmts) == 1 {
		st = stmts[0]
	}
	ps, err := c.newPrepared(m.Name, m.Query, st, m.ParameterOIDs)
	if err != nil {
		return err
	}
	c.stmts[m.Name] = ps
	c.w.send(&pgproto3.ParseComplete{})
	return nil
}

// handleBind creates a portal from a prepared statement and parameters.
func (c *conn) handleBind(m *pgproto3.Bind) error {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return errNoStatement(m.PreparedStatement)
	}
	if m.DestinationPortal == "" {
		c.closePortal("")
	} else if _, dup := c.portals[m.DestinationPortal]; dup {
		return pgerror.New(codeDuplicateCursor, "portal %q already exists", m.DestinationPortal)
	}
	if err := c.checkAborted(ps.query); err != nil {
		return err
	}
	if len(m.Parameters) != len(ps.paramOIDs) {
		return errProtocol("bind message supplies %d parameters, but prepared statement %q requires %d",
			len(m.Parameters), ps.name, len(ps.paramOIDs))
	}
	if nf := len(m.ParameterFormatCodes); nf > 1 && nf != len(m.Parameters) {
		return errProtocol("bind message has %d parameter formats but %d parameters", nf, len(m.Parameters))
	}
	formats, err := c.resultFormats(m.ResultFormatCodes, ps.cols)
	if err != nil {
		return err
	}
	params := make([]any, len(m.Parameters))
	for i, raw := range m.Parameters {
		f := formatAt(m.ParameterFormatCodes, i)
		if f != formatText && f != formatBinary {
			return pgerror.New(pgerror.InvalidParameterValue, "unsupported format code: %d", f)
		}
		if raw == nil {
			continue
		}
		v, err := c.enc.decodeParam(ps.paramOIDs[i], f, raw, i+1)
		if err != nil {
			return err
		}
		params[i] = v
	}
	c.portals[m.DestinationPortal] = c.newPortal(m.DestinationPortal, ps, params, formats)
	c.w.send(&pgproto3.BindComplete{})
	return nil
}

// formatAt applies the 0/1/N format code rule.
func formatAt(codes []int16, i int) int16 {
	switch len(codes) {
	case 0:
		return formatText
	case 1:
		return codes[0]
	}
	return codes[i]
}

// resultFormats expands the Bind result format codes to one per column.
func (c *conn) resultFormats(codes []int16, cols []Column) ([]int16, error) {
	if len(codes) > 1 && len(codes) != len(cols) {
		return nil, errProtocol("bind message has %d result formats but query has %d columns", len(codes), len(cols))
	}
	out := make([]int16, len(cols))
	for i := range out {
		f := formatAt(codes, i)
		switch f {
		case formatText:
		case formatBinary:
			if !c.enc.canBinary(cols[i].TypeOID) {
				return nil, pgerror.New(pgerror.UndefinedFunction, "no binary output function available for type %s", typeName(cols[i].TypeOID))
			}
		default:
			return nil, pgerror.New(pgerror.InvalidParameterValue, "unsupported format code: %d", f)
		}
		out[i] = f
	}
	return out, nil
}

// handleDescribe describes a statement or a portal.
func (c *conn) handleDescribe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			return errNoStatement(m.Name)
		}
		oids := ps.paramOIDs
		if oids == nil {
			oids = []uint32{}
		}
		c.w.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if ps.cols == nil {
			c.w.send(&pgproto3.NoData{})
		} else {
			c.w.send(rowDescription(ps.cols, nil))
		}
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return errNoPortal(m.Name)
		}
		if p.ps.cols == nil {
			c.w.send(&pgproto3.NoData{})
		} else {
			c.w.send(rowDescription(p.ps.cols, p.formats))
		}
	default:
		return errProtocol("invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

// handleExecute runs a portal.
func (c *conn) handleExecute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return errNoPortal(m.Portal)
	}
	if err := c.checkAborted(p.ps.query); err != nil {
		return err
	}
	if c.tx == txIdle {
		// Outside a block the Executes up to Sync are one implicit
		// transaction, as in PostgreSQL: Sync commits their writes.
		c.beginImplicit()
	}
	return c.runPortal(p, m.MaxRows)
}

// handleClose closes a statement or portal; closing a missing one is not an
// error.
func (c *conn) handleClose(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		c.closePortal(m.Name)
	default:
		return errProtocol("invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.w.send(&pgproto3.CloseComplete{})
	return nil
}

// handleSync ends an extended-protocol cycle.
func (c *conn) handleSync() {
	c.skipping = false
	// Commit (fsync) what the cycle's statements wrote before
	// ReadyForQuery; a cycle with a failed statement drops it.
	if err := c.endImplicit(true); err != nil {
		c.queryError(err)
	}
	c.endImplicitTransaction()
	c.readyForQuery()
}

// endImplicitTransaction closes every portal unless a transaction block is
// open: PostgreSQL destroys portals at the end of their transaction, and
// outside a block each Sync or simple Query ends one.
func (c *conn) endImplicitTransaction() {
	if c.tx == txActive {
		return
	}
	for name := range c.portals {
		c.closePortal(name)
	}
}

func errNoStatement(name string) error {
	if name == "" {
		return pgerror.New(pgerror.InvalidSQLStatementName, "unnamed prepared statement does not exist")
	}
	return pgerror.New(pgerror.InvalidSQLStatementName, "prepared statement %q does not exist", name)
}

func errNoPortal(name string) error {
	return pgerror.New(pgerror.InvalidCursorName, "portal %q does not exist", name)
}
