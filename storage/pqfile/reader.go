package pqfile

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ErrCorrupt reports a file that is not a readable Parquet file: truncated,
// damaged, or not Parquet at all.
var ErrCorrupt = errors.New("corrupt parquet file")

// magic starts and ends every Parquet file.
const magic = "PAR1"

// Reader reads one Parquet file. Its methods are safe for concurrent use
// when the io.ReaderAt it reads is.
type Reader struct {
	mem    memory.Allocator
	pf     *file.Reader
	schema *arrow.Schema
	// manifest maps the Arrow fields to Parquet leaf columns.
	manifest *pqarrow.SchemaManifest
	// fields maps a field name to its index in schema; -1 marks a name that
	// more than one field has.
	fields map[string]int
	size   int64
	src    io.ReaderAt // the file, for readers of their own (ReadRows)
}

// NewReader parses the footer of the size-byte Parquet file in r. mem
// provides the memory of the batches Read returns; nil means
// memory.DefaultAllocator.
func NewReader(r io.ReaderAt, size int64, mem memory.Allocator) (rd *Reader, err error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	defer recoverCorrupt("open parquet file", &err)
	if size < 2*int64(len(magic))+4 {
		return nil, fmt.Errorf("open parquet file: %w: %d bytes is too small", ErrCorrupt, size)
	}
	var head [len(magic)]byte
	var tail [4 + len(magic)]byte // footer length, magic
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("open parquet file: read header: %w", err)
	}
	if _, err := r.ReadAt(tail[:], size-int64(len(tail))); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("open parquet file: read footer: %w", err)
	}
	if string(head[:]) != magic || string(tail[4:]) != magic {
		return nil, fmt.Errorf("open parquet file: %w: no %q magic", ErrCorrupt, magic)
	}
	footerStart := size - int64(len(tail)) - int64(binary.LittleEndian.Uint32(tail[:4]))
	if footerStart < int64(len(magic)) {
		return nil, fmt.Errorf("open parquet file: %w: footer longer than the file", ErrCorrupt)
	}

	props := parquet.NewReaderProperties(mem)
	src := &errRecorder{r: r}
	pf, err := file.NewParquetReader(io.NewSectionReader(src, 0, size), file.WithReadProps(props))
	if err != nil {
		if ioErr := src.first(); ioErr != nil {
			// Not damage: the storage under r failed.
			return nil, fmt.Errorf("open parquet file: read footer: %w", ioErr)
		}
		return nil, fmt.Errorf("open parquet file: %w: %w", ErrCorrupt, err)
	}
	if err := checkLayout(pf.MetaData(), footerStart); err != nil {
		return nil, fmt.Errorf("open parquet file: %w", err)
	}
	if err := checkStoredSchema(pf.MetaData()); err != nil {
		return nil, fmt.Errorf("open parquet file: %w", err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return nil, fmt.Errorf("open parquet file: %w: schema: %w", ErrCorrupt, err)
	}
	schema, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("open parquet file: %w: schema: %w", ErrCorrupt, err)
	}
	if len(fr.Manifest.Fields) != schema.NumFields() {
		return nil, fmt.Errorf("open parquet file: %w: schema has %d fields, column manifest %d",
			ErrCorrupt, schema.NumFields(), len(fr.Manifest.Fields))
	}
	fields := make(map[string]int, schema.NumFields())
	for i, f := range schema.Fields() {
		if _, dup := fields[f.Name]; dup {
			fields[f.Name] = -1
			continue
		}
		fields[f.Name] = i
	}
	return &Reader{mem: mem, pf: pf, schema: schema, manifest: fr.Manifest, fields: fields, size: size, src: src}, nil
}

// Footer returns the reader's parsed and checked footer, for
// NewReaderFooter. Files are immutable, so it stays valid for the file
// for good and may be shared by any number of readers and goroutines.
func (r *Reader) Footer() *Footer {
	return &Footer{md: r.pf.MetaData(), schema: r.schema, manifest: r.manifest, fields: r.fields, size: r.size}
}

// Footer is the parsed footer of one file (see Reader.Footer).
type Footer struct {
	md       *metadata.FileMetaData
	schema   *arrow.Schema
	manifest *pqarrow.SchemaManifest
	fields   map[string]int
	size     int64
}

// Size is the size of the file the footer was read from.
func (f *Footer) Size() int64 { return f.size }

