package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestDropColumnSurvivesCrash (design 071): a column dropped and added
// again under the same name never reads the dropped column's data, and a
// column added with a DEFAULT reads it in the rows stored before, whether
// those rows are in a Parquet file, in the ingest buffers, in the WAL
// replayed after SIGKILL (records that still carry the dropped field), or
// flushed again afterwards; on the vectorized and the row path.
func TestDropColumnSurvivesCrash(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "1h"}})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE dc (ts timestamptz NOT NULL, svc text, msg text, n int8)")
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	for i := range 10 {
		mustExec(t, conn, "INSERT INTO dc VALUES ($1, 'a-file', 'old secret', $2)", at(i), int64(i))
	}
	// SIGTERM flushes the buffers: these rows are in a Parquet file.
	s.Stop()
	s.Restart()
	if _, rows := parquetFiles(t, s.DataDir); rows != 10 {
		t.Fatalf("%d rows in Parquet files after SIGTERM, want 10", rows)
	}
	conn = testserver.Connect(t, s.DSN())
	for i := 10; i < 20; i++ {
		mustExec(t, conn, "INSERT INTO dc VALUES ($1, 'b-fresh', 'old secret', $2)", at(i), int64(i))
	}
	mustExec(t, conn, "ALTER TABLE dc DROP COLUMN msg")
	mustExec(t, conn, "ALTER TABLE dc ADD COLUMN msg text")
	mustExec(t, conn, "ALTER TABLE dc ADD COLUMN lvl text NOT NULL DEFAULT 'info', ADD COLUMN w int4 DEFAULT 3")
	for i := 20; i < 25; i++ {
		mustExec(t, conn, "INSERT INTO dc (ts, svc, msg, n, lvl) VALUES ($1, 'c-after', 'new', $2, 'warn')", at(i), int64(i))
	}
	type res struct {
		Svc         string
		N, Msgs     int64
		MinL, MaxL  string
		SumW, SumN  int64
		OldSecrets  int64
		Info, Total int64
	}
	want := []res{
		{"a-file", 10, 0, "info", "info", 30, 45, 0, 10, 10},
		{"b-fresh", 10, 0, "info", "info", 30, 145, 0, 10, 10},
		{"c-after", 5, 5, "warn", "warn", 15, 110, 0, 0, 5},
	}
	check := func(stage string) {
		t.Helper()
		c := testserver.Connect(t, s.DSN())
		for _, mode := range []string{"on", "off"} {
			mustExec(t, c, "SET openwit.vectorize = "+mode)
			got := queryRows(t, c, `SELECT svc, count(*), count(msg), min(lvl), max(lvl), sum(w), sum(n),
				count(*) FILTER (WHERE msg LIKE '%secret%'), count(*) FILTER (WHERE lvl = 'info'), count(*)
				FROM dc WHERE ts >= $1 GROUP BY svc ORDER BY svc`, pgx.RowToStructByPos[res], base)
			if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Errorf("%s, vectorize %s: got %+v, want %+v", stage, mode, got, want)
			}
			var info int64
			if err := c.QueryRow(t.Context(), "SELECT count(*) FROM dc WHERE lvl = 'info' AND w = 3").Scan(&info); err != nil || info != 20 {
				t.Errorf("%s, vectorize %s: filtered on the added columns: %d, %v; want 20", stage, mode, info, err)
			}
			rows, err := c.Query(t.Context(), "SELECT * FROM dc LIMIT 1")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range rows.FieldDescriptions() {
				names = append(names, f.Name)
			}
			rows.Close()
			if len(names) != 6 || names[2] != "n" || names[3] != "msg" || names[5] != "w" {
				t.Errorf("%s: SELECT * columns %v, want ts svc n msg lvl w", stage, names)
			}
		}
	}
	check("before the crash")
	s.Kill()
	s.Restart()
	check("after WAL replay")

	s.Stop()
	s.Args = []string{"--flush-age", "100ms"}
	s.Restart()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, rows := parquetFiles(t, s.DataDir); rows == 25 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rows were not flushed to Parquet within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	check("from Parquet")
}

// TestCommentsMatchPostgres (design 071): after DROP COLUMN, ADD COLUMN
// ... DEFAULT, SET NOT NULL and COMMENT ON TABLE / COLUMN, psql's \d+ (the
// columns with their Description) and the Description of \dt+ are
// PostgreSQL's.
func TestCommentsMatchPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	pgDSN := pg.CreateDB(t, "comments")
	pgc := testserver.Connect(t, pgDSN)
	owc := testserver.Connect(t, ow.DSN())
	for _, c := range []string{
		"CREATE TABLE cm (ts timestamptz NOT NULL, host text, msg text, status int DEFAULT 200)",
		"INSERT INTO cm VALUES ('2024-01-01 00:00:01+00', 'a', 'x', 500)",
		"ALTER TABLE cm DROP COLUMN msg",
		"ALTER TABLE cm ADD COLUMN w int NOT NULL DEFAULT 5",
		"ALTER TABLE cm ALTER COLUMN host SET NOT NULL",
		"COMMENT ON TABLE cm IS 'request log'",
		"COMMENT ON COLUMN cm.host IS 'answering host'",
		"COMMENT ON COLUMN cm.w IS 'weight'",
		"CREATE TABLE plain (ts timestamptz NOT NULL)",
	} {
		mustExec(t, pgc, c)
		mustExec(t, owc, c)
	}
	if p, o := psqlOut(t, pgDSN, "-c", `\d+ cm`), psqlOut(t, ow.DSN(), "-c", `\d+ cm`); p != o {
		t.Errorf("psql \\d+ cm:\nPostgreSQL:\n%s\nOpenWit:\n%s", p, o)
	}
	// \dt+'s Size differs (files, not heap pages): compare name and
	// Description.
	described := func(out string) []string {
		var rows []string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Split(l, "|"); len(f) >= 8 {
				rows = append(rows, f[1]+"|"+f[len(f)-1])
			}
		}
		return rows
	}
	p, o := described(psqlOut(t, pgDSN, "-c", `\dt+`)), described(psqlOut(t, ow.DSN(), "-c", `\dt+`))
	if !reflect.DeepEqual(p, o) || len(p) != 3 || p[1] != "cm|request log" {
		t.Errorf("psql \\dt+ names and descriptions: PostgreSQL %q, OpenWit %q", p, o)
	}
}
