package pqfile

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// ByteBatch is one batch of a byte-array (text) column read by ScanBytes:
// the values are views into the decoded page (or dictionary) buffers, not
// copies, and stay valid only during the callback.
type ByteBatch struct {
	// Rows is the number of rows of the batch.
	Rows int
	// Values holds the non-NULL values, in row order.
	Values []parquet.ByteArray
	// Defs holds each row's definition level when the column is nullable
	// (nil: no row is NULL); a row is NULL when Defs[i] < MaxDef.
	Defs   []int16
	MaxDef int16
}

// ScanBytes reads the byte-array column of a row group in batches of at
// most batchRows rows and calls fn with each, without building an Arrow
// array: a filter can test the page bytes and copy only what it keeps.
// The column must be a top-level byte-array leaf (a text column).
func (r *Reader) ScanBytes(ctx context.Context, rowGroup int, column string, batchRows int, fn func(ByteBatch) error) (err error) {
	if batchRows <= 0 {
		return fmt.Errorf("read parquet: batch rows %d must be positive", batchRows)
	}
	if rowGroup < 0 || rowGroup >= r.pf.NumRowGroups() {
		return fmt.Errorf("read parquet: no row group %d in a file of %d", rowGroup, r.pf.NumRowGroups())
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
	br, err := byteArrayChunk(r.pf, rowGroup, sf.ColIndex, column)
	if err != nil {
		return err
	}
	defer br.Close()
	maxDef := br.Descriptor().MaxDefinitionLevel()
	vals := make([]parquet.ByteArray, batchRows)
	var defs []int16
	if maxDef > 0 {
		defs = make([]int16, batchRows)
	}
	for br.HasNext() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read parquet: %w", err)
		}
		rows, n, err := br.ReadBatch(int64(batchRows), vals, defs, nil)
		if err != nil {
			return fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
		}
		if rows == 0 {
			break
		}
		b := ByteBatch{Rows: int(rows), Values: vals[:n], MaxDef: maxDef}
		if defs != nil && n < int(rows) {
			b.Defs = defs[:rows]
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := br.Err(); err != nil {
		return fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
	}
	return nil
}

// byteArrayChunk opens column chunk colIndex (named column in errors) of a
// row group of pf as a flat byte-array column; the caller closes it.
func byteArrayChunk(pf *file.Reader, rowGroup, colIndex int, column string) (*file.ByteArrayColumnChunkReader, error) {
	cr, err := pf.RowGroup(rowGroup).Column(colIndex)
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
	}
	br, ok := cr.(*file.ByteArrayColumnChunkReader)
	if !ok || cr.Descriptor().MaxRepetitionLevel() != 0 {
		cr.Close()
		return nil, fmt.Errorf("read parquet: column %q is not a flat byte-array column", column)
	}
	return br, nil
}
