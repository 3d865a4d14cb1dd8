package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testserver"
)

// logRow is one generated row of the logs table; nil pointers are NULLs.
type logRow struct {
	ts      time.Time
	service *string
	level   *string
	status  *int32
	latency float64
}

const logsDDL = `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int, latency_ms float8)`

// logsBase is the start of the generated time range. Rows spread over three
// hours from 00:20, so they fall in four 1h time shards.
var logsBase = time.Date(2024, 3, 1, 0, 20, 0, 0, time.UTC)

// genLogs returns n deterministic pseudo-random rows.
func genLogs(n int) []logRow {
	r := rand.New(rand.NewPCG(20240301, 7))
	services := []string{"api", "auth", "db", "queue", "web"}
	levels := []string{"debug", "error", "info", "warn"}
	statuses := []int32{200, 201, 204, 301, 404, 429, 500, 503}
	ptr := func(s string) *string { return &s }
	rows := make([]logRow, n)
	for i := range rows {
		row := logRow{
			ts:      logsBase.Add(time.Duration(r.Int64N(int64(3*time.Hour/time.Microsecond))) * time.Microsecond),
			latency: float64(r.IntN(2_000_000)) / 1000,
		}
		if r.IntN(50) != 0 { // ~2% NULL services
			row.service = ptr(services[r.IntN(len(services))])
		}
		if r.IntN(40) != 0 {
			row.level = ptr(levels[r.IntN(len(levels))])
		}
		if r.IntN(30) != 0 {
			st := statuses[r.IntN(len(statuses))]
			row.status = &st
		}
		rows[i] = row
	}
	return rows
}

func sqlText(s *string) string {
	if s == nil {
		return "NULL"
	}
	return "'" + strings.ReplaceAll(*s, "'", "''") + "'"
}

// insertSQL renders rows as one multi-row INSERT with literal values.
func insertSQL(rows []logRow) string {
	var b strings.Builder
	b.WriteString("INSERT INTO logs (ts, service, level, status, latency_ms) VALUES ")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		status := "NULL"
		if r.status != nil {
			status = strconv.Itoa(int(*r.status))
		}
		fmt.Fprintf(&b, "('%s', %s, %s, %s, %s)", r.ts.Format("2006-01-02 15:04:05.999999Z07:00"),
			sqlText(r.service), sqlText(r.level), status, strconv.FormatFloat(r.latency, 'f', -1, 64))
	}
	return b.String()
}

