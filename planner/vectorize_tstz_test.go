package planner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTimePruningOutsideMySQLTimestamp: timestamptz rows before 1970 and
// after 2038 land in their own time shards, a range predicate over them
// prunes the other shards' files (EXPLAIN's counts and bounds), and the
// vectorized and row engines agree on them.
func TestTimePruningOutsideMySQLTimestamp(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE old_new (ts timestamptz NOT NULL, v int8) WITH (shard_duration = '1h')`)
	var b strings.Builder
	b.WriteString("INSERT INTO old_new VALUES ")
	starts := []time.Time{time.Date(1960, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	n := 0
	for _, start := range starts {
		for hour := 0; hour < 6; hour++ {
			for i := 0; i < 10; i++ {
				if n > 0 {
					b.WriteString(", ")
				}
				ts := start.Add(time.Duration(hour)*time.Hour + time.Duration(i)*time.Minute)
				fmt.Fprintf(&b, "('%s', %d)", ts.Format(time.RFC3339), n)
				n++
			}
		}
	}
	h.mustQuery(b.String())
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		where        string
		kept, pruned string
		bounds       string
		count        string
	}{
		{"ts < '1970-01-01 00:00:00+00'", "6", "6", "time=[-infinity, 1970-01-01 00:00:00Z]", "60"},
		// The 03:00 shard touches the upper bound: kept by time, dropped by
		// its zone map.
		{"ts >= '1960-05-01 02:00:00+00' AND ts < '1960-05-01 03:00:00+00'", "1", "10", "time=[1960-05-01 02:00:00Z, 1960-05-01 03:00:00Z]", "10"},
		{"ts BETWEEN '2100-01-01 04:00:00+00' AND '2100-01-01 05:59:59+00'", "2", "10", "time=[2100-01-01 04:00:00Z, 2100-01-01 05:59:59Z]", "20"},
		{"ts > '2038-01-19 03:14:08+00'", "6", "6", "", "60"},
	} {
		q := "SELECT count(*) FROM old_new WHERE " + c.where
		plan := h.mustQuery("EXPLAIN " + q)
		m := filesRE.FindStringSubmatch(plan)
		if m == nil || m[1] != c.kept || m[2] != c.pruned {
			t.Errorf("%s: want %s files kept, %s pruned by time:\n%s", c.where, c.kept, c.pruned, plan)
		}
		if c.bounds != "" && !strings.Contains(plan, c.bounds) {
			t.Errorf("%s: EXPLAIN does not show %s:\n%s", c.where, c.bounds, plan)
		}
		vec := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = off`)
		row := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != c.count || row != c.count {
			t.Errorf("%s: vectorized %s, row engine %s, want %s", c.where, vec, row, c.count)
		}
	}
}
