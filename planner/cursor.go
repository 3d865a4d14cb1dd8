package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
)

// cursor is an open SQL cursor (DECLARE ... CURSOR FOR query): the query
// runs once, lazily, and FETCH pulls its next rows. Cursors only move
// forward. A cursor lives until CLOSE, the end of the session or, unless
// declared WITH HOLD, the next COMMIT or ROLLBACK. PostgreSQL also refuses
// DECLARE without WITH HOLD outside a transaction block; OpenWit accepts
// it (there are no transactions to scope it to) and keeps it until CLOSE.
type cursor struct {
	rows *Rows
	cols []Column
	hold bool
	done bool // the query returned all its rows
}

func (s *Session) declare(ctx context.Context, p *Prepared, params []any) (*Rows, error) {
	c := p.st.Cursor
	if _, dup := s.cursors[c.Name]; dup {
		return nil, pgerror.New(pgerror.DuplicateCursor, "cursor %q already exists", c.Name)
	}
	bindings, err := p.bind(params)
	if err != nil {
		return nil, err
	}
	// The query outlives this statement: it keeps running between FETCHes
	// until the cursor is closed, so neither the statement's cancellation
	// nor statement_timeout apply to it (each FETCH is bounded by its own
	// context in Rows.Next's callers).
	rows, err := p.run(context.WithoutCancel(ctx), bindings, 0)
	if err != nil {
		return nil, err
	}
	cols := make([]Column, len(rows.schema))
	for i, col := range rows.schema {
		oid, size := pgtypes.OID(col.Type)
		cols[i] = Column{Name: col.Name, TypeOID: oid, TypeSize: size}
	}
	if s.cursors == nil {
		s.cursors = map[string]*cursor{}
	}
	s.cursors[c.Name] = &cursor{rows: rows, cols: cols, hold: c.Hold}
	return &Rows{tag: "DECLARE CURSOR"}, nil
}

// fetch returns the next rows of a cursor (FETCH) or skips them (MOVE).
func (s *Session) fetch(ctx context.Context, f *pgparse.Fetch) (*Rows, error) {
	c := s.cursors[f.Name]
	if c == nil {
		return nil, pgerror.New(pgerror.InvalidCursorName, "cursor %q does not exist", f.Name)
	}
	out := [][]any{}
	var n int64
	for !c.done && (f.Count < 0 || n < f.Count) {
		if err := ctx.Err(); err != nil {
			return nil, pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
		}
		row, err := c.rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			c.done = true
			break
		}
		if err != nil {
			// PostgreSQL marks such a cursor failed; it cannot be fetched
			// from again.
			s.dropCursor(f.Name)
			return nil, err
		}
		n++
		if !f.Move {
			out = append(out, slices.Clone(row)) // Next reuses its slice
		}
	}
	if f.Move {
		return &Rows{tag: fmt.Sprintf("MOVE %d", n)}, nil
	}
	return &Rows{rows: out, tag: fmt.Sprintf("FETCH %d", n)}, nil
}

func (s *Session) closeCursor(cl *pgparse.Close) (*Rows, error) {
	if cl.All {
		s.closeCursors(true)
		return &Rows{tag: "CLOSE CURSOR"}, nil
	}
	if s.cursors[cl.Name] == nil {
		return nil, pgerror.New(pgerror.InvalidCursorName, "cursor %q does not exist", cl.Name)
	}
	s.dropCursor(cl.Name)
	return &Rows{tag: "CLOSE CURSOR"}, nil
}

// closeCursors closes every cursor (all) or those without WITH HOLD (at
// COMMIT and ROLLBACK).
func (s *Session) closeCursors(all bool) {
	for name, c := range s.cursors {
		if all || !c.hold {
			s.dropCursor(name)
		}
	}
}

func (s *Session) dropCursor(name string) {
	if c := s.cursors[name]; c != nil {
		_ = c.rows.Close()
		delete(s.cursors, name)
	}
}
