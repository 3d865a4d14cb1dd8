package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// bitOperators are PostgreSQL's integer bitwise operators (pgexpr.BitOp).
var bitOperators = map[string]bool{"&": true, "|": true, "#": true, "<<": true, ">>": true}

// bitOp translates a bitwise operator; l is nil for the prefix `~`.
func bitOp(op string, l, r ast.Expr) ast.Expr {
	if l == nil {
		return ast.InjectedExpr{Expression: pgexpr.InjectableBitOp{Op: op}, Children: ast.Exprs{r}}
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableBitOp{Op: op}, Children: ast.Exprs{l, r}}
}

// bitAgg translates bit_and, bit_or and bit_xor: go-mysql-server's
// aggregate of the checked argument, typed and NULL over no values by
// pgexpr.InjectableBitAgg (which also needs count(arg)).
func (t *translator) bitAgg(name string, distinct bool, args []ast.Expr) ast.Expr {
	if len(args) != 1 {
		t.fail(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	info := &pgexpr.BitAggInfo{}
	arg := ast.InjectedExpr{Expression: pgexpr.InjectableBitAggArg{Func: name, Info: info}, Children: args}
	agg := &ast.FuncExpr{Name: ast.NewColIdent(name), Distinct: distinct, Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: arg}}}
	cnt := &ast.FuncExpr{Name: ast.NewColIdent("count"), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: args[0]}}}
	return ast.InjectedExpr{Expression: pgexpr.InjectableBitAgg{Func: name, Info: info}, Children: ast.Exprs{agg, cnt}}
}
