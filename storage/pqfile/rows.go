package pqfile

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Row selection. A filter that keeps a few rows of a row group (a needle
// lookup, the candidates of a top-k) needs the other columns of those rows
// only. ReadRows reads them through the page index: the OffsetIndex of a
// column chunk gives the offset and first row of every data page, so the
// reader seeks to the page holding a wanted row, decodes that page and
// takes the row, and never reads or decompresses the pages in between.

const (
	// rowsBatch is the batch size of a selective read: after a seek, the
	// rows decoded to reach the wanted ones.
	rowsBatch = 1024
	// rowsSeekGap is the smallest distance, in rows, from the position of
	// a selective read to the next wanted row at which the read seeks (to
	// the page holding it) rather than decode forward.
	rowsSeekGap = 4 * rowsBatch
	// rowsBufferSize is the read buffer of a selective read: page headers
	// are read through it, page bodies larger than it directly. It is the
	// least a seek reads; arrow-go peeks 16 KiB for a page header anyway.
	rowsBufferSize = 16 << 10
	// smallReadBufferSize is the read buffer of a small sequential read
	// (Read with small batches): a few pages of the default size at once.
	smallReadBufferSize = 64 << 10
)

// HasPageIndex reports whether every column chunk of rowGroup for the named
// columns has an OffsetIndex (files written before this package wrote page
// indexes have none), so that ReadRows skips the pages without wanted rows.
func (r *Reader) HasPageIndex(rowGroup int, columns []string) bool {
	if rowGroup < 0 || rowGroup >= r.pf.NumRowGroups() {
		return false
	}
	rg := r.pf.MetaData().RowGroup(rowGroup)
	for _, name := range columns {
		i, err := r.fieldIndex(name)
		if err != nil {
			return false
		}
		for _, c := range leaves(nil, &r.manifest.Fields[i]) {
			cc, err := rg.ColumnChunk(c)
			if err != nil || cc.GetOffsetIndexLocation() == nil {
				return false
			}
		}
	}
	return true
}

// ReadRows returns the named columns (in that order) of the rows of
// rowGroup at positions rows (relative to the row group, strictly
// ascending) as one batch of len(rows) rows, in the order of rows. When
// the row group has a page index (HasPageIndex) only the pages holding
// those rows are read and decoded; otherwise the column chunks are read
// whole and the rows taken from them. The caller releases the batch.
func (r *Reader) ReadRows(ctx context.Context, rowGroup int, columns []string, rows []int64) (rec arrow.RecordBatch, err error) {
	if rowGroup < 0 || rowGroup >= r.pf.NumRowGroups() {
		return nil, fmt.Errorf("read parquet: no row group %d in a file of %d", rowGroup, r.pf.NumRowGroups())
	}
	if len(columns) == 0 {
		return nil, errors.New("read parquet: no columns requested")
	}
	n := r.RowGroupRows(rowGroup)
	for i, p := range rows {
		if p < 0 || p >= n || (i > 0 && p <= rows[i-1]) {
			return nil, fmt.Errorf("read parquet: row positions must ascend within the %d rows of row group %d (position %d: %d)", n, rowGroup, i, p)
		}
	}
	var colIndices []int
	seen := make(map[string]bool, len(columns))
	for _, name := range columns {
		if seen[name] {
			return nil, fmt.Errorf("read parquet: column %q requested twice", name)
		}
		seen[name] = true
		i, err := r.fieldIndex(name)
		if err != nil {
			return nil, fmt.Errorf("read parquet: %w", err)
		}
		colIndices = leaves(colIndices, &r.manifest.Fields[i])
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	defer recoverCorrupt("read parquet", &err)

	// A selective read seeks: give it a file reader whose column chunks
	// are read as they are decoded, page by page, not whole. It shares
	// the parsed footer.
	pf := r.pf
	seek := r.HasPageIndex(rowGroup, columns)
	if seek {
		if pf, err = r.streamed(rowsBufferSize); err != nil {
			return nil, err
		}
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: rowsBatch}, r.mem)
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
	}
	inner, err := fr.GetRecordReader(ctx, colIndices, []int{rowGroup})
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	defer inner.Release()
	schema := inner.Schema()

	// Slices of the decoded batches, one per run of consecutive wanted
	// rows, concatenated at the end.
	parts := make([][]arrow.Array, schema.NumFields())
	defer func() {
		for _, p := range parts {
			for _, a := range p {
				a.Release()
			}
		}
	}()
	var pos int64 // the row the reader's next batch starts at
	for i := 0; i < len(rows); {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read parquet: %w", err)
		}
		if seek && rows[i]-pos >= rowsSeekGap {
			if err := inner.SeekToRow(rows[i]); err != nil {
				return nil, fmt.Errorf("read parquet: %w: seek to row %d: %w", ErrCorrupt, rows[i], err)
			}
			pos = rows[i]
		}
		if !inner.Next() {
			if err := inner.Err(); err != nil {
				return nil, fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
			}
			return nil, fmt.Errorf("read parquet: %w: row group %d ended before row %d", ErrCorrupt, rowGroup, rows[i])
		}
		b := inner.RecordBatch()
		end := pos + b.NumRows()
		for i < len(rows) && rows[i] < end {
			j := i + 1
			for j < len(rows) && rows[j] < end && rows[j] == rows[j-1]+1 {
				j++
			}
			lo, hi := rows[i]-pos, rows[j-1]-pos+1
			for c := range parts {
				parts[c] = append(parts[c], array.NewSlice(b.Column(c), lo, hi))
			}
			i = j
		}
		pos = end
	}
	cols := make([]arrow.Array, len(parts))
	defer func() {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
	}()
	for c, p := range parts {
		switch len(p) {
		case 0:
			cols[c] = array.MakeArrayOfNull(r.mem, schema.Field(c).Type, 0)
		case 1:
			cols[c] = p[0]
			cols[c].Retain()
		default:
			if cols[c], err = array.Concatenate(p, r.mem); err != nil {
				return nil, fmt.Errorf("read parquet: %w", err)
			}
		}
	}
	return array.NewRecordBatch(schema, cols, int64(len(rows))), nil
}

// streamed returns a file reader of r's file, sharing its parsed footer,
// whose column chunks are read as they are decoded, page by page through
// a buffer of bufferSize bytes, instead of whole: a read that seeks past
// pages (SeekToRow) or stops after the first pages reads only the pages
// it decodes. r.pf reads each column chunk whole with one ReadAt, which
// is cheaper for a full scan (and one request on an object store).
func (r *Reader) streamed(bufferSize int64) (*file.Reader, error) {
	props := parquet.NewReaderProperties(r.mem)
	props.BufferedStreamEnabled = true
	props.BufferSize = bufferSize
	pf, err := file.NewParquetReader(io.NewSectionReader(r.src, 0, r.size), file.WithReadProps(props), file.WithMetadata(r.pf.MetaData()))
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
	}
	return pf, nil
}
