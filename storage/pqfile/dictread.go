package pqfile

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Reading dictionary-encoded string columns as Arrow dictionaries.
//
// pqarrow decodes the dictionary indices of an OPTIONAL column into a
// uint64 scratch slice, spreads a bool per row, converts to []int and
// appends through an Arrow dictionary builder: four passes and as many
// buffers per batch, most of the time of a query that groups or filters
// on such columns. For the files this package writes (version 1 data
// pages, RLE definition levels, flat schema) the indices are decoded here
// instead, straight from the pages into one int32 buffer per row group
// chunk, and the batches are zero-copy slices of it. Any other file, or a
// chunk that is not dictionary-encoded throughout, goes through pqarrow.

// dictIndexType is the Arrow type of a string column read as a dictionary.
var dictIndexType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// errNotDictChunk marks a chunk the direct decoder does not handle.
var errNotDictChunk = errors.New("column chunk is not dictionary-encoded version 1 pages")

// directDict reports whether column (a leaf) can be decoded by
// readDictChunk in every row group of groups.
func (r *Reader) directDict(column string, groups []int) bool {
	if r.pf.MetaData().KeyValueMetadata().FindValue(schemaChecksumKey) == nil {
		return false // not written by this package
	}
	fi, err := r.fieldIndex(column)
	if err != nil {
		return false
	}
	sf := &r.manifest.Fields[fi]
	if !sf.IsLeaf() || r.schema.Field(fi).Type.ID() != arrow.STRING {
		return false
	}
	col := r.pf.MetaData().Schema.Column(sf.ColIndex)
	if col.MaxRepetitionLevel() != 0 || col.MaxDefinitionLevel() > 1 {
		return false
	}
	for _, g := range groups {
		cc, err := r.pf.MetaData().RowGroup(g).ColumnChunk(sf.ColIndex)
		if err != nil || !cc.HasDictionaryPage() || !r.DictEncoded(g, column) {
			return false
		}
		for _, st := range cc.EncodingStats() {
			if t := fmt.Sprint(st.PageType); t == "DATA_PAGE_V2" {
				return false
			}
		}
	}
	return true
}

// dictChunk is one column chunk decoded: the dictionary and one index per
// row (0 for NULL rows, which the validity bitmap marks).
type dictChunk struct {
	dict    *array.String
	indices *array.Int32
}

func (c *dictChunk) release() {
	if c.dict != nil {
		c.dict.Release()
	}
	if c.indices != nil {
		c.indices.Release()
	}
}

// slice returns rows [off, off+n) as an Arrow dictionary array.
func (c *dictChunk) slice(off, n int64) arrow.Array {
	idx := array.NewSlice(c.indices, off, off+n)
	defer idx.Release()
	return array.NewDictionaryArray(dictIndexType, idx, c.dict)
}