func nullKey(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// byNullable orders keys like PostgreSQL's ORDER BY ... ASC: NULLs last.
func byNullable(a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}

// logsAnswers holds the expected (or actual) answers of the checked queries,
// rendered as text so a mismatch prints readably.
type logsAnswers struct {
	count      int64
	byLevel    []string
	latencySum []float64 // per byLevel row
	byService  []string
	window     int64           // rows with ts in [logsBase+50m, logsBase+130m)
	errors5xx  int64           // level = 'error' AND status >= 500
	failed     map[string]bool // queries that failed (actual answers only)
}

func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func expectedAnswers(rows []logRow) logsAnswers {
	type levelAgg struct {
		n   int64
		sum float64
	}
	type serviceAgg struct {
		sum      int64
		min, max time.Time
	}
	levels := map[string]*levelAgg{}
	services := map[string]*serviceAgg{}
	var levelKeys, serviceKeys []*string
	var a logsAnswers
	lo, hi := logsBase.Add(50*time.Minute), logsBase.Add(130*time.Minute)
	for _, r := range rows {
		a.count++
		lk := nullKey(r.level)
		if levels[lk] == nil {
			levels[lk] = &levelAgg{}
			levelKeys = append(levelKeys, r.level)
		}
		levels[lk].n++
		levels[lk].sum += r.latency
		sk := nullKey(r.service)
		sa := services[sk]
		if sa == nil {
			sa = &serviceAgg{min: r.ts, max: r.ts}
			services[sk] = sa
			serviceKeys = append(serviceKeys, r.service)
		}
		if r.status != nil {
			sa.sum += int64(*r.status)
		}
		if r.ts.Before(sa.min) {
			sa.min = r.ts
		}
		if r.ts.After(sa.max) {
			sa.max = r.ts
		}
		if !r.ts.Before(lo) && r.ts.Before(hi) {
			a.window++
		}
		if r.level != nil && *r.level == "error" && r.status != nil && *r.status >= 500 {
			a.errors5xx++
		}
	}
	slices.SortFunc(levelKeys, byNullable)
	slices.SortFunc(serviceKeys, byNullable)
	for _, k := range levelKeys {
		l := levels[nullKey(k)]
		a.byLevel = append(a.byLevel, fmt.Sprintf("%s|%d", nullKey(k), l.n))
		a.latencySum = append(a.latencySum, l.sum)
	}
	for _, k := range serviceKeys {
		s := services[nullKey(k)]
		a.byService = append(a.byService, fmt.Sprintf("%s|%d|%s|%s", nullKey(k), s.sum, timeText(s.min), timeText(s.max)))
	}
	return a
}

// queryAnswers runs the checked queries. A failing query is reported and
// its answer left out of the comparison, so one run shows every problem.
func queryAnswers(tb testing.TB, when string, conn *pgx.Conn) logsAnswers {
	tb.Helper()
	a := logsAnswers{failed: map[string]bool{}}
	run := func(name, sql string, scan func(pgx.Rows) error, args ...any) {
		tb.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		rows, err := conn.Query(ctx, sql, args...)
		if err == nil {
			for rows.Next() {
				if err = scan(rows); err != nil {
					break
				}
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		if err != nil {
			a.failed[name] = true
			tb.Errorf("%s: %s: %v", when, sql, err)
		}
	}
	run("count", "SELECT count(*) FROM logs", func(r pgx.Rows) error { return r.Scan(&a.count) })
	run("byLevel", "SELECT level, count(*), sum(latency_ms) FROM logs GROUP BY level ORDER BY level", func(r pgx.Rows) error {
		var (
			level *string
			n     int64
			sum   float64
		)
		if err := r.Scan(&level, &n, &sum); err != nil {
			return err
		}
		a.byLevel = append(a.byLevel, fmt.Sprintf("%s|%d", nullKey(level), n))
		a.latencySum = append(a.latencySum, sum)
		return nil
	})
	run("byService", "SELECT service, sum(status), min(ts), max(ts) FROM logs GROUP BY service ORDER BY service", func(r pgx.Rows) error {
		var (
			service  *string
			sum      int64
			min, max time.Time
		)
		if err := r.Scan(&service, &sum, &min, &max); err != nil {
			return err
		}
		a.byService = append(a.byService, fmt.Sprintf("%s|%d|%s|%s", nullKey(service), sum, timeText(min), timeText(max)))
		return nil
	})
	run("window", "SELECT count(*) FROM logs WHERE ts >= $1 AND ts < $2", func(r pgx.Rows) error { return r.Scan(&a.window) },
		logsBase.Add(50*time.Minute), logsBase.Add(130*time.Minute))
	run("errors5xx", "SELECT count(*) FROM logs WHERE level = 'error' AND status >= 500", func(r pgx.Rows) error { return r.Scan(&a.errors5xx) })
	return a
}

func checkAnswers(tb testing.TB, when string, got, want logsAnswers) {
	tb.Helper()
	if !got.failed["count"] && got.count != want.count {
		tb.Errorf("%s: count(*) = %d, want %d", when, got.count, want.count)
	}
	if got.failed["byLevel"] {
		// reported by queryAnswers
	} else if !slices.Equal(got.byLevel, want.byLevel) {
		tb.Errorf("%s: level, count(*):\ngot  %q\nwant %q", when, got.byLevel, want.byLevel)
	} else {
		for i := range want.latencySum {
			if g, w := got.latencySum[i], want.latencySum[i]; math.Abs(g-w) > 1e-9*math.Abs(w) {
				tb.Errorf("%s: sum(latency_ms) of %s = %v, want %v", when, want.byLevel[i], g, w)
			}
		}
	}
	if !got.failed["byService"] && !slices.Equal(got.byService, want.byService) {
		tb.Errorf("%s: service, sum(status), min(ts), max(ts):\ngot  %q\nwant %q", when, got.byService, want.byService)
	}
	if !got.failed["window"] && got.window != want.window {
		tb.Errorf("%s: count(*) in the time window = %d, want %d", when, got.window, want.window)
	}
	if !got.failed["errors5xx"] && got.errors5xx != want.errors5xx {
		tb.Errorf("%s: count(*) of 5xx errors = %d, want %d", when, got.errors5xx, want.errors5xx)
	}
}

func TestServeInsertQueryRestart(t *testing.T) {
	t.Parallel()
	const nRows, batch = 10_000, 500
	rows := genLogs(nRows)
	want := expectedAnswers(rows)
	if len(want.byLevel) != 5 || len(want.byService) != 6 {
		t.Fatalf("generator should produce 4 levels and 5 services plus NULL: %q %q", want.byLevel, want.byService)
	}

	tests := []struct {
		name string
		args []string
		// parquetFirst: wait until every row is in Parquet before querying.
		parquetFirst bool
	}{
		{"flush-age 200ms", []string{"--flush-age", "200ms"}, true},
		{"default flush", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.Start(t, testserver.Options{Args: tt.args})
			conn := testserver.Connect(t, s.DSN())
			mustExec(t, conn, logsDDL)
			for i := 0; i < nRows; i += batch {
				mustExec(t, conn, insertSQL(rows[i:i+batch]))
			}
			if tt.parquetFirst {
				waitMetric(t, s.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })
			} else {
				_, body := httpGet(t, s.HTTPURL()+"/metrics")
				if v, _ := metricValue(body, "openwit_ingest_buffered_rows"); v != nRows {
					t.Logf("note: %v of %d rows still buffered before the first queries", v, nRows)
				}
			}
			checkAnswers(t, "before restart", queryAnswers(t, "before restart", conn), want)
			conn.Close(t.Context())

			s.Stop()
			files, fileRows := parquetFiles(t, s.DataDir)
			if len(files) == 0 {
				t.Fatalf("no .parquet file under %s/objects after SIGTERM", s.DataDir)
			}
			if fileRows != nRows {
				t.Errorf("Parquet files hold %d rows after SIGTERM, want %d (every row flushed once): %q", fileRows, nRows, files)
			}
			shards := map[string]bool{}
			for _, f := range files {
				shards[filepath.Dir(f)] = true
			}
			if len(shards) != 4 {
				t.Errorf("Parquet files are in %d shard directories, want 4 (rows span 00:20 to 03:20 in 1h shards): %q", len(shards), files)
			}

			s.Restart()
			_, body := httpGet(t, s.HTTPURL()+"/metrics")
			if v, ok := metricValue(body, "openwit_ingest_buffered_rows"); !ok || v != 0 {
				t.Errorf("after a clean restart openwit_ingest_buffered_rows = %v (found %v), want 0: published rows were replayed from the WAL", v, ok)
			}
			conn = testserver.Connect(t, s.DSN())
			checkAnswers(t, "after restart", queryAnswers(t, "after restart", conn), want)
		})
	}
}
