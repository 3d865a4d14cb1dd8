package planner_test

import (
	"testing"

	"openwit/planner"
)

// TestPruneMemo: the second run of a filter takes the index's answer from
// the engine's memo, and filters that differ only in what the memo key
// must tell apart (LIKE against ILIKE of the same lowered pattern, an
// ESCAPE, a count against the rows, another literal) each get their own
// answer: every result equals the one without artifacts, run after run.
func TestPruneMemo(t *testing.T) {
	h := newHarness(t)
	loadTraces(t, h, 6000)
	plain := newHarnessConfig(t, planner.Config{IndexCacheBytes: -1})
	loadTraces(t, plain, 6000)
	queries := []string{
		`SELECT count(*) FROM traces WHERE message LIKE '%deadlock%'`,
		`SELECT count(*) FROM traces WHERE message ILIKE '%deadlock%'`,
		`SELECT ts, message FROM traces WHERE message ILIKE '%deadlock%' ORDER BY ts`,
		`SELECT count(*) FROM traces WHERE message LIKE '%Lock_detected%'`,
		`SELECT count(*) FROM traces WHERE message LIKE '%Lock_detected%' ESCAPE '_'`,
		`SELECT ts, message FROM traces WHERE message LIKE '%Lock detected on table t4507%' ORDER BY ts`,
		`SELECT ts, message FROM traces WHERE message LIKE '%Lock detected on table t4007%' ORDER BY ts`,
		`SELECT count(*) FROM traces WHERE message LIKE '%cache miss%' AND status = 201`,
		`SELECT count(*) FROM traces WHERE message LIKE '%cache miss%' AND status = 202`,
		`SELECT trace_id FROM traces WHERE trace_id = '` + traceID(4321) + `'`,
	}
	wants := make([]string, len(queries))
	for i, q := range queries {
		wants[i] = plain.mustQuery(q)
	}
	for _, w := range []int{0, 1, 2, 3} {
		if wants[w] == wants[w+1] {
			t.Fatalf("%s and %s agree (%s): the pair proves nothing", queries[w], queries[w+1], wants[w])
		}
	}
	var entries int
	for run := range 3 {
		for i, q := range queries {
			if got := h.mustQuery(q); got != wants[i] {
				t.Errorf("run %d: %s\ngot  %s\nwant %s", run, q, got, wants[i])
			}
		}
		n, hits := h.eng.PruneMemoStats()
		switch {
		case run == 0 && (n == 0 || hits != 0):
			t.Fatalf("after the first run the memo holds %d answers and served %d; want some, none", n, hits)
		case run > 0 && (n != entries || hits == 0):
			t.Errorf("run %d: the memo holds %d answers (first run %d) and served %d", run, n, entries, hits)
		}
		entries = n
	}
}