// readDictChunk decodes leaf column colIdx of row group rg.
func (r *Reader) readDictChunk(rg, colIdx int) (out *dictChunk, err error) {
	rgr := r.pf.RowGroup(rg)
	rows := rgr.NumRows()
	nullable := r.pf.MetaData().Schema.Column(colIdx).MaxDefinitionLevel() == 1
	pr, err := rgr.GetColumnPageReader(colIdx)
	if err != nil {
		return nil, err
	}
	defer pr.Close()

	idxBuf := memory.NewResizableBuffer(r.mem)
	idxBuf.Resize(int(rows) * 4)
	var validBuf *memory.Buffer
	if nullable {
		validBuf = memory.NewResizableBuffer(r.mem)
		validBuf.Resize(int(bitutil.BytesForBits(rows)))
	}
	c := &dictChunk{}
	defer func() {
		idxBuf.Release()
		if validBuf != nil {
			validBuf.Release()
		}
		if err != nil {
			c.release()
		}
	}()
	idx := arrow.Int32Traits.CastFromBytes(idxBuf.Bytes())[:rows]
	var valid []byte
	if validBuf != nil {
		valid = validBuf.Bytes()
	}
	var scratch []int32
	pos, nulls := int64(0), 0
	for pr.Next() {
		switch p := pr.Page().(type) {
		case *file.DictionaryPage:
			if c.dict != nil {
				return nil, fmt.Errorf("%w: two dictionary pages", ErrCorrupt)
			}
			if e := parquet.Encoding(p.Encoding()); e != parquet.Encodings.Plain && e != parquet.Encodings.PlainDict {
				return nil, errNotDictChunk
			}
			if c.dict, err = plainStrings(r.mem, p.Data(), int(p.NumValues())); err != nil {
				return nil, err
			}
		case *file.DataPageV1:
			if e := parquet.Encoding(p.Encoding()); e != parquet.Encodings.RLEDict && e != parquet.Encodings.PlainDict {
				return nil, errNotDictChunk
			}
			if c.dict == nil {
				return nil, fmt.Errorf("%w: data page before the dictionary", ErrCorrupt)
			}
			n := int64(p.NumValues())
			if n < 0 || pos+n > rows {
				return nil, fmt.Errorf("%w: pages hold more than the row group's %d rows", ErrCorrupt, rows)
			}
			data := p.Data()
			present := int(n)
			if nullable {
				if p.DefinitionLevelEncoding() != parquet.Encodings.RLE || len(data) < 4 {
					return nil, errNotDictChunk
				}
				l := int(binary.LittleEndian.Uint32(data))
				if l < 0 || 4+l > len(data) {
					return nil, fmt.Errorf("%w: definition levels overrun the page", ErrCorrupt)
				}
				var err error
				if present, err = decodeLevels(data[4:4+l], int(n), valid, int(pos)); err != nil {
					return nil, err
				}
				data = data[4+l:]
				nulls += int(n) - present
			}
			dst := idx[pos : pos+n]
			if present == 0 {
				clear(dst)
				pos += n
				continue
			}
			if len(data) < 1 {
				return nil, fmt.Errorf("%w: no index bit width", ErrCorrupt)
			}
			width := int(data[0])
			if width > 32 {
				return nil, fmt.Errorf("%w: index bit width %d", ErrCorrupt, width)
			}
			vals := dst
			if present < int(n) {
				scratch = grow(scratch, present)
				vals = scratch
			}
			top, err := decodeHybrid(data[1:], width, vals)
			if err != nil {
				return nil, err
			}
			// Every index must name a dictionary entry: kernels index
			// by it.
			if top >= uint32(c.dict.Len()) {
				return nil, fmt.Errorf("%w: dictionary index %d of %d", ErrCorrupt, top, c.dict.Len())
			}
			if present < int(n) {
				spread(scratch, valid, int(pos), dst)
			}
			pos += n
		default:
			return nil, errNotDictChunk
		}
	}
	if err := pr.Err(); err != nil {
		return nil, err
	}
	if pos != rows {
		return nil, fmt.Errorf("%w: pages hold %d of the row group's %d rows", ErrCorrupt, pos, rows)
	}
	if c.dict == nil {
		if rows > 0 {
			return nil, errNotDictChunk
		}
		c.dict = array.NewStringBuilder(r.mem).NewStringArray()
	}
	var bufs []*memory.Buffer
	if validBuf != nil && nulls > 0 {
		bufs = []*memory.Buffer{validBuf, idxBuf}
	} else {
		bufs = []*memory.Buffer{nil, idxBuf}
		nulls = 0
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, int(rows), bufs, nil, nulls, 0)
	c.indices = array.NewInt32Data(data)
	data.Release()
	return c, nil
}

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// plainStrings decodes n PLAIN byte arrays (4-byte little-endian length,
// bytes) as a String array.
func plainStrings(mem memory.Allocator, b []byte, n int) (*array.String, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: dictionary of %d values", ErrCorrupt, n)
	}
	bld := array.NewStringBuilder(mem)
	defer bld.Release()
	bld.Reserve(n)
	bld.ReserveData(max(len(b)-4*n, 0))
	for range n {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: dictionary page too short", ErrCorrupt)
		}
		l := binary.LittleEndian.Uint32(b)
		if uint64(l) > uint64(len(b)-4) {
			return nil, fmt.Errorf("%w: dictionary value overruns the page", ErrCorrupt)
		}
		bld.BinaryBuilder.Append(b[4 : 4+l])
		b = b[4+l:]
	}
	return bld.NewStringArray(), nil
}

