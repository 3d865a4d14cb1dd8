package sqltests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestNotices: the WARNINGs and NOTICEs PostgreSQL 15 sends with a
// statement's result (COMMIT or ROLLBACK outside a block, BEGIN inside
// one, the IF [NOT] EXISTS forms that skip, VACUUM and ANALYZE of a
// view), and client_min_messages
// filtering them, are what OpenWit sends: severity, SQLSTATE and message,
// over the simple and the extended protocol.
func TestNotices(t *testing.T) {
	pg := testpg.Start(t)
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	dsns := map[string]string{"postgres": pg.CreateDB(t, "notices"), "openwit": srv.DSN()}
	stmts := []string{
		"ROLLBACK",
		"COMMIT",
		"BEGIN",
		"BEGIN",
		"COMMIT",
		"DROP TABLE IF EXISTS nosuch",
		"DROP TABLE IF EXISTS nosuch1, nosuch2",
		"CREATE TABLE nt (ts timestamptz NOT NULL, a int)",
		"CREATE TABLE IF NOT EXISTS nt (ts timestamptz NOT NULL, a int)",
		"CREATE TABLE IF NOT EXISTS nt AS SELECT 1 AS x",
		"ALTER TABLE IF EXISTS nosuch ADD COLUMN b int",
		"ALTER TABLE nt ADD COLUMN IF NOT EXISTS a int",
		"ALTER TABLE nt DROP COLUMN IF EXISTS zz",
		"DROP VIEW IF EXISTS nov",
		"ALTER VIEW IF EXISTS nov RENAME TO nov2",
		"SET client_min_messages = warning",
		"DROP TABLE IF EXISTS nosuch",
		"COMMIT",
		"SET client_min_messages = error",
		"COMMIT",
		"RESET client_min_messages",
		"CREATE VIEW ntv AS SELECT * FROM nt",
		"ANALYZE ntv",
		"VACUUM nt, ntv",
		"DROP VIEW ntv",
		"CREATE SCHEMA IF NOT EXISTS public",
		"DROP SCHEMA IF EXISTS nosuch, nosuch2",
		"DROP TABLE nt",
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		got := map[string]string{}
		for name, dsn := range dsns {
			cfg, err := pgx.ParseConfig(dsn)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
				fmt.Fprintf(&b, "  %s %s %s\n", n.Severity, n.Code, n.Message)
			}
			cfg.DefaultQueryExecMode = mode
			conn, err := pgx.ConnectConfig(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				fmt.Fprintf(&b, "%s\n", s)
				if _, err := conn.Exec(t.Context(), s); err != nil {
					fmt.Fprintf(&b, "  error %v\n", err)
				}
			}
			conn.Close(t.Context())
			got[name] = b.String()
		}
		if got["openwit"] != got["postgres"] {
			t.Errorf("%v: OpenWit's notices differ from PostgreSQL's:\n got\n%s\nwant\n%s", mode, got["openwit"], got["postgres"])
		}
		if !strings.Contains(got["postgres"], "WARNING 25P01 there is no transaction in progress") {
			t.Errorf("%v: PostgreSQL sent no notices the test expects:\n%s", mode, got["postgres"])
		}
	}
}
