package catalog

import (
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// testViews: views share the tables' namespace, CREATE OR REPLACE keeps
// the ID, drop and rename behave as for tables, and everything survives a
// reopen (design 070).
func testViews(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	vs, err := AsViews(c)
	if err != nil {
		t.Fatalf("AsViews: %v", err)
	}
	base := mustCreate(t, c, "vt")
	def := &View{Name: "errs", Query: "SELECT vt.ts FROM vt WHERE vt.value > 1",
		Columns: []ViewColumn{{Name: "ts", TypeOID: 1184, Typmod: -1}}, Tables: []int64{base.ID}}
	got, err := vs.CreateView(ctx, def, false)
	if err != nil || got.ID <= 0 || got.Name != "errs" || !reflect.DeepEqual(got.Columns, def.Columns) || got.CreatedAt.IsZero() {
		t.Fatalf("CreateView: %+v, %v", got, err)
	}
	if _, err := vs.CreateView(ctx, def, false); !errors.Is(err, ErrExists) {
		t.Fatalf("second CreateView: %v, want ErrExists", err)
	}
	if _, err := vs.CreateView(ctx, &View{Name: "vt", Query: "SELECT 1", Columns: def.Columns}, true); !errors.Is(err, ErrExists) {
		t.Fatalf("CreateView over a table: %v, want ErrExists", err)
	}
	for _, bad := range []*View{{Name: "", Query: "SELECT 1", Columns: def.Columns}, {Name: "x", Columns: def.Columns}, {Name: "x", Query: "SELECT 1"},
		{Name: "x", Query: "SELECT 1", Columns: []ViewColumn{{Name: ""}}}} {
		if _, err := vs.CreateView(ctx, bad, false); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateView(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	repl := &View{Name: "errs", Query: "SELECT vt.ts, vt.host FROM vt", Columns: []ViewColumn{{Name: "ts", TypeOID: 1184, Typmod: -1},
		{Name: "host", TypeOID: 25, Typmod: -1}}, Tables: []int64{base.ID}}
	r, err := vs.CreateView(ctx, repl, true)
	if err != nil || r.ID != got.ID || r.Query != repl.Query || len(r.Columns) != 2 || !r.CreatedAt.Equal(got.CreatedAt) {
		t.Fatalf("replace: %+v, %v (first %+v)", r, err, got)
	}
	over := &View{Name: "over", Query: "SELECT errs.ts FROM errs", Columns: def.Columns, Views: []int64{got.ID}}
	if _, err := vs.CreateView(ctx, over, false); err != nil {
		t.Fatalf("view over view: %v", err)
	}
	list, err := vs.ListViews(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "errs" || list[1].Name != "over" || !reflect.DeepEqual(list[1].Views, []int64{got.ID}) ||
		!reflect.DeepEqual(list[0].Tables, []int64{base.ID}) {
		t.Fatalf("ListViews: %+v, %v", list, err)
	}
	if _, err := vs.RenameView(ctx, got.ID, "vt"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto a table: %v, want ErrExists", err)
	}
	if _, err := vs.RenameView(ctx, got.ID, "over"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto a view: %v, want ErrExists", err)
	}
	if _, err := vs.RenameView(ctx, 1<<40, "zz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename of no view: %v, want ErrNotFound", err)
	}
	rn, err := vs.RenameView(ctx, got.ID, "errors")
	if err != nil || rn.Name != "errors" || rn.ID != got.ID {
		t.Fatalf("RenameView: %+v, %v", rn, err)
	}
	if _, err := vs.GetView(ctx, "errs"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name: %v, want ErrNotFound", err)
	}
	if err := vs.DropView(ctx, "over"); err != nil {
		t.Fatalf("DropView: %v", err)
	}
	if err := vs.DropView(ctx, "over"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second DropView: %v, want ErrNotFound", err)
	}

	// Reopened: the view is there with its columns and dependencies.
	again, err := AsViews(open(t))
	if err != nil {
		t.Fatal(err)
	}
	v, err := again.GetView(ctx, "errors")
	if err != nil || v.ID != got.ID || v.Query != repl.Query || !reflect.DeepEqual(v.Columns, repl.Columns) || !reflect.DeepEqual(v.Tables, []int64{base.ID}) {
		t.Fatalf("reopened: %+v, %v", v, err)
	}
}

// TestSQLiteMigrateViews: a catalog written before migration 8 (no
// openwit_views) opens, keeps its tables and stores views.
func TestSQLiteMigrateViews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	tbl := mustCreate(t, c, "old")
	c.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`DROP TABLE openwit_views`, `DELETE FROM openwit_schema_migrations WHERE version = 8`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()
	c, err = Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("reopen a version-7 catalog: %v", err)
	}
	defer c.Close()
	if got, err := c.GetTable(t.Context(), "old"); err != nil || got.ID != tbl.ID {
		t.Fatalf("table after migration: %+v, %v", got, err)
	}
	vs, _ := AsViews(c)
	if _, err := vs.CreateView(t.Context(), &View{Name: "v", Query: "SELECT 1", Columns: []ViewColumn{{Name: "x", TypeOID: 23, Typmod: -1}}}, false); err != nil {
		t.Fatalf("CreateView after migration: %v", err)
	}
}
