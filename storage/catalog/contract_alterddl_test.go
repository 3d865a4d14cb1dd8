package catalog

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// testAlterTable: AlterTable stores dropped columns, missing values,
// defaults, NOT NULL and comments, survives a reopen, keeps data names of
// dropped columns taken, refuses invalid results changing nothing, and an
// edit error changes nothing (docs/design/071).
func testAlterTable(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	base := mustCreate(t, c, "al")
	three := "3"
	got, err := c.AlterTable(ctx, base.ID, func(tb *Table) error {
		if !tb.DropColumn("host") {
			t.Error("DropColumn(host) = false")
		}
		tb.Columns[1].Default = "7"
		tb.Columns[1].NotNull = true
		tb.Columns[1].Comment = "a value"
		tb.Comment = "the table"
		tb.Columns = append(tb.Columns, Column{Name: "host", Type: "int4", Field: tb.NewField("host"), Missing: &three, Default: "3", Num: tb.NextNum()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Columns) != 3 || got.Columns[2].FieldName() == "host" || len(got.Dropped) != 1 || got.Dropped[0].Name != "host" ||
		got.Comment != "the table" || got.Name != "al" || got.Options["retention"] != "7d" {
		t.Fatalf("altered: %+v", got)
	}
	again, err := open(t).GetTable(ctx, "al")
	if err != nil || !reflect.DeepEqual(again.Columns, got.Columns) || !reflect.DeepEqual(again.Dropped, got.Dropped) || again.Comment != "the table" {
		t.Fatalf("reopened: %+v, %v; want %+v", again, err, got)
	}
	if *again.Columns[2].Missing != "3" || again.Columns[1] != (Column{Name: "value", Type: "float8", NotNull: true, Default: "7", Comment: "a value", Num: 3}) {
		t.Fatalf("reopened columns: %+v", again.Columns)
	}
	// attnums keep the dropped column's gap (2) and go on after it.
	if a, b, c := again.AttNum(0), again.AttNum(1), again.AttNum(2); a != 1 || b != 3 || c != 4 || again.ColumnByAttNum(2) != -1 || again.ColumnByAttNum(4) != 2 {
		t.Errorf("attnums %d %d %d, want 1 3 4", a, b, c)
	}
	// Another add of host gets yet another data name: the dropped one's
	// stays taken.
	got, err = c.AddColumns(ctx, "al", []Column{{Name: "h", Type: "text"}})
	if err != nil || len(got.Dropped) != 1 || got.AttNum(3) != 5 {
		t.Fatalf("AddColumns after a drop: %+v, %v (want attnum 5)", got, err)
	}
	if f := got.NewField("host"); f == "host" || f == got.Columns[2].FieldName() {
		t.Errorf("NewField(host) = %q", f)
	}
	if got, err = c.RenameColumn(ctx, base.ID, "h", "h2"); err != nil || len(got.Dropped) != 1 {
		t.Fatalf("RenameColumn after a drop lost the dropped columns: %+v, %v", got, err)
	}
	before := got
	for _, tc := range []struct {
		name string
		edit func(tb *Table) error
	}{
		{"no columns", func(tb *Table) error { tb.Columns = nil; return nil }},
		{"time column dropped", func(tb *Table) error { tb.DropColumn("ts"); return nil }},
		{"duplicate name", func(tb *Table) error { tb.Columns = append(tb.Columns, tb.Columns[1]); return nil }},
		{"shared data name", func(tb *Table) error {
			tb.Columns = append(tb.Columns, Column{Name: "x", Type: "text", Field: "host"})
			return nil
		}},
		{"bad type", func(tb *Table) error { tb.Columns[1].Type = "money"; return nil }},
		{"names differing only in case", func(tb *Table) error {
			tb.Columns = append(tb.Columns, Column{Name: strings.ToUpper(tb.Columns[1].Name), Type: "text"})
			return nil
		}},
	} {
		if _, err := c.AlterTable(ctx, base.ID, tc.edit); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	if _, err := c.RenameColumn(ctx, base.ID, "h2", strings.ToUpper(before.Columns[1].Name)); !errors.Is(err, ErrInvalid) {
		t.Errorf("RenameColumn to another column's name in another case: %v, want ErrInvalid", err)
	}
	if _, err := c.CreateTable(ctx, &Table{Name: "cased", Columns: []Column{{Name: "Level", Type: "text"}, {Name: "LEVEL", Type: "text"}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateTable with names differing only in case: %v, want ErrInvalid", err)
	}
	boom := errors.New("boom")
	if _, err := c.AlterTable(ctx, base.ID, func(tb *Table) error { tb.Comment = "x"; return boom }); !errors.Is(err, boom) {
		t.Errorf("edit error: %v", err)
	}
	if _, err := c.AlterTable(ctx, 1<<40, func(*Table) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("no table: %v, want ErrNotFound", err)
	}
	now, err := c.GetTable(ctx, "al")
	if err != nil || !reflect.DeepEqual(now, before) {
		t.Fatalf("after refused edits: %+v, %v; want %+v", now, err, before)
	}
	// The dropped column's data name stays taken after a table rename.
	if _, err := c.RenameTable(ctx, base.ID, "al2"); err != nil {
		t.Fatal(err)
	}
	if now, err = c.GetTable(ctx, "al2"); err != nil || len(now.Dropped) != 1 {
		t.Fatalf("renamed: %+v, %v", now, err)
	}
}

// testCommentMigration: a catalog written before migration 9 (no comment
// column) opens, gains it, and keeps its tables.
func testCommentMigration(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	mustCreate(t, c, "old")
	rawExec(t, c, `ALTER TABLE openwit_tables DROP COLUMN comment`)
	rawExec(t, c, `DELETE FROM openwit_schema_migrations WHERE version = 9`)
	c2, err := reopen(t, c)
	if err != nil {
		t.Fatalf("open a version 8 catalog: %v", err)
	}
	defer c2.Close()
	got, err := c2.GetTable(t.Context(), "old")
	if err != nil || got.Comment != "" || len(got.Columns) != 3 {
		t.Fatalf("table after the migration: %+v, %v", got, err)
	}
	if _, err := c2.AlterTable(t.Context(), got.ID, func(tb *Table) error { tb.Comment = "c"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, err = c2.GetTable(t.Context(), "old"); err != nil || got.Comment != "c" {
		t.Fatalf("comment after the migration: %+v, %v", got, err)
	}
}
