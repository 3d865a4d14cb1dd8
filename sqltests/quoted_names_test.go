package sqltests

import (
	"fmt"
	"strings"
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
		// An unknown relation: the cursor at its first mention where
		// PostgreSQL's parser looks it up, none where it does later.
		`SELECT * FROM nosuch`,
		`SELECT * FROM qn_t JOIN nosuch ON true`,
		`SELECT k FROM qn_u WHERE EXISTS (SELECT 1 FROM nosuch)`,
		`WITH w AS (SELECT * FROM nosuch) SELECT 1`,
		`EXPLAIN SELECT * FROM nosuch`,
		`INSERT INTO nosuch VALUES (1)`,
		`UPDATE nosuch SET a = 1`,
		`DELETE FROM nosuch`,
		`ALTER TABLE nosuch ADD COLUMN b int`,
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

// TestCaseOnlyColumnNames: PostgreSQL lets a table have columns "Level"
// and "LEVEL"; OpenWit resolves column names case-insensitively, so every
// reference to either would be ambiguous and every INSERT would fail.
// CREATE TABLE, CREATE TABLE AS, ADD COLUMN and RENAME COLUMN that would
// make such a pair are refused (0A000, naming both) and change nothing;
// renaming a column to another case of its own name works.
func TestCaseOnlyColumnNames(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := testserver.Connect(t, srv.DSN())
	mustExecConn(t, c, `CREATE TABLE cc_t (ts timestamptz NOT NULL, "Level" text, b int)`)
	for _, q := range []string{
		`CREATE TABLE cc_new (ts timestamptz NOT NULL, "Level" text, "LEVEL" text)`,
		`CREATE TABLE cc_new AS SELECT now() AS ts, 1 AS a, 2 AS "A"`,
		`ALTER TABLE cc_t ADD COLUMN level text`,
		`ALTER TABLE cc_t ADD COLUMN c int DEFAULT 1, ADD COLUMN "LEVEL" text`,
		`ALTER TABLE cc_t ADD COLUMN c int, ADD COLUMN "C" int`,
		`ALTER TABLE cc_t RENAME COLUMN b TO "lEVEL"`,
	} {
		got := functionError(t, c, q)
		if !strings.HasPrefix(got, `0A000 "column `) || !strings.Contains(got, "differs only in case from column") {
			t.Errorf("%s: %s, want 0A000 naming both columns", q, got)
		}
	}
	cols := func() string {
		rows, err := c.Query(t.Context(), `SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'cc_t'`)
		if err != nil {
			t.Fatal(err)
		}
		v, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := cols(); got != "ts,Level,b" {
		t.Fatalf("columns after the refused statements: %s, want ts,Level,b", got)
	}
	var n int
	if err := c.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables WHERE table_name = 'cc_new'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("cc_new: %d tables (%v), want none", n, err)
	}
	mustExecConn(t, c, `ALTER TABLE cc_t RENAME COLUMN "Level" TO level`)
	mustExecConn(t, c, `INSERT INTO cc_t VALUES ('2026-01-01 00:00:00+00', 'info', 1)`)
	if got := cols(); got != "ts,level,b" {
		t.Fatalf("columns after the rename: %s, want ts,level,b", got)
	}
	var level string
	if err := c.QueryRow(t.Context(), `SELECT level FROM cc_t`).Scan(&level); err != nil || level != "info" {
		t.Fatalf("level = %q (%v), want info", level, err)
	}
}
