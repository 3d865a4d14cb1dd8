// Package pqfile writes and reads OpenWit's data files: Parquet files made
// from Arrow record batches with pqarrow.
//
// # What a file contains
//
//   - One flat Arrow schema, stored twice: as the Parquet schema and, base64
//     encoded under the key-value metadata key "ARROW:schema", as the
//     serialized Arrow schema. Readers use the stored Arrow schema, so types
//     that Parquet cannot express exactly come back unchanged: the time zone
//     of a timestamp ("UTC" or none), Int16 (Parquet INT32 annotated
//     INT(16)), Date32 and Decimal128 with its precision and scale (a
//     FIXED_LEN_BYTE_ARRAY with the DECIMAL annotation).
//   - Row groups of at most WriterOptions.RowGroupRows rows (default 1<<20),
//     filled in order: every row group but the last is full. Batches do not
//     decide row group boundaries.
//   - Every column chunk compressed with zstd by default (snappy or none on
//     request), written as Parquet format 2.6 with version 1 data pages.
//   - Dictionary encoding for String columns (falling back to plain when the
//     dictionary page outgrows its 1 MiB limit); other columns are plain
//     encoded.
//   - Column chunk statistics for every column: null count, and minimum and
//     maximum when the chunk has a non-null value that fits the 4 KiB
//     statistics limit. Strings compare byte-wise, as Go strings do.
//     Reader.RowGroupStats exposes them for row group pruning.
//
// # Invariants
//
// Files are immutable: once Write returns, nothing rewrites a file in place.
// Changing data means writing a new file and swapping it in through the
// catalog. Readers therefore may cache anything they read from a file,
// including its footer, for as long as they like.
//
// Batches that Write takes must all have exactly the schema passed to it.
// Every column is nullable in Parquet terms, so nulls round-trip.
//
// # Reading
//
// NewReader parses the footer once. Read returns a RecordReader over a
// projection (in the requested column order) and a selection of row groups;
// a batch it returns stays valid until the next call to Next and is owned by
// the reader. A Reader is safe for concurrent Read and RowGroupStats calls
// when the io.ReaderAt under it is (objstore.ReaderAt and *os.File are).
// Corrupt or truncated input makes NewReader or the RecordReader fail with
// an error; it never panics through this package.
package pqfile
