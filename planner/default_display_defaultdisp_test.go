package planner_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"openwit/storage/catalog"
)

// TestDefaultDisplayOldCatalog (design 075): a column whose DEFAULT was
// stored before the catalog kept its display (no DefaultDisplay) shows
// the display computed on read in pg_attrdef, pg_get_expr and
// information_schema.columns, and INSERT still uses the DEFAULT; one
// set by ALTER TABLE now stores its display.
func TestDefaultDisplayOldCatalog(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.cfg.Catalog.CreateTable(ctx, &catalog.Table{
		Name: "old", TimeColumn: "ts", ShardDuration: time.Hour,
		Columns: []catalog.Column{
			{Name: "ts", Type: "timestamptz", NotNull: true, Default: "now()"},
			{Name: "host", Type: "text", Default: "'none'"},
			{Name: "n", Type: "int4", Default: "-1"},
			{Name: "w", Type: "float8", Default: "2 * pi()"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	const want = "ts|now()\nhost|'none'::text\nn|'-1'::integer\nw|((2)::double precision * pi())"
	if got := h.mustQuery(`SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'old'::regclass ORDER BY d.adnum`); got != want {
		t.Errorf("pg_get_expr of an old catalog's defaults:\n%s\nwant\n%s", got, want)
	}
	if got := h.mustQuery(`SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'old' ORDER BY ordinal_position`); got != want {
		t.Errorf("column_default of an old catalog's defaults:\n%s\nwant\n%s", got, want)
	}
	if got := h.mustQuery(`SELECT pg_get_expr(d.adbin, d.adrelid, true) FROM pg_attrdef d WHERE d.adrelid = 'old'::regclass AND d.adnum = 4`); got != "2::double precision * pi()" {
		t.Errorf("pretty pg_get_expr: %s", got)
	}
	h.mustQuery(`INSERT INTO old (ts) VALUES ('2024-01-01 00:00:00+00')`)
	if got := h.mustQuery(`SELECT host, n, round(w::numeric, 4) FROM old`); got != "none|-1|6.2832" {
		t.Errorf("INSERT with the old DEFAULTs: %s", got)
	}
	h.mustQuery(`ALTER TABLE old ALTER COLUMN n SET DEFAULT 2 + 3`)
	tb, err := h.cfg.Catalog.GetTable(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if c := tb.Columns[2]; c.Default != "2 + 3" || c.DefaultDisplay != "(2 + 3)" {
		t.Errorf("SET DEFAULT stored %q, display %q", c.Default, c.DefaultDisplay)
	}
	if c := tb.Columns[1]; c.DefaultDisplay != "" {
		t.Errorf("a column ALTER did not touch got a display stored: %q", c.DefaultDisplay)
	}
}

// BenchmarkDefaultDisplayRead reads information_schema.columns of a table
// with 16 DEFAULTs (one server each): "stored", created by CREATE TABLE,
// which stores their display; "computed", as an older catalog holds it,
// without the display, computed on every read; "none", the same table
// without DEFAULTs. The cost of computing on read.
func BenchmarkDefaultDisplayRead(b *testing.B) {
	defs := []string{"now()", "'none'", "-1", "2 + 3", "2 * pi()", "'x'", "0", "true", "CURRENT_DATE", "'2020-01-01'",
		"now() - interval '1 hour'", "'{}'", "upper('abc') || '-' || 1", "1.5", "CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END", "abs(-5)"}
	types := []string{"timestamptz", "text", "int4", "int4", "float8", "varchar(8)", "float8", "bool", "date", "timestamptz",
		"timestamptz", "jsonb", "text", "numeric(10,2)", "text", "int4"}
	const q = "SELECT count(column_default) FROM information_schema.columns WHERE table_name = 't'"
	var shown string
	for _, mode := range []string{"stored", "computed", "none"} {
		h := newHarness(b)
		ctx := context.Background()
		create := "CREATE TABLE t (ts timestamptz NOT NULL"
		for i, d := range defs {
			if mode == "none" {
				d = "NULL"
			}
			create += fmt.Sprintf(", c%d %s DEFAULT %s", i, types[i], d)
		}
		h.mustQuery(create + ")")
		if mode == "computed" {
			// The same table as an older catalog stores it.
			t, err := h.cfg.Catalog.GetTable(ctx, "t")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := h.cfg.Catalog.AlterTable(ctx, t.ID, func(t *catalog.Table) error {
				for i := range t.Columns {
					t.Columns[i].DefaultDisplay = ""
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		all := h.mustQuery("SELECT column_default FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position")
		if mode == "stored" {
			shown = all
		} else if mode == "computed" && all != shown {
			b.Fatalf("stored and computed displays differ:\n%s\n%s", shown, all)
		}
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.mustQuery(q)
			}
		})
	}
}
