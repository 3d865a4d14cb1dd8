package sqltests

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestNameErrors refers to tables and columns that are not there, on
// PostgreSQL 15 and OpenWit, and wants the same error: SQLSTATE, message,
// hint and, where the translator finds the error, the cursor position
// (go-mysql-server's errors carry none: design 093).
func TestNameErrors(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "name_errors"))
	srv := testserver.Start(t, testserver.Options{})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE ne_t (a int, b text)")
		mustExecConn(t, c, "CREATE TABLE ne_u (c int, d text)")
		mustExecConn(t, c, "CREATE VIEW ne_v AS SELECT ne_t.a FROM ne_t")
	}
	for _, q := range []string{
		// A qualifier that is no FROM item: 42P01 missing FROM-clause entry.
		"SELECT ne_t.a FROM ne_u",
		"SELECT ne_t.* FROM ne_u",
		"SELECT c FROM ne_u WHERE ne_t.a = 1",
		"SELECT c FROM ne_u ORDER BY ne_t.a",
		"SELECT count(*) FROM ne_u GROUP BY ne_t.a",
		"SELECT c, ne_t.a FROM ne_u",
		"SELECT (SELECT ne_t.a FROM ne_u) FROM ne_u",
		"SELECT c FROM ne_u WHERE EXISTS (SELECT 1 FROM ne_t WHERE ne_t.a = v.c)",
		"SELECT public.ne_t.a FROM ne_u",
		"SELECT x.y.z FROM ne_u",
		"SELECT d.nosuch FROM ne_u",
		"UPDATE ne_u SET c = ne_t.a",
		"DELETE FROM ne_u WHERE ne_t.a = 1",
		// A relation named where its alias must be used.
		"SELECT c FROM ne_u x WHERE ne_u.c = 1",
		"SELECT ne_v.a FROM ne_v w",
		// A schema OpenWit does not have (design 095).
		"SELECT nosuch.ne_u.c FROM ne_u",
		"SELECT nosuch.ne_u.c FROM ne_u x",
		"SELECT nosuch.ne_u.* FROM ne_u",
		"SELECT nosuch.x.c FROM ne_u",
		"SELECT c FROM ne_u WHERE nosuch.ne_u.c = 1",
		// INSERT's column list names the relation.
		"INSERT INTO ne_u (nosuch) VALUES (1)",
		"INSERT INTO ne_u (c, nosuch) SELECT 1, 2",
	} {
		want := functionError(t, pconn, q)
		got := functionError(t, oconn, q)
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
	for _, q := range []string{
		// A missing relation is reported before the select list.
		"SELECT ne_t.a FROM nosuch",
		"SELECT * FROM nosuch",
		// A qualified column the FROM item does not have: 42703 t.c.
		"SELECT ne_u.nosuch FROM ne_u",
		"SELECT a FROM ne_t JOIN ne_u ON ne_t.a = ne_u.nosuch",
		"WITH w AS (SELECT 1 AS k) SELECT w.j FROM w",
		"SELECT s.a FROM ne_u, (SELECT 1) s(z)",
		// Unqualified.
		"SELECT nosuch FROM ne_u",
		"SELECT c FROM ne_u, ne_t WHERE nosuch = 1",
		"UPDATE ne_u SET nosuch = 1",
	} {
		want := functionError(t, pconn, q)
		got := functionError(t, oconn, q)
		want = want[:strings.LastIndex(want, " position=")]
		got = got[:strings.LastIndex(got, " position=")]
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
	// Nothing changed.
	for _, c := range []*pgx.Conn{pconn, oconn} {
		var n int
		if err := c.QueryRow(t.Context(), "SELECT count(*) FROM ne_u").Scan(&n); err != nil || n != 0 {
			t.Errorf("ne_u after the errors: %d rows, %v", n, err)
		}
	}
	// Qualifiers that are FROM items still work.
	for _, q := range []string{
		"SELECT ne_u.c, x.a FROM ne_u, ne_t x WHERE x.a = ne_u.c",
		"SELECT public.ne_u.c FROM ne_u",
		"SELECT ne_u.* FROM ne_u",
		"SELECT u.x FROM unnest(ARRAY[1]) u(x)",
		"SELECT unnest.unnest FROM unnest(ARRAY[1])",
		"WITH w AS (SELECT 1 AS k) SELECT w.k FROM w",
		"SELECT (SELECT ne_u.c) FROM ne_u",
		"SELECT ne_v.a FROM ne_v",
		"SELECT w.a FROM ne_v w",
	} {
		if _, err := oconn.Exec(t.Context(), q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
