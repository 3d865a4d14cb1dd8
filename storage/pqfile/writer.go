package pqfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Compression selects the codec for every column chunk of a file.
type Compression int

// The codecs Write supports. The zero value is zstd.
const (
	CompressionZstd Compression = iota
	CompressionSnappy
	CompressionNone
)

func (c Compression) codec() (compress.Compression, error) {
	switch c {
	case CompressionZstd:
		return compress.Codecs.Zstd, nil
	case CompressionSnappy:
		return compress.Codecs.Snappy, nil
	case CompressionNone:
		return compress.Codecs.Uncompressed, nil
	default:
		return 0, fmt.Errorf("unknown compression %d", int(c))
	}
}

// String returns the codec's name.
func (c Compression) String() string {
	switch c {
	case CompressionZstd:
		return "zstd"
	case CompressionSnappy:
		return "snappy"
	case CompressionNone:
		return "none"
	default:
		return fmt.Sprintf("Compression(%d)", int(c))
	}
}

// DefaultRowGroupRows is the row group size Write uses when
// WriterOptions.RowGroupRows is zero.
const DefaultRowGroupRows = 1 << 20

const (
	// maxStatsSize is the largest min or max value, in bytes, kept in a
	// column chunk's statistics; longer values leave min and max unset.
	maxStatsSize = 4096
	// dictPageSizeLimit is the dictionary page size past which a column
	// chunk falls back to plain encoding.
	dictPageSizeLimit = 1 << 20
	// writeBufferSize is the buffer between the Parquet writer and the
	// caller's io.Writer.
	writeBufferSize = 1 << 20
)

// WriterOptions tune Write. The zero value is valid and means the defaults.
type WriterOptions struct {
	// RowGroupRows is the most rows in one row group; 0 means
	// DefaultRowGroupRows.
	RowGroupRows int64
	// Compression is the codec for all columns; the zero value is zstd.
	Compression Compression
	// Allocator provides the memory for encoding; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// ZstdLevel is the zstd compression level (1 fastest .. 22); 0 means
	// DefaultZstdLevel.
	ZstdLevel int
}

// DefaultZstdLevel is the zstd level of written files: the fastest. The
// flush of ingest buffers to Parquet bounds sustained ingest, and level 1
// encodes markedly faster than level 3 for slightly larger files.
const DefaultZstdLevel = 1

// DefaultWriterOptions returns the options Write uses for a zero
// WriterOptions, spelled out.
func DefaultWriterOptions() WriterOptions {
	return WriterOptions{
		RowGroupRows: DefaultRowGroupRows,
		Compression:  CompressionZstd,
		Allocator:    memory.DefaultAllocator,
		ZstdLevel:    DefaultZstdLevel,
	}
}

// Validate reports options that Write would reject.
func (o WriterOptions) Validate() error {
	if o.RowGroupRows < 0 {
		return fmt.Errorf("row group rows %d is negative", o.RowGroupRows)
	}
	if o.ZstdLevel < 0 || o.ZstdLevel > 22 {
		return fmt.Errorf("zstd level %d is out of range 1..22", o.ZstdLevel)
	}
	_, err := o.Compression.codec()
	return err
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.RowGroupRows == 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.ZstdLevel == 0 {
		o.ZstdLevel = DefaultZstdLevel
	}
	return o
}

