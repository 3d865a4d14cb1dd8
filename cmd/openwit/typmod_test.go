package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// typmodDDL is a table with every type modifier OpenWit keeps.
const typmodDDL = "CREATE TABLE tm (ts timestamptz NOT NULL, v varchar(3), c char(4), u varchar, n numeric(5,2))"

// typmodQuery reads the table back, with casts to modified types.
const typmodQuery = "SELECT v, c, u, n, 'abcdef'::varchar(4) AS cv, 'a'::char(2) AS cc FROM tm ORDER BY ts"

// fieldTypes returns the type OID and modifier of each result column.
func fieldTypes(tb testing.TB, conn *pgx.Conn, sql string) []string {
	tb.Helper()
	rows, err := conn.Query(tb.Context(), sql)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out []string
	for _, f := range rows.FieldDescriptions() {
		out = append(out, fmt.Sprintf("%s:%d/%d", f.Name, f.DataTypeOID, f.TypeModifier))
	}
	return out
}

// textRows returns every row of sql with each value as text.
func textRows(tb testing.TB, conn *pgx.Conn, sql string) [][]string {
	tb.Helper()
	rows, err := conn.Query(tb.Context(), sql, pgx.QueryResultFormats{pgx.TextFormatCode})
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		var row []string
		for _, v := range rows.RawValues() {
			if v == nil {
				row = append(row, "NULL")
			} else {
				row = append(row, string(v))
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return out
}

// sqlstateOf returns err's SQLSTATE and message, "" for no error.
func sqlstateOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code + " " + pe.Message
	}
	if err != nil {
		return "not a PostgreSQL error: " + err.Error()
	}
	return ""
}

// TestTypmodMatchesPostgres writes the same rows and over-long values into
// varchar(n), char(n) and numeric(p,s) columns of OpenWit and PostgreSQL by
// INSERT and by COPY (text, csv and binary), and compares the errors, the
// rows and the result columns' type OIDs and modifiers; then flushes
// OpenWit's rows to Parquet, restarts it and compares again.
func TestTypmodMatchesPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=50ms"}})
	ctx := t.Context()
	pgc := testserver.Connect(t, pg.CreateDB(t, "typmod"))
	owc := testserver.Connect(t, ow.DSN())
	both := func(f func(conn *pgx.Conn) error) (pgErr, owErr string) {
		return sqlstateOf(f(pgc)), sqlstateOf(f(owc))
	}
	mustExec(t, pgc, typmodDDL)
	mustExec(t, owc, typmodDDL)

	steps := []struct {
		name string
		run  func(conn *pgx.Conn) error
	}{
		{"insert", func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "INSERT INTO tm VALUES ('2024-01-01 00:00:01+00', 'ab ', 'ab', 'long value', 1.005), ('2024-01-01 00:00:02+00', 'xyz  ', 'é', NULL, -2.344)")
			return err
		}},
		{"insert over-long varchar", func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "INSERT INTO tm VALUES ('2024-01-01 00:00:03+00', 'a', 'b', NULL, 1), ('2024-01-01 00:00:04+00', 'abcd', 'b', NULL, 1)")
			return err
		}},
		{"insert numeric overflow", func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "INSERT INTO tm (ts, n) VALUES ('2024-01-01 00:00:03+00', 999.995)")
			return err
		}},
		{"copy text", func(conn *pgx.Conn) error {
			_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("2024-01-01 00:00:05+00\tpq\tcd  \t\\N\t3.14159\n"), "COPY tm FROM STDIN")
			return err
		}},
		{"copy text over-long", func(conn *pgx.Conn) error {
			_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("2024-01-01 00:00:06+00\tok\tx\t\\N\t1\n2024-01-01 00:00:07+00\tabcd\tx\t\\N\t1\n"), "COPY tm FROM STDIN")
			return err
		}},
		{"copy csv over-long char", func(conn *pgx.Conn) error {
			_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("2024-01-01 00:00:08+00,ok,abcde,,1\n"), "COPY tm FROM STDIN (FORMAT csv)")
			return err
		}},
		{"copy csv blanks cut", func(conn *pgx.Conn) error {
			_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("2024-01-01 00:00:09+00,\"abc   \",\"abcd  \",,1\n"), "COPY tm FROM STDIN (FORMAT csv)")
			return err
		}},
		{"copy binary over-long", func(conn *pgx.Conn) error {
			ts := time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC)
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"tm"}, []string{"ts", "v"}, pgx.CopyFromRows([][]any{{ts, "ok"}, {ts, "abcd"}}))
			return err
		}},
		{"copy binary", func(conn *pgx.Conn) error {
			ts := time.Date(2024, 1, 1, 0, 0, 11, 0, time.UTC)
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"tm"}, []string{"ts", "v", "c"}, pgx.CopyFromRows([][]any{{ts, "bin", "b"}}))
			return err
		}},
	}
	for _, s := range steps {
		pgErr, owErr := both(s.run)
		if pgErr != owErr {
			t.Errorf("%s: PostgreSQL %q, OpenWit %q", s.name, pgErr, owErr)
		}
	}
	if pgErr, _ := both(func(*pgx.Conn) error { return nil }); pgErr != "" {
		t.Fatal(pgErr)
	}

	compare := func(when string) {
		t.Helper()
		if p, o := fieldTypes(t, pgc, typmodQuery), fieldTypes(t, owc, typmodQuery); !reflect.DeepEqual(p, o) {
			t.Errorf("%s: result columns: PostgreSQL %v, OpenWit %v", when, p, o)
		}
		if p, o := textRows(t, pgc, typmodQuery), textRows(t, owc, typmodQuery); !reflect.DeepEqual(p, o) {
			t.Errorf("%s: rows:\nPostgreSQL %q\nOpenWit    %q", when, p, o)
		}
		const cat = "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'tm'::regclass AND attnum > 0 ORDER BY attnum"
		if p, o := textRows(t, pgc, cat), textRows(t, owc, cat); !reflect.DeepEqual(p, o) {
			t.Errorf("%s: pg_attribute: PostgreSQL %v, OpenWit %v", when, p, o)
		}
	}
	compare("buffered")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, rows := parquetFiles(t, ow.DataDir); rows == int64(len(textRows(t, pgc, "SELECT 1 FROM tm"))) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("rows not flushed to Parquet after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	owc.Close(ctx)
	ow.Stop()
	ow.Restart()
	owc = testserver.Connect(t, ow.DSN())
	compare("after flush and restart")
	mustExec(t, owc, "SET openwit.vectorize = off")
	compare("row engine after restart")
	if _, err := owc.Exec(ctx, "INSERT INTO tm (ts, v) VALUES ('2024-01-02 00:00:00+00', 'long')"); sqlstateOf(err) != "22001 value too long for type character varying(3)" {
		t.Errorf("over-long insert after restart: %v, want 22001", err)
	}
}
