// Package pgexpr holds go-mysql-server expressions with PostgreSQL semantics
// where go-mysql-server's MySQL behaviour differs: casts (`::`), division and
// modulo (integer division truncates; division by zero is error 22012), and
// the error codes PostgreSQL raises for bad input (22P02) and overflow
// (22003). The PostgreSQL front end (planner/pgparse) injects them into the
// go-mysql-server AST through vitess' InjectedExpr.
package pgexpr
