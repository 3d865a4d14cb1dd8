package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testserver"
	"openwit/search"
)

// explainTraceID is row j's trace id: unique, in no order (zone maps
// cannot prune it).
func explainTraceID(j int) string { return fmt.Sprintf("tr-%08x", uint32(j)*2654435761) }

// loadExplainTraces creates traces (a Bloom filter on trace_id) and
// inserts files×per rows, one INSERT per hour of 2024-01-01, so that
// every hourly shard becomes one file; it waits for the files.
func loadExplainTraces(t *testing.T, conn *pgx.Conn, srv *testserver.Server, files, per int) {
	t.Helper()
	mustExec(t, conn, `CREATE TABLE traces (ts timestamptz NOT NULL, trace_id text, status int4, message text) WITH (bloom_columns = 'trace_id')`)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for f := 0; f < files; f++ {
		var b strings.Builder
		b.WriteString("INSERT INTO traces VALUES ")
		for i := 0; i < per; i++ {
			j := f*per + i
			if i > 0 {
				b.WriteString(",")
			}
			ts := start.Add(time.Duration(f)*time.Hour + time.Duration(i)*time.Second)
			msg := "request served"
			if j%250 == 7 {
				msg = fmt.Sprintf("DeadLock detected on table t%d", j)
			}
			fmt.Fprintf(&b, "('%s', '%s', %d, '%s')", ts.Format(time.RFC3339), explainTraceID(j), 200+j%3, msg)
		}
		mustExec(t, conn, b.String())
	}
	waitMetric(t, srv.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })
}

var (
	e2eActualRE   = regexp.MustCompile(`VectorizedScan\(.*search workers=2.*\) \(actual rows=(\d+) loops=1 time=[0-9.]+ ms\)`)
	e2eFilesRE    = regexp.MustCompile(`files: (\d+) considered, (\d+) pruned \(time (\d+), zone map (\d+), bloom (\d+), full-text (\d+)\), (\d+) scanned; (\d+) with index artifacts`)
	e2eRowsRE     = regexp.MustCompile(`rows: (\d+) scanned, (\d+) returned by the fragments`)
	e2eBytesRE    = regexp.MustCompile(`bytes: (\d+) read \(object store (\d+), cache (\d+)\)`)
	e2eFragmentRE = regexp.MustCompile(`fragment \d+: worker (\S+): files=(\d+), row groups=\d+ read, \d+ pruned by the scan, rows scanned=(\d+), rows returned=(\d+), bytes read=(\d+) \(object store \d+, cache (\d+)\), worker time=[0-9.]+ ms, time=[0-9.]+ ms`)
)

// deadlocks is how many of the first n rows loadExplainTraces writes say
// "DeadLock".
func deadlocks(n int) int {
	k := 0
	for j := 0; j < n; j++ {
		if j%250 == 7 {
			k++
		}
	}
	return k
}

