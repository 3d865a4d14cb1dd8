package main

import (
	"fmt"
	"strings"
	"testing"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// psqlDSN runs psql (no psqlrc, default aligned output) against dsn and
// returns its stdout and stderr; a non-zero exit fails the test.
func psqlDSN(tb testing.TB, dsn string, args ...string) (string, string) {
	tb.Helper()
	out, errs, code := psqlRun(tb, "", nil, append([]string{"-X", "-v", "ON_ERROR_STOP=1", "-d", dsn}, args...)...)
	if code != 0 {
		tb.Fatalf("psql %q exited %d: %s", args, code, errs)
	}
	return out, errs
}

// TestPsqlDescribeViewsLikePostgres: psql's \d+ of a view prints, byte for
// byte, what it prints against PostgreSQL 15 for the same table and
// views: the columns with their descriptions (COMMENT ON COLUMN of a
// view), "View definition:" in PostgreSQL's layout, and "Options:
// check_option=..." for a view WITH CHECK OPTION.
func TestPsqlDescribeViewsLikePostgres(t *testing.T) {
	t.Parallel()
	ow := testserver.Start(t, testserver.Options{})
	pg := testpg.Start(t)
	servers := map[string]string{
		"openwit":    fmt.Sprintf("host=127.0.0.1 port=%d user=openwit dbname=openwit", ow.PGPort),
		"postgresql": pg.DSN(""),
	}
	ddl := []string{
		"CREATE TABLE dl (ts timestamptz NOT NULL, service text, level text, status int, latency_ms float8, host varchar(20))",
		"CREATE VIEW dv_errors AS SELECT ts, service, status FROM dl WHERE level = 'error' AND status >= 500",
		"CREATE VIEW dv_local AS SELECT ts, status FROM dl WHERE status > 1 WITH LOCAL CHECK OPTION",
		"CREATE VIEW dv_cascaded AS SELECT * FROM dl WITH CASCADED CHECK OPTION",
		"CREATE VIEW dv_agg (svc, n, worst) AS SELECT l.service, count(*), max(e.status) FROM dl l JOIN dv_errors e ON l.ts = e.ts WHERE l.host LIKE 'h%' OR l.latency_ms > 2.5 GROUP BY l.service ORDER BY 2 DESC LIMIT 10",
		"COMMENT ON VIEW dv_errors IS 'server errors'",
		"COMMENT ON COLUMN dv_errors.status IS 'HTTP status'",
	}
	for name, dsn := range servers {
		for _, s := range ddl {
			if _, stderr := psqlDSN(t, dsn, "-c", s); stderr != "" {
				t.Fatalf("%s: %s: %s", name, s, stderr)
			}
		}
	}
	for _, cmd := range []string{`\d+ dv_errors`, `\d+ dv_local`, `\d+ dv_cascaded`, `\d+ dv_agg`, `\d dv_agg`} {
		want, _ := psqlDSN(t, servers["postgresql"], "-c", cmd)
		got, stderr := psqlDSN(t, servers["openwit"], "-c", cmd)
		if !strings.Contains(want, "View definition:") && cmd != `\d dv_agg` {
			t.Fatalf("psql %s against PostgreSQL printed no definition:\n%s", cmd, want)
		}
		if got != want || stderr != "" {
			t.Errorf("psql %s against OpenWit:\n%s\nwant (PostgreSQL 15):\n%s\nstderr %q", cmd, got, want, stderr)
		}
	}
}
