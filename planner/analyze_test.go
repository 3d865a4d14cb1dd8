package planner_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"openwit/internal/pgerror"
)

// analyzed is what EXPLAIN ANALYZE says about a query's one vectorized
// scan.
type analyzed struct {
	plan                                          string
	rows, loops                                   int64 // the scan node's actual rows and loops
	files, pruned, byTime, byZone, byBloom, byFTS int64
	scanned, indexed                              int64
	rgIndex, rgPruned, rgRead, rgScanPruned       int64
	rowsScanned, rowsOut                          int64
	bytesRead, bytesStore, bytesCache             int64
	fragments                                     int
}

var (
	actualRE    = regexp.MustCompile(`VectorizedScan\(.*\) \(actual rows=(\d+) loops=(\d+) time=[0-9.]+ ms\)`)
	filesLineRE = regexp.MustCompile(`files: (\d+) considered, (\d+) pruned \(time (\d+), zone map (\d+), bloom (\d+), full-text (\d+)\), (\d+) scanned; (\d+) with index artifacts`)
	rgLineRE    = regexp.MustCompile(`row groups: (\d+) considered by the index, (\d+) pruned \(zone map \d+, bloom \d+, full-text \d+\); (\d+) read, (\d+) pruned by the scan`)
	rowsLineRE  = regexp.MustCompile(`rows: (\d+) scanned, (\d+) returned by the fragments`)
	bytesLineRE = regexp.MustCompile(`bytes: (\d+) read \(object store (\d+), cache (\d+)\)`)
	execTimeRE  = regexp.MustCompile(`(?m)^Execution Time: [0-9]+\.[0-9]{3} ms$`)
)

func parseAnalyze(t *testing.T, plan string) analyzed {
	t.Helper()
	a := analyzed{plan: plan, fragments: strings.Count(plan, "fragment ")}
	nums := func(re *regexp.Regexp, dst ...*int64) {
		m := re.FindStringSubmatch(plan)
		if m == nil {
			t.Fatalf("EXPLAIN ANALYZE lacks %s:\n%s", re, plan)
		}
		for i, d := range dst {
			*d, _ = strconv.ParseInt(m[i+1], 10, 64)
		}
	}
	nums(actualRE, &a.rows, &a.loops)
	nums(filesLineRE, &a.files, &a.pruned, &a.byTime, &a.byZone, &a.byBloom, &a.byFTS, &a.scanned, &a.indexed)
	nums(rgLineRE, &a.rgIndex, &a.rgPruned, &a.rgRead, &a.rgScanPruned)
	nums(rowsLineRE, &a.rowsScanned, &a.rowsOut)
	nums(bytesLineRE, &a.bytesRead, &a.bytesStore, &a.bytesCache)
	if !execTimeRE.MatchString(plan) || !strings.HasPrefix(plan[strings.LastIndex(plan[:len(plan)-1], "\n")+1:], "Execution Time:") {
		t.Errorf("EXPLAIN ANALYZE does not end with Execution Time:\n%s", plan)
	}
	return a
}

