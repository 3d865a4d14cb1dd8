// Package sqltests runs sqllogictest scripts over the PostgreSQL wire
// protocol. The same scripts run against OpenWit and against a real
// PostgreSQL 15, so a script is both a test of OpenWit and a record of what
// PostgreSQL does. The scripts live in testdata/ (one file per topic) and are
// run by TestSLT; other packages can run their own scripts with Runner or
// Harness.
//
// # Script format
//
// A script is a sequence of records separated by one or more blank lines
// (a line is blank when it holds only spaces and tabs). Lines starting with
// '#' outside a record's SQL and results are comments. A record starts with
// optional condition lines and a header line:
//
//	skipif <target>            skip the record when running against <target>
//	onlyif <target>            run the record only against <target>
//	statement ok               the SQL that follows must succeed
//	statement error [pattern]  the SQL must fail (see "Error patterns")
//	query <types> [<sort> [<label>]]
//	                           the SQL must return the results after "----"
//	query error [pattern]      the query must fail
//	halt                       stop running this file
//	hash-threshold <n>         accepted and ignored (classic sqllogictest)
//
// Targets are "openwit" and "postgres"; any other target is a parse error, so
// a misspelt condition cannot silently disable a record. Use conditions
// sparingly: for timing, server-specific catalog content and the like.
//
// The SQL is every line after the header up to a blank line, or for a query
// up to a line that is exactly "----". After "----" come the expected
// results, up to a blank line or the end of the file. A query without a
// "----" line expects no rows. The SQL is sent as written with the simple
// query protocol; write one statement per record.
//
// # Query types and values
//
// <types> has one letter per result column; a query whose column count
// differs from the number of letters fails. Every value is the server's text
// output (the simple query protocol returns text), rendered as:
//
//	NULL                   NULL
//	the empty string       (empty)
//	T  text                as sent
//	I  integer             as sent
//	B  boolean             as sent: t or f
//	R  real                parsed and printed with three decimals (%.3f),
//	                       so 2.5 is 2.500 and -0.0001 is 0.000; NaN,
//	                       Infinity and -Infinity stay as sent. A value
//	                       that is not a number fails the record.
//
// Then, in every value except NULL and (empty), control characters (below
// U+0020, and U+007F) become '@', as in classic sqllogictest, and each
// space at the start or end of the value becomes '␠' (U+2420), so that
// edge spaces are visible and no result line needs trailing whitespace.
// Use R for float and numeric results whose last digits could differ
// between engines; column names are not checked.
//
// # Result layout
//
// The canonical layout, which Rewrite writes and new scripts should use, is
// one row per line with the row's values separated by a single space:
//
//	query ITR rowsort
//	SELECT status, service, latency_ms FROM logs
//	----
//	200 api gateway 12.500
//	500 billing NULL
//
// A result line is compared as a whole with the rendered row (its values
// joined by single spaces), after trimming spaces and tabs from both ends of
// the line. A text value may contain spaces: "api gateway" above is one
// value. The classic layout of one value per line is accepted too: when a
// query returns C > 1 columns and R rows and the record has R×C result lines
// (and not R), the lines are compared value by value.
//
// <sort> is nosort (the default: rows in the order the server sent them),
// rowsort (the rendered rows are sorted as strings, and so are the expected
// lines, before comparing) or valuesort (all rendered values are sorted, and
// so are the expected lines; write valuesort results one value per line).
// Prefer ORDER BY for queries whose order matters and rowsort for the rest.
// Queries with the same <label> in one file must return the same results.
//
// # Error patterns
//
// A pattern that is exactly five characters from [0-9A-Z] is a SQLSTATE and
// is compared with the error's code (e.g. "statement error 42P01"). Any other
// pattern is a Go regular expression matched against the error message. No
// pattern accepts any error. Scripts meant to run on both targets use
// SQLSTATEs, so the two servers are compared on codes, not wording.
//
// # Running
//
// Each file runs on a connection with fresh state: an empty database (one
// per file on PostgreSQL, one server per file on OpenWit). Records run in
// order; a failed record is reported and the file goes on, except when the
// connection is lost. A failure names file:line, the SQL, and the expected
// and actual results from the first differing row.
//
// Rewrite replaces each query's expected results with what the server
// returned. It exists to generate expectations from PostgreSQL, which are
// then read and checked by a person; it is refused against OpenWit, whose
// output is what the scripts test.
//
// # Commands
//
// TestSLT picks its target with -target or $OPENWIT_SLT_TARGET (default
// openwit: ./cmd/openwit is built once and a server started per file):
//
//	go test ./sqltests/ -run TestSLT                        # OpenWit
//	go test ./sqltests/ -run TestSLT -args -target=postgres # PostgreSQL 15
//	go test ./sqltests/ -run TestSLT/where -args -target=postgres -rewrite
//
// A new script is written with its queries and an empty "----", filled by
// the last command, read line by line, and then checked against OpenWit.
//
// # Known gaps
//
// A record OpenWit does not pass yet carries "skipif openwit" with a
// "# pending: <reason>" line directly above it (TestPendingRecordsAreDocumented
// enforces the comment and reports the count). It still runs against
// PostgreSQL, so the expectation stays proven; removing the two lines is how
// a feature is declared done.
package sqltests
