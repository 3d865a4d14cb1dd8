package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// UPDATE against real processes (docs/design/074-update.md).

// updateRows is every row of logs as text, in one order: what the UPDATE
// tests compare between PostgreSQL and OpenWit.
const updateRows = `SELECT coalesce(string_agg(ts::text || '|' || coalesce(service, '-') || '|' || coalesce(user_id, '-') || '|' ||
	coalesce(status::text, '-') || '|' || coalesce(latency::text, '-'), E'\n' ORDER BY ts, user_id, service, status, latency), '') FROM logs`

func readUpdateRows(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(t.Context(), updateRows).Scan(&s); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return s
}

// returningRows runs q with args and returns its rows, sorted, as text.
func returningRows(t *testing.T, conn *pgx.Conn, q string, args ...any) string {
	t.Helper()
	rows, err := conn.Query(t.Context(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	slices.Sort(out)
	return fmt.Sprintf("%d rows, tag %s: %s", len(out), rows.CommandTag(), strings.Join(out, "; "))
}

// TestUpdateMatchesPostgres runs the same writes and UPDATEs on
// PostgreSQL 15 and on OpenWit (catalog in PostgreSQL, rows in several
// Parquet files of three shards and in the ingest buffers): every command
// tag and every row agree, also after a SIGKILL right after the last
// UPDATE was acknowledged and a restart.
func TestUpdateMatchesPostgres(t *testing.T) {
	t.Parallel()
	p := startDMLPair(t, 6)
	ow, owc, ref, both, check := p.ow, p.owc, p.ref, p.both, p.check
	if n := countParquet(t, ow); n < 4 {
		t.Fatalf("%d Parquet files, want more than one per shard", n)
	}
	both(dmlInsert(600, 60)) // fresh rows in the buffers
	if _, rows := parquetFiles(t, ow.DataDir); rows >= 660 {
		t.Fatalf("%d rows in Parquet files: want some still buffered", rows)
	}
	both("UPDATE logs SET status = 503 WHERE user_id = 'u7'")
	both("UPDATE logs SET latency = latency * 2, service = upper(service) WHERE ts < '2026-01-01 00:40:00+00'")
	both("UPDATE logs SET latency = NULL WHERE status = 500 AND latency > 50")
	both("UPDATE logs SET user_id = $1 WHERE service = $2", "u-moved", "svc2")
	both("UPDATE logs l SET status = l.status + 1 WHERE l.latency IS NULL")
	both(dmlInsert(1000, 70)) // fresh rows again
	both("UPDATE logs SET service = service || '-x' WHERE user_id IN ('u1', 'u2') AND ts >= '2026-01-01 01:00:00+00'")
	both("UPDATE logs SET status = 0 WHERE user_id = 'nobody'")
	both("UPDATE logs SET status = '42' WHERE status = 200 AND user_id = 'u0'")
	both("DELETE FROM logs WHERE user_id = 'u3'")
	both("UPDATE logs SET latency = 1.25")
	// Parameters typed as their columns: pgx encodes a float64 and an int
	// only for a float8 and an int4 parameter.
	both("UPDATE logs SET latency = $1, status = $2 WHERE user_id = $3", 9.75, 404, "u9")
	// An error changes nothing.
	for _, bad := range []string{"UPDATE logs SET status = 'x'", "UPDATE logs SET status = status / 0 WHERE user_id = 'u5'"} {
		if _, err := owc.Exec(t.Context(), bad); err == nil {
			t.Fatalf("%s: no error", bad)
		}
		check(bad)
	}
	both("UPDATE logs SET service = 'last' WHERE user_id = 'u4'")
	// RETURNING over the extended protocol (pgx describes the statement,
	// then reads typed rows): the same rows as PostgreSQL's, in any order.
	for _, q := range []string{
		"UPDATE logs SET status = $1 WHERE user_id = 'u8' AND service = 'svc0' RETURNING user_id, status, latency, ts",
		"DELETE FROM logs WHERE user_id = 'u6' AND status = $1 RETURNING *",
	} {
		want := returningRows(t, ref, q, 500)
		if strings.HasPrefix(want, "0 rows") {
			t.Fatalf("%s returns no row on PostgreSQL: the test data changed", q)
		}
		if got := returningRows(t, owc, q, 500); got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
		check(q)
	}
	owc.Close(t.Context())
	ow.Kill()
	ow.Restart()
	p.owc = testserver.Connect(t, ow.DSN())
	check("a SIGKILL after the last UPDATE and a restart")
}

// TestUpdateRefusals: the UPDATEs OpenWit does not run fail with 0A000
// (or PostgreSQL's code) and change nothing.
func TestUpdateRefusals(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, dmlTable)
	mustExec(t, conn, dmlInsert(0, 50))
	before := readUpdateRows(t, conn)
	for _, c := range []struct{ sql, code string }{
		{"UPDATE logs SET ts = NULL", "23502"},
		{"UPDATE logs SET ts = 'soon'", "22007"},
		{"UPDATE logs SET status = (SELECT status FROM logs)", "21000"},
		{"UPDATE logs SET (status, latency) = (1, 2, 3)", "42601"},
		{"UPDATE logs SET (status, latency) = (SELECT 1)", "42601"},
		{"UPDATE logs SET (status, latency) = (1)", "0A000"},
		{"UPDATE logs AS l SET status = 1 WHERE logs.status = 1", "42P01"},
		{"UPDATE logs SET status = n.status FROM nope n", "42P01"},
		{"UPDATE logs SET status = 1 FROM logs l2 WHERE logs.status / 0 = 1", "22012"},
		{"UPDATE pg_class SET relname = 'x'", "42501"},
		{"UPDATE logs SET status = 1, status = 2", "42601"},
	} {
		_, err := conn.Exec(t.Context(), c.sql)
		if code := pgCode(err); code != c.code {
			t.Errorf("%s: %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	mustExec(t, conn, "BEGIN")
	if _, err := conn.Exec(t.Context(), "UPDATE logs SET status = 1"); pgCode(err) != "0A000" {
		t.Errorf("UPDATE in a transaction block: %v, want 0A000", err)
	}
	mustExec(t, conn, "ROLLBACK")
	if got := readUpdateRows(t, conn); got != before {
		t.Errorf("the refused UPDATEs changed rows")
	}
}

// dmlPair is an OpenWit server and a PostgreSQL database given the same
// statements, starting from dmlTable with loads×100 rows in Parquet files
// (several shards) and the buffers.
type dmlPair struct {
	t        *testing.T
	ow       *testserver.Server
	owc, ref *pgx.Conn
}

func startDMLPair(t *testing.T, loads int) *dmlPair {
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{Args: []string{"--catalog", pg.CreateDB(t, "owcatalog"),
		"--flush-rows", "64", "--flush-age", "1h", "--compaction-interval", "0"}})
	ref, err := pgx.Connect(t.Context(), pg.CreateDB(t, "reference"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close(context.Background()) })
	p := &dmlPair{t: t, ow: ow, owc: testserver.Connect(t, ow.DSN()), ref: ref}
	p.both(dmlTable)
	for i := range loads {
		p.both(dmlInsert(i*100, 100))
		waitFor(t, "the flushes", ow, func() bool {
			_, rows := parquetFiles(t, ow.DataDir)
			return rows >= int64((i+1)*100-3*63)
		})
	}
	return p
}

// check compares every row of the table on both.
func (p *dmlPair) check(what string) {
	p.t.Helper()
	if got, want := readUpdateRows(p.t, p.owc), readUpdateRows(p.t, p.ref); got != want {
		p.t.Fatalf("after %s: the rows differ from PostgreSQL's\n got %.600s\nwant %.600s", what, got, want)
	}
}

// both runs sql on both, compares the command tags, then the rows.
func (p *dmlPair) both(sql string, args ...any) {
	p.t.Helper()
	want := execTag(p.t, p.ref, sql, args...)
	if got := execTag(p.t, p.owc, sql, args...); got != want {
		p.t.Errorf("%s: tag %q, PostgreSQL %q", abbrev(sql), got, want)
	}
	p.check(abbrev(sql))
}
