// Package exec is OpenWit's vectorized executor: operators that pass Arrow
// record batches, and the plan fragments that describe a pipeline of them.
//
// # Operator contract
//
// Every operator implements Operator. Open is idempotent; Next returns the
// next batch, or io.EOF at the end, and the batch stays valid until the next
// call to Next or Close (callers that keep it Retain it); Close is idempotent
// and releases everything the operator holds. An operator is used by one
// goroutine at a time. All Arrow memory comes from the allocator given in
// Params, so tests can check that nothing leaks.
//
// # Fragments
//
// A Fragment is the unit of work a coordinator hands to a search worker: a
// scan of some sources (Parquet files in the object store, or in-memory
// batches from the ingest buffers), an optional filter, then either a hash
// aggregation (complete, or partial and final: see AggMode), a top-k, or
// nothing (the filtered rows stream back). Fragment is plain data with a
// version and a JSON encoding so that it can travel in a Flight ticket
// (package search); expressions are Expr trees over the scan's columns.
//
// # Semantics
//
// The executor implements PostgreSQL semantics, and its results must match
// the row engine (go-mysql-server) that the planner falls back to: NULL is
// unknown in comparisons and three-valued in AND/OR/NOT; text compares
// bytewise (the C collation); NaN is equal to itself and larger than every
// other float; aggregates skip NULLs; sum of integers is exact (128-bit);
// an aggregation without GROUP BY returns one row even over no input.
//
// # Top-k and LIMIT
//
// A top-k skips row groups whose statistics show no first-key value that
// could reach it (topBound): the bound is the worst kept key of any full
// heap, seeded before any row is read with the k-th best of the row
// groups' best values (or TopKSpec.Seed, computed by the coordinator from
// the zone maps), and sources and row groups are visited best first. Float
// keys in descending order are skipped only in files that record no NaN
// in the key (pqfile.Reader.NaNFree). A plain scan under a LIMIT without a
// filter reads one source at a time in batches of at most the limit. Design
// record: docs/design/029-topk-seed-dict-pages-limit.md.
//
// # Late materialization
//
// A file scan is a list of parts: whole row groups, or the selected rows
// of one row group, read through the Parquet page index
// (pqfile.Reader.ReadRows decodes only the pages holding them). A scan
// with a filter probes the filter's columns first; a row group where at
// most 1 row in 128 passes is read for those rows only (rowsel.go). A
// top-k without a filter reads a row group's first order key, then the
// other columns of the rows that can reach the top k (topk_sel.go). Row
// groups without a page index are read whole. Design record:
// docs/design/032-page-index-late-materialization.md.
//
// # Memory and file metadata
//
// Scans decode every batch into new Arrow buffers and release them a
// batch later. A node's engine passes a Pool as Params.Mem, which hands
// the released buffers out again (zeroed, 64-byte aligned) instead of
// allocating fresh ones; see pool.go for the rule that comes with it
// (nothing may read a buffer after its batch is released: strings that
// outlive a batch are cloned). Params.Footers, a FooterCache, keeps the
// parsed footers of the files scanned, so a query opens a file it or an
// earlier query read without decoding and checking the footer again.
// Design record: docs/design/024-scan-memory-and-footers.md.
//
// # Counting over dictionaries
//
// An aggregation fragment does not copy the rows that pass its filter:
// the runner tests the filter into a mask and the aggregation reads the
// batch through it. When every aggregate is count(*) it adds the rows
// that pass, per dictionary index when grouped by one dictionary-encoded
// string column (a dense array of counters, then one lookup per distinct
// value); count(DISTINCT) without GROUP BY over such a column marks the
// indices present. Design record: docs/design/034-dictionary-counts.md.
//
// # Text search
//
// A fragment that reads one text column and filters it with LIKE, ILIKE
// or match() tests the values where the Parquet reader decoded them and
// copies only the rows that pass (textscan.go); the filter above still
// evaluates the whole predicate. IndexPrune and IndexCount use the token
// postings of index artifacts (postings.go): row groups without a
// candidate row are pruned, and a count(*) under LIKE/ILIKE '%w%' is the
// cardinality of a bitmap union; the coordinator passes such counts to
// the fragment as Source.Matched. Design record:
// docs/design/030-text-postings.md. For other patterns (several words)
// CandidateRows gives each row group's candidate rows, a superset of the
// matches; the coordinator passes small sets with the file
// (FileSource.Candidates) and the scan reads and tests only those rows
// (candidates.go; pqfile.Reader.ScanBytesRows for a text scan). Design
// record: docs/design/033-candidate-rows.md.
//
// # JSON
//
// jsonb columns are Arrow strings of stored JSON text (canonical when
// written through SQL, verbatim from COPY, Kafka and Flight). OpJSONGet,
// OpJSONHas and OpJSONContains read them with package internal/jsonscan,
// which finds the value a path names without building a tree and keeps
// jsonb's semantics (the last of duplicated keys, numbers as numeric).
// OpCast reads extracted text as an integer or float8 with PostgreSQL's
// errors; a condition of AND/OR that holds one is tested only on the rows
// the conditions before it left open, as the row engine evaluates them
// (lazyArg). Design record: docs/design/073-vectorized-json.md.
//
// # Arrays and networks
//
// Array columns are Arrow lists (List or LargeList) of their element type.
// OpArrayAny (x op ANY/ALL, Expr.All), OpArrayContains/Contained/Overlap
// (@>, <@, && with the constants in Expr.Elems), OpArrayElem (a subscript,
// Expr.Index) and OpArrayLength work on the element array once per batch
// and fold rows over the offsets, with PostgreSQL's NULL rules (an empty
// array makes ANY false and ALL true; a NULL element or constant makes an
// undecided row NULL). inet and cidr columns are Arrow strings of their
// canonical text; OpInetCmp (network order and containment against a
// constant) and OpInetFunc (family, masklen) parse each value once into a
// pgnet.Key. They came without a fragment version change: a worker
// that does not know them reports the fragment unsupported. Design record:
// docs/design/077-vectorized-array-inet.md.
//
// # Numeric arithmetic
//
// numeric(p,s) columns are Decimal128 at their declared scale. OpNumAdd,
// OpNumSub, OpNumMul, OpNumNeg and OpNumAbs compute at PostgreSQL's result
// scales within a 38-digit bound checked at compile time (design 091).
// OpNumDiv computes numeric_div's value for each row (select_div_scale's
// scale, half away from zero) held at one common scale, refused when that
// could pass 38 digits; it raises 22012 on a zero divisor, so AND/OR test
// it lazily like OpCast and a CASE refuses it after its first condition
// (design 096).
package exec
