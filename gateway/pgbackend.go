package gateway

import (
	"context"

	"openwit/gateway/pgwire"
	"openwit/planner"
)

// PGBackend serves PostgreSQL-wire sessions from a planner engine.
type PGBackend struct {
	Engine *planner.Engine
}

var _ pgwire.Backend = (*PGBackend)(nil)

// OpenSession implements pgwire.Backend.
func (b *PGBackend) OpenSession(_ context.Context, params map[string]string) (pgwire.Session, error) {
	user := params["user"]
	if user == "" {
		user = "openwit"
	}
	return &pgSession{s: b.Engine.NewSession(user, params["application_name"])}, nil
}

type pgSession struct{ s *planner.Session }

func (p *pgSession) Parse(ctx context.Context, query string, paramOIDs []uint32) ([]pgwire.Statement, error) {
	prepared, err := p.s.Prepare(ctx, query, paramOIDs)
	if err != nil {
		return nil, err
	}
	out := make([]pgwire.Statement, len(prepared))
	for i, st := range prepared {
		out[i] = &pgStatement{p: st}
	}
	return out, nil
}

func (p *pgSession) Setting(name string) (string, bool) { return p.s.Setting(name) }
func (p *pgSession) Close() error                       { return p.s.Close() }

type pgStatement struct{ p *planner.Prepared }

func (s *pgStatement) ParamOIDs() []uint32 { return s.p.ParamOIDs() }

func (s *pgStatement) Columns() []pgwire.Column {
	cols := s.p.Columns()
	if cols == nil {
		return nil
	}
	out := make([]pgwire.Column, len(cols))
	for i, c := range cols {
		out[i] = pgwire.Column{Name: c.Name, TypeOID: c.TypeOID, TypeSize: c.TypeSize, TypeModifier: -1}
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
