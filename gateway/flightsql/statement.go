package flightsql

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"

	"openwit/internal/pgerror"
	"openwit/planner"
)

// emptySchema is the result schema of statements that return no rows.
var emptySchema = arrow.NewSchema(nil, nil)

func errNoTransactions() error {
	return pgStatus(pgerror.FeatureNotSupported, "transactions are not supported over Flight SQL; every statement commits on its own")
}

// GetFlightInfoStatement plans a query and returns one endpoint whose
// ticket carries the SQL (no location: the client redeems it on the same
// connection). Statements without a result (DDL, INSERT, SET) run here, and
// the FlightInfo has no endpoints and an empty schema.
func (s *Server) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if len(cmd.GetTransactionId()) > 0 {
		return nil, errNoTransactions()
	}
	return s.flightInfo(ctx, handle{kind: kindQuery, sql: cmd.GetQuery()}, desc)
}

// GetFlightInfoPreparedStatement is GetFlightInfoStatement for a prepared
// statement handle (with its bound parameters); the endpoint's ticket is the
// command itself.
func (s *Server) GetFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	h, err := decodePrepared(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	return s.flightInfo(ctx, h, desc)
}

func (s *Server) flightInfo(ctx context.Context, h handle, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	sess := s.session(ctx)
	defer sess.Close()
	stmts, err := prepare(ctx, sess, h)
	if err != nil {
		return nil, err
	}
	info := &flight.FlightInfo{FlightDescriptor: desc, TotalRecords: -1, TotalBytes: -1}
	last := stmts[len(stmts)-1]
	if last.Columns() == nil {
		if _, err := s.execAll(ctx, stmts, h.params); err != nil {
			return nil, err
		}
		info.Schema = flight.SerializeSchema(emptySchema, s.mem)
		return info, nil
	}
	if err := checkParams(last, h.params); err != nil {
		return nil, err
	}
	schema, err := resultSchema(ctx, last)
	if err != nil {
		return nil, statusError(err)
	}
	info.Schema = flight.SerializeSchema(schema, s.mem)
	ticket := desc.Cmd // a CommandPreparedStatementQuery is its own ticket
	if h.kind == kindQuery {
		h.id = newQueryID()
		b, err := encodeHandle(h)
		if err != nil {
			return nil, statusError(err)
		}
		if ticket, err = flightsql.CreateStatementQueryTicket(b); err != nil {
			return nil, statusError(err)
		}
	}
	info.Endpoint = []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: ticket}}}
	return info, nil
}

// GetSchemaStatement returns a query's result schema without running it.
func (s *Server) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	if len(cmd.GetTransactionId()) > 0 {
		return nil, errNoTransactions()
	}
	return s.schemaOf(ctx, handle{kind: kindQuery, sql: cmd.GetQuery()})
}

// GetSchemaPreparedStatement returns a prepared statement's result schema.
func (s *Server) GetSchemaPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	h, err := decodePrepared(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	return s.schemaOf(ctx, h)
}

func (s *Server) schemaOf(ctx context.Context, h handle) (*flight.SchemaResult, error) {
	sess := s.session(ctx)
	defer sess.Close()
	stmts, err := prepare(ctx, sess, h)
	if err != nil {
		return nil, err
	}
	schema := emptySchema
	if last := stmts[len(stmts)-1]; last.Columns() != nil {
		if schema, err = resultSchema(ctx, last); err != nil {
			return nil, statusError(err)
		}
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(schema, s.mem)}, nil
}

// DoGetStatement runs the query a ticket from GetFlightInfoStatement
// carries and streams its rows.
func (s *Server) DoGetStatement(ctx context.Context, cmd flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	h, err := decodeHandle(cmd.GetStatementHandle())
	if err != nil || h.kind != kindQuery {
		return nil, nil, pgStatus(pgerror.ProtocolViolation, "invalid statement ticket: %v", orKind(err))
	}
	run, done, err := s.running.start(ctx, h.id)
	if err != nil {
		return nil, nil, statusError(err)
	}
	return s.stream(ctx, run, h, done)
}

// DoGetPreparedStatement runs a prepared statement with the parameters its
// handle carries and streams its rows.
func (s *Server) DoGetPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	h, err := decodePrepared(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, nil, err
	}
	return s.stream(ctx, ctx, h, func() {})
}

func orKind(err error) error {
	if err != nil {
		return err
	}
	return errors.New("not a statement ticket")
}

