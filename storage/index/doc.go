// Package index builds, encodes and reads the index artifact of a data
// file: one object per Parquet file, stored next to it under
// "<file key>.idx", that lets the coordinator rule out whole files and
// row groups before any fragment is sent (exec.IndexPrune evaluates a
// filter against it).
//
// # What an artifact holds
//
// Per column and per row group of the file:
//
//   - A zone map: the null count and the minimum and maximum, copied from
//     the Parquet footer statistics (pqfile.Reader.RowGroupStats, so NaN
//     is left out of float bounds and strings compare bytewise). Kinds:
//     int (int2/int4/int8, date in days, timestamp in µs), float, text,
//     bool; other types have none.
//   - An equality Bloom filter (text and integer columns): a split-block
//     Bloom filter over the xxHash64 of each distinct non-null value (text:
//     its bytes; integers: the 8 little-endian bytes of the int64), 12 bits
//     per distinct value (about 1% false positives), at most 8 MiB. Which
//     columns: the table option bloom_columns = 'a,b' (exactly those;
//     ” for none), else automatically every text and integer column in
//     the row groups where more than half of the non-null values are
//     distinct (AutoBloomRatio; trace ids, request ids).
//   - A trigram filter (text columns): a split-block Bloom filter over the
//     distinct byte trigrams of strings.ToLower of every non-null value.
//     Which columns: the table option ngram_columns = 'a,b', else every
//     text column. A row group holding a value that is not valid UTF-8
//     gets no trigram filter (lowercasing would not preserve substrings),
//     nor does one whose trigrams reach half of those the bytes they are
//     made of can form (checked every 1,024 new trigrams: hex ids, random
//     numbers), which could rule out almost no pattern of that alphabet.
//   - Token postings (format 2; the text columns with a trigram filter):
//     the sorted vocabulary of the row group's tokens and, per term, a
//     bitmap of the rows (0-based in the row group) holding it. Tokens are
//     the maximal runs of bytes that are ASCII letters, digits, '_' or
//     >= 0x80 (IsTokenByte: so every byte of a multi-byte UTF-8 sequence,
//     and invalid bytes), case preserved; tokens of ASCII digits only are
//     left out (numbers, ids, IPs would swell the vocabulary). A row
//     group whose vocabulary passes PostingsMaxTerms (64Ki) terms,
//     PostingsMaxBytes (1 MiB) of term bytes, rows/4 + 64 terms, or
//     reaches 1,024 terms at more than 7/8 of a new term per row (trace
//     ids, request ids) gets none: its trigram filter still serves it.
//
// # Why trigrams answer LIKE, ILIKE and match() without false negatives
//
// A row where x LIKE p is true contains every literal run of p (the text
// between wildcards, escapes resolved) as a substring. strings.ToLower maps
// rune by rune, so lower(x) contains lower(run), and so every trigram of
// lower(run): a row group whose filter lacks one of them holds no match.
// ILIKE is lower(x) LIKE lower(p); strings.ToLower is idempotent (a test
// checks every rune), so the same holds. match(x, q) is true when every
// word of q is a word of x, words being the maximal runs of Unicode
// letters and digits of lower(text) (Tokens): each word of q is then a
// substring of lower(x). Runs and words shorter than three bytes prune
// nothing. Bloom filters give false positives only: a kept row group may
// hold no match, a pruned one never holds one. `LIKE '%timeout%'` keeps
// row groups with "timeouts" or "xtimeout": they do match.
//
// # Why postings answer LIKE '%w%' exactly
//
// An occurrence, in a value, of a run of token bytes lies inside one
// token of the value (a token is a maximal run). So a row where x LIKE p
// holds contains, for every maximal run w of token bytes in a literal run
// of p, a token t holding w: as a prefix when a non-token byte of the
// literal (or the start of the pattern, the start of the value) precedes
// w, as a suffix when one follows it, equal when both. The union of the
// bitmaps of the terms passing that test holds every match; intersecting
// over the pieces still does (exec/postings.go). When p is %w% and w has
// token bytes only (and not digits only), the converse holds too: a row
// whose token contains w contains w, so the union is exactly the rows
// that match and count(*) is its cardinality. ILIKE and match() compare
// strings.ToLower of each term: lowering maps token bytes to token bytes
// and leaves the other ASCII bytes alone, so the tokens of lower(x) are
// the lowered tokens of x. Pieces with U+FFFD (which a regexp matches
// against any invalid byte) or digits only constrain nothing.
//
// # Format (version 2; version 1 is the same without postings)
//
// Little-endian; varint and uvarint are encoding/binary's. Readers accept
// versions 1 and 2.
//
//	"OWIX" | version uint16 (2) | flags uint16 (0)
//	uvarint row groups G | G × uvarint rows
//	uvarint columns C | C × column
//	crc32c uint32 (Castagnoli, of every byte before it) | "OWIX"
//
//	column  = uvarint name length | name | kind byte (0 none, 1 int,
//	          2 float, 3 text, 4 bool) | G × zone | filters (Bloom) |
//	          filters (trigram) | postings (version 2 only)
//	zone    = flags byte (bit 0 known, bit 1 has min/max) | if known:
//	          varint nulls (-1 unknown) | if min/max: min, max as
//	          int: varint; float: 8 bytes IEEE 754; text: uvarint length +
//	          bytes; bool: 1 byte
//	filters = 0 (none for the column) | 1, then G × (uvarint blocks B, 0
//	          for none in that row group | B × 8 × uint32 words)
//	postings = 0 (none for the column) | 1, then G × (uvarint T+1 for T
//	          terms, 0 for none in that row group | T × term | T × (uvarint
//	          length | bitmap))
//	term    = uvarint bytes shared with the previous term | uvarint
//	          length | the remaining bytes (terms strictly ascending)
//	bitmap  = the term's rows in the portable serialization of Roaring
//	          bitmaps (github.com/RoaringBitmap/roaring), run-optimized
//
// A block is 256 bits. A key with 64-bit hash h sets, in block
// ((h>>32) × B) >> 32, bit (uint32(h) × salt[i]) >> 27 of word i for the
// eight salts of Parquet's split-block Bloom filter.
//
// # What pruning did
//
// EXPLAIN ANALYZE reports, per vectorized scan, the files and row groups
// the coordinator pruned with these artifacts, by the reason
// exec.IndexPrune gives (zone map, Bloom filter, trigram filter, printed
// "full-text", with the postings; a file counts under full-text when any
// of its row groups was pruned by one, else Bloom, else zone map), next to
// the files pruned by their time range and the counters the fragments
// report (search/doc.go). A count(*) whose filter the postings answer
// exactly (LIKE/ILIKE '%w%' under AND and OR) takes those row groups'
// counts from the artifact and reads no data for them: EXPLAIN ANALYZE
// prints "count(*) from token postings: F files, R row groups, N rows".
//
// Invariants: Decode rejects (ErrCorrupt) anything whose magic, version,
// checksum or structure is off; readers then prune nothing for that file,
// which is correct, only slower. Artifacts are immutable, like their data
// files; a version 1 artifact is read as one without postings, a reader
// that meets another version treats the artifact as missing. Design
// records: docs/design/013-index-artifacts.md, 030-text-postings.md.
package index
