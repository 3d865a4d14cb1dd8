package main

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/testcert"
	"openwit/internal/testserver"
)

// proxyGateways are the gateways of TestProxy: each has its own
// --query-memory-limit, so `SHOW openwit.query_memory_limit` tells which
// gateway serves a session, and weight i+1.
var proxyGateways = []string{"1GB", "2GB", "3GB"}

// whichGateway returns the index in proxyGateways of the gateway serving
// conn.
func whichGateway(tb testing.TB, conn *pgx.Conn) int {
	tb.Helper()
	var v string
	if err := conn.QueryRow(context.Background(), "SHOW openwit.query_memory_limit").Scan(&v); err != nil {
		tb.Fatalf("SHOW through the proxy: %v", err)
	}
	for i, l := range proxyGateways {
		if v == l {
			return i
		}
	}
	tb.Fatalf("SHOW openwit.query_memory_limit = %q is no gateway's", v)
	return -1
}

// TestProxy runs three gateways (weights 1:2:3) and `openwit serve
// --roles proxy` in front of them as real processes, and drives the proxy
// with pgx, psql and ADBC.
func TestProxy(t *testing.T) {
	t.Parallel()
	var gws []*testserver.Server
	var specs []string
	for i, limit := range proxyGateways {
		g := testserver.Start(t, testserver.Options{Args: []string{"--query-memory-limit", limit}})
		gws = append(gws, g)
		specs = append(specs, fmt.Sprintf("name=g%d,pg=127.0.0.1:%d,flight=127.0.0.1:%d,weight=%d", i, g.PGPort, g.FlightPort, i+1))
	}
	gateways := strings.Join(specs, ";")
	px := testserver.Start(t, testserver.Options{Args: []string{"--roles", "proxy", "--gateways", gateways}})
	ctx := t.Context()
	connect := func(tb testing.TB) *pgx.Conn { return testserver.Connect(tb, px.DSN()) }

	t.Run("weighted round-robin", func(t *testing.T) {
		const n, workers = 1000, 4
		var mu sync.Mutex
		counts := make([]int, len(gws))
		var wg sync.WaitGroup
		errc := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					conn, err := pgx.Connect(ctx, px.DSN())
					if err != nil {
						errc <- err
						return
					}
					var v string
					err = conn.QueryRow(ctx, "SHOW openwit.query_memory_limit").Scan(&v)
					conn.Close(ctx)
					if err != nil {
						errc <- err
						return
					}
					mu.Lock()
					for g, l := range proxyGateways {
						if v == l {
							counts[g]++
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatalf("connection through the proxy: %v", err)
		}
		total := 0
		for g, c := range counts {
			total += c
			want := float64(n) * float64(g+1) / 6
			if d := float64(c) - want; d > want/10 || d < -want/10 {
				t.Errorf("gateway %d (weight %d) served %d of %d connections, want %.0f ± 10%%", g, g+1, c, n, want)
			}
		}
		if total != n {
			t.Errorf("%d of %d connections reached a gateway", total, n)
		}
		t.Logf("connections per gateway (weights 1:2:3): %v", counts)
		_, body := httpGet(t, px.HTTPURL()+"/metrics")
		for g := range gws {
			v, _ := metricValue(body, fmt.Sprintf(`openwit_proxy_connections_total{gateway="g%d",protocol="pg"}`, g))
			if int(v) < counts[g] {
				t.Errorf("proxy metric: %v pg connections to g%d, the gateway served %d", v, g, counts[g])
			}
			if up, ok := metricValue(body, fmt.Sprintf(`openwit_proxy_gateway_up{gateway="g%d"}`, g)); !ok || up != 1 {
				t.Errorf("openwit_proxy_gateway_up for g%d = %v (%v), want 1", g, up, ok)
			}
		}
	})

	t.Run("cancel request", func(t *testing.T) {
		// One session per gateway: the proxy hands out its own keys,
		// distinct even where the gateways' keys collide.
		conns := make([]*pgx.Conn, len(gws))
		pids := map[uint32]bool{}
		for tries := 0; tries < 30 && (conns[0] == nil || conns[1] == nil || conns[2] == nil); tries++ {
			c := connect(t)
			if g := whichGateway(t, c); conns[g] == nil {
				conns[g] = c
				pids[c.PgConn().PID()] = true
			}
		}
		if len(pids) != len(gws) {
			t.Fatalf("sessions on the %d gateways have %d distinct process ids", len(gws), len(pids))
		}
		for g, conn := range conns {
			cancelCopy(t, conn, "pcancel")
			if whichGateway(t, conn) != g {
				t.Fatalf("the session moved off gateway %d", g)
			}
		}
		// A key the proxy did not hand out is dropped.
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", px.PGPort))
		if err != nil {
			t.Fatal(err)
		}
		var pkt [16]byte
		binary.BigEndian.PutUint32(pkt[0:], 16)
		binary.BigEndian.PutUint32(pkt[4:], 80877102)
		binary.BigEndian.PutUint32(pkt[8:], conns[0].PgConn().PID())
		copy(pkt[12:], "nope")
		_, _ = c.Write(pkt[:])
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
			t.Errorf("a bad cancel key got %q, %v; want the connection closed", b, err)
		}
		c.Close()
		_, body := httpGet(t, px.HTTPURL()+"/metrics")
		if v, _ := metricValue(body, `openwit_proxy_cancel_requests_total{result="forwarded"}`); v != 3 {
			t.Errorf("forwarded cancel requests: %v, want 3", v)
		}
		if v, _ := metricValue(body, `openwit_proxy_cancel_requests_total{result="unknown"}`); v != 1 {
			t.Errorf("unknown cancel requests: %v, want 1", v)
		}
	})

	t.Run("notifications", func(t *testing.T) {
		// A notification the session sent itself carries the pid the
		// proxy handed out (what pgx's PID() returns); another
		// session's carries that session's gateway pid
		// (pg_backend_pid()).
		a, b := connect(t), connect(t)
		for tries := 0; tries < 30 && whichGateway(t, a) != whichGateway(t, b); tries++ {
			b = connect(t) // same gateway: notifications do not cross unclustered gateways
		}
		if whichGateway(t, a) != whichGateway(t, b) {
			t.Fatal("no two sessions on one gateway in 30 tries")
		}
		if _, err := a.Exec(ctx, "LISTEN px"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*pgx.Conn{a, b} {
			if _, err := c.Exec(ctx, "NOTIFY px, 'hi'"); err != nil {
				t.Fatal(err)
			}
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var bPID uint32
		if err := b.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&bPID); err != nil {
			t.Fatal(err)
		}
		for _, want := range []uint32{a.PgConn().PID(), bPID} {
			n, err := a.WaitForNotification(wctx)
			if err != nil {
				t.Fatal(err)
			}
			if n.Channel != "px" || n.Payload != "hi" || n.PID != want {
				t.Errorf("notification %+v, want channel px payload hi from pid %d", n, want)
			}
		}
	})

	t.Run("psql", func(t *testing.T) {
		certs := testcert.New(t)
		tpx := testserver.Start(t, testserver.Options{Args: []string{"--roles", "proxy", "--gateways", gateways,
			"--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile, "--tls-required"}})
		psql := func(port int, conninfo string, args ...string) (string, string, error) {
			all := append([]string{"-X", "-A", "-t", fmt.Sprintf("host=127.0.0.1 port=%d user=openwit dbname=openwit %s", port, conninfo)}, args...)
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			c := exec.CommandContext(cctx, "psql", all...)
			c.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "PGCONNECT_TIMEOUT=10", "LC_ALL=C.UTF-8"}
			var o, e strings.Builder
			c.Stdout, c.Stderr = &o, &e
			err := c.Run()
			return o.String(), e.String(), err
		}
		script := []string{"-c", "CREATE TABLE ppsql (ts timestamptz NOT NULL, v int4)",
			"-c", "INSERT INTO ppsql VALUES ('2024-01-01 00:00:00+00', 41), ('2024-01-01 00:00:01+00', 1)",
			"-c", "SELECT sum(v) FROM ppsql", "-c", "DROP TABLE ppsql"}
		o, e, err := psql(px.PGPort, "sslmode=prefer", script...)
		if err != nil || o != "INSERT 0 2\n42\n" && o != "CREATE TABLE\nINSERT 0 2\n42\nDROP TABLE\n" {
			t.Errorf("psql through the proxy: %q %q %v", o, e, err)
		}
		// TLS ends at the proxy; the gateways behind it have none.
		o, e, err = psql(tpx.PGPort, "sslmode=verify-full sslrootcert="+certs.CAFile, "-c", "SHOW ssl", "-c", "SELECT 6 * 7")
		if err != nil || !strings.HasSuffix(o, "42\n") {
			t.Errorf("psql with TLS through the proxy: %q %q %v", o, e, err)
		}
		if _, e, err = psql(tpx.PGPort, "sslmode=disable", "-c", "SELECT 1"); err == nil || !strings.Contains(e, "requires TLS") {
			t.Errorf("psql without TLS through a --tls-required proxy: %q %v", e, err)
		}
		// Direct TLS (sslnegotiation=direct), with and without ALPN.
		conn := testserver.Connect(t, fmt.Sprintf("postgres://openwit@localhost:%d/openwit?sslmode=verify-full&sslnegotiation=direct&sslrootcert=%s", tpx.PGPort, certs.CAFile))
		whichGateway(t, conn)
		tc, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tpx.PGPort), &tls.Config{RootCAs: certs.Pool, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
		b, err := io.ReadAll(tc)
		tc.Close()
		if err != nil || !strings.Contains(string(b), "08P01") || !strings.Contains(string(b), "without ALPN") {
			t.Errorf("direct TLS without ALPN: %q %v, want FATAL 08P01", b, err)
		}
	})

	t.Run("flight sql", func(t *testing.T) {
		drv := adbcfsql.NewDriver(memory.DefaultAllocator)
		seen := map[string]int{}
		for i := 0; i < 6; i++ {
			db, err := drv.NewDatabase(map[string]string{adbc.OptionKeyURI: fmt.Sprintf("grpc://127.0.0.1:%d", px.FlightPort)})
			if err != nil {
				t.Fatal(err)
			}
			cn, err := db.Open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Several queries on one connection (GetFlightInfo, then
			// DoGet with its ticket) all reach the same gateway.
			first := ""
			for q := 0; q < 3; q++ {
				got := adbcString(t, cn, "SHOW openwit.query_memory_limit")
				if first == "" {
					first = got
				} else if got != first {
					t.Errorf("ADBC connection %d moved from %s to %s", i, first, got)
				}
			}
			seen[first]++
			cn.Close()
			db.Close()
		}
		for _, l := range proxyGateways {
			if seen[l] == 0 {
				t.Errorf("no ADBC connection reached the gateway with %s: %v", l, seen)
			}
		}
		t.Logf("ADBC connections per gateway: %v", seen)
	})

	t.Run("malformed startup", func(t *testing.T) {
		pkt := func(code uint32, rest ...byte) []byte {
			b := binary.BigEndian.AppendUint32(nil, uint32(8+len(rest)))
			b = binary.BigEndian.AppendUint32(b, code)
			return append(b, rest...)
		}
		ssl := pkt(80877103)
		for _, tc := range []struct {
			name string
			send []byte
			want string // in the FATAL the proxy sends; "" for a plain close
		}{
			{"short length", []byte{0, 0, 0, 3}, "08P01"},
			{"huge length", []byte{0, 1, 0, 0}, "invalid length of startup packet"},
			{"negative length", []byte{0xff, 0xff, 0xff, 0xf0}, "invalid length of startup packet"},
			{"protocol 2", pkt(2<<16, 'u', 's', 'e', 'r', 0, 'x', 0, 0), "unsupported frontend protocol 2.0"},
			{"no terminator", pkt(3<<16, 'u', 's', 'e', 'r', 0, 'x'), "invalid startup packet layout"},
			{"missing value", pkt(3<<16, 'u', 's', 'e', 'r', 0), "invalid startup packet layout"},
			{"ssl request twice", append(append([]byte{}, ssl...), ssl...), "invalid encryption negotiation request"},
			{"ssl request with a body", pkt(80877103, 1, 2, 3, 4), "invalid encryption negotiation request"},
			{"truncated packet", []byte{0, 0, 0, 50, 0, 3, 0, 0}, ""},
			{"short cancel request", pkt(80877102, 1), ""},
			{"nothing", nil, ""},
		} {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", px.PGPort))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = c.Write(tc.send)
			if tc.want == "" || tc.name == "truncated packet" {
				c.(*net.TCPConn).CloseWrite()
			}
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			b, err := io.ReadAll(c)
			c.Close()
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			b = []byte(strings.TrimPrefix(string(b), "N")) // the answer to the first SSLRequest
			switch {
			case tc.want == "" && len(b) != 0:
				t.Errorf("%s: got %q, want the connection closed", tc.name, b)
			case tc.want != "" && (len(b) == 0 || b[0] != 'E' || !strings.Contains(string(b), "FATAL") || !strings.Contains(string(b), tc.want)):
				t.Errorf("%s: got %q, want a FATAL ErrorResponse with %q", tc.name, b, tc.want)
			}
		}
		// The proxy is still there and still routes.
		conn := connect(t)
		whichGateway(t, conn)
		_, body := httpGet(t, px.HTTPURL()+"/metrics")
		if v, _ := metricValue(body, `openwit_proxy_refused_total{protocol="pg",reason="startup"}`); v != 8 {
			t.Errorf("refused startups: %v, want 8", v)
		}
	})

	// Last: it kills a gateway.
	t.Run("gateway dies", func(t *testing.T) {
		const victim = 2
		var idle, busy *pgx.Conn
		for tries := 0; tries < 40 && busy == nil; tries++ {
			c := connect(t)
			if whichGateway(t, c) != victim {
				continue
			}
			if idle == nil {
				idle = c
			} else {
				busy = c
			}
		}
		if busy == nil {
			t.Fatal("no two sessions on the victim gateway in 40 connections")
		}
		mustExec(t, busy, "CREATE TABLE pdies (ts timestamptz NOT NULL, v int4)")
		pc := busy.PgConn()
		pc.Frontend().Send(&pgproto3.Query{String: "COPY pdies FROM STDIN"})
		if err := pc.Frontend().Flush(); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if msg, err := pc.ReceiveMessage(rctx); err != nil {
			t.Fatal(err)
		} else if _, ok := msg.(*pgproto3.CopyInResponse); !ok {
			t.Fatalf("got %T, want CopyInResponse", msg)
		}

		gws[victim].Kill()

		// The session in the middle of a statement gets the proxy's
		// FATAL, not a broken frame.
		_, err := pc.ReceiveMessage(rctx)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "08006" || pe.Severity != "FATAL" {
			t.Errorf("in-flight session after the gateway died: %v, want FATAL 08006", err)
		}
		// So does an idle one, at its next statement.
		_, err = idle.Exec(ctx, "SELECT 1")
		if !errors.As(err, &pe) || pe.Code != "08006" {
			t.Errorf("idle session after the gateway died: %v, want FATAL 08006", err)
		}

		// New connections go to the others.
		for i := 0; i < 30; i++ {
			c, err := pgx.Connect(ctx, px.DSN())
			if err != nil {
				t.Fatalf("connection %d after the gateway died: %v", i, err)
			}
			if g := whichGateway(t, c); g == victim {
				t.Fatalf("connection %d went to the dead gateway", i)
			}
			c.Close(ctx)
		}
		waitMetric(t, px.HTTPURL(), fmt.Sprintf(`openwit_proxy_gateway_up{gateway="g%d"}`, victim), func(v float64) bool { return v == 0 })
		_, body := httpGet(t, px.HTTPURL()+"/metrics")
		if v, _ := metricValue(body, fmt.Sprintf(`openwit_proxy_sessions_lost_total{gateway="g%d"}`, victim)); v != 2 {
			t.Errorf("lost sessions on g%d: %v, want 2", victim, v)
		}

		// It comes back after its restart.
		gws[victim].Restart()
		waitMetric(t, px.HTTPURL(), fmt.Sprintf(`openwit_proxy_gateway_up{gateway="g%d"}`, victim), func(v float64) bool { return v == 1 })
		back := false
		for i := 0; i < 12 && !back; i++ {
			c, err := pgx.Connect(ctx, px.DSN())
			if err != nil {
				t.Fatal(err)
			}
			back = whichGateway(t, c) == victim
			c.Close(ctx)
		}
		if !back {
			t.Error("the restarted gateway got none of 12 new connections")
		}
	})
}

// adbcString runs a one-value query over ADBC and returns the value.
func adbcString(tb testing.TB, cn adbc.Connection, sql string) string {
	tb.Helper()
	st, err := cn.NewStatement()
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery(sql); err != nil {
		tb.Fatal(err)
	}
	rdr, _, err := st.ExecuteQuery(context.Background())
	if err != nil {
		tb.Fatalf("%s over ADBC: %v", sql, err)
	}
	defer rdr.Release()
	var out []string
	for rdr.Next() {
		rec := rdr.RecordBatch()
		col, ok := rec.Column(0).(*array.String)
		if !ok {
			tb.Fatalf("%s over ADBC: column type %s", sql, rec.Column(0).DataType())
		}
		for i := 0; i < col.Len(); i++ {
			out = append(out, col.Value(i))
		}
	}
	if len(out) != 1 {
		tb.Fatalf("%s over ADBC: %q, want one value", sql, out)
	}
	return out[0]
}

// cancelCopy starts COPY table FROM STDIN on conn (a statement that runs
// until data or a cancel arrives), cancels it with pgx's CancelRequest and
// checks that it ends with 57014 and the session goes on.
func cancelCopy(tb testing.TB, conn *pgx.Conn, table string) {
	tb.Helper()
	ctx := context.Background()
	mustExec(tb, conn, "CREATE TABLE "+table+" (ts timestamptz NOT NULL, v int4)")
	pc := conn.PgConn()
	fe := pc.Frontend()
	fe.Send(&pgproto3.Query{String: "COPY " + table + " FROM STDIN"})
	if err := fe.Flush(); err != nil {
		tb.Fatal(err)
	}
	next := func() pgproto3.BackendMessage {
		// The bound only keeps a missed cancel from hanging the test.
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		msg, err := pc.ReceiveMessage(rctx)
		if err != nil {
			tb.Fatal(err)
		}
		return msg
	}
	if msg, ok := next().(*pgproto3.CopyInResponse); !ok {
		tb.Fatalf("got %T, want CopyInResponse", msg)
	}
	if err := pc.CancelRequest(ctx); err != nil {
		tb.Fatal(err)
	}
	if msg, ok := next().(*pgproto3.ErrorResponse); !ok || msg.Code != "57014" {
		tb.Fatalf("got %#v, want ErrorResponse 57014", msg)
	}
	if msg, ok := next().(*pgproto3.ReadyForQuery); !ok {
		tb.Fatalf("got %T, want ReadyForQuery", msg)
	}
	fe.Send(&pgproto3.CopyDone{})
	if err := fe.Flush(); err != nil {
		tb.Fatal(err)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 0 {
		tb.Fatalf("after the cancelled COPY: %d rows, %v", n, err)
	}
}

// TestProxyGatewayTLS runs the proxy with --tls-ca in front of a gateway
// that requires TLS and passwords: sessions and cancel requests reach it
// over verified TLS, SCRAM runs end to end, and Flight SQL stays TLS from
// the client to the gateway through the relay.
func TestProxyGatewayTLS(t *testing.T) {
	t.Parallel()
	certs := testcert.New(t)
	users := writeConfig(t, "users:\n  - name: alice\n    password: wonderland-secret\n")
	tlsArgs := []string{"--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile}
	g := testserver.Start(t, testserver.Options{Args: append([]string{"--auth", "password", "--users-file", users, "--tls-required"}, tlsArgs...)})
	px := testserver.Start(t, testserver.Options{Args: append([]string{"--roles", "proxy", "--tls-ca", certs.CAFile,
		"--gateways", fmt.Sprintf("pg=localhost:%d,flight=localhost:%d", g.PGPort, g.FlightPort)}, tlsArgs...)})
	ctx := t.Context()

	base := fmt.Sprintf("postgres://alice:wonderland-secret@localhost:%d/openwit", px.PGPort)
	for _, mode := range []string{"?sslmode=disable", "?sslmode=verify-full&channel_binding=disable&sslrootcert=" + certs.CAFile} {
		conn := testserver.Connect(t, base+mode)
		var n int
		if err := conn.QueryRow(ctx, "SELECT 6 * 7").Scan(&n); err != nil || n != 42 {
			t.Errorf("%s: %d, %v", mode, n, err)
		}
	}
	conn := testserver.Connect(t, base+"?sslmode=disable")
	cancelCopy(t, conn, "ptls")
	_, err := pgx.Connect(ctx, fmt.Sprintf("postgres://alice:wrong@localhost:%d/openwit?sslmode=disable", px.PGPort))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Errorf("a wrong password through the proxy: %v, want the gateway's 28P01", err)
	}

	// Flight SQL: TLS and Basic login end to end through the relay.
	caPEM, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	db, err := adbcfsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
		adbc.OptionKeyURI:           fmt.Sprintf("grpc+tls://localhost:%d", px.FlightPort),
		adbcfsql.OptionSSLRootCerts: string(caPEM),
		adbc.OptionKeyUsername:      "alice",
		adbc.OptionKeyPassword:      "wonderland-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cn, err := db.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	if got := adbcString(t, cn, "SHOW openwit.query_memory_limit"); got != "2GB" {
		t.Errorf("ADBC over TLS through the proxy: %q", got)
	}
	_, body := httpGet(t, px.HTTPURL()+"/metrics")
	if v, _ := metricValue(body, `openwit_proxy_cancel_requests_total{result="forwarded"}`); v != 1 {
		t.Errorf("forwarded cancel requests: %v, want 1", v)
	}
}

// TestProxyGossip: a proxy with no --gateways finds the gateways through
// gossip, spreads new connections over them, and stops sending any to a
// gateway that leaves.
func TestProxyGossip(t *testing.T) {
	t.Parallel()
	seed := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	var gws []*testserver.Server
	for i, limit := range proxyGateways[:2] {
		gossip := seed
		args := []string{"--query-memory-limit", limit, "--node-id", fmt.Sprintf("gw%d", i)}
		if i > 0 {
			gossip = fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
			args = append(args, "--join", seed)
		}
		gws = append(gws, testserver.Start(t, testserver.Options{Args: append(args, "--gossip-addr", gossip)}))
	}
	px := testserver.Start(t, testserver.Options{Args: []string{"--roles", "proxy",
		"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)), "--join", seed}})
	// spread counts the gateways serving n new connections (-1: refused).
	spread := func(n int) (counts []int, refused int) {
		t.Helper()
		counts = make([]int, len(gws))
		for range n {
			conn, err := pgx.Connect(t.Context(), px.DSN())
			if err != nil {
				refused++
				continue
			}
			counts[whichGateway(t, conn)]++
			conn.Close(context.Background())
		}
		return counts, refused
	}
	// The proxy learns the members at its next health check.
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts, _ := spread(20)
		if counts[0] > 0 && counts[1] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections per gateway %v: the proxy never used both gossiped gateways", counts)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A gateway that leaves (clean stop: it gossips that it is leaving)
	// gets no new connection once the proxy has noticed.
	gws[0].Stop()
	deadline = time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(t.Context(), px.DSN())
		if err == nil {
			g := whichGateway(t, conn)
			conn.Close(context.Background())
			if g == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy still routes to the stopped gateway (last error %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if counts, refused := spread(10); counts[0] != 0 || counts[1] != 10 {
		t.Fatalf("after gw0 left: connections per gateway %v (%d refused), want all on gw1", counts, refused)
	}
}