// stream runs h: every statement but the last is executed, the last one's
// rows are streamed in record batches, once per bound parameter row. The
// statements run in ctx (which CancelFlightInfo may cancel); batches are
// delivered while call, the DoGet call's context, lasts. done is called
// once when the work has stopped.
func (s *Server) stream(call, ctx context.Context, h handle, done func()) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	sess := s.session(ctx)
	finish := func() {
		sess.Close()
		done()
	}
	owned := false
	defer func() {
		if !owned {
			finish()
		}
	}()
	stmts, err := prepare(ctx, sess, h)
	if err != nil {
		return nil, nil, err
	}
	last := stmts[len(stmts)-1]
	if _, err := s.execAll(ctx, stmts[:len(stmts)-1], nil); err != nil {
		return nil, nil, err
	}
	if last.Columns() == nil {
		if _, err := s.execAll(ctx, stmts[len(stmts)-1:], h.params); err != nil {
			return nil, nil, err
		}
		ch := make(chan flight.StreamChunk)
		close(ch)
		return emptySchema, ch, nil
	}
	schema, err := resultSchema(ctx, last)
	if err != nil {
		return nil, nil, statusError(err)
	}
	params := h.params
	if len(params) == 0 {
		params = [][]any{nil}
	}
	if len(params) == 1 {
		// A fully vectorized plan streams the executor's batches as they
		// are (arrowstream.go).
		ch, ok, err := s.streamArrow(call, ctx, finish, last, params[0], schema)
		if err != nil {
			return nil, nil, statusError(err)
		}
		if ok {
			owned = true
			return schema, ch, nil
		}
	}
	// Plan errors surface as the call's status, before the stream starts.
	rows, err := last.Execute(ctx, params[0])
	if err != nil {
		return nil, nil, statusError(err)
	}
	rb, err := newRowBatcher(s.mem, schema)
	if err != nil {
		rows.Close()
		return nil, nil, statusError(err)
	}
	ch := make(chan flight.StreamChunk, 1)
	owned = true
	go s.produce(call, ctx, finish, last, rows, params[1:], rb, ch)
	return schema, ch, nil
}

// produce sends the rows of rows (then of last executed with each further
// parameter row, in ctx) to ch in batches while call lasts; it closes ch
// and calls finish.
func (s *Server) produce(call, ctx context.Context, finish func(), last *planner.Prepared, rows *planner.Rows, more [][]any, rb *rowBatcher, ch chan<- flight.StreamChunk) {
	defer close(ch)
	defer finish()
	defer rb.release()
	defer func() {
		if rows != nil {
			rows.Close()
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			s.send(call, ch, flight.StreamChunk{Err: s.panicked("DoGet", r)})
		}
	}()
	fail := func(err error) { s.send(call, ch, flight.StreamChunk{Err: statusError(err)}) }
	flush := func() bool {
		n := rb.rows
		if !s.send(call, ch, flight.StreamChunk{Data: rb.flush()}) {
			return false
		}
		s.met.rowsSent.Add(float64(n))
		return true
	}
	for {
		row, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			if err := rows.Close(); err != nil {
				fail(err)
				return
			}
			rows = nil
			if len(more) == 0 {
				break
			}
			if rows, err = last.Execute(ctx, more[0]); err != nil {
				fail(err)
				return
			}
			more = more[1:]
			continue
		}
		if err != nil {
			fail(err)
			return
		}
		if err := rb.append(row); err != nil {
			fail(err)
			return
		}
		if rb.rows >= s.cfg.BatchRows || rb.size() >= s.cfg.BatchBytes {
			if !flush() {
				return
			}
		}
	}
	if rb.rows > 0 {
		flush()
	}
}

// send delivers a chunk unless the call is over; it releases undelivered
// data.
func (s *Server) send(ctx context.Context, ch chan<- flight.StreamChunk, c flight.StreamChunk) bool {
	select {
	case ch <- c:
		return true
	case <-ctx.Done():
		if c.Data != nil {
			c.Data.Release()
		}
		return false
	}
}

// DoPutCommandStatementUpdate runs DDL or DML (every statement of the
// string, in order) and returns the rows affected.
func (s *Server) DoPutCommandStatementUpdate(ctx context.Context, cmd flightsql.StatementUpdate) (int64, error) {
	if len(cmd.GetTransactionId()) > 0 {
		return 0, errNoTransactions()
	}
	sess := s.session(ctx)
	defer sess.Close()
	stmts, err := prepare(ctx, sess, handle{kind: kindQuery, sql: cmd.GetQuery()})
	if err != nil {
		return 0, err
	}
	return s.execAll(ctx, stmts, nil)
}