// NewReaderFooter is NewReader for a file whose footer an earlier reader
// of the same file parsed and checked: it reads nothing until Read. size
// must be the file's size (a different size means another file, an
// error).
func NewReaderFooter(r io.ReaderAt, size int64, mem memory.Allocator, f *Footer) (rd *Reader, err error) {
	if size != f.size {
		return nil, fmt.Errorf("open parquet file: %d bytes, its footer was read from %d", size, f.size)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	defer recoverCorrupt("open parquet file", &err)
	props := parquet.NewReaderProperties(mem)
	src := &errRecorder{r: r}
	pf, err := file.NewParquetReader(io.NewSectionReader(src, 0, size), file.WithReadProps(props), file.WithMetadata(f.md))
	if err != nil {
		return nil, fmt.Errorf("open parquet file: %w: %w", ErrCorrupt, err)
	}
	return &Reader{mem: mem, pf: pf, schema: f.schema, manifest: f.manifest, fields: f.fields, size: size, src: src}, nil
}

// checkLayout checks the row group and column chunk metadata that the
// Parquet library trusts when it sizes buffers: every column chunk must lie
// in the data section [4, footerStart) and row counts must add up. Without
// it a damaged length can make a 10 KB file allocate gigabytes.
func checkLayout(md *metadata.FileMetaData, footerStart int64) error {
	ncols := md.Schema.NumColumns()
	var rows int64
	for i := range md.NumRowGroups() {
		rg := md.RowGroup(i)
		if rg.NumRows() < 0 || rg.NumRows() > math.MaxInt64-rows {
			return fmt.Errorf("%w: row group %d has %d rows", ErrCorrupt, i, rg.NumRows())
		}
		rows += rg.NumRows()
		if rg.NumColumns() != ncols {
			return fmt.Errorf("%w: row group %d has %d columns, schema %d", ErrCorrupt, i, rg.NumColumns(), ncols)
		}
		for c := range ncols {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return fmt.Errorf("%w: row group %d column %d: %w", ErrCorrupt, i, c, err)
			}
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
				start = cc.DictionaryPageOffset()
			}
			n := cc.TotalCompressedSize()
			if start < int64(len(magic)) || n < 0 || start > footerStart || n > footerStart-start || cc.NumValues() < 0 {
				return fmt.Errorf("%w: row group %d column %d: chunk at %d of %d bytes, %d values, data ends at %d",
					ErrCorrupt, i, c, start, n, cc.NumValues(), footerStart)
			}
			for _, loc := range []*metadata.IndexLocation{cc.GetColumnIndexLocation(), cc.GetOffsetIndexLocation()} {
				if loc != nil && (loc.Offset < int64(len(magic)) || loc.Length < 0 || loc.Offset > footerStart || int64(loc.Length) > footerStart-loc.Offset) {
					return fmt.Errorf("%w: row group %d column %d: page index at %d of %d bytes, data ends at %d",
						ErrCorrupt, i, c, loc.Offset, loc.Length, footerStart)
				}
			}
		}
	}
	if rows != md.NumRows {
		return fmt.Errorf("%w: row groups hold %d rows, footer says %d", ErrCorrupt, rows, md.NumRows)
	}
	return nil
}

// errRecorder remembers the first error, other than io.EOF, of an
// io.ReaderAt, so that a failing store is not mistaken for a corrupt file.
type errRecorder struct {
	r   io.ReaderAt
	mu  sync.Mutex
	err error
}

func (e *errRecorder) ReadAt(p []byte, off int64) (int, error) {
	n, err := e.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		e.mu.Lock()
		if e.err == nil {
			e.err = err
		}
		e.mu.Unlock()
	}
	return n, err
}

func (e *errRecorder) first() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// recoverCorrupt turns a panic in the Parquet library, which malformed
// input can cause, into an ErrCorrupt error.
func recoverCorrupt(action string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: %w: %v", action, ErrCorrupt, p)
	}
}

// Schema returns the Arrow schema stored in the file.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// NumRows returns the number of rows in the file.
func (r *Reader) NumRows() int64 { return r.pf.NumRows() }

// NumRowGroups returns the number of row groups in the file.
func (r *Reader) NumRowGroups() int { return r.pf.NumRowGroups() }

// RowGroupRows returns the number of rows in row group rowGroup, or -1 when
// there is no such row group.
func (r *Reader) RowGroupRows(rowGroup int) int64 {
	if rowGroup < 0 || rowGroup >= r.pf.NumRowGroups() {
		return -1
	}
	return r.pf.MetaData().RowGroup(rowGroup).NumRows()
}

