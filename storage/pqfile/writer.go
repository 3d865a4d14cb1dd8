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
	// CompressionLZ4Raw is Parquet's LZ4_RAW (LZ4 blocks without framing).
	CompressionLZ4Raw
)

func (c Compression) codec() (compress.Compression, error) {
	switch c {
	case CompressionZstd:
		return compress.Codecs.Zstd, nil
	case CompressionSnappy:
		return compress.Codecs.Snappy, nil
	case CompressionNone:
		return compress.Codecs.Uncompressed, nil
	case CompressionLZ4Raw:
		return compress.Codecs.Lz4Raw, nil
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
	case CompressionLZ4Raw:
		return "lz4_raw"
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
	// writeBatchRows is how many values the column writers encode at a
	// time; a data page is closed at the first batch boundary past
	// DataPageSize. 256 rather than arrow-go's 1,024: pages of long values
	// end nearer the page size (log messages of ~50 bytes: ~1,300-1,500
	// rows instead of 2,048 at 64 KiB), while columns of short values
	// (8-byte numbers: 8,192 rows) keep their pages (design 054).
	writeBatchRows = 256
	// writeBufferSize is the buffer between the Parquet writer and the
	// caller's io.Writer.
	writeBufferSize = 1 << 20
)

// WriterOptions tune Write. The zero value is valid and means the defaults.
type WriterOptions struct {
	// RowGroupRows is the most rows in one row group; 0 means
	// DefaultRowGroupRows.
	RowGroupRows int64
	// Compression is the codec for all columns but free text; the zero
	// value is zstd.
	Compression Compression
	// UniformCompression writes every column with Compression. By
	// default, when Compression is zstd, free-text columns (plain string
	// columns whose values mostly hold a space, such as log messages:
	// freeText) are written with LZ4_RAW instead, which the reads of a
	// text search's candidate pages decompress about twice as fast
	// (design 054).
	UniformCompression bool
	// Allocator provides the memory for encoding; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// ZstdLevel is the zstd compression level (1 fastest .. 22); 0 means
	// DefaultZstdLevel.
	ZstdLevel int
	// DataPageSize is the size in bytes past which a data page is closed
	// (checked every 256 values); 0 means DefaultDataPageSize. Smaller
	// pages let ReadRows decode less around the rows it wants.
	DataPageSize int64
}

// DefaultDataPageSize is the data page size of written files when
// WriterOptions.DataPageSize is zero. Pages are closed once past it,
// checked every 256 values (writeBatchRows), so a text column of log
// lines (~50 bytes a value) gets pages of ~1,300-1,500 rows and an int64
// column pages of 8,192: a read of a few rows (candidate rows of a text
// search, the rows of a LIMIT, a row selection) decompresses a few small
// pages instead of pages of 1 MiB, for files about 4% larger and full
// scans about as fast.
// arrow-go's writer has one page size for all columns. Design 038 has the
// numbers.
const DefaultDataPageSize = 64 << 10

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
		DataPageSize: DefaultDataPageSize,
	}
}

// Validate reports options that Write would reject.
func (o WriterOptions) Validate() error {
	if o.RowGroupRows < 0 {
		return fmt.Errorf("row group rows %d is negative", o.RowGroupRows)
	}
	if o.DataPageSize < 0 {
		return fmt.Errorf("data page size %d is negative", o.DataPageSize)
	}
	if o.ZstdLevel < 0 || o.ZstdLevel > 22 {
		return fmt.Errorf("zstd level %d is out of range 1..22", o.ZstdLevel)
	}
	_, err := o.Compression.codec()
	return err
}

// textCodec returns the codec of free-text columns (see
// UniformCompression).
func (o WriterOptions) textCodec() (compress.Compression, error) {
	if o.Compression != CompressionZstd || o.UniformCompression {
		return o.Compression.codec()
	}
	return compress.Codecs.Lz4Raw, nil
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
	if o.DataPageSize == 0 {
		o.DataPageSize = DefaultDataPageSize
	}
	return o
}

