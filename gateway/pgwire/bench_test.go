package pgwire

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// benchConn is a connection whose output goes nowhere.
func benchConn(b *testing.B) *conn {
	b.Helper()
	srv, err := NewServer(Config{Backend: newTestBackend(), Trust: true})
	if err != nil {
		b.Fatal(err)
	}
	client, server := net.Pipe()
	b.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	c := newConn(srv, context.Background(), server)
	c.w.w = io.Discard
	c.enc.setTimeZone("UTC")
	return c
}

// benchRows serves the same row n times.
type benchRows struct {
	row []any
	n   int
}

func (r *benchRows) Next(context.Context) ([]any, error) {
	if r.n == 0 {
		return nil, io.EOF
	}
	r.n--
	return r.row, nil
}
func (r *benchRows) Tag() string  { return "" }
func (r *benchRows) Close() error { return nil }

func benchmarkFetch(b *testing.B, cols []Column, row []any, format int16) {
	c := benchConn(b)
	const rowsPerOp = 1000
	st := &testStmt{cols: cols, exec: func(context.Context, []any) (Rows, error) {
		return &benchRows{row: row, n: rowsPerOp}, nil
	}}
	ps, err := c.newPrepared("", "bench", st, nil)
	if err != nil {
		b.Fatal(err)
	}
	formats := make([]int16, len(cols))
	for i := range formats {
		formats[i] = format
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := c.newPortal("", ps, nil, formats)
		if err := c.runPortal(p, 0); err != nil {
			b.Fatal(err)
		}
		c.release(p)
		_ = c.w.flush()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rowsPerOp), "ns/row")
}

func BenchmarkFetchTypesText(b *testing.B) {
	benchmarkFetch(b, typesColumns(), typesRow(), formatText)
}

func BenchmarkFetchTypesBinary(b *testing.B) {
	benchmarkFetch(b, typesColumns(), typesRow(), formatBinary)
}

func BenchmarkFetchInts(b *testing.B) {
	cols := []Column{{Name: "a", TypeOID: pgtype.Int8OID}, {Name: "b", TypeOID: pgtype.Float8OID}, {Name: "c", TypeOID: pgtype.TextOID}}
	benchmarkFetch(b, cols, []any{int64(123456789), 3.5, "some text"}, formatBinary)
}
