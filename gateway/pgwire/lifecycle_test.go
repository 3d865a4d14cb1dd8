package pgwire

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const adminShutdown = "ErrorResponse FATAL 57P01 terminating connection due to administrator command"

func TestShutdownGraceful(t *testing.T) {
	ts := startServer(t)
	idle := connectRaw(t, ts.addr)
	busy := connectRaw(t, ts.addr)
	busy.send(&pgproto3.Query{String: "sleepms 300"})
	<-ts.be.sleeping

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	if got := idle.readAll(); !equalStrings(got, []string{adminShutdown, "EOF"}) {
		t.Errorf("idle connection got %q", got)
	}
	if got := busy.readAll(); !equalStrings(got, []string{"CommandComplete SLEEP", "ReadyForQuery I", adminShutdown, "EOF"}) {
		t.Errorf("busy connection got %q", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return")
	}
	if nc, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		_ = nc.Close()
		t.Error("server still accepts connections after Shutdown")
	}
	if o, c := ts.be.opened.Load(), ts.be.closed.Load(); o != c {
		t.Errorf("sessions opened %d, closed %d", o, c)
	}
}

func TestShutdownMidPipeline(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	// A pipeline without its Sync yet: the session is not idle.
	c.send(&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{})
	for range 4 {
		c.receive()
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond)
	c.send(&pgproto3.Sync{})
	if got := c.readAll(); !equalStrings(got, []string{"ReadyForQuery I", adminShutdown, "EOF"}) {
		t.Errorf("got %q", got)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	c.send(&pgproto3.Query{String: "sleep"})
	<-ts.be.sleeping
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	got := c.readAll()
	if got[len(got)-1] != "EOF" {
		t.Errorf("got %q", got)
	}
	waitFor(t, "sessions to close", func() bool { return ts.be.opened.Load() == ts.be.closed.Load() })
}

func TestServeContextCancel(t *testing.T) {
	be := newTestBackend()
	cfg := DefaultConfig()
	cfg.Backend = be
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	waitFor(t, "Addr", func() bool { return srv.Addr() != nil && srv.Addr().String() == l.Addr().String() })
	idle := connectRaw(t, l.Addr().String())
	busy := connectRaw(t, l.Addr().String())
	busy.send(&pgproto3.Query{String: "sleep"})
	<-be.sleeping
	cancel()
	if got := idle.readAll(); !equalStrings(got, []string{adminShutdown, "EOF"}) {
		t.Errorf("idle got %q", got)
	}
	if got := busy.readAll(); !equalStrings(got, []string{adminShutdown, "EOF"}) {
		t.Errorf("busy got %q", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if o, c := be.opened.Load(), be.closed.Load(); o != c || o != 2 {
		t.Errorf("sessions opened %d, closed %d", o, c)
	}
}

func TestListenAndServe(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Backend = newTestBackend()
	cfg.Addr = "127.0.0.1:0"
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	waitFor(t, "listener", func() bool { return srv.Addr() != nil })
	c := connectRaw(t, srv.Addr().String())
	if got := c.query("select 1"); got[len(got)-2] != "CommandComplete SELECT 1" {
		t.Errorf("got %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewServerValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no backend", Config{}, "backend is required"},
		{"negative size", Config{Backend: newTestBackend(), MaxMessageSize: -1}, "negative"},
		{"bad version", Config{Backend: newTestBackend(), ServerVersion: "OpenWit"}, "major.minor"},
		{"ok", Config{Backend: newTestBackend()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(tt.cfg)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("NewServer = %v, want %q", err, tt.wantErr)
			}
		})
	}
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := NewServer(Config{Backend: newTestBackend(), Registerer: reg}); err != nil {
			t.Fatalf("second server on one registry: %v", err)
		}
	}
}

func TestServerVersionNum(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"15.0 (OpenWit)", 150000},
		{"16.4", 160004},
		{"9.6.3", 90603},
		{"9.6", 90600},
		{"10", 100000},
		{"OpenWit", 0},
		{"9", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := serverVersionNum(tt.in); got != tt.want {
			t.Errorf("serverVersionNum(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestMetrics(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	ctx := t.Context()
	for range 2 {
		if _, err := conn.Exec(ctx, "select 1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "error"); err == nil {
		t.Fatal("error succeeded")
	}
	values := gather(t, ts.reg)
	if got := values["openwit_pgwire_connections"]; got != 1 {
		t.Errorf("connections = %v", got)
	}
	if got := values[`openwit_pgwire_queries_total{result="ok"}`]; got < 2 {
		t.Errorf("ok queries = %v", got)
	}
	if got := values[`openwit_pgwire_queries_total{result="error"}`]; got != 1 {
		t.Errorf("error queries = %v", got)
	}
	if got := values["openwit_pgwire_query_duration_seconds_count"]; got < 3 {
		t.Errorf("duration samples = %v", got)
	}
	_ = conn.Close(ctx)
	waitFor(t, "connection gauge to drop", func() bool { return gather(t, ts.reg)["openwit_pgwire_connections"] == 0 })
}

// gather flattens a registry into name{labels} → value.
func gather(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]float64)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch mf.GetType() {
			case dto.MetricType_GAUGE:
				out[name] = m.GetGauge().GetValue()
			case dto.MetricType_COUNTER:
				out[name] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}
