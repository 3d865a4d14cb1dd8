package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"openwit/internal/testserver"
)

// UPDATE ... FROM, DELETE ... USING, WITH and subqueries in UPDATE and
// DELETE against real processes (docs/design/081-dml-join.md).

// TestDMLJoinMatchesPostgres runs the same writes and joined UPDATEs and
// DELETEs on PostgreSQL 15 and on OpenWit (rows in several Parquet files
// of three shards and in the ingest buffers, the other relations buffered
// too): every command tag, every RETURNING row and every row of the table
// agree, also after a SIGKILL right after the last statement was
// acknowledged and a restart.
func TestDMLJoinMatchesPostgres(t *testing.T) {
	t.Parallel()
	p := startDMLPair(t, 5)
	ow, owc, ref, both, check := p.ow, p.owc, p.ref, p.both, p.check
	if n := countParquet(t, ow); n < 4 {
		t.Fatalf("%d Parquet files, want more than one per shard", n)
	}
	both(dmlInsert(500, 60)) // fresh rows in the buffers
	both("CREATE TABLE status_map (ts timestamptz NOT NULL, status int, mapped int, label text)")
	both("INSERT INTO status_map VALUES ('2026-01-01 00:00:00+00', 500, 599, 'err'), ('2026-01-01 00:00:00+00', 200, 299, 'ok'), ('2026-01-01 00:00:00+00', NULL, -1, 'null')")
	both("CREATE TABLE erasures (ts timestamptz NOT NULL, user_id text)")
	both("INSERT INTO erasures VALUES ('2026-01-01 00:00:00+00', 'u3'), ('2026-01-01 00:00:00+00', NULL)")

	// changes runs a statement on both that changes rows on PostgreSQL.
	changes := func(sql string, args ...any) {
		t.Helper()
		want := execTag(t, ref, sql, args...)
		if strings.HasSuffix(want, " 0") {
			t.Fatalf("%s: %s on PostgreSQL: the test data changed", sql, want)
		}
		if got := execTag(t, owc, sql, args...); got != want {
			t.Errorf("%s: tag %q, PostgreSQL %q", sql, got, want)
		}
		check(sql)
	}
	changes("UPDATE logs SET status = m.mapped FROM status_map m WHERE logs.status = m.status AND logs.user_id = 'u1'")
	changes("UPDATE logs l SET service = l.service || ':' || m.label FROM status_map m WHERE l.status = m.status AND l.ts < '2026-01-01 01:00:00+00'")
	changes("DELETE FROM logs l USING erasures e WHERE l.user_id = e.user_id")
	changes("UPDATE logs SET latency = (SELECT max(l2.latency) FROM logs l2 WHERE l2.user_id = logs.user_id AND l2.service = logs.service) WHERE user_id IN ('u2', 'u4')")
	changes("DELETE FROM logs WHERE EXISTS (SELECT 1 FROM logs l2 WHERE l2.user_id = logs.user_id AND l2.status = 599) AND latency IS NULL")
	changes("WITH slow AS (SELECT user_id FROM logs GROUP BY user_id HAVING max(latency) > 90) UPDATE logs SET status = 0 WHERE user_id IN (SELECT user_id FROM slow) AND status = 200")
	both(dmlInsert(900, 40)) // fresh rows again
	changes("UPDATE logs SET (status, user_id) = (SELECT mapped, label FROM status_map m WHERE m.status = logs.status) WHERE service = 'svc3'")
	changes("UPDATE logs SET (latency, service) = (1.5, 'pair') WHERE user_id = 'u5' AND ts >= '2026-01-01 02:00:00+00'")
	changes("UPDATE logs SET status = $1 FROM status_map m WHERE logs.status = m.mapped AND m.label = $2", 7, "ok")
	both("DELETE FROM logs USING status_map m WHERE logs.status = m.status AND m.label = 'nothing'")
	// An error changes nothing.
	for _, bad := range []string{
		"UPDATE logs SET status = (SELECT mapped FROM status_map)",
		"UPDATE logs SET status = m.mapped / 0 FROM status_map m WHERE logs.status = m.status",
	} {
		if _, err := owc.Exec(t.Context(), bad); err == nil {
			t.Fatalf("%s: no error", bad)
		}
		check(bad)
	}
	// RETURNING naming the other relation, over the extended protocol.
	for _, q := range []string{
		"UPDATE logs SET status = m.mapped FROM status_map m WHERE logs.status = m.status AND logs.user_id = 'u8' AND logs.status = $1 RETURNING logs.user_id, logs.status, m.label, logs.ts",
		"DELETE FROM logs USING status_map m WHERE logs.status = m.status AND logs.user_id = 'u6' AND m.status = $1 RETURNING *",
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
	check("a SIGKILL after the last DELETE and a restart")
}

// TestDMLJoinLosesToCompaction: an UPDATE ... FROM waits before its swap
// while a compaction merges the files it rewrote with newer ones and swaps
// first; the UPDATE loses its swap, lists the files again and finds its
// rows by their values in the merged file. Every row it should change is
// changed once, the rows inserted while it waited are not, none is lost or
// doubled.
func TestDMLJoinLosesToCompaction(t *testing.T) {
	t.Parallel()
	release := filepath.Join(t.TempDir(), "release")
	s := testserver.Start(t, testserver.Options{
		Args: []string{"--flush-rows", "50", "--compaction-interval", "200ms", "--garbage-grace", "1h"},
		Env:  []string{"OPENWIT_TEST_FAILPOINT=update-before-swap@1", "OPENWIT_TEST_FAILPOINT_RELEASE=" + release},
	})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE kv (ts timestamptz NOT NULL, key text, v int)")
	mustExec(t, conn, "CREATE TABLE pick (ts timestamptz NOT NULL, key text, add int)")
	n := compactRows(t, conn, 0, 8)
	mustExec(t, conn, "INSERT INTO pick SELECT ts, key, 1000 FROM kv WHERE v < 10")
	var want int64
	after := kvStats{}
	for k := range n + 100 {
		after.count++
		after.keys++
		after.sum += int64(k % 97)
		if k < n && k%97 < 10 {
			want++
			after.sum += 1000
		}
	}
	done := make(chan string, 1)
	go func() {
		c := testserver.Connect(t, s.DSN())
		tag, err := c.Exec(context.Background(), "UPDATE kv SET v = kv.v + p.add FROM pick p WHERE kv.key = p.key")
		if err != nil {
			done <- err.Error()
			return
		}
		done <- tag.String()
	}()
	waitFor(t, "the UPDATE's failpoint", s, func() bool { return strings.Contains(s.Log(), "failpoint reached") })
	outputs := waitMetric(t, s.HTTPURL(), "openwit_compaction_output_files_total", func(float64) bool { return true })
	compactRows(t, conn, n, 2) // newer files, compacted with the UPDATE's
	waitMetric(t, s.HTTPURL(), "openwit_compaction_output_files_total", func(v float64) bool { return v > outputs })
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if tag := <-done; tag != fmt.Sprintf("UPDATE %d", want) {
		t.Fatalf("tag %q, want UPDATE %d", tag, want)
	}
	if !strings.Contains(s.Log(), "lost file swap, listing again") {
		t.Fatalf("the UPDATE did not lose its swap to the compaction; log:\n%s", s.Log())
	}
	if got := readKV(t, s); got != after {
		t.Fatalf("after the UPDATE %+v, want %+v", got, after)
	}
	var changed int64
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM kv WHERE v >= 1000").Scan(&changed); err != nil || changed != want {
		t.Fatalf("%d rows changed (%v), want %d", changed, err, want)
	}
}