// decodeHybrid decodes len(out) values of Parquet's RLE / bit-packed
// hybrid encoding of the given bit width from b and returns the largest
// of them (as unsigned), so that the caller checks them against the
// dictionary in one comparison.
func decodeHybrid(b []byte, width int, out []int32) (uint32, error) {
	n := len(out)
	vbytes := (width + 7) / 8
	mask := uint64(1)<<width - 1
	var top uint32
	for i := 0; i < n; {
		h, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, fmt.Errorf("%w: truncated run header", ErrCorrupt)
		}
		b = b[k:]
		if h&1 == 0 { // a run of one value
			cnt := int(min(h>>1, uint64(n-i)))
			if len(b) < vbytes {
				return 0, fmt.Errorf("%w: truncated run value", ErrCorrupt)
			}
			var v uint32
			for j := range vbytes {
				v |= uint32(b[j]) << (8 * j)
			}
			b = b[vbytes:]
			if cnt > 0 {
				top = max(top, v)
			}
			dst := out[i : i+cnt]
			for j := range dst {
				dst[j] = int32(v)
			}
			i += cnt
			continue
		}
		// Bit-packed groups of 8 values, least significant bits first.
		groups := h >> 1
		cnt := n - i
		if groups < uint64((cnt+7)/8) {
			cnt = int(groups) * 8
		}
		if need := (cnt*width + 7) / 8; need > len(b) {
			return 0, fmt.Errorf("%w: truncated bit-packed run", ErrCorrupt)
		}
		nb := len(b) // the last run may stop short of its groups
		switch {
		case width == 0:
			nb = 0
		case groups <= uint64(len(b)) && int(groups)*width < nb:
			nb = int(groups) * width
		}
		dst := out[i : i+cnt]
		unpack(b[:nb], width, mask, dst)
		if width > 0 && uint64(top) < mask {
			top = max(top, maxOf(dst))
		}
		b = b[nb:]
		i += cnt
	}
	return top, nil
}

// maxOf returns the largest value of s as unsigned.
func maxOf(s []int32) uint32 {
	var m uint32
	for _, v := range s {
		m = max(m, uint32(v))
	}
	return m
}

// unpack reads len(out) values of width bits from b, least significant
// bit first.
func unpack(b []byte, width int, mask uint64, out []int32) {
	if width == 0 {
		clear(out)
		return
	}
	j := 0
	if width <= 8 {
		// 8 values are width bytes: one 8-byte load per group.
		for g := 0; j+8 <= len(out) && g+8 <= len(b); g += width {
			w := binary.LittleEndian.Uint64(b[g:])
			o := out[j : j+8 : j+8]
			for k := range o {
				o[k] = int32(w >> (k * width) & mask)
			}
			j += 8
		}
	} else {
		// Whole 8-byte loads while they stay inside b.
		for ; j < len(out); j++ {
			bit := j * width
			at := bit >> 3
			if at+8 > len(b) {
				break
			}
			out[j] = int32((binary.LittleEndian.Uint64(b[at:]) >> (bit & 7)) & mask)
		}
	}
	for ; j < len(out); j++ {
		bit := j * width
		var v uint64
		for k := 0; k < 8 && (bit>>3)+k < len(b); k++ {
			v |= uint64(b[(bit>>3)+k]) << (8 * k)
		}
		out[j] = int32((v >> (bit & 7)) & mask)
	}
}

