package planner_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var readRE = regexp.MustCompile(`(\d+) read, (\d+) pruned by the scan`)

// TestTopKSeed: ORDER BY a non-time column LIMIT k over 12 hourly files
// whose values grow with time reads only the file holding the answer: the
// coordinator keeps the k files with the best zone-map values (integers,
// float ascending) and the scans skip all but one by their footers (also
// for float descending, where only the files know whether they hold NaN),
// and a NaN in the oldest file still comes first in descending order, as
// in PostgreSQL. The answers equal the row engine's.
func TestTopKSeed(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE m (ts timestamptz NOT NULL, v int8, f float8, g float8, s text) WITH (time_column = 'ts')`)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const rows = 2400
	for i := 0; i < rows; i += 200 {
		var b strings.Builder
		b.WriteString("INSERT INTO m VALUES ")
		for j := i; j < i+200; j++ {
			if j > i {
				b.WriteString(",")
			}
			ts := start.Add(time.Duration(j) * 12 * time.Hour / rows)
			g := fmt.Sprint(float64(j) / 4)
			if j == 5 {
				g = "'NaN'"
			}
			fmt.Fprintf(&b, "('%s', %d, %g, %s, 's%d')", ts.Format(time.RFC3339Nano), j, float64(j)/2, g, j%7)
		}
		h.mustQuery(b.String())
	}
	if err := h.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		order string
		zone  int    // files pruned by the coordinator (of 12)
		read  int    // at most this many row groups read by the scans (two workers race)
		want  string // "": the row engine's
	}{
		{"v DESC", 9, 2, ""},
		{"v", 9, 2, ""},
		{"f DESC", 0, 2, ""},
		{"f", 9, 2, ""},
		{"g DESC", 0, 3, ""}, // the oldest file records a NaN
	} {
		q := fmt.Sprintf(`SELECT %s, s FROM m ORDER BY %s, s LIMIT 3`, strings.Fields(c.order)[0], c.order)
		got, want := h.mustQuery(q), c.want
		if want == "" {
			h.mustQuery(`SET openwit.vectorize = off`)
			want = h.mustQuery(q)
			h.mustQuery(`SET openwit.vectorize = on`)
		}
		if got != want {
			t.Errorf("%s: vectorized\n%s\nwant\n%s", q, got, want)
		}
		plan := h.mustQuery(`EXPLAIN ANALYZE ` + q)
		m := regexp.MustCompile(`pruned \(time \d+, zone map (\d+),`).FindStringSubmatch(plan)
		r := readRE.FindStringSubmatch(plan)
		if m == nil || r == nil {
			t.Fatalf("%s: EXPLAIN ANALYZE shows no pruning counters:\n%s", q, plan)
		}
		if read, _ := strconv.Atoi(r[1]); m[1] != fmt.Sprint(c.zone) || read > c.read {
			t.Errorf("%s: %s files pruned by zone maps, %s row groups read; want %d and at most %d\n%s", q, m[1], r[1], c.zone, c.read, plan)
		}
	}
}