// Close releases the reader. It does not close the io.ReaderAt.
func (r *Reader) Close() error { return nil }

// leaves appends the Parquet leaf column indexes under f.
func leaves(dst []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for i := range f.Children {
		dst = leaves(dst, &f.Children[i])
	}
	return dst
}

// fieldIndex returns the index in the schema of the field called name.
func (r *Reader) fieldIndex(name string) (int, error) {
	i, ok := r.fields[name]
	switch {
	case !ok:
		return 0, fmt.Errorf("no column %q", name)
	case i < 0:
		return 0, fmt.Errorf("column name %q is ambiguous", name)
	}
	return i, nil
}

// smallReadRows is the largest batch size of a small read: ReadDict reads
// its column chunks page by page (see Reader.streamed) rather than whole.
const smallReadRows = 4096

// Read returns a RecordReader over the named columns, in that order (nil
// means all columns in schema order), of the given row groups in that order
// (nil means all). Batches have at most batchRows rows. ctx is checked before
// every batch. The caller releases the RecordReader.
func (r *Reader) Read(ctx context.Context, columns []string, rowGroups []int, batchRows int64) (rr *RecordReader, err error) {
	return r.ReadDict(ctx, columns, nil, rowGroups, batchRows)
}

// DictEncoded reports whether column in rowGroup is worth reading as an
// Arrow dictionary: every data page is dictionary-encoded (a chunk that
// fell back to plain encoding would make the reader build a dictionary of
// every value) and the dictionary page is small next to the data pages
// (a dictionary of mostly distinct values, say log messages, costs more to
// hash into an Arrow dictionary than plain strings cost to read).
func (r *Reader) DictEncoded(rowGroup int, column string) bool {
	fi, err := r.fieldIndex(column)
	if err != nil || rowGroup < 0 || rowGroup >= r.pf.NumRowGroups() {
		return false
	}
	sf := &r.manifest.Fields[fi]
	if !sf.IsLeaf() {
		return false
	}
	cc, err := r.pf.MetaData().RowGroup(rowGroup).ColumnChunk(sf.ColIndex)
	if err != nil || !cc.HasDictionaryPage() {
		return false
	}
	if dict := cc.DataPageOffset() - cc.DictionaryPageOffset(); dict <= 0 || dict*4 > cc.TotalCompressedSize() {
		return false
	}
	stats := cc.EncodingStats()
	if len(stats) == 0 {
		return false
	}
	for _, st := range stats {
		// The page type's Go type is internal to arrow-go; its name is not.
		if t := fmt.Sprint(st.PageType); t != "DATA_PAGE" && t != "DATA_PAGE_V2" {
			continue
		}
		if st.Encoding != parquet.Encodings.RLEDict && st.Encoding != parquet.Encodings.PlainDict {
			return false
		}
	}
	return true
}

// ReadDict is Read, with the columns named in dict (a subset of columns,
// string columns) returned as Arrow dictionary arrays (int32 indices).
func (r *Reader) ReadDict(ctx context.Context, columns, dict []string, rowGroups []int, batchRows int64) (rr *RecordReader, err error) {
	if batchRows <= 0 {
		return nil, fmt.Errorf("read parquet: batch rows %d must be positive", batchRows)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	if columns != nil && len(columns) == 0 {
		return nil, errors.New("read parquet: no columns requested")
	}
	for _, rg := range rowGroups {
		if rg < 0 || rg >= r.pf.NumRowGroups() {
			return nil, fmt.Errorf("read parquet: no row group %d in a file of %d", rg, r.pf.NumRowGroups())
		}
	}
	var colIndices []int // nil: all
	if columns != nil {
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
	}
	if rowGroups != nil && len(rowGroups) == 0 {
		return newEmptyRecordReader(r.projectedSchema(columns)), nil
	}

	defer recoverCorrupt("read parquet", &err)
	props := pqarrow.ArrowReadProperties{BatchSize: batchRows}
	if rr := r.readDirect(ctx, columns, dict, rowGroups, batchRows, props); rr != nil {
		return rr, nil
	}
	for _, name := range dict {
		i, err := r.fieldIndex(name)
		if err != nil {
			return nil, fmt.Errorf("read parquet: %w", err)
		}
		if sf := &r.manifest.Fields[i]; sf.IsLeaf() {
			props.SetReadDict(sf.ColIndex, true)
		}
	}
	pf := r.pf
	if batchRows <= smallReadRows {
		// A small read (the first rows for a LIMIT) most likely stops
		// after the first batches: read the column chunks page by page,
		// so that only the pages decoded are read.
		if pf, err = r.streamed(smallReadBufferSize); err != nil {
			return nil, err
		}
	}
	fr, err := pqarrow.NewFileReader(pf, props, r.mem)
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w: %w", ErrCorrupt, err)
	}
	inner, err := fr.GetRecordReader(ctx, colIndices, rowGroups)
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	rr = &RecordReader{ctx: ctx, inner: inner, schema: inner.Schema()}
	rr.refs.Store(1)
	return rr, nil
}

