package planner_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"openwit/planner"
)

// loadTraces inserts rows over 12 hourly shards (one file each after the
// flush): a unique trace id per row and a message of a few words; one row
// in 500 says "deadlock".
func loadTraces(t *testing.T, h *harness, rows int) {
	t.Helper()
	h.mustQuery(`CREATE TABLE traces (ts timestamptz NOT NULL, trace_id text, status int4, message text) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	words := []string{"request", "served", "cache", "miss", "Upstream", "retry", "user", "login"}
	for i := 0; i < rows; i += 400 {
		var b strings.Builder
		b.WriteString("INSERT INTO traces VALUES ")
		for j := i; j < min(i+400, rows); j++ {
			if j > i {
				b.WriteString(",")
			}
			ts := start.Add(time.Duration(j) * 12 * time.Hour / time.Duration(rows))
			msg := words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))]
			if j%500 == 7 {
				msg = "DeadLock detected on table t" + fmt.Sprint(j)
			}
			fmt.Fprintf(&b, "('%s', '%s', %d, '%s')", ts.Format(time.RFC3339Nano), traceID(j), 200+j%3, msg)
		}
		h.mustQuery(b.String())
	}
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// traceID is row j's trace id: unique, in no order (zone maps cannot
// prune it).
func traceID(j int) string { return fmt.Sprintf("tr-%08x", uint32(j)*2654435761) }

var indexRE = regexp.MustCompile(`index: (\d+) files with artifacts, (\d+) files pruned \(zone map (\d+), bloom (\d+), full-text (\d+)\)`)

// TestIndexPruning: the coordinator prunes files by Bloom filter (needle),
// zone map (range on a non-time column) and trigrams (LIKE, ILIKE,
// match), EXPLAIN says so, and the answers equal those without artifacts.
func TestIndexPruning(t *testing.T) {
	h := newHarness(t)
	loadTraces(t, h, 6000)
	plain := newHarnessConfig(t, planner.Config{IndexCacheBytes: -1})
	loadTraces(t, plain, 6000)
	cases := []struct {
		where string
		// want files pruned by (zone, bloom, full-text) of 12; -1: any
		zone, bloom, grams int
	}{
		{`trace_id = '` + traceID(4321) + `'`, 0, 11, 0},
		{`trace_id IN ('` + traceID(1) + `', '` + traceID(5999) + `')`, 0, 10, 0},
		{`trace_id = 'nope'`, 12, 0, 0}, // below every zone's minimum
		{`trace_id = '` + traceID(99999) + `'`, 0, 12, 0},
		{`status > 202`, 12, 0, 0},
		{`message LIKE '%Lock detected%'`, -1, -1, -1},
		{`message LIKE '%lock detected on table t4507%'`, 0, 0, 12}, // trigrams fold case, the postings do not: no row matches
		{`message LIKE '%Lock detected on table t4507%'`, 0, 0, 11},
		{`message LIKE '%Lock detected on table t4507'`, 0, 0, 11},
		{`message ILIKE '%deadlock%T4507'`, 0, 0, 11},
		{`match(message, 'table T4507')`, 0, 0, 11},
		{`match(message, 'detect')`, -1, -1, -1},
		{`status = 201 AND trace_id = '` + traceID(301) + `'`, -1, -1, -1},
		{`NOT (trace_id = '` + traceID(301) + `')`, 0, 0, 0},
	}
	for _, c := range cases {
		q := `SELECT ts, trace_id, status, message FROM traces WHERE ` + c.where + ` ORDER BY ts`
		got, want := h.mustQuery(q), plain.mustQuery(q)
		if got != want {
			t.Errorf("%s: with artifacts\n%s\nwithout\n%s", c.where, got, want)
		}
		plan := h.mustQuery(`EXPLAIN ` + q)
		m := indexRE.FindStringSubmatch(plan)
		if m == nil {
			t.Errorf("%s: EXPLAIN shows no index pruning:\n%s", c.where, plan)
			continue
		}
		if m[1] != "12" {
			t.Errorf("%s: %s files with artifacts, want 12", c.where, m[1])
		}
		for i, w := range []int{c.zone, c.bloom, c.grams} {
			if w >= 0 && m[3+i] != fmt.Sprint(w) {
				t.Errorf("%s: %s, want (zone map %d, bloom %d, full-text %d)", c.where, m[0], c.zone, c.bloom, c.grams)
				break
			}
		}
		if pl := plain.mustQuery(`EXPLAIN ` + q); indexRE.MatchString(pl) {
			t.Errorf("%s: pruned by artifacts with pruning disabled:\n%s", c.where, pl)
		}
	}
	if n := h.mustQuery(`SELECT count(*) FROM traces WHERE message ILIKE '%deadlock%'`); n != "12" {
		t.Errorf("ILIKE count = %s, want 12", n)
	}
}

// TestIndexArtifactDamaged: a corrupt or missing artifact makes the file
// unprunable, never the answer wrong; the failure is counted.
func TestIndexArtifactDamaged(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarnessConfig(t, planner.Config{Registerer: reg})
	loadTraces(t, h, 2400)
	var keys []string
	err := h.bucket.List(context.Background(), "", func(key string, _ int64) error {
		if strings.HasSuffix(key, ".idx") {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil || len(keys) != 12 {
		t.Fatalf("artifacts: %v, %v", keys, err)
	}
	ctx := context.Background()
	junk := []byte("OWIX this is not an artifact")
	if err := h.bucket.Put(ctx, keys[0], bytes.NewReader(junk), int64(len(junk))); err != nil {
		t.Fatal(err)
	}
	if err := h.bucket.Delete(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	// Row 5 is in the first file, whose artifact is corrupt; row 1100 in
	// the sixth.
	q := `SELECT count(*) FROM traces WHERE trace_id = '` + traceID(5) + `' OR trace_id = '` + traceID(1100) + `'`
	if got := h.mustQuery(q); got != "2" {
		t.Errorf("%s = %s, want 2", q, got)
	}
	plan := h.mustQuery(`EXPLAIN ` + q)
	if m := indexRE.FindStringSubmatch(plan); m == nil || m[1] != "10" || m[4] != "9" {
		t.Errorf("want 10 files with artifacts, 9 pruned by bloom (1 needle file kept):\n%s", plan)
	}
	if n := testutil.ToFloat64(counter(t, reg, "openwit_index_artifact_failures_total")); n != 2 {
		t.Errorf("artifact failures = %v, want 2 (one corrupt, one linked but missing)", n)
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: "copy"}, func() float64 {
				return mf.GetMetric()[0].GetCounter().GetValue()
			})
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

var candidatesRE = regexp.MustCompile(`candidate rows from token postings: (\d+) row groups, (\d+) rows`)

// TestCandidateRows: a multi-word search reads only the rows the token
// postings leave (EXPLAIN says how many), for count(*), for queries
// returning rows, with ILIKE and other predicates, and answers what the
// same query answers without artifacts.
func TestCandidateRows(t *testing.T) {
	h := newHarness(t)
	loadTraces(t, h, 6000)
	plain := newHarnessConfig(t, planner.Config{IndexCacheBytes: -1})
	loadTraces(t, plain, 6000)
	for _, where := range []string{
		`message LIKE '%cache miss%'`,
		`message LIKE '%miss cache%'`,
		`message LIKE '%che mis%'`,
		`message ILIKE '%CACHE MISS%'`,
		`message LIKE '%cache miss%' AND status = 201`,
		`message LIKE '%cache miss%' OR message LIKE '%user login%'`,
		`message LIKE '%Lock detected on table%'`,
		`message LIKE 'retry _ser%'`,
	} {
		for _, q := range []string{
			`SELECT count(*) FROM traces WHERE ` + where,
			`SELECT ts, trace_id, message FROM traces WHERE ` + where + ` ORDER BY ts`,
		} {
			got, want := h.mustQuery(q), plain.mustQuery(q)
			if got != want {
				t.Errorf("%s: with artifacts\n%s\nwithout\n%s", q, got, want)
			}
			if want == "0" || want == "" {
				t.Errorf("%s: no row matches, the case proves little", q)
			}
			plan := h.mustQuery(`EXPLAIN ` + q)
			m := candidatesRE.FindStringSubmatch(plan)
			if m == nil || m[1] == "0" {
				t.Errorf("%s: EXPLAIN shows no candidate rows:\n%s", q, plan)
			}
		}
	}
}
