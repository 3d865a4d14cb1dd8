package planner_test

import (
	"context"
	"testing"

	"openwit/storage/catalog"
)

// TestAddedColumnReadsNull: a column added to a table (catalog.AddColumns,
// as Kafka schema evolution does) is NULL for rows written before, whether
// they are in a Parquet file, in a buffer being widened, or inserted by a
// statement planned before the change; new rows carry it; the catalog
// views show it.
func TestAddedColumnReadsNull(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mustQuery(`CREATE TABLE ev (ts timestamptz NOT NULL, msg text)`)
	h.mustQuery(`INSERT INTO ev VALUES ('2026-01-01 10:00:00+00', 'in a file')`)
	if err := h.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.mustQuery(`INSERT INTO ev VALUES ('2026-01-01 11:00:00+00', 'buffered')`)
	cat := h.cfg.Catalog
	tbl, err := cat.AddColumns(ctx, "ev", []catalog.Column{{Name: "user_id", Type: "int8"}, {Name: "ok", Type: "bool"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ing.AddTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	h.mustQuery(`INSERT INTO ev VALUES ('2026-01-01 12:00:00+00', 'new', 7, true)`)
	const want = "in a file|NULL|NULL\nbuffered|NULL|NULL\nnew|7|true"
	if got := h.mustQuery(`SELECT msg, user_id, ok FROM ev ORDER BY ts`); got != want {
		t.Errorf("before flush:\n got %q\nwant %q", got, want)
	}
	if got := h.mustQuery(`SELECT count(*), count(user_id) FROM ev WHERE user_id IS NULL`); got != "2|0" {
		t.Errorf("count where null: %q", got)
	}
	// The buffered old row and the new row go to one file with the new
	// schema; the old file lacks the columns.
	if err := h.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.mustQuery(`SELECT msg, user_id, ok FROM ev ORDER BY ts`); got != want {
		t.Errorf("after flush:\n got %q\nwant %q", got, want)
	}
	if got := h.mustQuery(`SELECT user_id FROM ev WHERE user_id = 7`); got != "7" {
		t.Errorf("filter on the added column: %q", got)
	}
	if got := h.mustQuery(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'ev' ORDER BY ordinal_position`); got != "ts|timestamp with time zone|NO\nmsg|text|YES\nuser_id|bigint|YES\nok|boolean|YES" {
		t.Errorf("information_schema.columns: %q", got)
	}
	if got := h.mustQuery(`SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON a.attrelid = c.oid WHERE c.relname = 'ev' AND a.attnum > 0 ORDER BY a.attnum`); got != "ts\nmsg\nuser_id\nok" {
		t.Errorf("pg_attribute: %q", got)
	}
}
