package planner_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"openwit/internal/pgerror"
)

// TestExecuteArrow: fully vectorized plans run as record batches with the
// result's columns, LIMIT applied; other plans (and the row engine) are
// left to Execute.
func TestExecuteArrow(t *testing.T) {
	h := newHarness(t)
	loadLogs(t, h, 3000, 1, true)
	ctx := context.Background()
	for _, tt := range []struct {
		sql  string
		ok   bool
		rows int64
		cols []string
	}{
		{`SELECT count(*) FROM logs`, true, 1, []string{"count"}},
		{`SELECT level AS l, count(*) AS n FROM logs GROUP BY level`, true, 4, []string{"l", "n"}},
		{`SELECT * FROM logs`, true, 3000, []string{"ts", "service", "host", "level", "status", "latency_ms"}},
		{`SELECT host, ts FROM logs LIMIT 7`, true, 7, []string{"host", "ts"}},
		{`SELECT ts FROM logs WHERE level = 'warn' LIMIT 0`, true, 0, []string{"ts"}},
		{`SELECT ts, host FROM logs ORDER BY ts DESC LIMIT 5`, true, 5, []string{"ts", "host"}},
		{`SELECT upper(host) FROM logs`, false, 0, nil},
		{`SELECT sum(status) FROM logs`, false, 0, nil},
		{`SELECT count(*) FROM logs a, logs b`, false, 0, nil},
		{`SELECT 1`, false, 0, nil},
	} {
		stmts, err := h.s.Prepare(ctx, tt.sql, nil)
		if err != nil {
			t.Fatal(err)
		}
		ar, ok, err := stmts[0].ExecuteArrow(ctx, nil)
		if err != nil || ok != tt.ok {
			t.Errorf("%s: ok %v, %v; want ok %v", tt.sql, ok, err, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var n int64
		for {
			rec, err := ar.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.sql, err)
			}
			n += rec.NumRows()
			rec.Release()
		}
		if err := ar.Close(); err != nil {
			t.Error(err)
		}
		var names []string
		for _, f := range ar.Schema().Fields() {
			names = append(names, f.Name)
		}
		if n != tt.rows || len(names) != len(tt.cols) {
			t.Errorf("%s: %d rows, columns %v; want %d, %v", tt.sql, n, names, tt.rows, tt.cols)
			continue
		}
		for i := range names {
			if names[i] != tt.cols[i] {
				t.Errorf("%s: columns %v, want %v", tt.sql, names, tt.cols)
				break
			}
		}
	}

	// The row engine session setting turns it off.
	h.mustQuery(`SET openwit.vectorize = off`)
	stmts, err := h.s.Prepare(ctx, `SELECT count(*) FROM logs`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := stmts[0].ExecuteArrow(ctx, nil); ok || err != nil {
		t.Errorf("with the row engine: ok %v, %v", ok, err)
	}
	h.mustQuery(`SET openwit.vectorize = on`)

	// A cancelled context ends the stream with 57014.
	stmts, err = h.s.Prepare(ctx, `SELECT * FROM logs`, nil)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	ar, ok, err := stmts[0].ExecuteArrow(cctx, nil)
	if !ok || err != nil {
		t.Fatalf("ok %v, %v", ok, err)
	}
	cancel()
	for {
		rec, err := ar.Next()
		if err == nil {
			rec.Release()
			continue
		}
		if pgerror.Code(err) != pgerror.QueryCanceled {
			t.Errorf("after cancel: %v, want 57014", err)
		}
		break
	}
	ar.Close()
}
