package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// DELETE and TRUNCATE against real processes (docs/design/067).

const dmlTable = "CREATE TABLE logs (ts timestamptz NOT NULL, service text, user_id text, status int, latency float8)"

// dmlInsert returns an INSERT of n rows numbered from first, spread over
// three hours (1h shards): users u0..u9, services svc0..svc3, status 500
// every 7th row, NULL latency every 11th.
func dmlInsert(first, n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO logs VALUES ")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		if i > first {
			sb.WriteString(", ")
		}
		ts := base.Add(time.Duration(i%180) * time.Minute).Add(time.Duration(i) * time.Millisecond)
		status := 200
		if i%7 == 0 {
			status = 500
		}
		lat := fmt.Sprintf("%d.5", i%97)
		if i%11 == 0 {
			lat = "NULL"
		}
		fmt.Fprintf(&sb, "('%s', 'svc%d', 'u%d', %d, %s)", ts.Format(time.RFC3339Nano), i%4, i%10, status, lat)
	}
	return sb.String()
}

// dmlFingerprint is what the tests compare between servers and restarts.
const dmlFingerprint = `SELECT count(*), count(DISTINCT user_id), coalesce(sum(status), 0), count(latency),
	coalesce(extract(epoch FROM min(ts))::bigint, 0), coalesce(extract(epoch FROM max(ts))::bigint, 0) FROM logs`

type fingerprint [6]int64

func readFingerprint(t *testing.T, conn *pgx.Conn) fingerprint {
	t.Helper()
	var f fingerprint
	if err := conn.QueryRow(t.Context(), dmlFingerprint).Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5]); err != nil {
		t.Fatalf("fingerprint: %v", err)
	}
	return f
}

