package pgparse

import (
	"sync/atomic"
	"unicode/utf8"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/planner/pgexpr"
)

// functionExists reports whether go-mysql-server's function registry has
// a function of that name (SetFunctionLookup); nil: every name exists.
var functionExists atomic.Pointer[func(string) bool]

// SetFunctionLookup sets the lookup the translator uses to turn a call of
// an unknown function into PostgreSQL's 42883 error with the arguments'
// types. The planner sets it once; every engine registers the same
// function names, so the first lookup serves all.
func SetFunctionLookup(exists func(string) bool) {
	functionExists.CompareAndSwap(nil, &exists)
}

// unknownFunc returns the call of name, which does not exist, as an
// expression that fails with PostgreSQL's message once the arguments'
// types are known; ok is false when the function exists.
func (t *translator) unknownFunc(name, shown string, f *pg.FuncCall, args ast.Exprs) (ast.Expr, bool) {
	exists := functionExists.Load()
	if exists == nil || (*exists)(name) {
		return nil, false
	}
	unknown := make([]bool, len(f.Args))
	for i, a := range f.Args {
		unknown[i] = a.GetAConst().GetSval() != nil
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableUnknownFunc{Name: shown, Unknown: unknown, Pos: t.position(f.Location)}, Children: args}, true
}

// position is PostgreSQL's 1-based character position of a parse-tree
// location (a byte offset into the whole query), 0 when unknown.
func (t *translator) position(loc int32) int32 {
	if loc < 0 || t.query == "" || int(loc) > len(t.query) {
		return 0
	}
	return int32(utf8.RuneCountInString(t.query[:loc])) + 1
}
