package gateway

import (
	"context"
	"net"
	"strings"

	"openwit/gateway/pgwire"
	"openwit/planner"
	"openwit/planner/pgparse"
)

// PGBackend serves PostgreSQL-wire sessions from a planner engine.
type PGBackend struct {
	Engine *planner.Engine
}

var _ pgwire.Backend = (*PGBackend)(nil)

// A fully vectorized query's rows go to the wire as Arrow batches.
var _ pgwire.RecordRows = (*planner.Rows)(nil)

// OpenSession implements pgwire.Backend.
func (b *PGBackend) OpenSession(ctx context.Context, params map[string]string) (pgwire.Session, error) {
	user := params["user"]
	if user == "" {
		user = "openwit"
	}
	s := b.Engine.NewSession(user, params["application_name"])
	if a, ok := pgwire.ClientAddr(ctx).(*net.TCPAddr); ok {
		s.SetClient(a.IP.String(), a.Port)
	}
	if a, ok := pgwire.ServerAddr(ctx).(*net.TCPAddr); ok {
		s.SetServer(a.IP.String(), a.Port)
	}
	return &pgSession{s: s}, nil
}

type pgSession struct{ s *planner.Session }

func (p *pgSession) Parse(ctx context.Context, query string, paramOIDs []uint32) ([]pgwire.Statement, error) {
	prepared, err := p.s.Prepare(ctx, query, paramOIDs)
	if err != nil {
		return nil, err
	}
	out := make([]pgwire.Statement, len(prepared))
	for i, st := range prepared {
		if st.Copy() != nil {
			out[i] = &pgCopyStatement{pgStatement{p: st}}
			continue
		}
		out[i] = &pgStatement{p: st}
	}
	return out, nil
}

// SplitQuery implements pgwire.QuerySplitter.
func (p *pgSession) SplitQuery(query string) ([]pgwire.QueryPart, error) {
	if !strings.Contains(strings.TrimRight(query, " \t\r\n;"), ";") {
		// Statements are separated by semicolons: without one before
		// the end there is one statement at most, and the server
		// parses it whole anyway (a parse saved for every small query).
		return []pgwire.QueryPart{{SQL: query}}, nil
	}
	pieces, err := pgparse.Split(query)
	if err != nil {
		return nil, err
	}
	out := make([]pgwire.QueryPart, len(pieces))
	for i, pc := range pieces {
		out[i] = pgwire.QueryPart{SQL: pc.SQL, Pos: pc.Pos}
	}
	return out, nil
}

var _ pgwire.Transactional = (*pgSession)(nil)

func (p *pgSession) BeginImplicit() { p.s.BeginImplicit() }
func (p *pgSession) EndImplicit(ctx context.Context, commit bool) error {
	return p.s.EndImplicit(ctx, commit)
}
func (p *pgSession) FailTransaction()    { p.s.FailTransaction() }
func (p *pgSession) InTransaction() bool { return p.s.InTransaction() }

func (p *pgSession) Setting(name string) (string, bool) { return p.s.Setting(name) }

// ProcessID implements pgwire.ProcessIDer: BackendKeyData carries the
// session's pg_backend_pid().
func (p *pgSession) ProcessID() uint32 { return p.s.ID() }

// SetNotifyWake implements pgwire.Notifier.
func (p *pgSession) SetNotifyWake(wake func()) { p.s.SetNotifyWake(wake) }

// TakeNotifications implements pgwire.Notifier.
func (p *pgSession) TakeNotifications() []pgwire.Notification {
	ns := p.s.TakeNotifications()
	if len(ns) == 0 {
		return nil
	}
	out := make([]pgwire.Notification, len(ns))
	for i, n := range ns {
		out[i] = pgwire.Notification{PID: n.PID, Channel: n.Channel, Payload: n.Payload}
	}
	return out
}

func (p *pgSession) Close() error { return p.s.Close() }

type pgStatement struct{ p *planner.Prepared }

func (s *pgStatement) ParamOIDs() []uint32 { return s.p.ParamOIDs() }

func (s *pgStatement) Columns() []pgwire.Column {
	cols := s.p.Columns()
	if cols == nil {
		return nil
	}
	out := make([]pgwire.Column, len(cols))
	for i, c := range cols {
		out[i] = pgwire.Column{Name: c.Name, TypeOID: c.TypeOID, TypeSize: c.TypeSize, TypeModifier: -1,
			TableOID: c.TableOID, TableAttrNum: c.TableAttrNum}
		if c.TypeModifier != 0 {
			out[i].TypeModifier = c.TypeModifier
		}
	}
	return out
}

func (s *pgStatement) Execute(ctx context.Context, params []any) (pgwire.Rows, error) {
	r, err := s.p.Execute(ctx, params)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// pgCopyStatement is a COPY: no RowDescription; COPY TO rows are described
// by its CopySpec, COPY FROM rows go to a planner.CopyIn.
type pgCopyStatement struct{ pgStatement }

var _ pgwire.CopyStatement = (*pgCopyStatement)(nil)

func (s *pgCopyStatement) Columns() []pgwire.Column { return nil }

func (s *pgCopyStatement) Copy() pgwire.CopySpec {
	c := s.p.Copy()
	spec := pgwire.CopySpec{From: c.From, Table: c.Table, Header: c.Header, HeaderMatch: c.HeaderMatch,
		Delimiter: c.Delimiter, Null: c.Null, Quote: c.Quote, Escape: c.Escape,
		Columns: s.pgStatement.Columns()}
	switch c.Format {
	case pgparse.CopyCSV:
		spec.Format = pgwire.CopyCSV
	case pgparse.CopyBinary:
		spec.Format = pgwire.CopyBinary
	}
	return spec
}

func (s *pgCopyStatement) BeginCopyFrom(ctx context.Context) (pgwire.CopySink, error) {
	in, err := s.p.BeginCopyFrom(ctx)
	if err != nil {
		return nil, err
	}
	return copySink{in}, nil
}

// copySink adapts planner.CopyIn to pgwire.CopySink (and CopyValueSink:
// rows arrive unboxed).
type copySink struct{ *planner.CopyIn }

var _ pgwire.CopyValueSink = copySink{}

func (c copySink) Columns() []pgwire.Column {
	cols := c.CopyIn.Columns()
	out := make([]pgwire.Column, len(cols))
	for i, col := range cols {
		out[i] = pgwire.Column{Name: col.Name, TypeOID: col.TypeOID, TypeSize: col.TypeSize, TypeModifier: -1}
	}
	return out
}