// decodeLevels decodes n definition levels of a column whose maximum
// level is 1 (RLE / bit-packed hybrid of width 1) into the validity bitmap
// valid from bit pos on, and returns how many are 1 (values present).
// Runs set their bits in one call and bit-packed levels are copied as
// bytes: a column without NULLs costs a few instructions per page.
func decodeLevels(b []byte, n int, valid []byte, pos int) (int, error) {
	present := 0
	for i := 0; i < n; {
		h, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, fmt.Errorf("%w: truncated run header", ErrCorrupt)
		}
		b = b[k:]
		if h&1 == 0 {
			cnt := int(min(h>>1, uint64(n-i)))
			if len(b) < 1 {
				return 0, fmt.Errorf("%w: truncated run value", ErrCorrupt)
			}
			v := b[0]
			b = b[1:]
			if v > 1 {
				return 0, fmt.Errorf("%w: definition level %d of a flat column", ErrCorrupt, v)
			}
			bitutil.SetBitsTo(valid, int64(pos+i), int64(cnt), v == 1)
			if v == 1 {
				present += cnt
			}
			i += cnt
			continue
		}
		groups := h >> 1 // of 8 levels, one byte each
		cnt := n - i
		if groups < uint64((cnt+7)/8) {
			cnt = int(groups) * 8
		}
		if (cnt+7)/8 > len(b) {
			return 0, fmt.Errorf("%w: truncated bit-packed run", ErrCorrupt)
		}
		present += copyBits(valid, pos+i, b, cnt)
		b = b[min(groups, uint64(len(b))):]
		i += cnt
	}
	return present, nil
}

// copyBits copies the first n bits of src (least significant first, as
// Arrow bitmaps and Parquet's bit-packed levels of width 1 both are) to
// dst from bit at on, and returns how many are set.
func copyBits(dst []byte, at int, src []byte, n int) int {
	set := 0
	if at%8 == 0 {
		full := n / 8
		d := dst[at/8:]
		copy(d[:full], src[:full])
		for _, x := range src[:full] {
			set += bits.OnesCount8(x)
		}
		if r := n % 8; r > 0 {
			m := byte(1)<<r - 1
			x := src[full] & m
			d[full] = d[full]&^m | x
			set += bits.OnesCount8(x)
		}
		return set
	}
	for j := range n {
		v := src[j/8]>>(j%8)&1 == 1
		bitutil.SetBitTo(dst, at+j, v)
		if v {
			set++
		}
	}
	return set
}

// spread places the present values vals at the rows of dst whose bit is
// set in valid (from bit at on) and 0 at the others.
func spread(vals []int32, valid []byte, at int, dst []int32) {
	j := 0
	for i := range dst {
		if bitutil.BitIsSet(valid, at+i) {
			dst[i] = vals[j]
			j++
		} else {
			dst[i] = 0
		}
	}
}

// dictRecordReader reads row group by row group: the columns read
// directly (dictChunk) and the rest through pqarrow, in batches that never
// cross a row group (a dictionary belongs to one chunk).
type dictRecordReader struct {
	r       *Reader
	ctx     context.Context
	schema  *arrow.Schema
	direct  []int // per output column: leaf index decoded directly, or -1
	plain   []int // leaf indices read through pqarrow
	plainAt []int // their output positions
	groups  []int // row groups still to read
	batch   int64 // rows per batch
	props   pqarrow.ArrowReadProperties
	chunks  []*dictChunk // per output column, current group (nil for plain)
	inner   pqarrow.RecordReader
	off     int64 // next row of the current group
	rows    int64 // rows of the current group
	cur     arrow.RecordBatch
	err     error
}

func (d *dictRecordReader) Schema() *arrow.Schema { return d.schema }

func (d *dictRecordReader) RecordBatch() arrow.RecordBatch { return d.cur }

func (d *dictRecordReader) Err() error { return d.err }

func (d *dictRecordReader) dropGroup() {
	for i, c := range d.chunks {
		if c != nil {
			c.release()
			d.chunks[i] = nil
		}
	}
	if d.inner != nil {
		d.inner.Release()
		d.inner = nil
	}
}

