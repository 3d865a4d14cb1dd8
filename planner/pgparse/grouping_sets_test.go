package pgparse

import (
	"errors"
	"strings"
	"testing"

	pgq "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// TestGroupingSets: a GROUP BY clause expands into PostgreSQL's grouping
// sets (PostgreSQL 15 lists the same sets, in its own order, in EXPLAIN).
func TestGroupingSets(t *testing.T) {
	for _, tc := range []struct {
		groupBy string
		want    string // the sets, ";"-separated, members ","-separated
		multi   bool
	}{
		{"a, b", "a,b", false},
		{"ROLLUP (a, b)", "a,b;a;", true},
		{"ROLLUP (a, (b, c))", "a,b,c;a;", true},
		{"CUBE (a, b)", "a,b;a;b;", true},
		{"GROUPING SETS ((a, b), a, ())", "a,b;a;", true},
		{"a, ROLLUP (b)", "a,b;a", true},
		{"ROLLUP (a), ROLLUP (b)", "a,b;b;a;", true},
		{"GROUPING SETS (CUBE (a), ROLLUP (b))", "a;;b;", true},
		{"()", "", true},
	} {
		tree, err := pgq.Parse("SELECT 1 FROM t GROUP BY " + tc.groupBy)
		if err != nil {
			t.Fatalf("%s: %v", tc.groupBy, err)
		}
		tr := &translator{}
		sets, multi := tr.groupingSets(tree.Stmts[0].Stmt.GetSelectStmt().GroupClause)
		var got []string
		for _, s := range sets {
			var names []string
			for _, n := range s {
				names = append(names, ColumnName(n))
			}
			got = append(got, strings.Join(names, ","))
		}
		if g := strings.Join(got, ";"); g != tc.want || multi != tc.multi {
			t.Errorf("GROUP BY %s: sets %q (multi %v), want %q (multi %v)", tc.groupBy, g, multi, tc.want, tc.multi)
		}
	}
}

// TestGroupingErrors: misplaced grouping operations fail with
// PostgreSQL's SQLSTATEs when the statement is translated.
func TestGroupingErrors(t *testing.T) {
	for sql, code := range map[string]string{
		"SELECT a FROM t WHERE grouping(a) = 0 GROUP BY ROLLUP (a)":                    pgerror.GroupingError,
		"SELECT grouping(b) FROM t GROUP BY ROLLUP (a)":                                pgerror.GroupingError,
		"SELECT count(*) FROM t GROUP BY ROLLUP (count(*))":                            pgerror.GroupingError,
		"SELECT count(*) FROM t GROUP BY row_number() OVER ()":                         pgerror.WindowingError,
		"SELECT sum(row_number() OVER ()) OVER () FROM t":                              pgerror.WindowingError,
		"SELECT 1 FROM t GROUP BY CUBE (a, b, c, d, e, f, g, h, i, j, k, l, m)":        "54011",
		"SELECT sum(a) OVER (ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) FROM t": pgerror.WindowingError,
		"SELECT no_such_window() OVER () FROM t":                                       pgerror.UndefinedFunction,
	} {
		_, err := Parse(sql)
		var pe *pgerror.Error
		if !errors.As(err, &pe) || pe.Code != code {
			t.Errorf("%s: error %v, want SQLSTATE %s", sql, err, code)
		}
	}
}
