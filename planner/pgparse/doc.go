// Package pgparse is OpenWit's PostgreSQL front end: it parses SQL with the
// real PostgreSQL parser (pg_query_go, libpg_query) and translates the
// PostgreSQL parse tree into go-mysql-server's AST (dolthub/vitess
// sqlparser), which go-mysql-server then resolves, analyzes and executes.
// go-mysql-server's own MySQL parser is never used.
//
// Statements that are not queries over data — CREATE TABLE, DROP TABLE,
// SET, SHOW, RESET, BEGIN/COMMIT/ROLLBACK — are returned as OpenWit commands
// and executed by the planner itself; only SELECT and INSERT go to
// go-mysql-server.
//
// Where PostgreSQL and MySQL semantics differ the translation injects
// expressions with PostgreSQL semantics (planner/pgexpr): `::` casts, `/`
// and `%`, `||`. Result column names follow PostgreSQL's rules (the column
// name for a column reference, the function name for a call, the type name
// for a cast, `?column?` otherwise) and are made explicit as aliases.
// LIKE and ILIKE patterns are rewritten to one escape convention (like.go).
// The inputs of set operations and the rows of VALUES lists are wrapped so
// that the planner can resolve their types with PostgreSQL's rules before
// go-mysql-server merges them (Unify, unify.go); the column comparisons of a
// NOT EXISTS subquery are marked so that its anti join keeps rows whose
// comparison is NULL (not_exists.go). See docs/design/035-set-operation-types.md.
//
// Named function arguments (name => value) are resolved to positions from
// PostgreSQL's parameter names (namedargs.go); WINDOW clause definitions are
// substituted into each OVER (window_named.go); a RANGE frame with offsets
// over a descending key is mirrored to an ascending one (window_desc.go).
//
// A grouped SELECT with GROUPING SETS, ROLLUP, CUBE, grouping() or window
// functions is computed as a derived table of groups: a UNION ALL of one
// plain GROUP BY per grouping set, with the select list, HAVING, ORDER BY
// and windows evaluated over it (grouping_sets.go, docs/design/045).
//
// Anything the translator does not support fails with SQLSTATE 0A000 naming
// the construct; syntax errors carry 42601 and the cursor position. See
// docs/design/001-postgres-front-end.md.
package pgparse