func (r *Reader) projectedSchema(columns []string) *arrow.Schema {
	if columns == nil {
		return r.schema
	}
	fields := make([]arrow.Field, len(columns))
	for i, name := range columns {
		fields[i] = r.schema.Field(r.fields[name]) // checked by Read
	}
	md := r.schema.Metadata()
	return arrow.NewSchema(fields, &md)
}

// RecordReader streams the batches of one Read. It implements
// array.RecordReader: a batch from RecordBatch (or Read) stays valid until the
// next call to Next or Read, or the final Release; callers that keep a batch
// longer Retain it. A RecordReader is for one goroutine at a time.
type RecordReader struct {
	ctx    context.Context
	inner  batchReader // nil for a reader of no row groups
	schema *arrow.Schema
	err    error
	done   bool
	refs   atomic.Int64
}

var _ array.RecordReader = (*RecordReader)(nil)

// batchReader is what RecordReader needs of pqarrow's record reader.
type batchReader interface {
	Next() bool
	RecordBatch() arrow.RecordBatch
	Err() error
	Release()
}

func newEmptyRecordReader(schema *arrow.Schema) *RecordReader {
	rr := &RecordReader{ctx: context.Background(), schema: schema, done: true}
	rr.refs.Store(1)
	return rr
}

// Schema returns the schema of the batches: the requested columns in the
// requested order.
func (rr *RecordReader) Schema() *arrow.Schema { return rr.schema }

// Next advances to the next batch and reports whether there is one. After
// it returns false, Err tells whether the stream ended or failed.
func (rr *RecordReader) Next() (ok bool) {
	if rr.done {
		return false
	}
	if err := rr.ctx.Err(); err != nil {
		rr.fail(err)
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			rr.fail(fmt.Errorf("%w: %v", ErrCorrupt, p))
			ok = false
		}
	}()
	if rr.inner.Next() {
		return true
	}
	rr.done = true
	if err := rr.inner.Err(); err != nil {
		rr.err = fmt.Errorf("read parquet: %w", err)
	}
	return false
}

func (rr *RecordReader) fail(err error) {
	rr.done = true
	rr.err = fmt.Errorf("read parquet: %w", err)
	if rr.inner != nil {
		// Drop the current batch so that a failed reader holds no data.
		rr.inner.Release()
		rr.inner = nil
	}
}

// RecordBatch returns the current batch, or nil before the first Next and
// after the last.
func (rr *RecordReader) RecordBatch() arrow.RecordBatch {
	if rr.done || rr.inner == nil {
		return nil
	}
	return rr.inner.RecordBatch()
}

// Record returns the current batch.
//
// Deprecated: Use RecordBatch, as in array.RecordReader.
func (rr *RecordReader) Record() arrow.RecordBatch { return rr.RecordBatch() }

// Read returns the next batch, or io.EOF after the last one: the operator
// form of Next and RecordBatch.
func (rr *RecordReader) Read() (arrow.RecordBatch, error) {
	if rr.Next() {
		return rr.RecordBatch(), nil
	}
	if rr.err != nil {
		return nil, rr.err
	}
	return nil, io.EOF
}

// Err returns the error that ended the stream, or nil when it ended
// normally or has not ended.
func (rr *RecordReader) Err() error { return rr.err }

// Retain adds a reference to the reader.
func (rr *RecordReader) Retain() { rr.refs.Add(1) }

// Release drops a reference; the last one frees the reader and its current
// batch.
func (rr *RecordReader) Release() {
	if rr.refs.Add(-1) == 0 && rr.inner != nil {
		rr.inner.Release()
		rr.inner = nil
	}
}
