package pgparse

import (
	"errors"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// TestRewriteViewDML: a write to a view becomes the write to its base
// table, view columns mapped and the view's WHERE ANDed in, through views
// over views; the check conditions come innermost first; PostgreSQL's
// errors for what cannot be written.
func TestRewriteViewDML(t *testing.T) {
	views := func(name string) (*ViewDef, bool) {
		switch name {
		case "v":
			return &ViewDef{Query: "SELECT t.id, t.msg AS m, upper(t.msg) AS um FROM t WHERE t.id > 0", Columns: []string{"id", "m", "um"}}, true
		case "w":
			return &ViewDef{Query: "SELECT v.id AS k, v.um FROM v WHERE v.id < 10", Columns: []string{"k", "um"}, CheckOption: "cascaded"}, true
		case "a":
			return &ViewDef{Query: "SELECT x.id FROM t x WHERE x.id <> 5", Columns: []string{"id"}}, true
		case "g":
			return &ViewDef{Query: "SELECT id, count(*) FROM t GROUP BY id", Columns: []string{"id", "count"}}, true
		}
		return nil, false
	}
	cols := func(name string) ([]string, bool) {
		if name == "t" {
			return []string{"ts", "id", "msg"}, true
		}
		return nil, false
	}
	for _, tc := range []struct{ in, want, checks, code string }{
		{in: "INSERT INTO v (m, id) VALUES ('x', 1) RETURNING *",
			want: "INSERT INTO t (msg, id) VALUES ('x', 1) RETURNING t.id AS id, t.msg AS m, upper(t.msg) AS um"},
		{in: "INSERT INTO v VALUES (1)", want: "INSERT INTO t (id) VALUES (1)"},
		{in: "INSERT INTO v (id[1]) VALUES (1)", want: "INSERT INTO t (id[1]) VALUES (1)"},
		{in: "UPDATE v SET m = m || '!' WHERE um = 'A' RETURNING m",
			want: "UPDATE t SET msg = t.msg || '!' WHERE t.id > 0 AND upper(t.msg) = 'A' RETURNING t.msg AS m"},
		{in: "UPDATE v AS z SET m = DEFAULT WHERE z.id = 1", want: "UPDATE t SET msg = NULL WHERE t.id > 0 AND t.id = 1"},
		{in: "DELETE FROM v", want: "DELETE FROM t WHERE t.id > 0"},
		{in: "DELETE FROM v WHERE id IN (SELECT id FROM other)", want: "DELETE FROM t WHERE t.id > 0 AND t.id IN (SELECT id FROM other)"},
		{in: "DELETE FROM a WHERE id = 1", want: "DELETE FROM t WHERE t.id <> 5 AND t.id = 1"},
		{in: "UPDATE w SET k = 2 WHERE k = 1",
			want:   "UPDATE t SET id = 2 WHERE t.id > 0 AND (t.id < 10 AND t.id = 1)",
			checks: "v:t.id > 0 w:t.id < 10"},
		{in: "INSERT INTO w (um) VALUES ('x')", code: pgerror.FeatureNotSupported},
		{in: "INSERT INTO v (nosuch) VALUES (1)", code: pgerror.UndefinedColumn},
		{in: "INSERT INTO v VALUES (1, 'a', 'b', 2)", code: pgerror.SyntaxError},
		{in: "INSERT INTO v (id, m) VALUES (1)", code: pgerror.SyntaxError},
		{in: "INSERT INTO v (id) SELECT 1, 2", code: pgerror.SyntaxError},
		{in: "UPDATE v SET id = 1 WHERE msg = 'a'", code: pgerror.UndefinedColumn},
		{in: "DELETE FROM g", code: codeObjectNotInPrerequisiteState},
		{in: "DELETE FROM t", want: "DELETE FROM t"},
	} {
		tree, err := pg.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		checks, err := rewriteViewDML(tree.Stmts[0].Stmt, views, cols)
		if tc.code != "" {
			var pe *pgerror.Error
			if !errors.As(err, &pe) || pe.Code != tc.code {
				t.Errorf("%s: %v, want SQLSTATE %s", tc.in, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		got, err := pg.Deparse(tree)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
		gotChecks := ""
		for i, c := range checks {
			if i > 0 {
				gotChecks += " "
			}
			gotChecks += c.View + ":" + c.Cond
		}
		if gotChecks != tc.checks {
			t.Errorf("%s: checks %q, want %q", tc.in, gotChecks, tc.checks)
		}
	}
}
