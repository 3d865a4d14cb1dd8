// Package planner turns PostgreSQL SQL into results. It owns the session
// (PostgreSQL settings such as TimeZone), parses and translates statements
// with planner/pgparse, and plans and runs queries with go-mysql-server over
// OpenWit's tables: published Parquet files plus the ingest buffers, read
// through one consistent snapshot per query. INSERTs go through the table's
// inserter, which hands the whole statement to ingest as one WAL record when
// the statement completes, so a failed statement writes nothing.
//
// Sub-packages: pgparse (PostgreSQL → go-mysql-server AST), pgexpr
// (expressions with PostgreSQL semantics), pgtypes (type and OID mapping).
// The design is recorded in docs/design/001-postgres-front-end.md.
package planner
