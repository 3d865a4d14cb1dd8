package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/coordinator/membership"
	"openwit/internal/testserver"
)

// cacheQueries are the queries the cache test compares with a single
// process: scans, filters and aggregations over every column.
var cacheQueries = []string{
	"SELECT count(*) FROM logs",
	"SELECT count(*) FROM logs WHERE level = 'error' AND status >= 500",
	"SELECT service, count(*), sum(status), min(latency_ms), max(latency_ms), min(ts), max(ts) FROM logs GROUP BY service ORDER BY service",
	"SELECT level, status, count(*) FROM logs WHERE service <> 'db' GROUP BY level, status ORDER BY level, status",
	"SELECT ts, service, latency_ms FROM logs ORDER BY latency_ms DESC, ts LIMIT 12",
	"SELECT ts, service, level, status, latency_ms FROM logs WHERE service = 'db' AND status = 503 ORDER BY ts",
}

// runCacheQueries runs cacheQueries on conn and compares each answer with
// the single process's.
func runCacheQueries(t *testing.T, when string, conn, single *pgx.Conn) {
	t.Helper()
	for _, q := range cacheQueries {
		got, want := queryText(t, conn, q), queryText(t, single, q)
		if len(want) == 0 {
			t.Errorf("%s: no rows on the single process; the query checks nothing", q)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %s:\nwith the cache tier %d rows %q\nsingle             %d rows %q", when, q, len(got), got, len(want), want)
		}
	}
}

func metricOf(t *testing.T, s *testserver.Server, name string) float64 {
	t.Helper()
	_, body := httpGet(t, s.HTTPURL()+"/metrics")
	v, ok := metricValue(body, name)
	if !ok {
		t.Fatalf("%s has no metric %s", s.HTTPURL(), name)
	}
	return v
}

// TestCacheRole runs a front node and a search worker that read the
// shared object store through a `--roles cache` process: queries answer
// as a single process does, a repeated query is served from the cache
// node's memory, and after the cache node is killed the queries still
// answer (from the object store).
func TestCacheRole(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	objects := "file://" + filepath.Join(shared, "objects")
	cacheAddr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	gossip := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	cache := testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "cache", "--cache-addr", cacheAddr, "--cache-memory", "64MiB", "--object-store", objects,
		"--gossip-addr", gossip, "--node-id", "cache-1",
	}})
	workerAddr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	worker := testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "search", "--search-addr", workerAddr, "--object-store", objects, "--cache-nodes", cacheAddr,
	}})
	coord := testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "gateway,coordinator", "--search-workers", workerAddr, "--object-store", objects,
		"--cache-nodes", cacheAddr, "--flush-age", "10ms",
		"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)), "--join", gossip,
	}})
	single := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "10ms"}})

	const nRows, batch = 4000, 250
	rows := genLogs(nRows)
	cc, sc := testserver.Connect(t, coord.DSN()), testserver.Connect(t, single.DSN())
	for _, conn := range []*pgx.Conn{cc, sc} {
		mustExec(t, conn, logsDDL)
		for i := 0; i < nRows; i += batch {
			mustExec(t, conn, insertSQL(rows[i:i+batch]))
		}
	}
	for _, s := range []*testserver.Server{coord, single} {
		waitMetric(t, s.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })
	}
	if files, fileRows := parquetFiles(t, shared); fileRows != nRows || len(files) < 4 {
		t.Fatalf("the shared object store holds %d rows in %d files, want %d rows in several files", fileRows, len(files), nRows)
	}

	runCacheQueries(t, "first run", cc, sc)
	misses := metricOf(t, cache, "openwit_cache_misses_total")
	hits := metricOf(t, cache, "openwit_cache_hits_total")
	if misses == 0 {
		t.Fatalf("the cache node loaded no block: reads did not go through it\n%s", worker.Log())
	}
	runCacheQueries(t, "second run", cc, sc)
	misses2 := metricOf(t, cache, "openwit_cache_misses_total")
	hits2 := metricOf(t, cache, "openwit_cache_hits_total")
	if hits2 <= hits {
		t.Errorf("the repeated queries were not served from the cache node's memory: hits %v -> %v", hits, hits2)
	}
	if misses2 != misses {
		// Every block fits in 64MiB: nothing is loaded twice.
		t.Errorf("the repeated queries loaded blocks again: misses %v -> %v", misses, misses2)
	}
	if r := metricOf(t, cache, "openwit_cache_hit_ratio"); r <= 0 || r > 1 {
		t.Errorf("hit ratio %v", r)
	}
	if b := metricOf(t, cache, "openwit_cache_served_bytes_total"); b == 0 {
		t.Error("the cache node served no bytes")
	}
	if fb := metricOf(t, worker, "openwit_cache_client_fallbacks_total"); fb != 0 {
		t.Errorf("the search worker fell back to the object store %v times with the cache node up", fb)
	}

	// The coordinator sees the cache node through gossip: /cluster shows
	// its address and the cache hint.
	waitCluster(t, coord, func(st membership.Status) bool {
		for _, m := range st.Nodes {
			if m.ID == "cache-1" && m.CacheAddr == cacheAddr && m.HasRole("cache") && m.Load.CacheHitRatio > 0 {
				return slices.ContainsFunc(st.Hints, func(h membership.Hint) bool { return h.Role == "cache" && h.Value > 0 })
			}
		}
		return false
	})

	// EXPLAIN ANALYZE: the worker's bytes came from the cache tier.
	const aq = "SELECT service, max(latency_ms) FROM logs GROUP BY service"
	if read, store, cached := analyzeBytes(t, cc, aq); read <= 0 || cached != read || store != 0 {
		t.Errorf("EXPLAIN ANALYZE with the cache node: %d bytes read, %d from the object store, %d from the cache", read, store, cached)
	}

	// Without the cache node, reads go to the object store.
	cache.Kill()
	runCacheQueries(t, "cache node killed", cc, sc)
	if read, store, cached := analyzeBytes(t, cc, aq); read <= 0 || cached != 0 || store != read {
		t.Errorf("EXPLAIN ANALYZE without the cache node: %d bytes read, %d from the object store, %d from the cache", read, store, cached)
	}
	if fb := metricOf(t, worker, "openwit_cache_client_fallbacks_total"); fb == 0 {
		t.Error("no fallback counted on the search worker after the cache node died")
	}
}

// waitCluster polls GET /cluster until cond holds (bounded so that a
// broken gossip does not hang the test).
func waitCluster(t *testing.T, s *testserver.Server, cond func(membership.Status) bool) {
	t.Helper()
	var last string
	for range 600 {
		_, body := httpGet(t, s.HTTPURL()+"/cluster")
		var st membership.Status
		if err := json.Unmarshal([]byte(body), &st); err == nil && cond(st) {
			return
		}
		last = body
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/cluster never showed the cache node:\n%s", last)
}
