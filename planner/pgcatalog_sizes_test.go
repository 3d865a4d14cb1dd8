package planner_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRelationSizes: the pg_*_size functions and pg_stat_user_tables
// report what a table's published files hold (bytes of the Parquet files,
// of their index artifacts, rows), which the catalog knows; rows still in
// the ingest buffers count nothing until they are flushed.
func TestRelationSizes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mustQuery(`CREATE TABLE logs (ts timestamptz NOT NULL, msg text)`)
	h.mustQuery(`INSERT INTO logs SELECT '2026-01-01'::timestamptz + g * interval '1 second', 'message ' || g FROM generate_series(1, 5000) g`)
	num := func(sql string) int64 {
		t.Helper()
		n, err := strconv.ParseInt(strings.TrimSpace(h.mustQuery(sql)), 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	if got := num(`SELECT pg_total_relation_size('logs')`); got != 0 {
		t.Fatalf("before any flush: size %d, want 0", got)
	}
	if err := h.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	data, total := num(`SELECT pg_relation_size('logs')`), num(`SELECT pg_total_relation_size('logs'::regclass)`)
	index := num(`SELECT pg_indexes_size('logs')`)
	if data <= 0 || total != data+index || num(`SELECT pg_table_size('logs')`) != data {
		t.Fatalf("data %d, index %d, total %d", data, index, total)
	}
	if got := num(`SELECT pg_database_size(current_database())`); got < total {
		t.Fatalf("database size %d < table size %d", got, total)
	}
	if got := num(`SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'logs'`); got != 5000 {
		t.Fatalf("n_live_tup %d, want 5000", got)
	}
	if got := strings.TrimSpace(h.mustQuery(`SELECT pg_size_pretty(pg_total_relation_size('logs'))`)); !regexp.MustCompile(`^[0-9]+ (bytes|kB|MB)$`).MatchString(got) {
		t.Fatalf("pg_size_pretty: %q", got)
	}
}
