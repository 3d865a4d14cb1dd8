package pgparse

import (
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql/expression/function"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// notWindowFunction fails like PostgreSQL on name(...) OVER (...) where
// name has no window form here: an aggregate OpenWit cannot run over a
// window (0A000), a plain function (42809), or no function at all (42883).
func (t *translator) notWindowFunction(name string) {
	if isAggregateName(name) {
		t.unsupported(name + " as a window function")
	}
	mapped := name
	if m, ok := functions[name]; ok {
		mapped = m
	}
	if pgexpr.HasFunc(mapped) || builtinFunctions()[mapped] {
		t.fail(pgerror.WrongObjectType, "OVER specified, but %s is not a window function nor an aggregate function", name)
	}
	t.fail(pgerror.UndefinedFunction, "function %s() does not exist", name)
}

var builtinFunctions = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, f := range function.BuiltIns {
		m[strings.ToLower(f.FunctionName())] = true
	}
	return m
})

// windowFrameError reports whether a parser error is one of the frame
// errors PostgreSQL's grammar raises as windowing errors (42P20).
func windowFrameError(msg string) bool {
	return strings.HasPrefix(msg, "frame start cannot be ") || strings.HasPrefix(msg, "frame end cannot be ") ||
		strings.HasPrefix(msg, "frame starting from ")
}

// hasWindow reports whether e calls a window function (outside
// subqueries).
func hasWindow(e ast.Expr) bool {
	found := false
	walkOuter(e, func(n ast.SQLNode) {
		if f, ok := n.(*ast.FuncExpr); ok && f.Over != nil {
			found = true
		}
	})
	return found
}