// Write writes batches, which must all have exactly schema, as one Parquet
// file to w, laid out as the package documentation describes. It returns
// the number of rows and of bytes written. Write does not close w. On error
// it returns zero counts, and w holds an incomplete file to discard.
func Write(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, opts WriterOptions) (rows int64, bytes int64, err error) {
	if err := opts.Validate(); err != nil {
		return 0, 0, fmt.Errorf("write parquet: %w", err)
	}
	if schema == nil {
		return 0, 0, errors.New("write parquet: nil schema")
	}
	opts = opts.withDefaults()
	for i, b := range batches {
		if !b.Schema().Equal(schema) {
			return 0, 0, fmt.Errorf("write parquet: batch %d schema %s differs from file schema %s", i, b.Schema(), schema)
		}
	}
	codec, _ := opts.Compression.codec() // checked by Validate

	props := []parquet.WriterProperty{
		parquet.WithAllocator(opts.Allocator),
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithCompression(codec),
		parquet.WithCompressionLevel(opts.ZstdLevel),
		parquet.WithStats(true),
		parquet.WithMaxStatsSize(maxStatsSize),
		parquet.WithMaxRowGroupLength(opts.RowGroupRows),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryPageSizeLimit(dictPageSizeLimit),
	}
	nonEmpty := make([]arrow.RecordBatch, 0, len(batches))
	for _, b := range batches {
		if b.NumRows() > 0 {
			nonEmpty = append(nonEmpty, b)
			rows += b.NumRows()
		}
	}
	for i, f := range schema.Fields() {
		if isDictionaryType(f.Type) && !mostlyDistinct(nonEmpty, i, rows) {
			props = append(props, parquet.WithDictionaryPath(parquet.ColumnPath{f.Name}, true))
		}
	}
	// Page headers are small writes: buffer them on their way to w, unless
	// w is a memory buffer already (copying through a buffer would only
	// add a copy and a 1 MiB allocation per file).
	var bw *bufio.Writer
	cw := &countingWriter{w: w}
	if !inMemory(w) {
		bw = bufio.NewWriterSize(w, writeBufferSize)
		cw.w = bw
	}
	fw, err := pqarrow.NewFileWriter(schema, cw, parquet.NewWriterProperties(props...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(opts.Allocator)))
	if err != nil {
		return 0, 0, fmt.Errorf("write parquet: %w", err)
	}
	if err := appendSchemaChecksum(fw); err != nil {
		_ = fw.Close()
		return 0, 0, fmt.Errorf("write parquet: %w", err)
	}
	if rows > 0 {
		// The batches become the chunks of one table, without copying, cut
		// into row groups of RowGroupRows whatever the batch boundaries.
		// Unlike WriteBuffered, WriteTable streams each column chunk out as
		// it is encoded instead of holding the whole row group in memory.
		tbl := array.NewTableFromRecords(schema, nonEmpty)
		err := fw.WriteTable(tbl, opts.RowGroupRows)
		tbl.Release()
		if err != nil {
			_ = fw.Close()
			return 0, 0, fmt.Errorf("write parquet: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return 0, 0, fmt.Errorf("write parquet: close: %w", err)
	}
	if cw.err == nil && bw != nil {
		cw.err = bw.Flush()
	}
	if cw.err != nil {
		return 0, 0, fmt.Errorf("write parquet: %w", cw.err)
	}
	return rows, cw.n, nil
}

// Dictionary choice: a string column is written plain when at least
// plainDistinct of up to dictSample of its non-null values, taken evenly
// across the file's rows, are distinct, and there are at least
// dictMinSample of them.
const (
	dictSample    = 4096
	dictMinSample = 512
	plainDistinct = 0.9
)

// mostlyDistinct reports whether string column col of batches (rows rows
// in all) holds mostly distinct values, identifiers or log messages: their
// dictionary would be about as large as the data (readers already read
// such chunks plain, see Reader.DictEncoded), and building it would hash
// every value for nothing.
func mostlyDistinct(batches []arrow.RecordBatch, col int, rows int64) bool {
	step := max(rows/dictSample, 1)
	seen := make(map[string]struct{}, min(rows, dictSample))
	n := 0
	var pos, base int64 // next sampled row, first row of the batch
	for _, b := range batches {
		a, ok := b.Column(col).(*array.String)
		if !ok {
			return false
		}
		for ; pos < base+b.NumRows(); pos += step {
			if i := int(pos - base); a.IsValid(i) {
				seen[a.Value(i)] = struct{}{}
				n++
			}
		}
		base += b.NumRows()
	}
	return n >= dictMinSample && float64(len(seen)) >= plainDistinct*float64(n)
}

// inMemory reports whether w is a memory buffer.
func inMemory(w io.Writer) bool {
	_, ok := w.(*bytes.Buffer)
	return ok
}

// appendSchemaChecksum adds the checksum of the stored Arrow schema to the
// key-value metadata; see schemaChecksumKey.
func appendSchemaChecksum(fw *pqarrow.FileWriter) error {
	md, err := fw.FileMetadata()
	if err != nil {
		return fmt.Errorf("schema checksum: %w", err)
	}
	stored := md.KeyValueMetadata().FindValue(arrowSchemaKey)
	if stored == nil {
		return errors.New("schema checksum: no stored Arrow schema")
	}
	return fw.AppendKeyValueMetadata(schemaChecksumKey, schemaChecksum(*stored))
}

// isDictionaryType reports the column types written with dictionary
// encoding: strings, whose values in observability data repeat a lot.
func isDictionaryType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		return true
	}
	return false
}

// countingWriter counts the bytes written through it and keeps the first
// error of w. After an error it discards further writes and reports
// success: the Parquet writer, when its sink fails halfway through a row
// group, returns without releasing the rest of the row group's encoders, so
// it is better kept unaware until it has closed normally.
//
// It deliberately has no Close method: the Parquet writer closes writers
// that have one, and the caller owns w.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		c.err = err
	}
	return len(p), nil
}
