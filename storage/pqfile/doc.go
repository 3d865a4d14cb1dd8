// Package pqfile writes and reads OpenWit's data files: Parquet files made
// from Arrow record batches with pqarrow.
//
// # What a file contains
//
//   - One flat Arrow schema, stored twice: as the Parquet schema, and
//     serialized and base64 encoded under the key-value metadata key
//     "ARROW:schema". Readers use the stored Arrow schema, so types that
//     Parquet cannot express exactly come back unchanged: the time zone of a
//     timestamp ("UTC" or none; both are Parquet TIMESTAMP(MICROS)), Int16
//     (INT32 annotated INT(16)), Date32 (INT32 DATE) and Decimal128 with its
//     precision and scale (FIXED_LEN_BYTE_ARRAY annotated DECIMAL). A
//     nullable field is an OPTIONAL column, a non-nullable one REQUIRED.
//   - The CRC-32C of the stored Arrow schema, as 8 hex digits under the key
//     "openwit:arrow_schema_crc32c". The Arrow schema decoder trusts the
//     lengths in the bytes it decodes, so the reader checks this checksum
//     first and rejects a damaged schema instead of decoding it.
//   - Under the key "openwit:nan_columns", the JSON list of the float
//     columns holding at least one NaN (non-NULL). Parquet statistics leave
//     NaN out of min and max; Reader.NaNFree tells a reader when a float
//     column's maximum is its largest value in PostgreSQL's order. Files
//     without the key say nothing (every float column may hold NaN).
//   - Row groups of at most WriterOptions.RowGroupRows rows (default 1<<20),
//     filled in order across the batches given to Write: every row group
//     but the last is full, whatever the batch sizes.
//   - Every column chunk compressed with zstd by default, at level 1, the
//     fastest (snappy, LZ4_RAW or none on request), Parquet format 2.6 with version 1 data pages of about 64 KiB
//     (WriterOptions.DataPageSize, design 038); except, with zstd, the
//     chunks of free-text columns (plain String columns at least half of
//     whose up to 4,096 sampled non-null values hold a space, when there
//     are 512 or more: log messages), which are LZ4_RAW: a text search
//     decompresses their candidate pages about twice as fast, for a
//     column about half as large again (design 054;
//     WriterOptions.UniformCompression turns it off).
//   - Dictionary encoding for String columns, falling back to plain for the
//     rest of a column chunk once the dictionary page passes 1 MiB; except
//     a String column whose values look mostly distinct (at least 90% of up
//     to 4,096 non-null values sampled evenly across the file's rows, when
//     there are 512 or more), such as ids or log messages, which is written
//     plain: its dictionary would be as large as its data. Other columns
//     are plain encoded.
//   - The Parquet page index of every column chunk: a ColumnIndex (each
//     data page's minimum, maximum and null count) and an OffsetIndex
//     (each data page's offset, size and first row), between the last row
//     group and the footer. Files written before it have none; readers
//     handle both (Reader.HasPageIndex).
//   - Statistics for every column chunk: the null count, and the minimum and
//     maximum when the chunk has a non-null value and neither exceeds 4 KiB.
//     Strings and binaries compare byte-wise, as Go strings do.
//     Reader.RowGroupStats returns them for row group pruning.
//
// # Invariants
//
// Files are immutable: once written, nothing rewrites a file in place.
// Changing data means writing a new file and swapping it in through the
// catalog. Readers may therefore cache anything they read from a file,
// including its footer, for as long as they like.
//
// All batches passed to Write have exactly the schema passed with them.
//
// # Reading
//
// NewReader reads and checks the footer once: the magic bytes, that every
// column chunk lies between the header and the footer, that row counts add
// up, and the schema checksum. Read then returns a RecordReader over a
// projection (in the requested column order) of a selection of row groups
// (in the requested order). A batch stays valid until the next call to Next
// and is owned by the RecordReader. A Reader is safe for concurrent Read and
// RowGroupStats calls when the io.ReaderAt under it is (objstore.ReaderAt
// and *os.File are).
//
// ReadDict returns chosen string columns as Arrow dictionaries. For files
// written by this package whose chunks are dictionary-encoded throughout,
// it decodes the indices itself, straight from the version 1 data pages
// into one int32 buffer per chunk (checked against the dictionary), and
// its batches never cross a row group; otherwise pqarrow decodes them.
// Definition levels are decoded straight into the validity bitmap (runs
// as ranges of bits, bit-packed levels as bytes), and the largest index
// of a page is checked against the dictionary once (design 034).
//
// ReadRows returns chosen columns of a set of rows of one row group (by
// position, ascending). Through the OffsetIndex, each column seeks to the
// pages holding those rows and decodes only them; a file without a page
// index is read sequentially instead. NewReader checks that the page
// index lies in the data section, like the column chunks.
//
// Damaged input makes NewReader, or the RecordReader, fail with an error
// that wraps ErrCorrupt where the damage is recognized as such; panics in
// the Parquet library are recovered into such errors. Damage inside a data
// page may go unnoticed by the decoder and return wrong values: these data
// pages carry no checksum, so end-to-end integrity needs a checksum of the
// whole file kept elsewhere, such as in the catalog.
//
// A file that was not written by this package (no schema checksum) is read
// with the Arrow schema derived from its Parquet schema, ignoring any stored
// Arrow schema.
package pqfile
