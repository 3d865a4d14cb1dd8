package sqltests

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestQuotedNames refers to columns and tables in the wrong case, quoted
// or not, on PostgreSQL 15 and OpenWit, and wants the same error:
// SQLSTATE, message, hint and cursor position (design 095). The names in
// the right case keep working and the rows are unchanged.
func TestQuotedNames(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "quoted_names"))
	srv := testserver.Start(t, testserver.Options{})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, `CREATE TABLE qn_t (ts timestamptz NOT NULL, "Msg" text, a int, "Level" text)`)
		mustExecConn(t, c, `CREATE TABLE qn_u (k int, "Msgs" text)`)
		mustExecConn(t, c, `INSERT INTO qn_t VALUES ('2024-01-01 00:00:00+00', 'x', 1, 'info')`)
		mustExecConn(t, c, `INSERT INTO qn_u VALUES (7, 'x')`)
	}
	for _, q := range []string{
		`SELECT msg FROM qn_t`,
		`SELECT "msg" FROM qn_t`,
		`SELECT "MSG" FROM qn_t`,
		`SELECT "A" FROM qn_t`,
		`SELECT qn_t.msg FROM qn_t`,
		`SELECT "qn_t"."A" FROM qn_t`,
		`SELECT x.msg FROM qn_t x`,
		`SELECT a FROM qn_t ORDER BY "MSG"`,
		`SELECT a FROM qn_t GROUP BY "A"`,
		`SELECT a FROM qn_t WHERE "A" > 0`,
		`SELECT count(*) FROM qn_t HAVING max(msg) > ''`,
		`SELECT level FROM qn_t`,
		`SELECT msgs FROM qn_t, qn_u`,
		`SELECT msg FROM qn_t, qn_u`,
		`SELECT k FROM qn_u WHERE EXISTS (SELECT 1 FROM qn_t WHERE msg = qn_u."Msgs")`,
		`UPDATE qn_t SET a = 2 WHERE msg = 'x'`,
		`DELETE FROM qn_t WHERE "A" = 1`,
		`INSERT INTO qn_t (ts, "MSG") VALUES (now(), 'z')`,
		`INSERT INTO qn_t (ts, msg) VALUES (now(), 'z')`,
		`SELECT * FROM "QN_T"`,
		`SELECT a FROM qn_u, "Qn_t"`,
	} {
		want := functionError(t, pconn, q)
		got := functionError(t, oconn, q)
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
	for _, q := range []string{
		`SELECT "Msg", a, "Level" FROM qn_t`,
		`SELECT qn_t."Msg", x."Msg" FROM qn_t, qn_t x`,
		`SELECT "Msg" AS msg FROM qn_t ORDER BY msg`,
		`SELECT s.msg FROM (SELECT "Msg" AS msg FROM qn_t) s`,
		`SELECT s."Msg" FROM (SELECT "Msg" FROM qn_t) s`,
		`WITH w(msg) AS (SELECT "Msg" FROM qn_t) SELECT msg FROM w`,
		`SELECT "Msg", count(*) FROM qn_t GROUP BY "Msg" HAVING max("Msg") > '' ORDER BY "Msg"`,
		`SELECT A FROM qn_t WHERE A = 1`,
		`SELECT "a" FROM qn_t`,
		`SELECT a, k FROM qn_t, qn_u WHERE "Msgs" = "Msg"`,
	} {
		var pgRows, owRows [][]any
		for i, c := range []*pgx.Conn{pconn, oconn} {
			rows, err := c.Query(t.Context(), q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			var got [][]any
			for rows.Next() {
				v, err := rows.Values()
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				got = append(got, v)
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if i == 0 {
				pgRows = got
			} else {
				owRows = got
			}
		}
		if got, want := fmt.Sprint(owRows), fmt.Sprint(pgRows); got != want || len(pgRows) == 0 {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
	for _, c := range []*pgx.Conn{pconn, oconn} {
		var n int
		if err := c.QueryRow(t.Context(), `SELECT count(*) FROM qn_t WHERE a = 1`).Scan(&n); err != nil || n != 1 {
			t.Errorf("qn_t after the errors: %d rows with a = 1, %v", n, err)
		}
	}
}
