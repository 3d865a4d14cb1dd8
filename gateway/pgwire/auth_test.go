package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"openwit/gateway/auth"
	"openwit/internal/testcert"
)

// startSecureServer starts a server with password authentication for
// alice/wonderland and bob (a verifier), and TLS from a fresh test CA.
func startSecureServer(t *testing.T, required bool) (*testServer, *testcert.Set) {
	t.Helper()
	certs := testcert.New(t)
	users, err := auth.NewUsers([]auth.Entry{
		{Name: "alice", Password: "wonderland"},
		{Name: "bob", Verifier: auth.NewVerifier("builder").String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) {
		c.Trust = false
		c.Users = users
		c.TLS = certs.ServerConfig()
		c.TLSRequired = required
	})
	return ts, certs
}

// pgxConnect connects with pgx; dsn options are appended to the URL.
func pgxConnect(t *testing.T, ts *testServer, user, password, opts string, certs *testcert.Set) (*pgx.Conn, error) {
	t.Helper()
	host, port, _ := net.SplitHostPort(ts.addr)
	dsn := "postgres://" + user + ":" + password + "@" + host + ":" + port + "/openwit?" + opts
	if certs != nil {
		dsn += "&sslrootcert=" + certs.CAFile
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err == nil {
		t.Cleanup(func() { _ = c.Close(context.Background()) })
	}
	return c, err
}

func TestPasswordPgx(t *testing.T) {
	ts, certs := startSecureServer(t, false)
	for _, tc := range []struct {
		name, user, password, opts string
		tls                        bool
	}{
		{"plain text", "alice", "wonderland", "sslmode=disable", false},
		{"tls verify-full", "alice", "wonderland", "sslmode=verify-full", true},
		{"tls without channel binding", "bob", "builder", "sslmode=verify-full&channel_binding=disable", true},
		// Fails unless SCRAM-SHA-256-PLUS is offered and the binding
		// to the server certificate checks out.
		{"channel binding required", "bob", "builder", "sslmode=require&channel_binding=require", true},
		// PostgreSQL 17's direct TLS: a ClientHello instead of SSLRequest.
		{"direct tls", "alice", "wonderland", "sslmode=verify-full&sslnegotiation=direct&channel_binding=require", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cs *testcert.Set
			if tc.tls {
				cs = certs
			}
			c, err := pgxConnect(t, ts, tc.user, tc.password, tc.opts, cs)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.PgConn().ParameterStatus("session_authorization"); got != tc.user {
				t.Errorf("session_authorization %q, want %q", got, tc.user)
			}
			var one int
			if err := c.QueryRow(t.Context(), "select 1").Scan(&one); err != nil || one != 1 {
				t.Errorf("select 1: %d, %v", one, err)
			}
			_, isTLS := c.PgConn().Conn().(*tls.Conn)
			if isTLS != tc.tls {
				t.Errorf("TLS %v, want %v", isTLS, tc.tls)
			}
		})
	}
	before := counterValue(ts.srv.met.authPassword)
	for _, tc := range []struct{ user, password string }{{"alice", "builder"}, {"alice", ""}, {"mallory", "wonderland"}} {
		_, err := pgxConnect(t, ts, tc.user, tc.password, "sslmode=verify-full", certs)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "28P01" || pe.Severity != "FATAL" ||
			pe.Message != `password authentication failed for user "`+tc.user+`"` {
			t.Errorf("%s/%q: got %v, want FATAL 28P01", tc.user, tc.password, err)
		}
	}
	if got := counterValue(ts.srv.met.authPassword) - before; got != 3 {
		t.Errorf("auth failures counted %v, want 3", got)
	}
}

func TestTLSRequired(t *testing.T) {
	ts, certs := startSecureServer(t, true)
	_, err := pgxConnect(t, ts, "alice", "wonderland", "sslmode=disable", nil)
	if pgCode(err) != "28000" || !strings.Contains(err.Error(), "requires TLS") {
		t.Errorf("plain-text connection: %v", err)
	}
	if got := counterValue(ts.srv.met.authNoTLS); got != 1 {
		t.Errorf("no_tls refusals %v, want 1", got)
	}
	if _, err := pgxConnect(t, ts, "alice", "wonderland", "sslmode=verify-full", certs); err != nil {
		t.Errorf("TLS connection: %v", err)
	}
	// An untrusted certificate fails verify-full on the client side.
	other := testcert.New(t)
	if _, err := pgxConnect(t, ts, "alice", "wonderland", "sslmode=verify-full", other); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("connection trusting another CA: %v", err)
	}
}