// TestExplainAnalyze: EXPLAIN ANALYZE runs the query and reports exact
// counters of the run over 12 files of 500 rows (one row group each) with
// index artifacts: files pruned by time, Bloom filter and trigrams, rows
// scanned and returned, bytes read.
func TestExplainAnalyze(t *testing.T) {
	h := newHarness(t)
	loadTraces(t, h, 6000)
	cases := []struct {
		name, query                                       string
		rows                                              int64 // the scan node returns
		byTime, byZone, byBloom, byFTS, rowsScanned, outs int64
	}{
		{"needle", `SELECT count(*) FROM traces WHERE trace_id = '` + traceID(4321) + `'`, 1, 0, 0, 11, 0, 500, 1},
		// Time bounds are inclusive: the file starting at 05:00 is
		// left to its zone map.
		{"time", `SELECT count(*) FROM traces WHERE ts >= '2024-01-01 03:00:00+00' AND ts < '2024-01-01 05:00:00+00'`, 1, 9, 1, 0, 0, 1000, 1},
		// Rows scanned are the candidate rows the token postings leave
		// (design 033): the scan reads no other.
		{"postings", `SELECT trace_id FROM traces WHERE message LIKE '%Lock detected on table t4507%'`, 1, 0, 0, 0, 11, 1, 1},
		{"scan", `SELECT trace_id, message FROM traces WHERE message ILIKE '%deadlock%'`, 12, 0, 0, 0, 0, 12, 12},
		{"scan all", `SELECT trace_id, message FROM traces WHERE message LIKE '% %'`, 6000, 0, 0, 0, 0, 6000, 6000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := parseAnalyze(t, h.mustQuery(`EXPLAIN ANALYZE `+c.query))
			if a.rows != c.rows || a.loops != 1 {
				t.Errorf("actual rows=%d loops=%d, want rows=%d loops=1\n%s", a.rows, a.loops, c.rows, a.plan)
			}
			if a.files != 12 || a.byTime != c.byTime || a.byBloom != c.byBloom || a.byFTS != c.byFTS || a.byZone != c.byZone ||
				a.pruned != c.byTime+c.byZone+c.byBloom+c.byFTS || a.scanned != 12-a.pruned {
				t.Errorf("want pruned by time %d, zone map %d, bloom %d, full-text %d\n%s", c.byTime, c.byZone, c.byBloom, c.byFTS, a.plan)
			}
			if a.indexed != 12-c.byTime {
				t.Errorf("%d files with index artifacts, want %d", a.indexed, 12-c.byTime)
			}
			if a.rowsScanned != c.rowsScanned || a.rowsOut != c.outs {
				t.Errorf("rows scanned %d, returned %d; want %d, %d\n%s", a.rowsScanned, a.rowsOut, c.rowsScanned, c.outs, a.plan)
			}
			if a.rgRead != a.scanned || a.rgScanPruned != 0 {
				t.Errorf("row groups read %d, pruned by the scan %d; want %d, 0", a.rgRead, a.rgScanPruned, a.scanned)
			}
			if a.bytesRead <= 0 || a.bytesStore != a.bytesRead || a.bytesCache != 0 {
				t.Errorf("bytes %d read, %d from the store, %d from a cache", a.bytesRead, a.bytesStore, a.bytesCache)
			}
			if a.fragments != 1 || !strings.Contains(a.plan, "fragment 1: coordinator: files="+strconv.FormatInt(a.scanned, 10)) {
				t.Errorf("want one fragment on the coordinator:\n%s", a.plan)
			}
		})
	}
	// The same rows as the query itself.
	if got := h.mustQuery(`SELECT count(*) FROM traces WHERE message ILIKE '%deadlock%'`); got != "12" {
		t.Errorf("count = %s, want 12", got)
	}
	// Option spellings; ANALYZE off is plain EXPLAIN.
	q := `SELECT count(*) FROM traces WHERE trace_id = '` + traceID(4321) + `'`
	parseAnalyze(t, h.mustQuery(`EXPLAIN (ANALYZE) `+q))
	parseAnalyze(t, h.mustQuery(`EXPLAIN (ANALYZE true, TIMING off) `+q))
	if plan := h.mustQuery(`EXPLAIN (ANALYZE false) ` + q); strings.Contains(plan, "actual") || strings.Contains(plan, "Execution Time") {
		t.Errorf("EXPLAIN (ANALYZE false) ran the query:\n%s", plan)
	}
	// FORMAT JSON: the same counters, machine-readable.
	var doc []struct {
		PlanText      []string `json:"Plan Text"`
		ExecutionTime float64  `json:"Execution Time"`
		Scans         []struct {
			Table       string           `json:"Table"`
			ActualRows  int64            `json:"Actual Rows"`
			RowsScanned int64            `json:"Rows Scanned"`
			FilesMap    map[string]int   `json:"Files"`
			Fragments   []map[string]any `json:"Fragments"`
		} `json:"Scans"`
	}
	out := h.mustQuery(`EXPLAIN (ANALYZE, FORMAT JSON) ` + q)
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("FORMAT JSON: %v\n%s", err, out)
	}
	if len(doc) != 1 || len(doc[0].Scans) != 1 || len(doc[0].PlanText) == 0 || doc[0].ExecutionTime <= 0 {
		t.Fatalf("FORMAT JSON: %s", out)
	}
	if s := doc[0].Scans[0]; s.Table != "traces" || s.ActualRows != 1 || s.RowsScanned != 500 || s.FilesMap["Considered"] != 12 ||
		s.FilesMap["Pruned By Bloom"] != 11 || s.FilesMap["With Index Artifacts"] != 12 || len(s.Fragments) != 1 || s.Fragments[0]["Worker"] != "" {
		t.Errorf("FORMAT JSON scan: %+v\n%s", s, out)
	}
	for _, c := range []struct{ sql, code string }{
		{`EXPLAIN (FORMAT JSON) ` + q, pgerror.FeatureNotSupported},
		{`EXPLAIN ANALYZE INSERT INTO traces VALUES (now(), 'x', 1, 'y')`, pgerror.FeatureNotSupported},
		{`EXPLAIN ANALYZE CREATE TABLE u AS SELECT 1`, pgerror.FeatureNotSupported},
		{`EXPLAIN ANALYZE SELECT * FROM nope`, pgerror.UndefinedTable},
		{`EXPLAIN (ANALYZE maybe) SELECT 1`, pgerror.SyntaxError},
		{`EXPLAIN (ANALYZE, FORMAT YAML) SELECT 1`, pgerror.FeatureNotSupported},
		{`EXPLAIN ANALYZE SELECT count(*) FROM traces WHERE 1 / (status - 200) = 1`, pgerror.DivisionByZero},
	} {
		if _, err := h.query(c.sql); pgerror.Code(err) != c.code {
			t.Errorf("%s: want %s, got %v", c.sql, c.code, err)
		}
	}
	if got := h.mustQuery(`SELECT count(*) FROM traces`); got != "6000" {
		t.Errorf("EXPLAIN ANALYZE INSERT wrote: count = %s", got)
	}
}
