package pgparse

import (
	"slices"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// TestExpandViews: a FROM item naming a view becomes a subquery over its
// SELECT, aliased by the view's (or the item's) name and the view's
// columns; CTE names hide views; views over views expand.
func TestExpandViews(t *testing.T) {
	views := func(name string) (*ViewDef, bool) {
		switch name {
		case "v":
			return &ViewDef{Query: "SELECT t.a, t.b FROM t WHERE t.a > 1", Columns: []string{"a", "bee"}}, true
		case "w":
			return &ViewDef{Query: "SELECT v.a FROM v", Columns: []string{"a"}}, true
		case "loop":
			return &ViewDef{Query: "SELECT * FROM loop", Columns: []string{"x"}}, true
		}
		return nil, false
	}
	for _, tc := range []struct{ in, want string }{
		{"SELECT * FROM v", "SELECT * FROM (SELECT t.a, t.b FROM t WHERE t.a > 1) v(a, bee)"},
		{"SELECT x.a FROM v x JOIN t ON true", "SELECT x.a FROM (SELECT t.a, t.b FROM t WHERE t.a > 1) x(a, bee) JOIN t ON true"},
		{"SELECT * FROM w", "SELECT * FROM (SELECT v.a FROM (SELECT t.a, t.b FROM t WHERE t.a > 1) v(a, bee)) w(a)"},
		{"WITH v AS (SELECT 1) SELECT * FROM v", "WITH v AS (SELECT 1) SELECT * FROM v"},
		{"SELECT (SELECT count(*) FROM v)", "SELECT (SELECT count(*) FROM (SELECT t.a, t.b FROM t WHERE t.a > 1) v(a, bee))"},
	} {
		got := expandedText(t, tc.in, views)
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	if _, err := ParseWithViews("SELECT * FROM loop", nil, views); err == nil {
		t.Errorf("a view reading itself expanded without error")
	}
}

func expandedText(t *testing.T, q string, views ViewLookup) string {
	t.Helper()
	tree, err := pgParse(q)
	if err != nil {
		t.Fatal(err)
	}
	if err := expandViews(tree.Stmts[0].Stmt, views, nil, 0); err != nil {
		t.Fatal(err)
	}
	out, err := pgDeparse(tree)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExpandStar(t *testing.T) {
	cols := func(name string) ([]string, bool) {
		switch name {
		case "t":
			return []string{"a", "b"}, true
		case "u":
			return []string{"c"}, true
		}
		return nil, false
	}
	for _, tc := range []struct{ in, want string }{
		{"SELECT * FROM t", "SELECT t.a, t.b FROM t"},
		{"SELECT x.*, 1 AS one FROM t x WHERE a > 0", "SELECT x.a, x.b, 1 AS one FROM t x WHERE a > 0"},
		{"SELECT * FROM t JOIN u ON t.a = u.c", "SELECT t.a, t.b, u.c FROM t JOIN u ON t.a = u.c"},
		{"SELECT * FROM t JOIN u USING (a)", "SELECT * FROM t JOIN u USING (a)"},
		{"SELECT * FROM (SELECT 1) s", "SELECT * FROM (SELECT 1) s"},
		{"SELECT a FROM t", "SELECT a FROM t"},
	} {
		got, err := ExpandStar(tc.in, cols)
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %s, %v\nwant %s", tc.in, got, err, tc.want)
		}
	}
	names, err := RelationNames("WITH c AS (SELECT * FROM t) SELECT * FROM c, u, pg_catalog.pg_class, (SELECT 1 FROM t) s")
	slices.Sort(names)
	if err != nil || !slices.Equal(names, []string{"t", "u"}) {
		t.Errorf("RelationNames: %v, %v", names, err)
	}
}

var (
	pgParse   = pg.Parse
	pgDeparse = pg.Deparse
)

// TestMergeView: a view that selects a table's columns unchanged is read
// as the table aliased by the view's name, its WHERE ANDed into the
// query's; any other view stays a subquery.
func TestMergeView(t *testing.T) {
	views := func(name string) (*ViewDef, bool) {
		switch name {
		case "errs":
			return &ViewDef{Query: "SELECT t.a, t.b FROM t WHERE level(t.a) = 'e' AND b > 1", Columns: []string{"a", "b"}}, true
		case "part":
			return &ViewDef{Query: "SELECT t.a FROM t", Columns: []string{"a"}}, true
		case "agg":
			return &ViewDef{Query: "SELECT t.a, t.b FROM t GROUP BY 1, 2", Columns: []string{"a", "b"}}, true
		}
		return nil, false
	}
	cols := func(name string) ([]string, bool) {
		if name == "t" {
			return []string{"a", "b"}, true
		}
		return nil, false
	}
	for _, tc := range []struct{ in, want string }{
		{"SELECT count(*) FROM errs WHERE a > 2", "SELECT count(*) FROM t errs WHERE (level(errs.a) = 'e' AND errs.b > 1) AND a > 2"},
		{"SELECT x.b FROM errs x, u", "SELECT x.b FROM t x, u WHERE level(x.a) = 'e' AND x.b > 1"},
		{"SELECT * FROM part", "SELECT * FROM (SELECT t.a FROM t) part(a)"},
		{"SELECT * FROM agg", "SELECT * FROM (SELECT t.a, t.b FROM t GROUP BY 1, 2) agg(a, b)"},
		{"SELECT * FROM u LEFT JOIN errs ON true", "SELECT * FROM u LEFT JOIN (SELECT t.a, t.b FROM t WHERE level(t.a) = 'e' AND b > 1) errs(a, b) ON true"},
		{"WITH t AS (SELECT 1) SELECT * FROM errs", "WITH t AS (SELECT 1) SELECT * FROM (SELECT t.a, t.b FROM t WHERE level(t.a) = 'e' AND b > 1) errs(a, b)"},
	} {
		tree, err := pgParse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if err := expandViews(tree.Stmts[0].Stmt, views, cols, 0); err != nil {
			t.Fatal(err)
		}
		got, err := pgDeparse(tree)
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %s, %v\nwant %s", tc.in, got, err, tc.want)
		}
	}
}