// Release frees the current batch and group.
func (d *dictRecordReader) Release() {
	if d.cur != nil {
		d.cur.Release()
		d.cur = nil
	}
	d.dropGroup()
}

func (d *dictRecordReader) openGroup(g int) error {
	d.rows, d.off = d.r.pf.RowGroup(g).NumRows(), 0
	for i, leaf := range d.direct {
		if leaf < 0 {
			continue
		}
		c, err := d.r.readDictChunk(g, leaf)
		if err != nil {
			return err
		}
		d.chunks[i] = c
	}
	if len(d.plain) > 0 {
		fr, err := pqarrow.NewFileReader(d.r.pf, d.props, d.r.mem)
		if err != nil {
			return err
		}
		if d.inner, err = fr.GetRecordReader(d.ctx, d.plain, []int{g}); err != nil {
			return err
		}
	}
	return nil
}

// Next advances to the next batch.
func (d *dictRecordReader) Next() bool {
	if d.cur != nil {
		d.cur.Release()
		d.cur = nil
	}
	if d.err != nil {
		return false
	}
	for d.off >= d.rows {
		d.dropGroup()
		if len(d.groups) == 0 {
			return false
		}
		g := d.groups[0]
		d.groups = d.groups[1:]
		if err := d.openGroup(g); err != nil {
			d.err = err
			d.dropGroup()
			return false
		}
	}
	n := min(d.batch, d.rows-d.off)
	cols := make([]arrow.Array, len(d.direct))
	if d.inner != nil {
		if !d.inner.Next() {
			d.err = d.inner.Err()
			if d.err == nil {
				d.err = fmt.Errorf("%w: row group ended early", ErrCorrupt)
			}
			return false
		}
		rec := d.inner.RecordBatch()
		n = rec.NumRows()
		if n <= 0 || d.off+n > d.rows {
			d.err = fmt.Errorf("%w: %d rows in a batch at row %d of %d", ErrCorrupt, n, d.off, d.rows)
			return false
		}
		for j, at := range d.plainAt {
			cols[at] = rec.Column(j)
			cols[at].Retain()
		}
	}
	for i, c := range d.chunks {
		if c != nil {
			cols[i] = c.slice(d.off, n)
		}
	}
	d.off += n
	d.cur = array.NewRecordBatch(d.schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return true
}

// readDirect returns a RecordReader that decodes every column of dict
// directly (readDictChunk), or nil when one of them cannot be (the caller
// then reads through pqarrow). columns is not nil.
func (r *Reader) readDirect(ctx context.Context, columns, dict []string, rowGroups []int, batchRows int64, props pqarrow.ArrowReadProperties) *RecordReader {
	if len(dict) == 0 || columns == nil {
		return nil
	}
	groups := rowGroups
	if groups == nil {
		groups = make([]int, r.pf.NumRowGroups())
		for g := range groups {
			groups[g] = g
		}
	}
	isDict := make(map[string]bool, len(dict))
	for _, c := range dict {
		if !r.directDict(c, groups) {
			return nil
		}
		isDict[c] = true
	}
	d := &dictRecordReader{r: r, ctx: ctx, groups: groups, batch: batchRows, props: props,
		direct: make([]int, len(columns)), chunks: make([]*dictChunk, len(columns))}
	fields := make([]arrow.Field, len(columns))
	for i, name := range columns {
		fi := r.fields[name] // checked by ReadDict
		sf := &r.manifest.Fields[fi]
		fields[i] = r.schema.Field(fi)
		d.direct[i] = -1
		if isDict[name] {
			d.direct[i] = sf.ColIndex
			fields[i].Type = dictIndexType
			continue
		}
		d.plain = leaves(d.plain, sf)
		d.plainAt = append(d.plainAt, i)
	}
	if len(d.plain) != len(d.plainAt) {
		return nil // a nested column: one output column, several leaves
	}
	d.schema = arrow.NewSchema(fields, nil)
	rr := &RecordReader{ctx: ctx, inner: d, schema: d.schema}
	rr.refs.Store(1)
	return rr
}
