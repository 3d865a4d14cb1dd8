// Package jsonscan reads values out of JSON text without building a tree:
// the stored text of a jsonb column (PostgreSQL's jsonb output when the row
// came through SQL, verbatim JSON when it came through COPY, Kafka or
// Flight) is scanned for the object key or array element a path asks for,
// and only the value found is converted.
//
// # Input
//
// The text is assumed to be valid JSON (every ingest path checks it).
// Scanning skips values structurally (strings to their closing quote,
// containers to their matching bracket) without validating them; a text
// that is not even structurally JSON gives ErrSyntax.
//
// # Semantics (those of jsonb, design 065)
//
//   - A key of an object that appears more than once has its last value:
//     Key returns the last match, whatever the order of the text.
//   - Keys and strings are compared and returned decoded: escapes (\n,
//     \u00e9, surrogate pairs) are resolved; \u0000 and unpaired surrogate
//     escapes read leniently (NUL, U+FFFD) as pgexpr.ParseStoredJSONB
//     reads stored text.
//   - Canon prints a value as jsonb's text output: numbers as numeric
//     (1e2 is 100, 2.50 stays 2.50, -0 is 0), objects with their keys
//     de-duplicated and ordered by length then bytes, ", " and ": "
//     between items, strings escaped as escape_json does.
//
// pgexpr's JSONB is the reference: the package's tests compare every
// function with it on generated documents.
package jsonscan
