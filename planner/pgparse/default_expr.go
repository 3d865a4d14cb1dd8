package pgparse

import (
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
)

// defaultExpr checks a column's DEFAULT expression as PostgreSQL does when
// the table is created (no column references, subqueries, aggregates,
// window functions or parameters) and returns its text, which the planner
// resolves against the column's type (planner/column_default.go).
func (t *translator) defaultExpr(n *pg.Node) string {
	if n == nil {
		return ""
	}
	walkMessages(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg.ColumnRef:
			t.fail(pgerror.FeatureNotSupported, "cannot use column reference in DEFAULT expression")
		case *pg.SubLink:
			t.fail(pgerror.FeatureNotSupported, "cannot use subquery in DEFAULT expression")
		case *pg.ParamRef:
			t.fail("42P02", "there is no parameter $%d", x.Number)
		case *pg.FuncCall:
			if x.Over != nil {
				t.fail(pgerror.WindowingError, "window functions are not allowed in DEFAULT expressions")
			}
			if isAggregateName(funcCallName(x)) || x.AggStar {
				t.fail(pgerror.GroupingError, "aggregate functions are not allowed in DEFAULT expressions")
			}
			if isSRFCall(x) {
				t.fail(pgerror.FeatureNotSupported, "set-returning functions are not allowed in DEFAULT expressions")
			}
		}
		return true
	})
	text, err := deparseExpr(n)
	if err != nil {
		t.fail(pgerror.SyntaxError, "DEFAULT expression: %v", err)
	}
	return text
}

// deparseExpr returns PostgreSQL's text of an expression.
func deparseExpr(n *pg.Node) (string, error) {
	// A parse result of this library's version, with the expression in
	// place of the 1.
	tree, err := pg.Parse("SELECT 1")
	if err != nil {
		return "", err
	}
	tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val = n
	res, err := pg.Deparse(tree)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(res, "SELECT "), nil
}

// insertValuesWidth applies PostgreSQL's rules for the width of INSERT's
// VALUES lists: they must all have the same length, no more than the
// target columns; without a column list, shorter lists fill the leading
// columns and the others get their DEFAULT (go-mysql-server would refuse
// them).
func (t *translator) insertValuesWidth(ins *ast.Insert, vals ast.Values) {
	if len(vals) == 0 {
		return
	}
	width := len(vals[0])
	for _, v := range vals[1:] {
		if len(v) != width {
			t.fail(pgerror.SyntaxError, "VALUES lists must all be the same length")
		}
	}
	if len(ins.Columns) > 0 {
		switch {
		case width > len(ins.Columns):
			t.fail(pgerror.SyntaxError, "INSERT has more expressions than target columns")
		case width < len(ins.Columns):
			t.fail(pgerror.SyntaxError, "INSERT has more target columns than expressions")
		}
		return
	}
	if t.tableColumns == nil {
		return
	}
	cols, ok := t.tableColumns(ins.Table.Name.String())
	if !ok {
		return // unknown table: planning reports it
	}
	switch {
	case width > len(cols):
		t.fail(pgerror.SyntaxError, "INSERT has more expressions than target columns")
	case width < len(cols) && width > 0:
		for _, c := range cols[:width] {
			ins.Columns = append(ins.Columns, ast.NewColIdent(c))
		}
	}
}
