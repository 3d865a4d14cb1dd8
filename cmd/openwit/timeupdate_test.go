package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"openwit/internal/testserver"
)

// UPDATE of the time column against real processes
// (docs/design/086-time-column-update.md).

// timeRanges counts the rows of logs per hour and in a few time ranges:
// queries whose time bounds prune the files by their time ranges.
const timeRanges = `SELECT (SELECT string_agg(h || ':' || c, ' ' ORDER BY h) FROM (SELECT date_trunc('hour', ts)::text AS h, count(*) AS c FROM logs GROUP BY 1) x),
	(SELECT count(*) FROM logs WHERE ts >= '2026-01-02 00:00:00+00'),
	(SELECT count(*) FROM logs WHERE ts >= '2026-01-01 01:00:00+00' AND ts < '2026-01-01 02:00:00+00'),
	(SELECT count(*) FROM logs WHERE ts < '2026-01-01 00:00:00+00'),
	(SELECT count(*) FROM logs WHERE ts BETWEEN '2026-01-05 00:00:00+00' AND '2026-01-05 23:59:59+00')`

// checkRanges compares timeRanges on both.
func (p *dmlPair) checkRanges(what string) {
	p.t.Helper()
	var got, want [5]any
	if err := p.owc.QueryRow(p.t.Context(), timeRanges).Scan(&got[0], &got[1], &got[2], &got[3], &got[4]); err != nil {
		p.t.Fatalf("%s: time ranges on OpenWit: %v", what, err)
	}
	if err := p.ref.QueryRow(p.t.Context(), timeRanges).Scan(&want[0], &want[1], &want[2], &want[3], &want[4]); err != nil {
		p.t.Fatalf("%s: time ranges on PostgreSQL: %v", what, err)
	}
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		p.t.Fatalf("after %s: counts by time\n got %s\nwant %s", what, g, w)
	}
}

// TestUpdateTimeMatchesPostgres moves rows across hourly shards (rows in
// several Parquet files per shard and in the buffers) with every form of
// UPDATE on PostgreSQL 15 and on OpenWit: tags, RETURNING rows, every
// row and the counts of time-bounded queries agree, also after a SIGKILL
// and a restart.
func TestUpdateTimeMatchesPostgres(t *testing.T) {
	t.Parallel()
	p := startDMLPair(t, 6)
	if n := countParquet(t, p.ow); n < 4 {
		t.Fatalf("%d Parquet files, want more than one per shard", n)
	}
	p.both(dmlInsert(600, 60)) // fresh rows in the buffers
	steps := []struct {
		sql  string
		args []any
	}{
		{sql: "UPDATE logs SET ts = ts + interval '1 day' WHERE user_id = 'u3'"},
		{sql: "UPDATE logs SET ts = ts + interval '70 minutes' WHERE service = 'svc1' AND ts < '2026-01-01 01:00:00+00'"},
		{sql: "UPDATE logs SET ts = ts - interval '5 minutes', status = 299 WHERE status = 500"},
		{sql: "UPDATE logs SET ts = $1 WHERE user_id = $2 AND latency > $3", args: []any{time.Date(2026, 1, 5, 6, 7, 8, 0, time.UTC), "u5", 50.0}},
		{sql: "UPDATE logs l SET ts = l.ts + interval '1 second' WHERE l.latency IS NULL"},
		{sql: "CREATE TABLE shift (ts timestamptz NOT NULL, user_id text, mins int)"},
		{sql: "INSERT INTO shift VALUES ('2026-01-01 00:00:00+00', 'u1', 90), ('2026-01-01 00:00:00+00', 'u2', -30)"},
		{sql: "UPDATE logs SET ts = logs.ts + s.mins * interval '1 minute' FROM shift s WHERE logs.user_id = s.user_id"},
		{sql: dmlInsert(1000, 70)}, // fresh rows again
		{sql: "WITH late AS (SELECT user_id FROM shift WHERE mins > 0) UPDATE logs SET ts = ts + interval '4 days' WHERE user_id IN (SELECT user_id FROM late) AND service = 'svc0'"},
		{sql: "UPDATE logs SET ts = ts WHERE user_id = 'u0'"},
	}
	for _, s := range steps {
		p.both(s.sql, s.args...)
		p.checkRanges(abbrev(s.sql))
	}
	// RETURNING over the extended protocol shows the new times.
	q := "UPDATE logs SET ts = ts + interval '2 hours' WHERE user_id = 'u8' AND service = $1 RETURNING user_id, ts, status"
	want := returningRows(t, p.ref, q, "svc0")
	if strings.HasPrefix(want, "0 rows") {
		t.Fatalf("%s returns no row on PostgreSQL: the test data changed", q)
	}
	if got := returningRows(t, p.owc, q, "svc0"); got != want {
		t.Errorf("%s:\n got %s\nwant %s", q, got, want)
	}
	p.check(q)
	p.checkRanges(q)
	// The time column stays NOT NULL; the error changes nothing.
	if _, err := p.owc.Exec(t.Context(), "UPDATE logs SET ts = NULL WHERE user_id = 'u4'"); pgCode(err) != "23502" {
		t.Errorf("SET ts = NULL: %v, want SQLSTATE 23502", err)
	}
	p.check("SET ts = NULL")
	p.owc.Close(t.Context())
	p.ow.Kill()
	p.ow.Restart()
	p.owc = testserver.Connect(t, p.ow.DSN())
	p.check("a SIGKILL after the last UPDATE and a restart")
	p.checkRanges("a SIGKILL after the last UPDATE and a restart")
}

// TestUpdateTimeKilled: an UPDATE that moves rows to other shards, killed
// (SIGKILL) after its uploads but before its catalog swap, changes nothing;
// killed right after the swap, it changed every row once: no row is lost
// or doubled either way, as the restarted server and PostgreSQL agree.
func TestUpdateTimeKilled(t *testing.T) {
	t.Parallel()
	p := startDMLPair(t, 3)
	p.both(dmlInsert(300, 40)) // and rows in the buffers
	const moveSQL = "UPDATE logs SET ts = ts + interval '1 day 30 minutes' WHERE service IN ('svc1', 'svc2')"
	for round, point := range []string{"update-before-swap", "update-after-swap"} {
		p.owc.Close(t.Context())
		p.ow.Stop()
		p.ow.Env = []string{"OPENWIT_TEST_FAILPOINT=" + point}
		p.ow.Restart()
		done := make(chan error, 1)
		go func() {
			c := testserver.Connect(t, p.ow.DSN())
			_, err := c.Exec(context.Background(), moveSQL)
			done <- err
		}()
		waitFor(t, "failpoint "+point, p.ow, func() bool { return strings.Count(p.ow.Log(), "failpoint reached") > round })
		p.ow.Kill()
		if err := <-done; err == nil {
			t.Fatalf("the UPDATE killed at %s was acknowledged", point)
		}
		if point == "update-after-swap" {
			mustExec(t, p.ref, moveSQL) // committed before the kill
		}
		p.ow.Env = nil
		p.ow.Restart()
		p.owc = testserver.Connect(t, p.ow.DSN())
		p.check("a SIGKILL at " + point)
		p.checkRanges("a SIGKILL at " + point)
		p.both(dmlInsert(400+round*50, 20))
	}
	// The statement runs to its end after the restarts, once.
	p.both(moveSQL)
	p.checkRanges("the UPDATE after the restarts")
}
