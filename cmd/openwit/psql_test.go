package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"openwit/internal/testserver"
)

// psqlRun runs the installed psql with args, a clean environment (plus
// env) and stdin, and returns its stdout, stderr and exit code.
func psqlRun(tb testing.TB, stdin string, env []string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	path, err := exec.LookPath("psql")
	if err != nil {
		tb.Fatalf("psql is required for the end-to-end tests (apt-get install postgresql-client-15): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + tb.TempDir(), "PGCONNECT_TIMEOUT=10", "LC_ALL=C.UTF-8"}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		tb.Fatalf("run psql: %v", err)
	}
	return out.String(), errb.String(), code
}

// runPsql runs psql against s, unaligned and tuples only, and returns its
// stdout, stderr and exit code.
func runPsql(tb testing.TB, s *testserver.Server, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.PGPort), "-U", "openwit", "openwit", "-X", "-A", "-t"}, args...)
	return psqlRun(tb, "", nil, all...)
}

func TestPsql(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	tests := []struct {
		name        string
		args        []string
		wantOut     string   // exact stdout
		wantErrHas  []string // substrings of stderr
		wantNonZero bool
	}{
		{"select 1", []string{"-c", "select 1"}, "1\n", nil, false},
		{"create insert select",
			[]string{"-c", "CREATE TABLE t (ts timestamptz, v int)", "-c", "INSERT INTO t VALUES (now(), 42)", "-c", "SELECT v FROM t"},
			"CREATE TABLE\nINSERT 0 1\n42\n", nil, false},
		{`\dt lists the table`, []string{"-c", `\dt`}, "public|t|table|openwit\n", nil, false},
		// psql's describe commands, checked against PostgreSQL 15's output
		// for the same table (the time column ts is implicitly NOT NULL
		// in OpenWit).
		{`\d`, []string{"-c", `\d`}, "public|t|table|openwit\n", nil, false},
		{`\d t`, []string{"-c", `\d t`}, "ts|timestamp with time zone||not null|\nv|integer|||\n", nil, false},
		{`\dn`, []string{"-c", `\dn`}, "public|openwit\n", nil, false},
		{`\df lists no functions`, []string{"-c", `\df`}, "", nil, false},
		// Built-in functions are in pg_catalog, as in PostgreSQL (which also
		// lists lower(anyrange) and lower(anymultirange)).
		{`\df lower`, []string{"-c", `\df lower`}, "pg_catalog|lower|text|text|func\n", nil, false},
		{`\df+ lower`, []string{"-c", `\df+ lower`}, "pg_catalog|lower|text|text|func|immutable|safe|openwit|invoker||internal|lower|\n", nil, false},
		{`\df string_agg`, []string{"-c", `\df string_agg`}, "pg_catalog|string_agg|text|text, text|agg\n", nil, false},
		{`\l`, []string{"-c", `\l`}, "openwit|openwit|UTF8|C|C||libc|\n", nil, false},
		{`\du`, []string{"-c", `\du`}, "openwit|Superuser, Create role, Create DB|{}\n", nil, false},
		// Grafana's PostgreSQL data source: tables, then columns.
		{"grafana schema browser", []string{"-c",
			"SELECT quote_ident(table_name) AS \"table\" FROM information_schema.tables WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog', '_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_internal', '_timescaledb_config', 'timescaledb_information', 'timescaledb_experimental') AND table_type = 'BASE TABLE' ORDER BY table_name",
			"-c", "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 't' ORDER BY ordinal_position"},
			"t\nts|timestamp with time zone\nv|integer\n", nil, false},
		{"unknown column", []string{"-v", "ON_ERROR_STOP=1", "-c", "select nosuch"},
			"", []string{"ERROR:", `"nosuch" does not exist`}, true},
		{"unknown column, verbose", []string{"-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-c", "select nosuch"},
			"", []string{"ERROR:  42703:", `"nosuch" does not exist`}, true},
		// FETCH_COUNT makes psql read results through a cursor: BEGIN,
		// DECLARE _psql_cursor NO SCROLL CURSOR FOR ..., FETCH FORWARD 2 ...
		// until a short batch, CLOSE, COMMIT.
		{"FETCH_COUNT uses a cursor", []string{"-v", "ON_ERROR_STOP=1", "-v", "FETCH_COUNT=2",
			"-c", "SELECT v * 10 + x FROM t CROSS JOIN (VALUES (1), (2), (3), (4), (5)) AS g(x) ORDER BY 1"},
			"421\n422\n423\n424\n425\n", nil, false},
		{"explicit cursor", []string{"-v", "ON_ERROR_STOP=1", "-c",
			"BEGIN; DECLARE c CURSOR FOR SELECT v FROM t; FETCH 1 FROM c; CLOSE c; COMMIT"},
			"BEGIN\nDECLARE CURSOR\n42\nCLOSE CURSOR\nCOMMIT\n", nil, false},
		// Views (design 070), as PostgreSQL 15 prints them for the same
		// view (\d+'s "View definition:" footer is not printed with -t:
		// TestPsqlDescribeViewsLikePostgres compares it).
		{"create view", []string{"-c", "CREATE VIEW tv AS SELECT ts, v FROM t WHERE v > 1"}, "CREATE VIEW\n", nil, false},
		{`\dv`, []string{"-c", `\dv`}, "public|tv|view|openwit\n", nil, false},
		{`\d lists the view`, []string{"-c", `\d`}, "public|t|table|openwit\npublic|tv|view|openwit\n", nil, false},
		{`\d tv`, []string{"-c", `\d tv`}, "ts|timestamp with time zone|||\nv|integer|||\n", nil, false},
		{`\d+ tv`, []string{"-c", `\d+ tv`}, "ts|timestamp with time zone||||plain|\nv|integer||||plain|\n", nil, false},
		{"view definition", []string{"-c", `SELECT pg_get_viewdef('tv') LIKE '%FROM t%'`}, "t\n", nil, false},
	}
	for _, tt := range tests {
		// Not parallel: "create insert select" creates the table once.
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runPsql(t, s, tt.args...)
			if (code != 0) != tt.wantNonZero {
				t.Errorf("psql %q exited %d (want non-zero: %v)\nstdout %q\nstderr %q", tt.args, code, tt.wantNonZero, out, stderr)
			}
			if out != tt.wantOut {
				t.Errorf("psql %q stdout = %q, want %q", tt.args, out, tt.wantOut)
			}
			for _, w := range tt.wantErrHas {
				if !strings.Contains(stderr, w) {
					t.Errorf("psql %q stderr = %q, want it to contain %q", tt.args, stderr, w)
				}
			}
			if tt.wantErrHas == nil && stderr != "" {
				t.Errorf("psql %q stderr = %q, want nothing", tt.args, stderr)
			}
		})
	}
}
