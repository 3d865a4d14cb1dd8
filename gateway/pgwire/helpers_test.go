package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/prometheus/client_golang/prometheus"
)

// testServer is a running Server on a loopback port.
type testServer struct {
	srv  *Server
	be   *testBackend
	reg  *prometheus.Registry
	addr string
	stop context.CancelFunc
	done chan error
}

// startServer starts a Server over a fresh testBackend; opts adjust the
// config. The server is stopped at cleanup.
func startServer(t testing.TB, opts ...func(*Config)) *testServer {
	t.Helper()
	be := newTestBackend()
	reg := prometheus.NewRegistry()
	cfg := DefaultConfig()
	cfg.Backend = be
	cfg.Registerer = reg
	cfg.Logger = testLogger()
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: srv, be: be, reg: reg, addr: l.Addr().String(), stop: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after cancel")
		}
	})
	return ts
}

// testLogger discards logs unless PGWIRE_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("PGWIRE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (ts *testServer) connString(extra string) string {
	host, port, _ := net.SplitHostPort(ts.addr)
	s := fmt.Sprintf("postgres://openwit@%s:%s/openwit?sslmode=disable", host, port)
	if extra != "" {
		s += "&" + extra
	}
	return s
}

// connect opens a pgx connection with the given exec mode.
func (ts *testServer) connect(t testing.TB, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(ts.connString(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// pgCode returns the SQLSTATE of a pgx error, "" if none.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// rawClient speaks the protocol with pgproto3 directly.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { _ = nc.Close() })
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// startup sends a StartupMessage and returns the messages up to and
// including ReadyForQuery (or the error).
func (c *rawClient) startup(params map[string]string) []string {
	c.t.Helper()
	if params == nil {
		params = map[string]string{"user": "openwit", "database": "openwit"}
	}
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params})
	return c.readUntilReady()
}

// connectRaw dials and completes startup.
func connectRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c := dialRaw(t, addr)
	msgs := c.startup(nil)
	if last := msgs[len(msgs)-1]; last != "ReadyForQuery I" {
		t.Fatalf("startup ended with %q: %v", last, msgs)
	}
	return c
}

func (c *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// writeRaw writes bytes as they are.
func (c *rawClient) writeRaw(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// receive returns the next message described as a string, or "EOF".
func (c *rawClient) receive() string {
	c.t.Helper()
	msg, err := c.fe.Receive()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
			strings.Contains(err.Error(), "connection reset") {
			return "EOF"
		}
		c.t.Fatalf("receive: %v", err)
	}
	return describeMsg(msg)
}

// readUntilReady collects messages through ReadyForQuery, a FATAL error or
// EOF.
func (c *rawClient) readUntilReady() []string {
	c.t.Helper()
	var out []string
	for {
		m := c.receive()
		out = append(out, m)
		if strings.HasPrefix(m, "ReadyForQuery") || strings.HasPrefix(m, "ErrorResponse FATAL") || m == "EOF" {
			return out
		}
	}
}

// readAll collects messages until EOF.
func (c *rawClient) readAll() []string {
	c.t.Helper()
	var out []string
	for {
		m := c.receive()
		out = append(out, m)
		if m == "EOF" {
			return out
		}
	}
}

// query runs a simple query and returns the messages through
// ReadyForQuery.
func (c *rawClient) query(sql string) []string {
	c.t.Helper()
	c.send(&pgproto3.Query{String: sql})
	return c.readUntilReady()
}

// describeMsg renders a backend message compactly for comparisons.
func describeMsg(msg pgproto3.BackendMessage) string {
	switch m := msg.(type) {
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.ErrorResponse:
		return fmt.Sprintf("ErrorResponse %s %s %s", m.Severity, m.Code, m.Message)
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.DataRow:
		vals := make([]string, len(m.Values))
		for i, v := range m.Values {
			if v == nil {
				vals[i] = "NULL"
			} else {
				vals[i] = string(v)
			}
		}
		return "DataRow " + strings.Join(vals, "|")
	case *pgproto3.RowDescription:
		names := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			names[i] = fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format)
		}
		return "RowDescription " + strings.Join(names, ",")
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	case *pgproto3.ParameterStatus:
		return fmt.Sprintf("ParameterStatus %s=%s", m.Name, m.Value)
	case *pgproto3.NegotiateProtocolVersion:
		return fmt.Sprintf("NegotiateProtocolVersion %d %v", m.NewestMinorProtocol, m.UnrecognizedOptions)
	}
	name := fmt.Sprintf("%T", msg)
	return strings.TrimPrefix(name, "*pgproto3.")
}

// filter drops ParameterStatus and BackendKeyData messages.
func filter(msgs []string) []string {
	var out []string
	for _, m := range msgs {
		if strings.HasPrefix(m, "ParameterStatus") || m == "BackendKeyData" {
			continue
		}
		out = append(out, m)
	}
	return out
}

// startupPacket builds a raw startup packet with the given code and body.
func startupPacket(code uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	b = binary.BigEndian.AppendUint32(b, code)
	return append(b, body...)
}

// startupParams encodes startup key/value pairs with the terminator.
func startupParams(kv ...string) []byte {
	var b []byte
	for _, s := range kv {
		b = append(b, s...)
		b = append(b, 0)
	}
	return append(b, 0)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
