package planner_test

import (
	"context"
	"strconv"
	"testing"
)

// TestUpdateTimeColumnMovesShards (docs/design/086): an UPDATE of the time
// column moves rows of Parquet files and of the ingest buffers to the
// files of their new hourly shards; counts by time range agree in both
// executors, a query on the new range keeps only the files that hold it
// (EXPLAIN's time pruning finds the moved rows), and the rows whose time
// stays in its shard are rewritten in place.
func TestUpdateTimeColumnMovesShards(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE tm (ts timestamptz NOT NULL, host text, n int)`)
	// Three days, a row every 15 minutes: 4 rows in each of 72 hourly
	// shards, published as one file per shard.
	h.mustQuery(`INSERT INTO tm SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '15 minutes', 'h' || (g % 5), g FROM generate_series(0, 287) g`)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	files := func(where string) (kept, pruned int) {
		t.Helper()
		plan := h.mustQuery(`EXPLAIN SELECT count(*), min(n) FROM tm WHERE ` + where)
		m := filesRE.FindStringSubmatch(plan)
		if m == nil {
			t.Fatalf("EXPLAIN does not show a vectorized scan with file counts:\n%s", plan)
		}
		kept, _ = strconv.Atoi(m[1])
		pruned, _ = strconv.Atoi(m[2])
		return kept, pruned
	}
	if kept, pruned := files(`ts >= '2024-01-03 05:00:00+00' AND ts < '2024-01-03 06:00:00+00'`); kept != 1 || kept+pruned < 70 {
		t.Fatalf("before the UPDATE: %d files kept, %d pruned; want 1 of at least 70", kept, pruned)
	}
	// The first day moves two days on: every row leaves its file.
	if tag := h.tag(`UPDATE tm SET ts = ts + interval '2 days' WHERE ts < '2024-01-02 00:00:00+00'`); tag != "UPDATE 96" {
		t.Fatalf("tag %q, want UPDATE 96", tag)
	}
	// A row moved within its shard, and some rows of the second day one
	// hour on together with another column.
	if tag := h.tag(`UPDATE tm SET ts = ts + interval '5 minutes' WHERE n = 100`); tag != "UPDATE 1" {
		t.Fatalf("tag %q, want UPDATE 1", tag)
	}
	if tag := h.tag(`UPDATE tm SET ts = ts + interval '1 hour', host = 'moved' WHERE n BETWEEN 96 AND 99`); tag != "UPDATE 4" {
		t.Fatalf("tag %q, want UPDATE 4", tag)
	}
	// Rows still in the buffers move too (UPDATE publishes them first).
	h.mustQuery(`INSERT INTO tm VALUES ('2024-01-02 12:10:00+00', 'fresh', 1000), ('2024-01-02 12:20:00+00', 'fresh', 1001)`)
	if tag := h.tag(`UPDATE tm SET ts = ts - interval '1 day' WHERE host = 'fresh'`); tag != "UPDATE 2" {
		t.Fatalf("tag %q, want UPDATE 2", tag)
	}
	cases := []struct{ where, want string }{
		{`ts < '2024-01-02 00:00:00+00'`, "2|1000"},
		{`ts >= '2024-01-02 00:00:00+00' AND ts < '2024-01-03 00:00:00+00'`, "96|96"},
		{`ts >= '2024-01-03 00:00:00+00'`, "192|0"},
		{`ts >= '2024-01-03 05:00:00+00' AND ts < '2024-01-03 06:00:00+00'`, "8|20"},
		{`ts >= '2024-01-02 01:00:00+00' AND ts < '2024-01-02 02:00:00+00'`, "8|96"},
		{`ts = '2024-01-02 01:05:00+00'`, "1|100"},
		{`ts >= '2024-01-01 12:00:00+00' AND ts < '2024-01-01 13:00:00+00'`, "2|1000"},
		{`host = 'moved'`, "4|96"},
	}
	for _, c := range cases {
		q := `SELECT count(*), min(n) FROM tm WHERE ` + c.where
		if got := h.mustQuery(q); got != c.want {
			t.Errorf("%s: %s, want %s", q, got, c.want)
		}
		h.mustQuery(`SET openwit.vectorize = off`)
		if got := h.mustQuery(q); got != c.want {
			t.Errorf("%s on the row engine: %s, want %s", q, got, c.want)
		}
		h.mustQuery(`SET openwit.vectorize = on`)
	}
	if got := h.mustQuery(`SELECT count(*), count(DISTINCT n), sum(n) FROM tm`); got != "290|290|43329" {
		t.Errorf("every row: %s, want 290|290|43329", got)
	}
	// The moved rows of an hour are in one new file of that shard: the
	// query of that hour keeps the old file and the new one, no other.
	if kept, pruned := files(`ts >= '2024-01-03 05:00:00+00' AND ts < '2024-01-03 06:00:00+00'`); kept != 2 || kept+pruned < 70 {
		t.Errorf("after the UPDATE: %d files kept, %d pruned; want 2 of at least 70", kept, pruned)
	}
	if kept, _ := files(`ts < '2024-01-02 00:00:00+00'`); kept != 1 {
		t.Errorf("the first day: %d files kept, want the one of the moved buffered rows", kept)
	}
	// NOT NULL: an error, nothing changes.
	if _, err := h.query(`UPDATE tm SET ts = NULL WHERE n = 5`); err == nil {
		t.Error("SET ts = NULL: no error")
	}
	if got := h.mustQuery(`SELECT count(*) FROM tm WHERE n = 5 AND ts = '2024-01-03 01:15:00+00'`); got != "1" {
		t.Errorf("row 5 after the failed UPDATE: %s", got)
	}
}
