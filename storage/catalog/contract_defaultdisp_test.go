package catalog

import (
	"testing"
)

// testDefaultDisplay: a column's DefaultDisplay (docs/design/075) is
// stored by CreateTable and AlterTable (ALTER COLUMN ... SET DEFAULT, ADD
// COLUMN ... DEFAULT), survives a reopen,
// is cleared with the column's DEFAULT when the column is dropped, and a
// column stored without one (a catalog written before) reads it empty.
func testDefaultDisplay(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	def := sampleTable("dd")
	def.Columns[1].DefaultDisplay = "'unknown'::text"
	created, err := c.CreateTable(ctx, def)
	if err != nil {
		t.Fatal(err)
	}
	if got := created.Columns[1].DefaultDisplay; got != "'unknown'::text" {
		t.Fatalf("CreateTable: DefaultDisplay %q", got)
	}
	if _, err := c.AlterTable(ctx, created.ID, func(tb *Table) error {
		tb.Columns[2].Default, tb.Columns[2].DefaultDisplay = "0", "0"
		tb.Columns = append(tb.Columns, Column{Name: "n", Type: "int4", Default: "-1", DefaultDisplay: "'-1'::integer", Num: tb.NextNum()})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	again, err := open(t).GetTable(ctx, "dd")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "'unknown'::text", "0", "'-1'::integer"}
	for i, w := range want {
		if got := again.Columns[i].DefaultDisplay; got != w {
			t.Errorf("reopened column %s: DefaultDisplay %q, want %q", again.Columns[i].Name, got, w)
		}
	}
	got, err := c.AlterTable(ctx, created.ID, func(tb *Table) error {
		if !tb.DropColumn("host") {
			t.Error("DropColumn(host) = false")
		}
		return nil
	})
	if err != nil || len(got.Dropped) != 1 || got.Dropped[0].DefaultDisplay != "" || got.Dropped[0].Default != "" {
		t.Fatalf("dropped column keeps its DEFAULT: %+v, %v", got, err)
	}
	// A column stored before DefaultDisplay existed has none in its JSON.
	cols, _, err := decodeColumns(`[{"name":"ts","type":"timestamptz","not_null":true},{"name":"h","type":"text","default":"'x'"}]`)
	if err != nil || cols[1].Default != "'x'" || cols[1].DefaultDisplay != "" {
		t.Fatalf("old columns_json: %+v, %v", cols, err)
	}
}