// Write writes batches, which must all have exactly schema, as one Parquet
// file to w, laid out as the package documentation describes. It returns
// the number of rows and of bytes written. Write does not close w. On error
// it returns zero counts, and w holds an incomplete file to discard.
func Write(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, opts WriterOptions) (rows int64, bytes int64, err error) {
	return write(w, schema, batches, opts, nil)
}

// WriteDictionaries is Write that also returns the dictionaries it chose
// for text columns, per row group (Dictionaries): the index of the file
// takes its distinct values from them instead of hashing every row again
// (design 085). The caller releases them.
func WriteDictionaries(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, opts WriterOptions) (rows int64, bytes int64, dicts *Dictionaries, err error) {
	dicts = &Dictionaries{}
	rows, bytes, err = write(w, schema, batches, opts, dicts)
	if err != nil {
		dicts.Release()
		return 0, 0, nil, err
	}
	return rows, bytes, dicts, nil
}

func write(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, opts WriterOptions, keep *Dictionaries) (rows int64, bytes int64, err error) {
	for i, b := range batches {
		if schema != nil && !b.Schema().Equal(schema) {
			return 0, 0, fmt.Errorf("write parquet: batch %d schema %s differs from file schema %s", i, b.Schema(), schema)
		}
	}
	sw, err := NewStreamWriter(w, schema, opts)
	if err != nil {
		return 0, 0, err
	}
	sw.keep = keep
	nonEmpty := make([]arrow.RecordBatch, 0, len(batches))
	for _, b := range batches {
		if b.NumRows() > 0 {
			nonEmpty = append(nonEmpty, b)
		}
	}
	// The batches become the chunks of one table, without copying, cut
	// into row groups of RowGroupRows whatever the batch boundaries; they
	// are also the sample of the dictionary choice.
	if err := sw.writeGroups(nonEmpty); err != nil {
		sw.abort()
		return 0, 0, err
	}
	return sw.Close()
}

// StreamWriter writes one Parquet file from batches given one at a time,
// holding at most one row group of them (Write, when every batch is at
// hand, holds none). The layout is Write's; the dictionary choice
// (mostlyDistinct) samples the first row group.
type StreamWriter struct {
	w       io.Writer
	schema  *arrow.Schema
	opts    WriterOptions
	groupN  int64
	fw      *pqarrow.FileWriter // started at the first row group (start)
	bw      *bufio.Writer       // nil when w is in memory already
	cw      *countingWriter
	pending []arrow.RecordBatch // retained, fewer than groupN rows
	pendN   int64
	rows    int64
	closed  bool
	nan     []bool // columns seen holding a NaN (nanColumnsKey)
	dict    []bool // string columns written as dictionary indices (dictColumn)
	groups  int    // row groups started
	keep    *Dictionaries
}

// NewStreamWriter prepares a Parquet file of schema on w; nothing is
// written before the first row group or Close.
func NewStreamWriter(w io.Writer, schema *arrow.Schema, opts WriterOptions) (*StreamWriter, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("write parquet: %w", err)
	}
	if schema == nil {
		return nil, errors.New("write parquet: nil schema")
	}
	opts = opts.withDefaults()
	return &StreamWriter{w: w, schema: schema, opts: opts, groupN: opts.RowGroupRows, nan: make([]bool, schema.NumFields()),
		dict: make([]bool, schema.NumFields())}, nil
}

