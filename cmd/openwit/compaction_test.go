package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testserver"
)

// compactRows inserts batches of 50 rows into kv (one 1h shard), keys
// unique across calls through first, and returns the next first.
func compactRows(t *testing.T, conn *pgx.Conn, first, batches int) int {
	t.Helper()
	base := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	for b := range batches {
		var sb strings.Builder
		sb.WriteString("INSERT INTO kv (ts, key, v) VALUES ")
		for r := range 50 {
			k := first + b*50 + r
			if r > 0 {
				sb.WriteString(", ")
			}
			// Times go backwards within a batch: compaction must sort.
			ts := base.Add(time.Duration(3000-k%3000) * time.Second)
			fmt.Fprintf(&sb, "('%s', 'k%06d', %d)", ts.Format(time.RFC3339), k, k%97)
		}
		mustExec(t, conn, sb.String())
	}
	return first + batches*50
}

// kvStats is count(*), count(DISTINCT key), sum(v) of kv.
type kvStats struct{ count, keys, sum int64 }

func readKV(t *testing.T, s *testserver.Server) kvStats {
	t.Helper()
	conn := testserver.Connect(t, s.DSN())
	defer conn.Close(t.Context())
	var st kvStats
	if err := conn.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT key), coalesce(sum(v), 0) FROM kv").Scan(&st.count, &st.keys, &st.sum); err != nil {
		t.Fatalf("read kv: %v\n%s", err, s.Log())
	}
	return st
}

func wantKV(n int) kvStats {
	st := kvStats{count: int64(n), keys: int64(n)}
	for k := range n {
		st.sum += int64(k % 97)
	}
	return st
}

// waitFor polls cond; the bound only keeps a broken server from hanging.
func waitFor(t *testing.T, what string, s *testserver.Server, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; log:\n%s", what, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func countParquet(t *testing.T, s *testserver.Server) int {
	files, _ := parquetFiles(t, s.DataDir)
	return len(files)
}

// TestCompactionQueryAcrossSwap: a cursor planned before a compaction swap
// reads the files it listed after the swap; the result and later queries
// are unchanged.
func TestCompactionQueryAcrossSwap(t *testing.T) {
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

	ctx := t.Context()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, "DECLARE c CURSOR FOR SELECT key, v FROM kv")
	keys := map[string]bool{}
	fetch := func(sql string) {
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			var v int64
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			if keys[k] {
				t.Errorf("key %s twice", k)
			}
			keys[k] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v\n%s", sql, err, s.Log())
		}
	}
	fetch("FETCH 10 FROM c")
	// Let the swap happen while the cursor is open.
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, s.HTTPURL(), "openwit_compaction_output_files_total", func(v float64) bool { return v >= 1 })
	fetch("FETCH ALL FROM c")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if len(keys) != n {
		t.Errorf("the cursor planned before the swap read %d distinct keys, want %d", len(keys), n)
	}
	if got, want := readKV(t, s), wantKV(n); got != want {
		t.Errorf("after the swap %+v, want %+v", got, want)
	}
}

// TestCompactionCrash kills the process between the upload of a compacted
// file and the catalog swap, and between the swap and garbage collection:
// no acknowledged row is lost or duplicated, and the leftovers (the orphan
// upload, the replaced inputs) are deleted after the grace period.
func TestCompactionCrash(t *testing.T) {
	t.Parallel()
	args := []string{"--flush-rows", "50", "--compaction-interval", "200ms", "--garbage-grace", "3s"}
	s := testserver.Start(t, testserver.Options{Args: args, Env: []string{"OPENWIT_TEST_FAILPOINT=before-swap"}})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE kv (ts timestamptz NOT NULL, key text, v int)")
	n := compactRows(t, conn, 0, 8)
	conn.Close(t.Context())

	for round, point := range []string{"before-swap", "after-swap"} {
		waitFor(t, "failpoint "+point, s, func() bool { return strings.Count(s.Log(), "failpoint reached") > round })
		before := countParquet(t, s)
		s.Kill()
		s.Env = nil
		s.Restart()
		// Right after the restart: the catalog holds either the inputs or
		// the output, never both, never neither.
		if got, want := readKV(t, s), wantKV(n); got != want {
			t.Fatalf("killed at %s: after restart %+v, want %+v", point, got, want)
		}
		// Compaction finishes and the garbage goes after the grace: one
		// file is left for the shard.
		waitFor(t, "one file after compaction and collection", s, func() bool { return countParquet(t, s) == 1 })
		if got, want := readKV(t, s), wantKV(n); got != want {
			t.Fatalf("killed at %s: after compaction and collection %+v, want %+v", point, got, want)
		}
		t.Logf("killed at %s with %d parquet objects; one left after recovery", point, before)
		if point == "after-swap" {
			break
		}
		// More rows for the second round, which stops after the swap.
		s.Stop()
		s.Env = []string{"OPENWIT_TEST_FAILPOINT=after-swap"}
		s.Restart()
		conn := testserver.Connect(t, s.DSN())
		n = compactRows(t, conn, n, 6)
		conn.Close(t.Context())
	}
}

// TestRetentionOverSQL: ALTER TABLE ... SET (retention) makes the storage
// jobs drop the shards that ended before now - retention; queries stop
// seeing them, recent rows stay, and the dropped files are collected.
func TestRetentionOverSQL(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{
		Args: []string{"--flush-rows", "10", "--compaction-interval", "200ms", "--garbage-grace", "2s"},
	})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE ev (ts timestamptz NOT NULL, key text) WITH (retention = '3650 days')")
	now := time.Now().UTC()
	var sb strings.Builder
	sb.WriteString("INSERT INTO ev VALUES ")
	for i := range 30 {
		if i > 0 {
			sb.WriteString(", ")
		}
		ts := now.Add(-time.Duration(i%3) * 72 * time.Hour) // now, 3 days ago, 6 days ago
		fmt.Fprintf(&sb, "('%s', 'k%d')", ts.Format(time.RFC3339Nano), i)
	}
	mustExec(t, conn, sb.String())
	count := func() (n int64) {
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM ev").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "three published shards", s, func() bool { return countParquet(t, s) >= 3 })
	if n := count(); n != 30 {
		t.Fatalf("count = %d before retention, want 30", n)
	}
	mustExec(t, conn, "ALTER TABLE ev SET (retention = '2 days')")
	waitMetric(t, s.HTTPURL(), "openwit_retention_shards_dropped_total", func(v float64) bool { return v >= 2 })
	if n := count(); n != 10 {
		t.Errorf("count = %d after retention of 2 days, want the 10 recent rows", n)
	}
	var oldest time.Time
	if err := conn.QueryRow(t.Context(), "SELECT min(ts) FROM ev").Scan(&oldest); err != nil {
		t.Fatal(err)
	}
	if now.Sub(oldest) > 48*time.Hour {
		t.Errorf("oldest row %v is older than the retention", oldest)
	}
	waitFor(t, "dropped files collected", s, func() bool { return countParquet(t, s) == 1 })
	if n := count(); n != 10 {
		t.Errorf("count = %d after collection, want 10", n)
	}
}