// analyzeBytes runs EXPLAIN ANALYZE of q and returns its bytes line: read,
// from the object store, from a cache.
func analyzeBytes(t *testing.T, conn *pgx.Conn, q string) (read, store, cached int64) {
	t.Helper()
	plan := strings.Join(queryText(t, conn, "EXPLAIN ANALYZE "+q), "\n")
	m := e2eBytesRE.FindStringSubmatch(plan)
	if m == nil {
		t.Fatalf("EXPLAIN ANALYZE shows no bytes:\n%s", plan)
	}
	return atoi(m[1]), atoi(m[2]), atoi(m[3])
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// pgCode returns the SQLSTATE of a PostgreSQL error, "" for anything else.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// e2eAnalyzed is EXPLAIN ANALYZE's account of one distributed scan.
type e2eAnalyzed struct {
	rows                                   int64
	files, byTime, byZone, byBloom, byFTS  int64
	rowsScanned, rowsOut, bytes, cache     int64
	fragments                              int
	fragRows, fragOut, fragBytes, fragFile int64
	workers                                map[string]int64 // rows scanned per worker
}

func parseE2EAnalyze(t *testing.T, plan string) e2eAnalyzed {
	t.Helper()
	find := func(re *regexp.Regexp) []string {
		m := re.FindStringSubmatch(plan)
		if m == nil {
			t.Fatalf("EXPLAIN ANALYZE lacks %s:\n%s", re, plan)
		}
		return m
	}
	a := e2eAnalyzed{workers: map[string]int64{}}
	a.rows = atoi(find(e2eActualRE)[1])
	m := find(e2eFilesRE)
	a.files, a.byTime, a.byZone, a.byBloom, a.byFTS = atoi(m[1]), atoi(m[3]), atoi(m[4]), atoi(m[5]), atoi(m[6])
	m = find(e2eRowsRE)
	a.rowsScanned, a.rowsOut = atoi(m[1]), atoi(m[2])
	m = find(e2eBytesRE)
	a.bytes, a.cache = atoi(m[1]), atoi(m[3])
	for _, f := range e2eFragmentRE.FindAllStringSubmatch(plan, -1) {
		a.fragments++
		a.fragFile += atoi(f[2])
		a.fragRows += atoi(f[3])
		a.fragOut += atoi(f[4])
		a.fragBytes += atoi(f[5])
		a.workers[f[1]] += atoi(f[3])
	}
	if n := strings.Count(plan, "fragment "); n != a.fragments {
		t.Errorf("%d fragment lines, %d of them on a worker with stats:\n%s", n, a.fragments, plan)
	}
	if !regexp.MustCompile(`\nExecution Time: [0-9]+\.[0-9]{3} ms$`).MatchString(plan) {
		t.Errorf("EXPLAIN ANALYZE does not end with Execution Time:\n%s", plan)
	}
	return a
}

// TestExplainAnalyzeDistributed: a coordinator and two search workers as
// real processes; EXPLAIN ANALYZE reports the files the coordinator pruned
// by Bloom filter, time and trigrams, and the counters each worker sent
// back with its fragment, which add up to the totals and to the query's
// own answers. Over Flight SQL (ADBC) it returns the same text rows.
func TestExplainAnalyzeDistributed(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	objects := "file://" + filepath.Join(shared, "objects")
	var addrs []string
	for i := 0; i < 2; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
		testserver.Start(t, testserver.Options{Args: []string{
			"--roles", "search", "--search-addr", addr, "--object-store", objects,
		}})
		addrs = append(addrs, addr)
	}
	coord := testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "gateway,coordinator", "--search-workers", strings.Join(addrs, ","),
		"--object-store", objects, "--flush-age", "10ms",
	}})
	conn := testserver.Connect(t, coord.DSN())
	const nFiles, per = 8, 500
	loadExplainTraces(t, conn, coord, nFiles, per)
	if files, rows := parquetFiles(t, shared); len(files) != nFiles || rows != nFiles*per {
		t.Fatalf("%d files of %d rows, want %d of %d", len(files), rows, nFiles, nFiles*per)
	}
	analyze := func(q string) e2eAnalyzed {
		return parseE2EAnalyze(t, strings.Join(queryText(t, conn, "EXPLAIN ANALYZE "+q), "\n"))
	}

	// count(*) of every row comes from the catalog: no fragment reads a
	// file, no worker is asked.
	if plan := strings.Join(queryText(t, conn, "EXPLAIN ANALYZE SELECT count(*) FROM traces"), "\n"); !strings.Contains(plan,
		fmt.Sprintf("count(*) from the catalog: %d files' row counts", nFiles)) || !strings.Contains(plan, "fragment 1: coordinator: files=0,") ||
		strings.Contains(plan, "fragment 2:") {
		t.Errorf("count(*) read files:\n%s", plan)
	}
	// A full count of a column: every file on its owner, the workers'
	// counters add up.
	a := analyze(`SELECT count(status) FROM traces`)
	if a.files != nFiles || a.byTime+a.byZone+a.byBloom+a.byFTS != 0 || a.rows != 1 {
		t.Errorf("full count: %+v", a)
	}
	// One fragment per worker owning a file under rendezvous hashing (both
	// workers, unless all 8 files hash to one: 1 run in 128).
	files, _ := parquetFiles(t, shared)
	owners := map[string]bool{}
	for _, f := range files {
		owners[search.Pick(strings.TrimSuffix(filepath.Base(f), ".parquet"), addrs)] = true
	}
	if a.fragments != len(owners) || len(a.workers) != len(owners) || a.fragFile != nFiles {
		t.Errorf("full count: %d fragments over workers %v (files %d), want one per owner of %v", a.fragments, a.workers, a.fragFile, owners)
	}
	for w := range a.workers {
		if !slices.Contains(addrs, w) {
			t.Errorf("fragment on %s, not a worker of %v", w, addrs)
		}
	}
	if a.rowsScanned != nFiles*per || a.fragRows != a.rowsScanned || a.fragOut != a.rowsOut || a.rowsOut != int64(len(owners)) ||
		a.fragBytes != a.bytes || a.bytes <= 0 || a.cache != 0 {
		t.Errorf("full count: totals %+v do not add the fragments' counters", a)
	}

	// A needle: 7 of 8 files pruned by the Bloom filter, one fragment.
	needle := explainTraceID(5*per + 123)
	a = analyze(`SELECT count(*) FROM traces WHERE trace_id = '` + needle + `'`)
	if a.files != nFiles || a.byBloom != nFiles-1 || a.byTime+a.byZone+a.byFTS != 0 {
		t.Errorf("needle: files %+v, want %d pruned by bloom", a, nFiles-1)
	}
	if a.fragments != 1 || a.fragFile != 1 || a.rowsScanned != per || a.rowsOut != 1 || a.rows != 1 {
		t.Errorf("needle: %+v, want one fragment of one file scanning %d rows", a, per)
	}
	if got := queryText(t, conn, `SELECT count(*) FROM traces WHERE trace_id = '`+needle+`'`); !slices.Equal(got, []string{"1"}) {
		t.Errorf("needle count %v", got)
	}

	// A time range: 3 of 8 hourly files kept (the bounds are inclusive,
	// the file starting at 05:00 is ruled out by its zone map).
	a = analyze(`SELECT count(*) FROM traces WHERE ts >= '2024-01-01 02:00:00+00' AND ts < '2024-01-01 05:00:00+00'`)
	if a.byTime+a.byZone != nFiles-3 || a.fragFile != 3 || a.rowsScanned != 3*per {
		t.Errorf("time range: %+v, want 3 files scanned", a)
	}

	// A plain scan by trigrams: one fragment per kept file, and the scan
	// node returns exactly the query's rows.
	q := `SELECT trace_id FROM traces WHERE message LIKE '%Lock detected on table t1257%'`
	a = analyze(q)
	if a.byFTS != nFiles-1 || a.fragments != 1 || a.rows != 1 || a.rowsOut != 1 {
		t.Errorf("LIKE: %+v, want %d files pruned by full-text and 1 row", a, nFiles-1)
	}
	// A word the token postings hold: each fragment scans only its
	// candidate rows, which for one whole word are the matches.
	q = `SELECT trace_id FROM traces WHERE message LIKE '%DeadLock%'`
	a = analyze(q)
	want := int64(len(queryText(t, conn, q)))
	if want != int64(deadlocks(nFiles*per)) || a.rows != want || a.rowsOut != want || a.fragments != nFiles || a.rowsScanned != want {
		t.Errorf("LIKE scan: %+v, want %d rows from %d fragments", a, want, nFiles)
	}

	// Errors are the query's errors; INSERT is refused.
	for _, c := range []struct{ sql, code string }{
		{`EXPLAIN ANALYZE SELECT count(*) FROM traces WHERE 1 / (status - 200) = 1`, "22012"},
		{`EXPLAIN ANALYZE INSERT INTO traces VALUES (now(), 'x', 1, 'y')`, "0A000"},
	} {
		if _, err := conn.Exec(context.Background(), c.sql); pgCode(err) != c.code {
			t.Errorf("%s: want %s, got %v", c.sql, c.code, err)
		}
	}

	// Flight SQL: the same text rows, one column.
	db, err := adbcfsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
		adbc.OptionKeyURI: fmt.Sprintf("grpc://127.0.0.1:%d", coord.FlightPort)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cn, err := db.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	st, err := cn.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery(`EXPLAIN ANALYZE SELECT count(*) FROM traces WHERE trace_id = '` + needle + `'`); err != nil {
		t.Fatal(err)
	}
	rdr, _, err := st.ExecuteQuery(context.Background())
	if err != nil {
		t.Fatalf("EXPLAIN ANALYZE over Flight SQL: %v", err)
	}
	var lines []string
	for rdr.Next() {
		col := rdr.RecordBatch().Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			lines = append(lines, col.Value(i))
		}
	}
	rdr.Release()
	a = parseE2EAnalyze(t, strings.Join(lines, "\n"))
	if a.byBloom != nFiles-1 || a.rowsScanned != per || a.rows != 1 {
		t.Errorf("over Flight SQL: %+v", a)
	}
}
