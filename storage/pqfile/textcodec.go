package pqfile

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Free-text columns. A text search answered from token postings (design
// 033) still verifies its candidate rows in the data: at 0.04% of the
// rows, most 64 KiB pages of a log message column hold a candidate, and
// decompressing those pages is most of the query's CPU. LZ4 (Parquet's
// LZ4_RAW) decompresses such pages about twice as fast as zstd, for a
// column about half as large again. Columns of free text (log messages)
// are read for their pages' text; identifier columns (trace ids: one
// token, hex or random) barely compress with LZ4, so they keep zstd.
// Design 054 has the numbers.

// Free-text sampling: a plain string column is free text when at least
// freeTextShare of up to dictSample of its non-null values, sampled
// evenly across the file's rows, hold a space, and there are at least
// dictMinSample of them.
const freeTextShare = 0.5

// freeText reports whether string column col of batches (rows rows in
// all) holds free text (see freeTextShare).
func freeText(batches []arrow.RecordBatch, col int, rows int64) bool {
	n, spaced := 0, 0
	ok := sampleStrings(batches, col, rows, func(v string) bool {
		n++
		if strings.IndexByte(v, ' ') >= 0 {
			spaced++
		}
		return true
	})
	return ok && n >= dictMinSample && float64(spaced) >= freeTextShare*float64(n)
}

// sampleStrings calls visit with up to dictSample non-null values of
// string column col of batches (rows rows in all), sampled evenly, until
// visit returns false; it returns false when visit did or the column is
// not a String column.
func sampleStrings(batches []arrow.RecordBatch, col int, rows int64, visit func(string) bool) bool {
	step := max(rows/dictSample, 1)
	var pos, base int64 // next sampled row, first row of the batch
	for _, b := range batches {
		a, ok := b.Column(col).(*array.String)
		if !ok {
			return false
		}
		for ; pos < base+b.NumRows(); pos += step {
			if i := int(pos - base); a.IsValid(i) && !visit(a.Value(i)) {
				return false
			}
		}
		base += b.NumRows()
	}
	return true
}
