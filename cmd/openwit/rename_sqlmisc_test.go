package main

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/jackc/pgx/v5"

	"openwit/internal/testserver"
)

// TestRenameSurvivesCrash (design 066): rows written before and after
// ALTER TABLE ... RENAME TO and RENAME COLUMN, still in the WAL when the
// process is killed, read back under the new names after WAL replay, and
// again once they are Parquet files, whose columns keep the names the
// columns were created with.
func TestRenameSurvivesCrash(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "1h"}})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE rc (ts timestamptz NOT NULL, svc text, status int8)")
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		mustExec(t, conn, "INSERT INTO rc VALUES ($1, 'before', $2)", base.Add(time.Duration(i)*time.Second), int64(i))
	}
	mustExec(t, conn, "ALTER TABLE rc RENAME TO rc2")
	mustExec(t, conn, "ALTER TABLE rc2 RENAME COLUMN status TO code")
	mustExec(t, conn, "ALTER TABLE rc2 RENAME COLUMN ts TO at")
	for i := 10; i < 15; i++ {
		mustExec(t, conn, "INSERT INTO rc2 (at, svc, code) VALUES ($1, 'after', $2)", base.Add(time.Duration(i)*time.Second), int64(i))
	}
	check := func(stage string) {
		t.Helper()
		c := testserver.Connect(t, s.DSN())
		type res struct {
			Svc string
			N   int64
			Sum int64
		}
		got := queryRows(t, c, "SELECT svc, count(*), sum(code) FROM rc2 WHERE at >= $1 GROUP BY svc ORDER BY svc",
			pgx.RowToStructByPos[res], base)
		want := []res{{"after", 5, 10 + 11 + 12 + 13 + 14}, {"before", 10, 45}}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s: got %v, want %v", stage, got, want)
		}
		if _, err := c.Exec(t.Context(), "SELECT status FROM rc2"); sqlState(err) != "42703" {
			t.Errorf("%s: the old column name: %v, want 42703", stage, err)
		}
		if _, err := c.Exec(t.Context(), "SELECT 1 FROM rc"); sqlState(err) != "42P01" {
			t.Errorf("%s: the old table name: %v, want 42P01", stage, err)
		}
	}
	check("before the crash")
	s.Kill()
	s.Restart()
	check("after WAL replay")

	// Now as Parquet files.
	s.Stop()
	s.Args = []string{"--flush-age", "100ms"}
	s.Restart()
	deadline := time.Now().Add(time.Minute)
	var files []string
	for {
		var rows int64
		if files, rows = parquetFiles(t, s.DataDir); rows == 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rows were not flushed to Parquet within a minute (%d files)", len(files))
		}
		time.Sleep(100 * time.Millisecond)
	}
	check("from Parquet")
	for _, f := range files {
		r, err := file.OpenParquetFile(f, false)
		if err != nil {
			t.Fatal(err)
		}
		sc := r.MetaData().Schema
		if sc.ColumnIndexByName("status") < 0 || sc.ColumnIndexByName("ts") < 0 || sc.ColumnIndexByName("code") >= 0 {
			t.Errorf("%s: columns %v, want the data names ts, svc, status", f, sc)
		}
		r.Close()
	}
}