// CreatePreparedStatement describes one statement and returns a handle
// carrying its SQL, its result schema and its parameter schema. Nothing is
// kept on the server.
func (s *Server) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	var res flightsql.ActionCreatePreparedStatementResult
	if len(req.GetTransactionId()) > 0 {
		return res, errNoTransactions()
	}
	sess := s.session(ctx)
	defer sess.Close()
	h := handle{kind: kindPrepared, sql: req.GetQuery()}
	stmts, err := prepare(ctx, sess, h)
	if err != nil {
		return res, err
	}
	if len(stmts) != 1 {
		return res, pgStatus(pgerror.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	p := stmts[0]
	if res.Handle, err = encodeHandle(h); err != nil {
		return res, statusError(err)
	}
	res.ParameterSchema = paramSchema(p.ParamOIDs())
	isUpdate := p.Columns() == nil
	res.IsUpdate = &isUpdate
	res.DatasetSchema = emptySchema
	if !isUpdate {
		if res.DatasetSchema, err = resultSchema(ctx, p); err != nil {
			return res, statusError(err)
		}
	}
	return res, nil
}

// ClosePreparedStatement has nothing to release: handles are stateless.
func (s *Server) ClosePreparedStatement(_ context.Context, req flightsql.ActionClosePreparedStatementRequest) error {
	_, err := decodePrepared(req.GetPreparedStatementHandle())
	return err
}

// DoPutPreparedStatementQuery binds parameters: it returns a new handle
// carrying the statement and the bound rows, which the client uses for
// GetFlightInfo. Concurrent clients binding the same statement get distinct
// handles and never see each other's values.
func (s *Server) DoPutPreparedStatementQuery(_ context.Context, cmd flightsql.PreparedStatementQuery, rdr flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	h, err := decodePrepared(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	if h.params, err = readParams(rdr); err != nil {
		return nil, statusError(err)
	}
	b, err := encodeHandle(h)
	if err != nil {
		return nil, statusError(err)
	}
	return b, nil
}

// DoPutPreparedStatementUpdate runs a prepared DDL/DML statement once per
// parameter row sent with the call (or bound earlier, or once without
// parameters) and returns the total rows affected. Each execution commits
// on its own.
func (s *Server) DoPutPreparedStatementUpdate(ctx context.Context, cmd flightsql.PreparedStatementUpdate, rdr flight.MessageReader) (int64, error) {
	h, err := decodePrepared(cmd.GetPreparedStatementHandle())
	if err != nil {
		return 0, err
	}
	params, err := readParams(rdr)
	if err != nil {
		return 0, statusError(err)
	}
	if len(params) > 0 {
		h.params = params
	}
	sess := s.session(ctx)
	defer sess.Close()
	stmts, err := prepare(ctx, sess, h)
	if err != nil {
		return 0, err
	}
	return s.execAll(ctx, stmts, h.params)
}

// checkParams fails early (before a ticket is issued) when a statement's
// placeholders have no bound values.
func checkParams(p *planner.Prepared, params [][]any) error {
	want := len(p.ParamOIDs())
	for _, row := range params {
		if len(row) < want {
			return pgStatus(pgerror.ProtocolViolation, "%d parameters bound, but the statement has %d", len(row), want)
		}
	}
	if want > 0 && len(params) == 0 {
		return pgStatus(pgerror.ProtocolViolation, "the statement has %d parameters and none are bound", want)
	}
	return nil
}

func decodePrepared(b []byte) (handle, error) {
	h, err := decodeHandle(b)
	if err != nil || h.kind != kindPrepared {
		return handle{}, pgStatus(pgerror.InvalidSQLStatementName, "invalid prepared statement handle: %v", orKind(err))
	}
	return h, nil
}

// prepare parses and describes h's SQL.
func prepare(ctx context.Context, sess *planner.Session, h handle) ([]*planner.Prepared, error) {
	stmts, err := sess.Prepare(ctx, h.sql, nil)
	if err != nil {
		return nil, statusError(err)
	}
	if len(stmts) == 0 {
		return nil, pgStatus(pgerror.SyntaxError, "empty query")
	}
	return stmts, nil
}

// execAll executes statements in order, the last one once per parameter
// row (earlier ones without parameters), draining any rows, and returns
// the rows affected.
func (s *Server) execAll(ctx context.Context, stmts []*planner.Prepared, params [][]any) (int64, error) {
	var total int64
	for i, p := range stmts {
		runs := [][]any{nil}
		if i == len(stmts)-1 && len(params) > 0 {
			runs = params
		}
		for _, args := range runs {
			n, err := execOne(ctx, p, args)
			if err != nil {
				return total, statusError(err)
			}
			total += n
		}
	}
	return total, nil
}

func execOne(ctx context.Context, p *planner.Prepared, args []any) (int64, error) {
	rows, err := p.Execute(ctx, args)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for {
		_, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		n++
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if c, ok := tagCount(rows.Tag()); ok {
		return c, nil
	}
	return n, nil
}

// tagCount parses the row count of a command tag ("INSERT 0 5" → 5,
// "UPDATE 3" → 3); ok is false for tags without one ("CREATE TABLE").
func tagCount(tag string) (int64, bool) {
	f := strings.Fields(tag)
	if len(f) < 2 {
		return 0, false
	}
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
