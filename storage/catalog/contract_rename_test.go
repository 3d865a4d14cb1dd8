package catalog

import (
	"errors"
	"reflect"
	"testing"
)

// testRename: RenameTable and RenameColumn change names only; a renamed
// column keeps its data name, repeats are harmless, a column added with a
// renamed column's old name gets a data name of its own, and the changes
// survive a reopen (design 066).
func testRename(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	base := mustCreate(t, c, "rn")
	mustCreate(t, c, "taken")
	got, err := c.RenameTable(ctx, base.ID, "rn2")
	if err != nil || got.Name != "rn2" || got.ID != base.ID {
		t.Fatalf("RenameTable: %+v, %v", got, err)
	}
	if _, err := c.RenameTable(ctx, base.ID, "rn2"); err != nil {
		t.Fatalf("repeat RenameTable: %v", err)
	}
	if _, err := c.GetTable(ctx, "rn"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name: %v, want ErrNotFound", err)
	}
	if _, err := c.RenameTable(ctx, base.ID, "taken"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto a table: %v, want ErrExists", err)
	}
	if _, err := c.RenameTable(ctx, 1<<40, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename of no table: %v, want ErrNotFound", err)
	}

	got, err = c.RenameColumn(ctx, base.ID, "ts", "at")
	if err != nil || got.TimeColumn != "at" || got.Columns[0] != (Column{Name: "at", Type: "timestamptz", NotNull: true, Field: "ts"}) || got.TimeField() != "ts" {
		t.Fatalf("RenameColumn time column: %+v, %v", got, err)
	}
	if _, err := c.RenameColumn(ctx, base.ID, "ts", "at"); err != nil {
		t.Fatalf("repeat RenameColumn: %v", err)
	}
	for _, tc := range []struct {
		from, to string
		want     error
	}{
		{"nosuch", "x", ErrNoColumn},
		{"host", "value", ErrExists},
		{"host", "", ErrInvalid},
	} {
		if _, err := c.RenameColumn(ctx, base.ID, tc.from, tc.to); !errors.Is(err, tc.want) {
			t.Errorf("RenameColumn(%q, %q): %v, want %v", tc.from, tc.to, err, tc.want)
		}
	}
	if _, err := c.RenameColumn(ctx, base.ID, "host", "h1"); err != nil {
		t.Fatal(err)
	}
	if got, err = c.RenameColumn(ctx, base.ID, "h1", "h2"); err != nil || got.Columns[1].FieldName() != "host" {
		t.Fatalf("second rename: %+v, %v", got, err)
	}
	got, err = c.AddColumns(ctx, "rn2", []Column{{Name: "host", Type: "int8"}, {Name: "ts", Type: "text"}})
	if err != nil {
		t.Fatal(err)
	}
	if f := got.Columns[3].FieldName(); f == "host" || f == "ts" {
		t.Errorf("added column host has the data name %q of a renamed column", f)
	}
	if f := got.Columns[4].FieldName(); f == "host" || f == "ts" || f == got.Columns[3].FieldName() {
		t.Errorf("added column ts has the data name %q", f)
	}
	if got, err = c.RenameColumn(ctx, base.ID, "h2", "h3"); err != nil || got.Columns[1].FieldName() != "host" {
		t.Fatalf("rename after the add: %+v, %v", got, err)
	}
	again, err := open(t).GetTable(ctx, "rn2")
	if err != nil || !reflect.DeepEqual(again.Columns, got.Columns) || again.TimeColumn != "at" {
		t.Fatalf("reopened: %+v, %v; want columns %+v", again, err, got.Columns)
	}
}
