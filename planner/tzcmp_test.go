package planner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTimePruningWallClockInSessionZone: a timestamptz column compared
// with a timestamp or date constant prunes by the instant of that wall
// clock in the session TimeZone (PostgreSQL's timestamp2timestamptz), not
// by the UTC wall clock, and the vectorized and row engines count the
// same rows.
func TestTimePruningWallClockInSessionZone(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE wall (ts timestamptz NOT NULL, v int8) WITH (shard_duration = '1h')`)
	var b strings.Builder
	b.WriteString("INSERT INTO wall VALUES ")
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 60; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		ts := start.Add(time.Duration(i/10)*time.Hour + time.Duration(i%10)*time.Minute)
		fmt.Fprintf(&b, "('%s', %d)", ts.Format(time.RFC3339), i)
	}
	h.mustQuery(b.String())
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		zone, where  string
		kept, pruned string
		bound        string
		count        string
	}{
		// 2024-01-01 00:00 in New York is 05:00 UTC: only the last shard.
		{"America/New_York", "ts >= '2024-01-01 00:00'::timestamp", "1", "5", "2024-01-01 05:00:00Z", "10"},
		// A constant on the left is not used for time pruning (nor before
		// this change); the filter still holds the converted instant.
		{"America/New_York", "'2024-01-01'::date <= ts", "", "", "'2024-01-01 05:00:00Z' <= ts", "10"},
		{"America/New_York", "ts BETWEEN '2023-12-31 21:00'::timestamp AND '2023-12-31 23:59'::timestamp", "3", "3", "2024-01-01 02:00:00Z", "30"},
		// 2024-01-01 03:00 in Kolkata (+05:30) is 2023-12-31 21:30 UTC.
		{"Asia/Kolkata", "ts < '2024-01-01 08:00'::timestamp", "3", "3", "2024-01-01 02:30:00Z", "30"},
		{"UTC", "ts >= '2024-01-01 05:00'::timestamp", "1", "5", "2024-01-01 05:00:00Z", "10"},
	} {
		h.mustQuery(fmt.Sprintf("SET TimeZone = '%s'", c.zone))
		q := "SELECT count(*) FROM wall WHERE " + c.where
		plan := h.mustQuery("EXPLAIN " + q)
		m := filesRE.FindStringSubmatch(plan)
		if c.kept != "" && (m == nil || m[1] != c.kept || m[2] != c.pruned) {
			t.Errorf("%s, %s: want %s files kept, %s pruned by time:\n%s", c.zone, c.where, c.kept, c.pruned, plan)
		}
		if !strings.Contains(plan, c.bound) {
			t.Errorf("%s, %s: EXPLAIN does not show the bound %s:\n%s", c.zone, c.where, c.bound, plan)
		}
		vec := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = off`)
		row := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != c.count || row != c.count {
			t.Errorf("%s, %s: vectorized %s, row engine %s, want %s", c.zone, c.where, vec, row, c.count)
		}
	}
}