// rawTLS sends SSLRequest, expects 'S' and runs the TLS handshake.
func rawTLS(t *testing.T, ts *testServer, certs *testcert.Set) *rawClient {
	t.Helper()
	c := dialRaw(t, ts.addr)
	c.writeRaw(startupPacket(sslRequestCode, nil))
	var b [1]byte
	if _, err := c.nc.Read(b[:]); err != nil || b[0] != 'S' {
		t.Fatalf("SSLRequest reply %q, %v; want S", b[0], err)
	}
	tc := tls.Client(c.nc, certs.ClientConfig())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, nc: tc, fe: pgproto3.NewFrontend(tc, tc)}
}

func TestTLSNegotiationErrors(t *testing.T) {
	ts, certs := startSecureServer(t, false)
	t.Run("second SSLRequest inside TLS", func(t *testing.T) {
		c := rawTLS(t, ts, certs)
		c.writeRaw(startupPacket(sslRequestCode, nil))
		msgs := c.readAll()
		if msgs[0] != "ErrorResponse FATAL 08P01 invalid encryption negotiation request" {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("GSSENCRequest after SSLRequest refused", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		c.writeRaw(startupPacket(gssEncRequestCode, nil))
		var b [1]byte
		if _, err := c.nc.Read(b[:]); err != nil || b[0] != 'N' {
			t.Fatalf("GSSENCRequest reply %q, %v", b[0], err)
		}
		c.writeRaw(startupPacket(gssEncRequestCode, nil))
		if msgs := c.readAll(); msgs[0] != "ErrorResponse FATAL 08P01 invalid encryption negotiation request" {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("plaintext after SSLRequest", func(t *testing.T) {
		// A client (or someone in the middle) that sends a startup
		// packet right behind the SSLRequest must not get it
		// processed: it lands in the TLS handshake, which fails.
		before := counterValue(ts.srv.met.authTLSHandshake)
		c := dialRaw(t, ts.addr)
		pkt := append(startupPacket(sslRequestCode, nil), startupPacket(3<<16, startupParams("user", "alice"))...)
		c.writeRaw(pkt)
		buf := make([]byte, 256)
		n, _ := c.nc.Read(buf)
		if n < 1 || buf[0] != 'S' {
			t.Fatalf("reply %q", buf[:n])
		}
		rest := buf[1:n]
		for {
			m, err := c.nc.Read(buf)
			rest = append(rest, buf[:m]...)
			if err != nil {
				break
			}
		}
		if strings.Contains(string(rest), "SCRAM") || strings.Contains(string(rest), "ReadyForQuery") {
			t.Errorf("server answered the plaintext startup packet: %q", rest)
		}
		waitFor(t, "tls handshake failure counted", func() bool {
			return counterValue(ts.srv.met.authTLSHandshake) == before+1
		})
		// The server still serves.
		if _, err := pgxConnect(t, ts, "alice", "wonderland", "sslmode=verify-full", certs); err != nil {
			t.Errorf("connection after the bad one: %v", err)
		}
	})
	t.Run("direct TLS without ALPN", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		tc := tls.Client(c.nc, certs.ClientConfig())
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c = &rawClient{t: t, nc: tc, fe: pgproto3.NewFrontend(tc, tc)}
		if msgs := c.readAll(); msgs[0] != "ErrorResponse FATAL 08P01 received direct SSL connection request without ALPN protocol negotiation extension" {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("direct TLS then SSLRequest", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		cfg := certs.ClientConfig()
		cfg.NextProtos = []string{"postgresql"}
		tc := tls.Client(c.nc, cfg)
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c = &rawClient{t: t, nc: tc, fe: pgproto3.NewFrontend(tc, tc)}
		c.writeRaw(startupPacket(sslRequestCode, nil))
		if msgs := c.readAll(); msgs[0] != "ErrorResponse FATAL 08P01 invalid encryption negotiation request" {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		c.writeRaw(startupPacket(sslRequestCode, nil))
		var b [1]byte
		if _, err := c.nc.Read(b[:]); err != nil || b[0] != 'S' {
			t.Fatalf("reply %q, %v", b[0], err)
		}
		cfg := certs.ClientConfig()
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		if err := tls.Client(c.nc, cfg).Handshake(); err == nil {
			t.Error("TLS 1.1 handshake succeeded")
		}
	})
}

func TestSCRAMProtocolErrors(t *testing.T) {
	ts, certs := startSecureServer(t, false)
	start := func(t *testing.T) *rawClient {
		c := rawTLS(t, ts, certs)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
			Parameters: map[string]string{"user": "alice", "database": "openwit"}})
		if m := c.receive(); m != "AuthenticationSASL" {
			t.Fatalf("got %s, want AuthenticationSASL", m)
		}
		return c
	}
	t.Run("mechanisms", func(t *testing.T) {
		c := rawTLS(t, ts, certs)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
			Parameters: map[string]string{"user": "alice"}})
		msg, err := c.fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		sasl, ok := msg.(*pgproto3.AuthenticationSASL)
		if !ok || strings.Join(sasl.AuthMechanisms, ",") != "SCRAM-SHA-256-PLUS,SCRAM-SHA-256" {
			t.Errorf("got %#v", msg)
		}
	})
	t.Run("unknown mechanism", func(t *testing.T) {
		c := start(t)
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "PLAIN", Data: []byte("\x00alice\x00wonderland")})
		if msgs := c.readAll(); !strings.HasPrefix(msgs[0], "ErrorResponse FATAL 08P01") ||
			!strings.Contains(msgs[0], "invalid SASL authentication mechanism") {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("password message instead of SASL", func(t *testing.T) {
		c := start(t)
		c.send(&pgproto3.Query{String: "select 1"})
		if msgs := c.readAll(); !strings.HasPrefix(msgs[0], "ErrorResponse FATAL 08P01") {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("garbage client-final", func(t *testing.T) {
		c := start(t)
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdef")})
		if m := c.receive(); m != "AuthenticationSASLContinue" {
			t.Fatalf("got %s", m)
		}
		c.send(&pgproto3.SASLResponse{Data: []byte("c=biws,r=other,p=AAAA")})
		if msgs := c.readAll(); !strings.HasPrefix(msgs[0], "ErrorResponse FATAL 08P01 malformed SCRAM message") {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("oversized SASL message", func(t *testing.T) {
		c := start(t)
		// Only the header: the limit applies before the body is read, and
		// an unsent body leaves nothing unread to reset the connection.
		c.writeRaw([]byte{'p', 0, 1, 0x11, 0x74}) // 70004 bytes
		if msgs := c.readAll(); !strings.HasPrefix(msgs[0], "ErrorResponse FATAL 54000") {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("client leaves during authentication", func(t *testing.T) {
		c := start(t)
		_ = c.nc.Close()
		// The server must not crash and keeps serving.
		if _, err := pgxConnect(t, ts, "alice", "wonderland", "sslmode=verify-full", certs); err != nil {
			t.Error(err)
		}
	})
}

func TestPasswordPsql(t *testing.T) {
	ts, certs := startSecureServer(t, true)
	host, port, _ := net.SplitHostPort(ts.addr)
	run := func(password, conninfo string, args ...string) (string, string, int) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		all := append([]string{"-X", "-A", "-t", "host=" + host + " port=" + port + " user=alice dbname=openwit " + conninfo}, args...)
		cmd := exec.CommandContext(ctx, psqlPath, all...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "PGCONNECT_TIMEOUT=10", "LC_ALL=C.UTF-8", "PGPASSWORD=" + password}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	out, stderr, code := run("wonderland", "sslmode=verify-full sslrootcert="+certs.CAFile+" channel_binding=require", "-c", "select 1", "-c", `\conninfo`)
	if code != 0 || !strings.HasPrefix(out, "1\n") || !strings.Contains(out, "SSL connection (protocol: TLSv1.3") {
		t.Errorf("psql with TLS and channel binding: %q %q %d", out, stderr, code)
	}
	_, stderr, code = run("nope", "sslmode=require")
	if code != 2 || !strings.Contains(stderr, `FATAL:  password authentication failed for user "alice"`) {
		t.Errorf("psql with a wrong password: %q %d", stderr, code)
	}
	_, stderr, code = run("wonderland", "sslmode=disable")
	if code != 2 || !strings.Contains(stderr, "FATAL:  connection without encryption refused") {
		t.Errorf("psql without TLS: %q %d", stderr, code)
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