func execTag(t *testing.T, conn *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	tag, err := conn.Exec(t.Context(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", abbrev(sql), err)
	}
	return tag.String()
}

// TestDeleteMatchesPostgres runs the same writes and DELETEs on
// PostgreSQL 15 and on OpenWit (catalog in PostgreSQL, rows in several
// Parquet files and in the ingest buffers): every command tag and every
// fingerprint of what is left agree.
func TestDeleteMatchesPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{Args: []string{"--catalog", pg.CreateDB(t, "owcatalog"),
		"--flush-rows", "64", "--flush-age", "1h", "--compaction-interval", "0"}})
	ref, err := pgx.Connect(t.Context(), pg.CreateDB(t, "reference"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(t.Context())
	owc := testserver.Connect(t, ow.DSN())
	both := func(sql string, args ...any) {
		t.Helper()
		want := execTag(t, ref, sql, args...)
		if got := execTag(t, owc, sql, args...); got != want {
			t.Errorf("%s: tag %q, PostgreSQL %q", abbrev(sql), got, want)
		}
		if got, want := readFingerprint(t, owc), readFingerprint(t, ref); got != want {
			t.Errorf("after %s: %v, PostgreSQL %v", abbrev(sql), got, want)
		}
	}
	both(dmlTable)
	// 600 rows in three shards, each flushed once it holds 64 rows: after
	// each INSERT, wait until at most 63 rows per shard are buffered, so
	// shards get several files.
	for i := range 6 {
		both(dmlInsert(i*100, 100))
		waitFor(t, "the flushes", ow, func() bool {
			_, rows := parquetFiles(t, ow.DataDir)
			return rows >= int64((i+1)*100-3*63)
		})
	}
	if n := countParquet(t, ow); n < 4 {
		t.Fatalf("%d Parquet files, want more than one per shard", n)
	}
	// And fresh rows in the buffers (fewer than 64 per shard).
	both(dmlInsert(600, 60))
	if _, rows := parquetFiles(t, ow.DataDir); rows >= 660 {
		t.Fatalf("%d rows in Parquet files: want some still buffered", rows)
	}
	both("DELETE FROM logs WHERE ts < '2026-01-01 00:40:00+00'")
	both("DELETE FROM logs WHERE user_id = 'u7'")
	both("DELETE FROM logs WHERE status = 500 AND latency > 50")
	both("DELETE FROM logs WHERE service = $1", "svc2")
	both("DELETE FROM logs WHERE latency IS NULL OR ts BETWEEN '2026-01-01 02:00:00+00' AND '2026-01-01 02:10:00+00'")
	both(dmlInsert(1000, 70)) // fresh rows, buffered
	both("DELETE FROM logs WHERE user_id IN ('u1', 'u2') AND ts >= '2026-01-01 01:00:00+00'")
	both("DELETE FROM logs WHERE user_id = 'nobody'")
	both("DELETE FROM logs WHERE lower(service) || user_id = 'svc3u3'")
	both("DELETE FROM logs")
	both(dmlInsert(2000, 30))
	both("TRUNCATE logs")
	both(dmlInsert(3000, 10))
}

// TestDeleteTruncateKilled: rows still only in the WAL when DELETE or
// TRUNCATE is acknowledged stay deleted after a SIGKILL right after the
// acknowledgement and a WAL replay, and after a clean restart.
func TestDeleteTruncateKilled(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	s := testserver.Start(t, testserver.Options{Args: []string{"--catalog", pg.CreateDB(t, "owcatalog"),
		"--flush-age", "1h", "--compaction-interval", "0"}})
	ref, err := pgx.Connect(t.Context(), pg.CreateDB(t, "reference"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(t.Context())
	mustExec(t, ref, dmlTable)
	conn := testserver.Connect(t, s.DSN())
	// One shard for all rows: no shard is flushed for being cold, so the
	// rows stay in the WAL and the buffers until DELETE publishes them.
	mustExec(t, conn, dmlTable+" WITH (shard_duration = '24h')")
	write := func(sql string) {
		mustExec(t, ref, sql)
		mustExec(t, conn, sql)
	}
	check := func(what string) {
		t.Helper()
		if got, want := readFingerprint(t, conn), readFingerprint(t, ref); got != want {
			t.Fatalf("%s: %v, PostgreSQL %v\n%s", what, got, want, s.Log())
		}
	}
	// step runs sql on both, then kills OpenWit the moment it answered.
	step := func(sql string, kill bool) {
		t.Helper()
		want := execTag(t, ref, sql)
		if got := execTag(t, conn, sql); got != want {
			t.Errorf("%s: tag %q, PostgreSQL %q", sql, got, want)
		}
		conn.Close(t.Context())
		if kill {
			s.Kill()
		} else {
			s.Stop()
		}
		s.Restart()
		conn = testserver.Connect(t, s.DSN())
		check(fmt.Sprintf("%s, then %s", sql, map[bool]string{true: "SIGKILL", false: "SIGTERM"}[kill]))
	}
	for i := range 3 {
		write(dmlInsert(i*100, 100))
	}
	if files, _ := parquetFiles(t, s.DataDir); len(files) != 0 {
		t.Fatalf("%d Parquet files before the DELETE: the rows should be in the WAL only", len(files))
	}
	step("DELETE FROM logs WHERE user_id = 'u3'", true)
	write(dmlInsert(500, 100))
	step("DELETE FROM logs WHERE ts < '2026-01-01 01:00:00+00'", true)
	write(dmlInsert(700, 100))
	step("TRUNCATE logs", true)
	write(dmlInsert(900, 50))
	step("DELETE FROM logs WHERE status = 500", false)
	write(dmlInsert(1000, 50))
	step("DELETE FROM logs", true)
	write(dmlInsert(1100, 20))
	check("rows written after the last restart")
}

// TestDeleteDuringCompaction: a DELETE that commits while a compaction of
// the same files waits between its upload and its swap wins; the
// compaction's swap fails, and neither the deleted rows come back nor any
// other row is lost or doubled, also after the next compactions.
func TestDeleteDuringCompaction(t *testing.T) {
	t.Parallel()
	release := filepath.Join(t.TempDir(), "release")
	s := testserver.Start(t, testserver.Options{
		Args: []string{"--flush-rows", "50", "--compaction-interval", "200ms", "--garbage-grace", "1h"},
		Env:  []string{"OPENWIT_TEST_FAILPOINT=before-swap", "OPENWIT_TEST_FAILPOINT_RELEASE=" + release},
	})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE kv (ts timestamptz NOT NULL, key text, v int)")
	n := compactRows(t, conn, 0, 8)
	waitFor(t, "the compaction failpoint", s, func() bool { return strings.Contains(s.Log(), "failpoint reached") })
	// v = k % 97: the keys with v < 10.
	var want int64
	left := kvStats{}
	for k := range n {
		if k%97 < 10 {
			want++
			continue
		}
		left.count++
		left.keys++
		left.sum += int64(k % 97)
	}
	if tag := execTag(t, conn, "DELETE FROM kv WHERE v < 10"); tag != fmt.Sprintf("DELETE %d", want) {
		t.Fatalf("tag %q, want DELETE %d", tag, want)
	}
	if got := readKV(t, s); got != left {
		t.Fatalf("after the DELETE %+v, want %+v", got, left)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, s.HTTPURL(), "openwit_compaction_conflicts_total", func(v float64) bool { return v >= 1 })
	// The next rounds compact the DELETE's files.
	waitMetric(t, s.HTTPURL(), "openwit_compaction_output_files_total", func(v float64) bool { return v >= 1 })
	if got := readKV(t, s); got != left {
		t.Fatalf("after the compaction lost its swap %+v, want %+v", got, left)
	}
	var back int64
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM kv WHERE v < 10").Scan(&back); err != nil || back != 0 {
		t.Fatalf("%d deleted rows came back (%v)", back, err)
	}
}

// TestDeleteRefusals: what DELETE and TRUNCATE refuse, with PostgreSQL's
// SQLSTATEs, changing nothing.
func TestDeleteRefusals(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "1h"}})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, dmlTable)
	mustExec(t, conn, dmlInsert(0, 100))
	before := readFingerprint(t, conn)
	code := func(err error) string {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return pe.Code
		}
		return fmt.Sprint(err)
	}
	for _, c := range []struct{ sql, code, msg string }{
		{"UPDATE logs SET ts = NULL WHERE user_id = 'u1'", "23502", `null value in column "ts" of relation "logs" violates not-null constraint`},
		{"DELETE FROM logs USING nope WHERE logs.user_id = nope.user_id", "42P01", `relation "nope" does not exist`},
		{"WITH x AS (SELECT 1 / 0 AS z) DELETE FROM logs WHERE status IN (SELECT z FROM x)", "22012", ""},
		{"DELETE FROM logs l WHERE logs.status = 1", "42P01", `invalid reference to FROM-clause entry for table "logs"`},
		{"DELETE FROM logs WHERE status = (SELECT l2.status FROM logs l2 WHERE l2.service = logs.service)", "21000", "more than one row returned by a subquery used as an expression"},
		{"DELETE FROM pg_catalog.pg_class", "42501", "permission denied for table pg_class"},
		{"DELETE FROM pg_class", "42501", "permission denied for table pg_class"},
		{"TRUNCATE information_schema.tables", "42501", "permission denied for table tables"},
		{"TRUNCATE logs, pg_namespace", "42501", "permission denied"},
		{"DELETE FROM nope", "42P01", `relation "nope" does not exist`},
		{"DELETE FROM logs WHERE status / 0 = 1", "22012", ""},
	} {
		_, err := conn.Exec(t.Context(), c.sql)
		if code(err) != c.code || err != nil && !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v (%s), want %s %q", c.sql, err, code(err), c.code, c.msg)
		}
	}
	// Inside a transaction block: refused, and the block is aborted.
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"DELETE FROM logs", "TRUNCATE logs"} {
		if _, err := tx.Exec(t.Context(), "SAVEPOINT s"); err != nil {
			t.Fatal(err)
		}
		_, err := tx.Exec(t.Context(), sql)
		if code(err) != "0A000" || !strings.Contains(err.Error(), "inside a transaction block is not supported") {
			t.Errorf("%s in a block: %v", sql, err)
		}
		if _, err := tx.Exec(t.Context(), "ROLLBACK TO s"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Rows staged by the same implicit transaction (one pgx batch).
	b := &pgx.Batch{}
	b.Queue(dmlInsert(100, 5))
	b.Queue("DELETE FROM logs WHERE user_id = 'u1'")
	err = conn.SendBatch(t.Context(), b).Close()
	if code(err) != "0A000" {
		t.Errorf("INSERT then DELETE in one implicit transaction: %v", err)
	}
	if got := readFingerprint(t, conn); got != before {
		t.Errorf("refused statements changed the table: %v, was %v", got, before)
	}
	// A DELETE alone in a batch (extended protocol) runs.
	if tag := execTag(t, conn, "DELETE FROM logs WHERE user_id = $1", "u1"); tag != "DELETE 10" {
		t.Errorf("DELETE with a parameter: %q, want DELETE 10", tag)
	}
}

// TestDeleteConcurrentReaders: queries running while DELETEs publish the
// buffers and swap files see the table before or after each DELETE,
// never between (a count of neither).
func TestDeleteConcurrentReaders(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-rows", "200", "--flush-age", "1h", "--compaction-interval", "0"}})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, dmlTable)
	for i := range 10 {
		mustExec(t, conn, dmlInsert(i*300, 300))
	}
	counts := func(c *pgx.Conn) (all, filtered int64, err error) {
		err = c.QueryRow(t.Context(), "SELECT count(*), count(*) FILTER (WHERE status >= 0) FROM logs WHERE latency IS NULL OR latency >= 0").Scan(&all, &filtered)
		return all, filtered, err
	}
	// The rows the DELETEs leave, in order: user u0, then u1, ... u4.
	states := []int64{3000}
	for range 5 {
		states = append(states, states[len(states)-1]-300)
	}
	stop := make(chan struct{})
	seen := make(chan []int64)
	go func() {
		rc, err := pgx.Connect(t.Context(), s.DSN())
		if err != nil {
			t.Error(err)
			seen <- nil
			return
		}
		defer rc.Close(t.Context())
		var got []int64
		for {
			select {
			case <-stop:
				seen <- got
				return
			default:
			}
			all, filtered, err := counts(rc)
			if err != nil {
				t.Errorf("query during DELETE: %v", err)
				seen <- got
				return
			}
			got = append(got, all, filtered)
			time.Sleep(2 * time.Millisecond) // leave the DELETEs some CPU
		}
	}()
	for u := range 5 {
		if tag := execTag(t, conn, fmt.Sprintf("DELETE FROM logs WHERE user_id = 'u%d'", u)); tag != "DELETE 300" {
			t.Errorf("DELETE of u%d: %q, want DELETE 300", u, tag)
		}
	}
	close(stop)
	got := <-seen
	valid := map[int64]bool{}
	for _, n := range states {
		valid[n] = true
	}
	for _, n := range got {
		if !valid[n] {
			t.Errorf("a query during the DELETEs counted %d rows: not a state before or after one (%v)", n, states)
		}
	}
	t.Logf("%d counts read during 5 DELETEs", len(got))
	if all, _, err := counts(conn); err != nil || all != states[len(states)-1] {
		t.Errorf("after the DELETEs %d rows (%v), want %d", all, err, states[len(states)-1])
	}
}

// TestDeleteTruncateGarbage: the files DELETE replaces and TRUNCATE drops
// become garbage, deleted after --garbage-grace like retention's.
func TestDeleteTruncateGarbage(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{
		Args: []string{"--flush-rows", "50", "--compaction-interval", "200ms", "--garbage-grace", "2s"},
	})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE kv (ts timestamptz NOT NULL, key text, v int)")
	n := compactRows(t, conn, 0, 6)
	var want int64
	for k := range n {
		if k%97 >= 50 {
			want++
		}
	}
	if tag := execTag(t, conn, "DELETE FROM kv WHERE v < 50"); tag != fmt.Sprintf("DELETE %d", int64(n)-want) {
		t.Fatalf("tag %q, want DELETE %d", tag, int64(n)-want)
	}
	// Once the replaced objects are collected, the Parquet files on disk
	// hold exactly the rows left.
	waitFor(t, "replaced files collected", s, func() bool {
		_, rows := parquetFiles(t, s.DataDir)
		return rows == want
	})
	if got := readKV(t, s); got.count != want {
		t.Fatalf("%d rows after collection, want %d", got.count, want)
	}
	mustExec(t, conn, "TRUNCATE kv")
	waitFor(t, "truncated files collected", s, func() bool { return countParquet(t, s) == 0 })
	if got := readKV(t, s); got.count != 0 {
		t.Fatalf("%d rows after TRUNCATE", got.count)
	}
}
