package catalog

import (
	"errors"
	"slices"
	"testing"
)

// testCharTypes checks that varchar(n) and char(n) keep their length in
// the catalog, across a reopen and through AddColumns, and that lengths
// PostgreSQL refuses are refused.
func testCharTypes(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	in := sampleTable("chars")
	in.Columns = append(in.Columns,
		Column{Name: "code", Type: "varchar(16)"},
		Column{Name: "any", Type: "varchar"},
		Column{Name: "flag", Type: "bpchar(4)"},
		Column{Name: "big", Type: "varchar(10485760)"})
	if _, err := c.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddColumns(ctx, "chars", []Column{{Name: "later", Type: "varchar(3)"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = open(t)
	got, err := c.GetTable(ctx, "chars")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, col := range got.Columns {
		types = append(types, col.Type)
	}
	want := []string{"timestamptz", "text", "float8", "varchar(16)", "varchar", "bpchar(4)", "varchar(10485760)", "varchar(3)"}
	if !slices.Equal(types, want) {
		t.Errorf("column types after reopen = %v, want %v", types, want)
	}
	for _, bad := range []string{"varchar(0)", "varchar(-1)", "varchar(10485761)", "varchar(016)", "bpchar()", "varchar(1,2)", "char(4)"} {
		tbl := sampleTable("bad")
		tbl.Columns[1].Type = bad
		if _, err := c.CreateTable(ctx, tbl); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateTable with %q: err = %v, want ErrInvalid", bad, err)
		}
		if _, err := c.AddColumns(ctx, "chars", []Column{{Name: "bad", Type: bad}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddColumns with %q: err = %v, want ErrInvalid", bad, err)
		}
	}
}
