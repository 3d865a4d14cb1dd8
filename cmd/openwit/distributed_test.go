package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testserver"
)

// queryText runs sql and returns its rows in PostgreSQL's text format, one
// string per row ("NULL" for NULL).
func queryText(tb testing.TB, conn *pgx.Conn, sql string) []string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql, pgx.QueryResultFormats{pgx.TextFormatCode})
	if err != nil {
		tb.Fatalf("%s: %v", abbrev(sql), err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := rows.RawValues()
		cols := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				cols[i] = "NULL"
			} else {
				cols[i] = string(v)
			}
		}
		out = append(out, strings.Join(cols, "|"))
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("%s: %v", abbrev(sql), err)
	}
	return out
}

// TestDistributedQueries runs a coordinator and two search workers as real
// processes sharing one object store, and checks that queries over Parquet
// files answer exactly as a single process over the same rows, with both
// workers running fragments.
func TestDistributedQueries(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	objects := "file://" + filepath.Join(shared, "objects")
	var workers []*testserver.Server
	var addrs []string
	for i := 0; i < 2; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
		workers = append(workers, testserver.Start(t, testserver.Options{Args: []string{
			"--roles", "search", "--search-addr", addr, "--object-store", objects,
		}}))
		addrs = append(addrs, addr)
	}
	coord := testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "gateway,coordinator", "--search-workers", strings.Join(addrs, ","),
		"--object-store", objects, "--flush-age", "10ms",
	}})
	single := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "10ms"}})

	const nRows, batch = 6000, 300
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
	files, fileRows := parquetFiles(t, shared)
	if fileRows != nRows || len(files) < 8 {
		t.Fatalf("the shared object store holds %d rows in %d files, want %d rows in several files", fileRows, len(files), nRows)
	}

	plan := strings.Join(queryText(t, cc, "EXPLAIN SELECT service, count(*) FROM logs GROUP BY service"), "\n")
	if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, "search workers=2") {
		t.Fatalf("the coordinator does not distribute the aggregation:\n%s", plan)
	}

	// The serve test's checked answers, against the generator.
	checkAnswers(t, "distributed", queryAnswers(t, "distributed", cc), expectedAnswers(rows))

	queries := []string{
		"SELECT count(*) FROM logs",
		"SELECT count(*) FROM logs WHERE level = 'error' AND status >= 500",
		"SELECT count(*), count(service), min(ts), max(latency_ms) FROM logs WHERE status = 418",
		"SELECT service, count(*), sum(status), min(latency_ms), max(latency_ms), min(ts), max(ts), count(DISTINCT level), count(DISTINCT status) FROM logs GROUP BY service ORDER BY service",
		"SELECT level, status, count(*), min(service) FROM logs WHERE service <> 'db' GROUP BY level, status ORDER BY level, status",
		"SELECT date_trunc('hour', ts), count(*), count(DISTINCT service) FROM logs GROUP BY 1 ORDER BY 1",
		"SELECT level, percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), percentile_cont(0.9) WITHIN GROUP (ORDER BY status) FROM logs GROUP BY level ORDER BY level",
		"SELECT ts, service, latency_ms FROM logs ORDER BY latency_ms DESC, ts LIMIT 12",
		"SELECT ts, level, status FROM logs WHERE service IS NULL ORDER BY ts LIMIT 5",
		"SELECT ts, service, level, status, latency_ms FROM logs WHERE service = 'db' AND status = 503 ORDER BY ts",
	}
	for _, q := range queries {
		got, want := queryText(t, cc, q), queryText(t, sc, q)
		if len(want) == 0 {
			t.Errorf("%s: no rows on the single process; the query checks nothing", q)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\ndistributed %d rows %q\nsingle      %d rows %q", q, len(got), got, len(want), want)
		}
	}
	// A plain filter without ORDER BY streams from the workers: the same
	// rows in some order.
	q := "SELECT ts, service, latency_ms FROM logs WHERE level = 'warn' AND latency_ms > 1500"
	got, want := queryText(t, cc, q), queryText(t, sc, q)
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("%s:\ndistributed %d rows, single %d rows", q, len(got), len(want))
	}
	if got := queryText(t, cc, "SELECT ts FROM logs WHERE level = 'warn' LIMIT 7"); len(got) != 7 {
		t.Errorf("LIMIT 7 over the workers returned %d rows", len(got))
	}

	for i, w := range workers {
		_, body := httpGet(t, w.HTTPURL()+"/metrics")
		ok, _ := metricValue(body, `openwit_search_fragments_total{code="OK"}`)
		if ok < 1 {
			t.Errorf("search worker %d served %v fragments, want at least 1\n%s", i, ok, w.Log())
		}
		for _, line := range strings.Split(body, "\n") {
			// A LIMIT satisfied early cancels the other streams.
			if strings.HasPrefix(line, "openwit_search_fragments_total{") &&
				!strings.Contains(line, `code="OK"`) && !strings.Contains(line, `code="Canceled"`) {
				t.Errorf("search worker %d: %s", i, line)
			}
		}
	}
}
