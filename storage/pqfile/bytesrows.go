package pqfile

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/parquet"
)

// ScanBytesRows is ScanBytes for some rows of the row group only: rows
// are row positions within the row group, ascending, and fn is called
// once per row with the row's value (a view into the decoded page, valid
// during the call; nil and null true for NULL). The rows between are
// skipped without being decoded; when the column chunk has an offset
// index (Parquet page index), whole pages between two rows are not
// decompressed (the reader seeks to the page holding the next row), nor
// read from the file when the rows leave at least half of the pages
// untouched; else each page is still read and decompressed.
func (r *Reader) ScanBytesRows(ctx context.Context, rowGroup int, column string, rows []uint32, fn func(row uint32, v []byte, null bool) error) (err error) {
	if rowGroup < 0 || rowGroup >= r.pf.NumRowGroups() {
		return fmt.Errorf("read parquet: no row group %d in a file of %d", rowGroup, r.pf.NumRowGroups())
	}
	n := r.pf.MetaData().RowGroup(rowGroup).NumRows()
	for i, row := range rows {
		if int64(row) >= n || (i > 0 && row <= rows[i-1]) {
			return fmt.Errorf("read parquet: row %d of row group %d (%d rows) out of order or range", row, rowGroup, n)
		}
	}
	fi, err := r.fieldIndex(column)
	if err != nil {
		return fmt.Errorf("read parquet: %w", err)
	}
	sf := &r.manifest.Fields[fi]
	if !sf.IsLeaf() {
		return fmt.Errorf("read parquet: column %q is not a leaf", column)
	}
	defer recoverCorrupt("read parquet", &err)
	if len(rows) == 0 {
		return nil
	}
	// firstRows are the first rows of the chunk's pages when it has an
	// offset index (nil: none).
	var firstRows []int64
	if rg, err := r.pf.GetPageIndexReader().RowGroup(rowGroup); err == nil && rg != nil {
		if oi, err := rg.GetOffsetIndex(sf.ColIndex); err == nil && oi != nil {
			for _, p := range oi.GetPageLocations() {
				firstRows = append(firstRows, p.FirstRowIndex)
			}
		}
	}
	pageOf := func(row int64) int {
		return sort.Search(len(firstRows), func(i int) bool { return firstRows[i] > row }) - 1
	}
	// With an offset index the reader seeks past the pages without a
	// wanted row: when the rows leave at least half of the pages
	// untouched, read the chunk page by page, so that those pages are not
	// read from the file either; else read it whole, at once.
	pf := r.pf
	if firstRows != nil {
		touched, last := 0, -1
		for _, row := range rows {
			if p := pageOf(int64(row)); p != last {
				touched, last = touched+1, p
			}
		}
		if touched*2 <= len(firstRows) {
			if pf, err = r.streamed(rowsBufferSize); err != nil {
				return err
			}
		}
	}
	br, err := byteArrayChunk(pf, rowGroup, sf.ColIndex, column)
	if err != nil {
		return err
	}
	defer br.Close()
	maxDef := br.Descriptor().MaxDefinitionLevel()
	vals := make([]parquet.ByteArray, 1)
	defs := make([]int16, 1)
	if !br.HasNext() { // reads the dictionary page, if any, before a seek
		if err := br.Err(); err != nil {
			return fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
		}
		return fmt.Errorf("read parquet: %w: column %q of row group %d ends before row %d", ErrCorrupt, column, rowGroup, rows[0])
	}
	var at int64 // the next row the reader returns
	for _, row := range rows {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read parquet: %w", err)
		}
		target := int64(row)
		if firstRows != nil && pageOf(target) > pageOf(at) {
			if err := br.SeekToRow(target); err != nil {
				return fmt.Errorf("read parquet: %w: seek to row %d: %w", ErrCorrupt, target, err)
			}
		} else if target > at {
			if _, err := br.Skip(target - at); err != nil {
				return fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
			}
		}
		total, nv, err := br.ReadBatchInPage(1, vals, defs, nil)
		if err != nil {
			return fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
		}
		if total != 1 {
			return fmt.Errorf("read parquet: %w: column %q of row group %d ends before row %d", ErrCorrupt, column, rowGroup, row)
		}
		at = target + 1
		if nv == 0 || (maxDef > 0 && defs[0] < maxDef) {
			err = fn(row, nil, true)
		} else {
			err = fn(row, vals[0], false)
		}
		if err != nil {
			return err
		}
	}
	if err := br.Err(); err != nil {
		return fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
	}
	return nil
}
