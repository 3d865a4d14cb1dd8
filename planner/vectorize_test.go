package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"openwit/internal/pgerror"
	"openwit/planner"
)

// loadLogs inserts rows spread over days (one time shard per hour) and,
// when flush is set, publishes them to Parquet.
func loadLogs(t *testing.T, h *harness, rows, days int, flush bool) {
	t.Helper()
	h.mustQuery(`CREATE TABLE logs (ts timestamptz NOT NULL, service text, host text, level text, status int4, latency_ms float8) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Duration(days) * 24 * time.Hour
	levels := []string{"debug", "info", "info", "info", "warn", "error"}
	const batch = 500
	for i := 0; i < rows; i += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO logs VALUES ")
		for j := i; j < min(i+batch, rows); j++ {
			if j > i {
				b.WriteString(",")
			}
			ts := start.Add(time.Duration(rng.Int64N(int64(span))))
			svc := fmt.Sprintf("'svc-%d'", rng.IntN(7))
			if rng.IntN(20) == 0 {
				svc = "NULL"
			}
			lat := strconv.FormatFloat(rng.ExpFloat64()*100, 'f', 3, 64)
			if rng.IntN(30) == 0 {
				lat = "NULL"
			}
			fmt.Fprintf(&b, "('%s', %s, 'host-%d', '%s', %d, %s)", ts.Format(time.RFC3339Nano), svc, rng.IntN(50), levels[rng.IntN(len(levels))], []int{200, 200, 200, 404, 500}[rng.IntN(5)], lat)
		}
		h.mustQuery(b.String())
	}
	if flush {
		if err := h.ing.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

var filesRE = regexp.MustCompile(`files=(\d+) kept, (\d+) pruned by time`)

// TestVectorizedTimePruning: a one-hour query over three days of hourly
// shards reads at most 1/50 of the files, and EXPLAIN says so.
func TestVectorizedTimePruning(t *testing.T) {
	h := newHarness(t)
	loadLogs(t, h, 6000, 3, true)
	plan := h.mustQuery(`EXPLAIN SELECT service, count(*) FROM logs WHERE ts >= '2024-01-02 10:00:00+00' AND ts < '2024-01-02 11:00:00+00' GROUP BY service`)
	m := filesRE.FindStringSubmatch(plan)
	if m == nil {
		t.Fatalf("EXPLAIN does not show a vectorized scan with file counts:\n%s", plan)
	}
	kept, _ := strconv.Atoi(m[1])
	pruned, _ := strconv.Atoi(m[2])
	if total := kept + pruned; total < 72 || kept*50 > total {
		t.Errorf("kept %d of %d files, want at most 1/50 of at least 72:\n%s", kept, total, plan)
	}
	if !strings.Contains(plan, "time=[2024-01-02 10:00:00Z, 2024-01-02 11:00:00Z]") {
		t.Errorf("EXPLAIN does not show the time bounds:\n%s", plan)
	}
	// BETWEEN prunes as well.
	plan = h.mustQuery(`EXPLAIN SELECT count(*) FROM logs WHERE ts BETWEEN '2024-01-03 00:00:00+00' AND '2024-01-03 00:59:59+00'`)
	if m := filesRE.FindStringSubmatch(plan); m == nil || m[1] != "1" {
		t.Errorf("BETWEEN over one hour: want 1 file kept:\n%s", plan)
	}
}

// TestVectorizedMatchesRowEngine runs analytics over buffered and over
// flushed rows in both executors; the answers must be identical.
func TestVectorizedMatchesRowEngine(t *testing.T) {
	queries := []string{
		`SELECT count(*) FROM logs`,
		`SELECT count(*) FROM logs WHERE level = 'error'`,
		`SELECT level, count(*) FROM logs GROUP BY level ORDER BY level`,
		`SELECT service, count(*) AS errors FROM logs WHERE level = 'error' GROUP BY service ORDER BY errors DESC, service LIMIT 3`,
		`SELECT service, percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FROM logs GROUP BY service ORDER BY service`,
		`SELECT level, percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms), percentile_disc(0.25) WITHIN GROUP (ORDER BY latency_ms DESC), percentile_disc(0.5) WITHIN GROUP (ORDER BY status) FROM logs GROUP BY level ORDER BY level`,
		`SELECT date_trunc('hour', ts) AS h, count(*) FROM logs GROUP BY 1 ORDER BY 1`,
		`SELECT count(DISTINCT host), count(DISTINCT service) FROM logs`,
		`SELECT service, sum(status), min(ts), max(ts), min(latency_ms), max(latency_ms), count(latency_ms), round(avg(latency_ms)::numeric, 6) FROM logs GROUP BY service ORDER BY service`,
		`SELECT ts, service, latency_ms FROM logs ORDER BY latency_ms DESC, ts LIMIT 7`,
		`SELECT ts, service, latency_ms FROM logs ORDER BY latency_ms, ts LIMIT 7`,
		`SELECT ts, host, status FROM logs ORDER BY ts DESC LIMIT 9`,
		`SELECT ts, host FROM logs WHERE level = 'warn' ORDER BY ts LIMIT 4`,
		`SELECT ts, host FROM logs WHERE status >= 404 AND (service = 'svc-1' OR service IS NULL) AND latency_ms > 150.5 ORDER BY ts`,
		`SELECT count(*) FROM logs WHERE host LIKE 'host-1%' AND level IN ('warn', 'error')`,
		`SELECT count(*) FROM logs WHERE NOT (status = 200) AND ts BETWEEN '2024-01-01 06:00:00+00' AND '2024-01-01 18:00:00+00'`,
		`SELECT level, service, count(*) FROM logs WHERE service IS NOT NULL GROUP BY level, service ORDER BY 1, 2`,
		`SELECT count(*), sum(status), min(host) FROM logs WHERE ts < '2000-01-01 00:00:00+00'`,
	}
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprintf("flushed=%v", flush), func(t *testing.T) {
			h := newHarness(t)
			loadLogs(t, h, 3000, 1, flush)
			for _, q := range queries {
				plan := h.mustQuery("EXPLAIN " + q)
				if !strings.Contains(plan, "VectorizedScan") {
					t.Errorf("%s: not vectorized:\n%s", q, plan)
				}
				vec := h.mustQuery(q)
				h.mustQuery(`SET openwit.vectorize = off`)
				row := h.mustQuery(q)
				h.mustQuery(`SET openwit.vectorize = on`)
				if vec != row {
					t.Errorf("%s:\nvectorized:\n%s\nrow engine:\n%s", q, vec, row)
				}
				if vec == "" {
					t.Errorf("%s: no rows", q)
				}
			}
		})
	}
}

// TestVectorizedMemoryLimit: an aggregation over more groups than the
// memory limit allows fails with 53200 and the session keeps working.
func TestVectorizedMemoryLimit(t *testing.T) {
	h := newHarnessConfig(t, planner.Config{QueryMemoryLimit: 64 << 10})
	loadLogs(t, h, 4000, 1, false)
	_, err := h.query(`SELECT ts, count(*) FROM logs GROUP BY ts`)
	if pgerror.Code(err) != pgerror.OutOfMemory {
		t.Fatalf("want SQLSTATE 53200, got %v", err)
	}
	if got := h.mustQuery(`SELECT count(*) FROM logs`); got != "4000" {
		t.Errorf("count after the failed query: %s", got)
	}
}

// TestQueryMemoryLimitSetting: SET openwit.query_memory_limit changes the
// limit of the session's queries, SHOW and RESET follow PostgreSQL's
// memory-setting rules, and bad values are 22023 and change nothing.
func TestQueryMemoryLimitSetting(t *testing.T) {
	h := newHarness(t)
	loadLogs(t, h, 4000, 1, false)
	const q = `SELECT ts, count(*) FROM logs GROUP BY ts`
	if got := h.mustQuery(`SHOW openwit.query_memory_limit`); got != "2GB" {
		t.Errorf("default: %s", got)
	}
	if _, err := h.query(q); err != nil {
		t.Fatalf("under the default limit: %v", err)
	}
	h.mustQuery(`SET openwit.query_memory_limit = '64kB'`)
	if _, err := h.query(q); pgerror.Code(err) != pgerror.OutOfMemory {
		t.Fatalf("with 64kB: want SQLSTATE 53200, got %v", err)
	}
	for _, bad := range []string{`'lots'`, `'-5MB'`, `'1.5GB'`} {
		if _, err := h.query(`SET openwit.query_memory_limit = ` + bad); pgerror.Code(err) != pgerror.InvalidParameterValue {
			t.Errorf("SET %s: want 22023, got %v", bad, err)
		}
	}
	if got := h.mustQuery(`SHOW openwit.query_memory_limit`); got != "64kB" {
		t.Errorf("after bad SETs: %s", got)
	}
	h.mustQuery(`SET openwit.query_memory_limit = 1024`) // kB, as PostgreSQL's work_mem
	if got := h.mustQuery(`SHOW openwit.query_memory_limit`); got != "1MB" {
		t.Errorf("SET 1024: %s", got)
	}
	h.mustQuery(`SET openwit.query_memory_limit = 0`)
	if _, err := h.query(q); err != nil {
		t.Fatalf("without a limit: %v", err)
	}
	h.mustQuery(`RESET openwit.query_memory_limit`)
	if got := h.mustQuery(`SHOW openwit.query_memory_limit`); got != "2GB" {
		t.Errorf("after RESET: %s", got)
	}
}

func TestExplain(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE t (ts timestamptz, v int4)`)
	if _, err := h.query(`EXPLAIN SELECT * FROM nope`); pgerror.Code(err) != pgerror.UndefinedTable {
		t.Errorf("EXPLAIN of an unknown table: want 42P01, got %v", err)
	}
	if _, err := h.query(`EXPLAIN (BUFFERS) SELECT * FROM t`); pgerror.Code(err) != pgerror.FeatureNotSupported {
		t.Errorf("EXPLAIN (BUFFERS): want 0A000, got %v", err)
	}
	if _, err := h.query(`EXPLAIN INSERT INTO t VALUES (now(), 1)`); pgerror.Code(err) != pgerror.FeatureNotSupported {
		t.Errorf("EXPLAIN INSERT: want 0A000, got %v", err)
	}
	if got := h.mustQuery(`SELECT count(*) FROM t`); got != "0" {
		t.Errorf("EXPLAIN ran the statement: %s", got)
	}
}

// TestVectorizeOnlyWhatRuns: a fragment the executor cannot run (a
// numeric division whose quotients may pass 38 digits at one scale, design
// 096; the planner builds it and the executor's compile refuses it) stays
// in the row engine instead of failing.
func TestVectorizeOnlyWhatRuns(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE t (ts timestamptz NOT NULL, n numeric(10,2), v int4)`)
	h.mustQuery(`INSERT INTO t VALUES ('2024-01-01 00:00:00+00', 1.50, 1), ('2024-01-01 00:00:01+00', -2.25, 2)`)
	if plan := h.mustQuery(`EXPLAIN SELECT count(*) FROM t WHERE n / v > 1`); strings.Contains(plan, "VectorizedScan") {
		t.Errorf("numeric(10,2) / int4 vectorized:\n%s", plan)
	}
	if got := h.mustQuery(`SELECT count(*), max(n), min(n) FROM t WHERE n / v > -2`); got != "2|1.50|-2.25" {
		t.Errorf("count, max, min of numeric behind a division: %q", got)
	}
	if plan := h.mustQuery(`EXPLAIN SELECT max(v) FROM t`); !strings.Contains(plan, "VectorizedScan") {
		t.Errorf("max(int4) not vectorized:\n%s", plan)
	}
}