// start creates the Parquet writer, choosing each string column's encoding
// from sample (the first rows).
func (sw *StreamWriter) start(sample []arrow.RecordBatch) error {
	opts := sw.opts
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
		parquet.WithDataPageSize(opts.DataPageSize),
		parquet.WithBatchSize(writeBatchRows),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryPageSizeLimit(dictPageSizeLimit),
		// The page index (ColumnIndex and OffsetIndex of every chunk)
		// lets a reader decode only the pages holding the rows it wants
		// (ReadRows).
		parquet.WithPageIndexEnabled(true),
	}
	var rows int64
	for _, b := range sample {
		rows += b.NumRows()
	}
	// One set for every column's sample: a map per column cost a large
	// allocation per string column and file.
	var seen map[string]struct{}
	text, _ := opts.textCodec() // Compression checked by Validate
	for i, f := range sw.schema.Fields() {
		if !isDictionaryType(f.Type) {
			continue
		}
		if seen == nil {
			seen = make(map[string]struct{}, min(rows, 2*dictSample))
		}
		switch {
		case !mostlyDistinct(sample, i, rows, seen):
			props = append(props, parquet.WithDictionaryPath(parquet.ColumnPath{f.Name}, true))
			sw.dict[i] = f.Type.ID() == arrow.STRING
		case text != codec && freeText(sample, i, rows):
			props = append(props, parquet.WithCompressionPath(parquet.ColumnPath{f.Name}, text))
		}
	}
	// Page headers are small writes: buffer them on their way to w, unless
	// w is a memory buffer already (copying through a buffer would only
	// add a copy and a 1 MiB allocation per file).
	sw.cw = &countingWriter{w: sw.w}
	if !inMemory(sw.w) {
		sw.bw = bufio.NewWriterSize(sw.w, writeBufferSize)
		sw.cw.w = sw.bw
	}
	fw, err := pqarrow.NewFileWriter(sw.schema, sw.cw, parquet.NewWriterProperties(props...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(opts.Allocator)))
	if err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	if err := appendSchemaChecksum(fw); err != nil {
		_ = fw.Close()
		return fmt.Errorf("write parquet: %w", err)
	}
	sw.fw = fw
	return nil
}

// Write adds the rows of b, which must have exactly the file's schema.
// Full row groups are encoded and written out at once; the rest is kept
// (retained) until more rows or Close.
func (sw *StreamWriter) Write(b arrow.RecordBatch) error {
	if sw.closed {
		return errors.New("write parquet: writer closed")
	}
	if !b.Schema().Equal(sw.schema) {
		return fmt.Errorf("write parquet: batch schema %s differs from file schema %s", b.Schema(), sw.schema)
	}
	if b.NumRows() == 0 {
		return nil
	}
	b.Retain()
	sw.pending = append(sw.pending, b)
	sw.pendN += b.NumRows()
	if sw.pendN < sw.groupN {
		return nil
	}
	full := sw.pendN / sw.groupN * sw.groupN
	var head, tail []arrow.RecordBatch
	n := int64(0)
	for _, p := range sw.pending {
		switch {
		case n >= full:
			tail = append(tail, p)
		case n+p.NumRows() <= full:
			head = append(head, p)
		default:
			cut := full - n
			head = append(head, p.NewSlice(0, cut))
			tail = append(tail, p.NewSlice(cut, p.NumRows()))
			p.Release()
		}
		n += p.NumRows()
	}
	err := sw.writeGroups(head)
	for _, h := range head {
		h.Release()
	}
	sw.pending, sw.pendN = tail, sw.pendN-full
	if err != nil {
		sw.abort()
	}
	return err
}

// writeGroups writes batches as row groups of groupN rows (the last one
// shorter). The caller keeps its references to batches.
func (sw *StreamWriter) writeGroups(batches []arrow.RecordBatch) error {
	var n int64
	for _, b := range batches {
		n += b.NumRows()
		for i := range sw.nan {
			sw.nan[i] = sw.nan[i] || hasNaN(b.Column(i))
		}
	}
	if sw.fw == nil {
		if err := sw.start(batches); err != nil {
			return err
		}
	}
	var err error
	if n > 0 {
		// Unlike WriteBuffered, WriteTable streams each column chunk out
		// as it is encoded instead of holding the whole row group in
		// memory.
		err = sw.writeTable(batches, n)
		if err != nil {
			err = fmt.Errorf("write parquet: %w", err)
		}
		sw.rows += n
	}
	return err
}

