// Package bench is `openwit bench`: a reproducible end-to-end benchmark of
// OpenWit against DuckDB and PostgreSQL 15 on synthetic logs.
//
// # What it does
//
//  1. Generates GenConfig.Rows synthetic log rows (Generator), seeded and
//     deterministic: batch i depends only on (seed, i). Table logs (ts
//     timestamptz, service, host, level, status int4, latency_ms float8,
//     trace_id, message), ts spread evenly over Days from 2024-01-01 UTC,
//     20 services with a Zipf-like skew, 10 hosts each, levels debug 10% /
//     info 75% / warn 12% / error 3% (per-service error rates differ),
//     HTTP statuses correlated with the level, lognormal latencies, unique
//     32-hex trace ids, 14 message templates (some contain "timeout").
//  2. Starts OpenWit in-process (internal/node, like `openwit serve`) on a
//     temporary data dir and free loopback ports, creates the table and
//     loads the rows through Arrow Flight SQL bulk ingest
//     (CommandStatementIngest); then flushes every buffer to Parquet,
//     which builds the files' index artifacts as `openwit serve` does, so
//     queries run with pruning by them. The node's ingest buffer and WAL
//     limits are raised to hold the whole data set until that flush.
//  3. Loads the same rows into PostgreSQL (a given URL, or a scratch server
//     from internal/pgserver) with COPY (pgx CopyFrom), then ANALYZE.
//  4. Points DuckDB at the very Parquet files OpenWit wrote (a view logs
//     over read_parquet). DuckDB runs in a separate program,
//     openwit-duckdb, built from the nested module bench/duckdb so the
//     main module does not link DuckDB.
//  5. Runs Queries on each engine: one warm-up, then Runs timed runs; the
//     median is reported. Results are compared across engines and the
//     table of timings and ratios printed.
//
// # The openwit-duckdb protocol
//
// openwit-duckdb reads one JSON duckRequest on stdin and writes one JSON
// duckResponse on stdout: it creates `CREATE VIEW logs AS SELECT * FROM
// read_parquet([files])` with TimeZone UTC, then runs each query Warmup +
// Runs times, timing each run (execute and read every row), and returns
// the last run's rows. Values are sent as strings (null for NULL) in the
// canonical forms of FormatValue: timestamps in UTC with microseconds
// ("2006-01-02 15:04:05.000000Z"), floats in Go's shortest 'g' form,
// integers and decimals in decimal.
//
// # Comparing results
//
// Rows are compared in order (every query has a total ORDER BY or one
// row), cell by cell: equal strings, or numbers equal within a relative
// 1e-6 when either is not an integer (floats agree to ~6 significant
// digits: engines sum and interpolate in different orders). A query marked
// RowCountOnly (SELECT * ... LIMIT) compares only the number of rows.
package bench
