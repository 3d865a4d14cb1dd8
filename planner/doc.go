// Package planner turns PostgreSQL SQL into results. It owns the session
// (PostgreSQL settings such as TimeZone), parses and translates statements
// with planner/pgparse, and plans and runs queries with go-mysql-server over
// OpenWit's tables: published Parquet files plus the ingest buffers, read
// through one consistent snapshot per query. INSERTs go through the table's
// inserter, which hands the whole statement to ingest as one WAL record when
// the statement completes, so a failed statement writes nothing.
//
// Tables are looked up in the catalog by name (and cached). A table found
// there that the ingester does not know yet (another node created it in a
// shared catalog, and the ingester's periodic refresh has not run) is
// handed to the ingester at that first use, so the first INSERT, COPY or
// SELECT on this node works at once.
//
// SQL cursors (cursor.go): DECLARE name [NO SCROLL] CURSOR [WITH HOLD] FOR
// SELECT ..., FETCH / MOVE [FORWARD | NEXT] [count | ALL] [FROM | IN] name,
// CLOSE name | ALL. A cursor runs its query once and streams it forward
// (backward directions are 55000, "cursor can only scan forward"); FETCH
// has the cursor's result columns and the tag "FETCH n". Cursors without
// WITH HOLD close at COMMIT or ROLLBACK; all close with the session.
// Unlike PostgreSQL, DECLARE without WITH HOLD is accepted outside a
// transaction block (it then lives until CLOSE), and statement_timeout
// does not cover the rows a cursor reads between FETCHes.
//
// Preparing a statement with set operations or VALUES lists binds it until
// their column types settle on PostgreSQL's resolution (unify.go,
// pgexpr.TypeGroup, docs/design/035-set-operation-types.md).
//
// Prepared.Execute returns rows; Prepared.ExecuteArrow returns the
// vectorized executor's record batches when the whole plan is vectorized
// (for the Flight SQL gateway; see arrow.go and
// docs/design/007-flight-arrow-results-cancel-doput.md). A fragment the
// executor cannot run (Fragment.Validate fails) is never vectorized: that
// part of the plan stays in go-mysql-server.
//
// System catalogs (pgcatalog.go, pgcatalog_tables.go, information_schema.go,
// pgcatalog_funcs.go): pg_catalog and information_schema are generated from
// OpenWit's catalog on every query; objects OpenWit lacks (indexes,
// constraints, defaults, comments, user functions) have empty catalogs;
// pg_proc lists the built-in functions. Arrays
// in catalogs are their text form ('{a,b}'). Result columns that are table
// columns carry the table's OID, attnum and numeric typmod in
// RowDescription, as PostgreSQL's do. See
// docs/design/015-catalog-views.md.
//
// Sub-packages: pgparse (PostgreSQL → go-mysql-server AST), pgexpr
// (expressions with PostgreSQL semantics), pgtypes (type and OID mapping).
// The design is recorded in docs/design/001-postgres-front-end.md.
package planner