// writeTable writes batches (n rows) as row groups of groupN rows, as
// pqarrow's WriteTable does, with the columns sw.dict marks as dictionary
// arrays of one dictionary per row group (dictColumn).
func (sw *StreamWriter) writeTable(batches []arrow.RecordBatch, n int64) error {
	cols := make([]*arrow.Chunked, sw.schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		chunks := make([]arrow.Array, len(batches))
		for j, b := range batches {
			chunks[j] = b.Column(i)
		}
		cols[i] = arrow.NewChunked(sw.schema.Field(i).Type, chunks)
	}
	for off := int64(0); off < n; off += sw.groupN {
		size := min(sw.groupN, n-off)
		if err := sw.fw.NewRowGroupChecked(); err != nil {
			return err
		}
		g := sw.groups
		sw.groups++
		for i, c := range cols {
			if sw.dict[i] {
				part := array.NewChunkedSlice(c, off, off+size)
				d := dictColumn(sw.opts.Allocator, part.Chunks())
				part.Release()
				if d != nil {
					err := sw.fw.WriteColumnChunked(d, 0, size)
					if err == nil && sw.keep != nil {
						sw.keep.add(g, i, d)
					}
					d.Release()
					if err != nil {
						return err
					}
					continue
				}
			}
			if err := sw.fw.WriteColumnChunked(c, off, size); err != nil {
				return err
			}
		}
	}
	return nil
}

// abort closes the writer after a failure; the file is to be discarded.
func (sw *StreamWriter) abort() {
	if !sw.closed {
		sw.closed = true
		if sw.fw != nil {
			_ = sw.fw.Close()
		}
		sw.releasePending()
	}
}

func (sw *StreamWriter) releasePending() {
	for _, p := range sw.pending {
		p.Release()
	}
	sw.pending, sw.pendN = nil, 0
}

// Close writes the remaining rows and the footer, and returns the rows and
// bytes written. It does not close w. On error the file is incomplete.
func (sw *StreamWriter) Close() (rows int64, bytes int64, err error) {
	if sw.closed {
		return 0, 0, errors.New("write parquet: writer closed")
	}
	err = sw.writeGroups(sw.pending)
	sw.releasePending()
	sw.closed = true
	if err != nil {
		if sw.fw != nil {
			_ = sw.fw.Close()
		}
		return 0, 0, err
	}
	if err := sw.fw.AppendKeyValueMetadata(nanColumnsKey, nanColumnNames(sw.schema, sw.nan)); err != nil {
		_ = sw.fw.Close()
		return 0, 0, fmt.Errorf("write parquet: %w", err)
	}
	if err := sw.fw.Close(); err != nil {
		return 0, 0, fmt.Errorf("write parquet: close: %w", err)
	}
	if sw.cw.err == nil && sw.bw != nil {
		sw.cw.err = sw.bw.Flush()
	}
	if sw.cw.err != nil {
		return 0, 0, fmt.Errorf("write parquet: %w", sw.cw.err)
	}
	return sw.rows, sw.cw.n, nil
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
//
// It stops sampling once the repeats seen rule the column out whatever the
// rest of the sample holds (more than 1-plainDistinct of every sample
// position), so a column of a few services or levels costs a few hundred
// map lookups, not dictSample (design 056); the answer is the one of the
// full sample. seen is scratch space, cleared first.
func mostlyDistinct(batches []arrow.RecordBatch, col int, rows int64, seen map[string]struct{}) bool {
	step := max(rows/dictSample, 1)
	positions := (rows + step - 1) / step
	// More repeats than this among positions samples leave fewer than
	// plainDistinct of any n <= positions distinct (the +1 absorbs the
	// rounding of the float products).
	maxRepeats := int((1-plainDistinct)*float64(positions)) + 1
	clear(seen)
	n := 0
	if !sampleStrings(batches, col, rows, func(v string) bool {
		seen[v] = struct{}{}
		n++
		return n-len(seen) <= maxRepeats
	}) {
		return false
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
