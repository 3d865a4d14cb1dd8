package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testcert"
	"openwit/internal/testserver"
)

// TestTLSAndPasswords runs `openwit serve --auth password` with TLS from a
// config file and a users file, as the README shows, and drives it with
// psql, pgx and ADBC.
func TestTLSAndPasswords(t *testing.T) {
	t.Parallel()
	certs := testcert.New(t)
	dir := t.TempDir()

	// A verifier made by `openwit passwd`.
	cmd := exec.Command(testserver.Binary(t), "passwd")
	cmd.Stdin = strings.NewReader("builder\n")
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "SCRAM-SHA-256$4096:") {
		t.Fatalf("openwit passwd: %q, %v", out, err)
	}
	usersFile := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(usersFile, []byte("users:\n  - name: bob\n    verifier: "+strings.TrimSpace(string(out))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "token.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("0123456789abcdef", 4)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pg, httpAddr, flight := loopbackAddr(t), loopbackAddr(t), loopbackAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`pg_addr: %s
http_addr: %s
flight_addr: %s
data_dir: %s
auth: password
users:
  - name: alice
    password: wonderland-secret
tls_cert: %s
tls_key: %s
tls_required: true
`, pg, httpAddr, flight, filepath.Join(dir, "data"), certs.CertFile, certs.KeyFile))
	p := startServe(t, "--config", cfg, "--users-file", usersFile, "--token-key-file", keyFile, "--log-level", "debug")
	p.waitReady(t, httpAddr)
	ctx := t.Context()

	// psql: TLS verified against the test CA, channel binding, PGPASSWORD.
	host, port, _ := strings.Cut(pg, ":")
	psql := func(user, password, conninfo string, args ...string) (string, string, int) {
		all := append([]string{"-X", "-A", "-t", "host=" + host + " port=" + port + " user=" + user + " dbname=openwit " + conninfo}, args...)
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		c := exec.CommandContext(cctx, "psql", all...)
		c.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "PGCONNECT_TIMEOUT=10", "LC_ALL=C.UTF-8", "PGPASSWORD=" + password}
		var o, e strings.Builder
		c.Stdout, c.Stderr = &o, &e
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return o.String(), e.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), 0
	}
	secure := "sslmode=verify-full sslrootcert=" + certs.CAFile
	if o, e, code := psql("alice", "wonderland-secret", secure+" channel_binding=require", "-c", "select current_user"); code != 0 || o != "alice\n" {
		t.Errorf("psql as alice: %q %q %d", o, e, code)
	}
	if o, e, code := psql("bob", "builder", secure, "-c", "select 1"); code != 0 || o != "1\n" {
		t.Errorf("psql as bob: %q %q %d", o, e, code)
	}
	// pg_roles and \du list the configured users (config file, then users
	// file); the first owns every object.
	if o, e, code := psql("bob", "builder", secure, "-c", "SELECT rolname, oid = 10 FROM pg_catalog.pg_roles ORDER BY 1", "-c", `\du`); code != 0 ||
		o != "alice|t\nbob|f\nalice|Superuser, Create role, Create DB|{}\nbob|Superuser, Create role, Create DB|{}\n" {
		t.Errorf("pg_roles as bob: %q %q %d", o, e, code)
	}
	if _, e, code := psql("bob", "wonderland-secret", secure); code != 2 || !strings.Contains(e, `password authentication failed for user "bob"`) {
		t.Errorf("psql with a wrong password: %q %d", e, code)
	}
	if _, e, code := psql("alice", "wonderland-secret", "sslmode=disable"); code != 2 || !strings.Contains(e, "requires TLS") {
		t.Errorf("psql without TLS: %q %d", e, code)
	}

	// pgx with the CA.
	conn, err := pgx.Connect(ctx, "postgres://alice:wonderland-secret@"+pg+"/openwit?sslmode=verify-full&sslrootcert="+certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, "CREATE TABLE s (ts timestamptz NOT NULL, v int)")
	mustExec(t, conn, "INSERT INTO s VALUES ('2024-01-01 00:00:00+00', 7)")
	conn.Close(ctx)
	_, err = pgx.Connect(ctx, "postgres://mallory:x@"+pg+"/openwit?sslmode=verify-full&sslrootcert="+certs.CAFile)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Errorf("pgx as an unknown user: %v", err)
	}

	// ADBC Flight SQL over TLS with the same users.
	caPEM, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	_, fport, _ := strings.Cut(flight, ":")
	open := func(user, password string) (adbc.Connection, error) {
		db, err := adbcfsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
			adbc.OptionKeyURI:           "grpc+tls://localhost:" + fport,
			adbcfsql.OptionSSLRootCerts: string(caPEM),
			adbc.OptionKeyUsername:      user,
			adbc.OptionKeyPassword:      password,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.Open(ctx)
	}
	cn, err := open("bob", "builder")
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	st, _ := cn.NewStatement()
	defer st.Close()
	_ = st.SetSqlQuery("SELECT v FROM s")
	rdr, _, err := st.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for rdr.Next() {
		n += rdr.RecordBatch().NumRows()
	}
	rdr.Release()
	if n != 1 {
		t.Errorf("ADBC read %d rows, want 1", n)
	}
	_, err = open("alice", "builder")
	var ae adbc.Error
	if !errors.As(err, &ae) || ae.Code != adbc.StatusUnauthenticated {
		t.Errorf("ADBC with a wrong password: %v", err)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t); code != 0 {
		t.Errorf("exit code %d\n%s", code, p.log())
	}
	log := p.log()
	for _, secret := range []string{"wonderland-secret", "builder", "0123456789abcdef"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows a secret (%q):\n%s", secret, log)
		}
	}
	if !strings.Contains(log, "auth=password") || !strings.Contains(log, "tls=true") {
		t.Errorf("the ready line does not name the auth mode and TLS:\n%s", log)
	}
}

// TestSecurityConfigErrors checks that insecure or inconsistent settings
// stop `openwit serve` before it listens.
func TestSecurityConfigErrors(t *testing.T) {
	t.Parallel()
	certs := testcert.New(t)
	bin := testserver.Binary(t) // built before any time limit runs
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"trust on a public pg address", []string{"--pg-addr", "0.0.0.0:0"}, "trust authentication is only allowed on loopback"},
		{"trust on a public flight address", []string{"--flight-addr", "0.0.0.0:0"}, "--flight-addr is 0.0.0.0:0"},
		{"password without users", []string{"--auth", "password"}, "needs users"},
		{"unknown auth", []string{"--auth", "md5"}, "want trust or password"},
		{"cert without key", []string{"--tls-cert", certs.CertFile}, "go together"},
		{"tls required without cert", []string{"--tls-required"}, "needs --tls-cert"},
		{"unreadable users file", []string{"--auth", "password", "--users-file", "/nonexistent/users.yaml"}, "read users file"},
		{"bad key pair", []string{"--tls-cert", certs.CAFile, "--tls-key", certs.KeyFile}, "load --tls-cert/--tls-key"},
		{"public search address without mutual TLS", []string{"--search-addr", "0.0.0.0:0"}, "needs mutual TLS"},
		{"ca without a certificate", []string{"--tls-ca", certs.CAFile}, "--tls-ca needs --tls-cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"serve", "--etcd-embed-addr", "off", "--data-dir", t.TempDir(), "--http-addr", loopbackAddr(t),
				"--pg-addr", loopbackAddr(t), "--flight-addr", loopbackAddr(t)}, tc.args...)
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("serve %v: %v, want a non-zero exit\n%s", tc.args, err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestSearchMutualTLS runs a coordinator and a search worker with
// --tls-ca: fragments travel over mutual TLS.
func TestSearchMutualTLS(t *testing.T) {
	t.Parallel()
	certs := testcert.New(t)
	tlsArgs := []string{"--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile, "--tls-ca", certs.CAFile}
	objects := "file://" + filepath.Join(t.TempDir(), "objects")
	addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	worker := testserver.Start(t, testserver.Options{Args: append([]string{
		"--roles", "search", "--search-addr", addr, "--object-store", objects}, tlsArgs...)})
	coord := testserver.Start(t, testserver.Options{Args: append([]string{
		"--roles", "gateway,coordinator", "--search-workers", addr, "--object-store", objects, "--flush-age", "10ms"}, tlsArgs...)})

	// The coordinator's PostgreSQL port has TLS too (not required).
	conn := testserver.Connect(t, coord.DSN())
	mustExec(t, conn, logsDDL)
	rows := genLogs(500)
	mustExec(t, conn, insertSQL(rows))
	waitMetric(t, coord.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })
	// count(ts), not count(*): a count(*) without a filter comes from the
	// catalog and asks no worker.
	if got := queryText(t, conn, "SELECT count(ts) FROM logs"); len(got) != 1 || got[0] != "500" {
		t.Errorf("count over the worker: %v", got)
	}
	_, body := httpGet(t, worker.HTTPURL()+"/metrics")
	if ok, _ := metricValue(body, `openwit_search_fragments_total{code="OK"}`); ok < 1 {
		t.Errorf("the worker served %v fragments, want at least 1\n%s\n%s", ok, worker.Log(), coord.Log())
	}
}
