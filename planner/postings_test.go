package planner_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"openwit/planner"
)

// countedRE matches EXPLAIN ANALYZE's line on a count(*) taken from token postings.
var countedRE = regexp.MustCompile(`count\(\*\) from token postings: (\d+) files, (\d+) row groups, (\d+) rows counted without reading data`)

// TestCountFromPostings: a count(*) whose filter the token postings
// answer exactly (LIKE and ILIKE '%word%') is counted from the artifacts
// without reading a data file, EXPLAIN ANALYZE says so, and every count
// equals the count without artifacts, also with rows still in the ingest
// buffers and for filters the postings only narrow.
func TestCountFromPostings(t *testing.T) {
	h := newHarness(t)
	loadTraces(t, h, 6000)
	plain := newHarnessConfig(t, planner.Config{IndexCacheBytes: -1})
	loadTraces(t, plain, 6000)
	cases := []struct {
		where   string
		counted bool // answered from the postings alone
	}{
		{`message LIKE '%Lock%'`, true},
		{`message LIKE '%lock%'`, true},
		{`message ILIKE '%deadlock%'`, true},
		{`message LIKE '%ache%'`, true},
		{`message LIKE '%t45%'`, true},
		{`message LIKE '%Lock%' OR message LIKE '%miss%'`, true},
		{`message LIKE '%Lock%' AND message LIKE '%table%'`, true},
		{`message LIKE '%Lock detected%'`, false},
		{`message LIKE 'DeadLock%'`, false},
		{`message LIKE '%4507%'`, false}, // digits only: not in the vocabulary
		{`match(message, 'deadlock')`, false},
		{`message LIKE '%Lock%' AND status = 201`, false},
	}
	check := func(when string) {
		for _, c := range cases {
			q := `SELECT count(*) FROM traces WHERE ` + c.where
			got, want := h.mustQuery(q), plain.mustQuery(q)
			if got != want {
				t.Errorf("%s %s: %s with artifacts, %s without", when, c.where, got, want)
			}
			plan := h.mustQuery(`EXPLAIN ANALYZE ` + q)
			m := countedRE.FindStringSubmatch(plan)
			if !c.counted {
				if m != nil {
					t.Errorf("%s %s: counted from postings:\n%s", when, c.where, plan)
				}
				continue
			}
			// Every file is counted or pruned; none is read.
			if (m == nil && want != "0") || !strings.Contains(plan, ", 0 scanned;") || !strings.Contains(plan, "bytes: 0 read") {
				t.Errorf("%s %s: not answered from the postings alone:\n%s", when, c.where, plan)
			}
		}
	}
	check("flushed")
	// Rows in the ingest buffers are scanned and added to the count.
	for _, x := range []*harness{h, plain} {
		x.mustQuery(`INSERT INTO traces VALUES ('2024-01-01 06:00:00+00', 'extra', 200, 'DeadLock cache miss')`)
	}
	check("buffered")
	if got := h.mustQuery(`SELECT count(*) FROM traces WHERE message LIKE '%Lock%'`); got != fmt.Sprint(12+1) {
		t.Errorf("count = %s, want 13", got)
	}
}

// TestCountFromCatalog: count(*) without a filter takes every file's row
// count from the catalog and opens none; rows in the ingest buffers are
// still counted, and a filter or a GROUP BY reads the files again.
func TestCountFromCatalog(t *testing.T) {
	h := newHarness(t)
	loadTraces(t, h, 6000)
	if got := h.mustQuery(`SELECT count(*) FROM traces`); got != "6000" {
		t.Fatalf("count = %s, want 6000", got)
	}
	plan := h.mustQuery(`EXPLAIN ANALYZE SELECT count(*) FROM traces`)
	if !strings.Contains(plan, "count(*) from the catalog: ") || !strings.Contains(plan, ", 0 scanned;") || !strings.Contains(plan, "bytes: 0 read") {
		t.Errorf("count(*) opened files:\n%s", plan)
	}
	h.mustQuery(`INSERT INTO traces VALUES ('2024-01-01 06:00:00+00', 'extra', 200, 'buffered')`)
	if got := h.mustQuery(`SELECT count(*), count(*) FROM traces`); got != "6001|6001" {
		t.Errorf("count with a buffered row = %s, want 6001 twice", got)
	}
	for q, want := range map[string]string{
		`SELECT count(*) FROM traces WHERE status = 200`:                  "2001",
		`SELECT count(*) FROM traces WHERE ts < '2024-01-01 06:00:00+00'`: "3000",
		`SELECT count(status) FROM traces`:                                "6001",
	} {
		if got := h.mustQuery(q); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
		if plan := h.mustQuery(`EXPLAIN ANALYZE ` + q); strings.Contains(plan, "from the catalog") {
			t.Errorf("%s counted from the catalog:\n%s", q, plan)
		}
	}
}
