package pgwire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/copyval"
	"openwit/internal/pgerror"
)

// binarySignature starts a binary COPY stream.
var binarySignature = []byte("PGCOPY\n\xff\r\n\x00")

// codeBadCopyFormat is PostgreSQL's bad_copy_file_format.
const codeBadCopyFormat = "22P04"

// copyReader turns COPY FROM data, arriving in CopyData chunks of any size,
// into rows of decoded values. Only an incomplete record is kept between
// chunks: memory is bounded by the largest record, not the input.
type copyReader struct {
	spec CopySpec
	cols []Column
	enc  *encoder

	buf       []byte // unconsumed input: at most one incomplete record
	line      int    // records (lines, binary tuples) read so far, header included
	ended     bool   // end marker seen (\. or the binary trailer)
	binHeader bool   // the binary header has been read
	eol       string // the newline style of the first line
	// resume is where scanning for the end of the incomplete line in buf
	// goes on (resumeQuote: inside CSV quotes), so that a line spanning
	// many chunks is scanned once.
	resume      int
	resumeQuote bool

	scratch []byte // the current record's field values, de-escaped
	bounds  []int  // per field: start and end in scratch; start -1 is NULL
	row     []copyval.Value
}

func newCopyReader(spec CopySpec, cols []Column, enc *encoder) *copyReader {
	return &copyReader{spec: spec, cols: cols, enc: enc, row: make([]copyval.Value, len(cols))}
}

// copyEmit receives one decoded row; the slice is reused for the next.
type copyEmit = func([]copyval.Value) error

// feed consumes one CopyData chunk, calling emit for every complete row.
func (r *copyReader) feed(data []byte, emit copyEmit) error {
	if r.ended {
		if r.spec.Format == CopyBinary && len(data) > 0 {
			return pgerror.New(codeBadCopyFormat, "received copy data after EOF marker")
		}
		return nil
	}
	in := data
	if len(r.buf) > 0 {
		r.buf = append(r.buf, data...)
		in = r.buf
	}
	n, err := r.parse(in, false, emit)
	if err != nil {
		return err
	}
	rest := in[n:]
	if len(rest) > copyMaxRecord {
		return pgerror.New(pgerror.ProgramLimitExceeded, "COPY row at line %d is longer than %d bytes", r.line+1, copyMaxRecord)
	}
	if len(r.buf) > 0 {
		r.buf = r.buf[:copy(r.buf, rest)]
	} else {
		r.buf = append(r.buf[:0], rest...)
	}
	return nil
}

// finish handles the end of the data (CopyDone): a last line without a
// newline is a row; an incomplete binary tuple is an error.
func (r *copyReader) finish(emit copyEmit) error {
	if r.ended {
		return nil
	}
	if r.spec.Format == CopyBinary {
		if !r.binHeader {
			return pgerror.New(codeBadCopyFormat, "COPY file signature not recognized")
		}
		if len(r.buf) > 0 {
			return r.errAt(pgerror.New(codeBadCopyFormat, "unexpected EOF in COPY data"), "")
		}
		return nil
	}
	if len(r.buf) == 0 {
		return nil
	}
	n, err := r.parse(r.buf, true, emit)
	r.buf = r.buf[n:]
	return err
}

func (r *copyReader) parse(b []byte, final bool, emit copyEmit) (int, error) {
	if r.spec.Format == CopyBinary {
		return r.parseBinary(b, emit)
	}
	csv := r.spec.Format == CopyCSV
	pos := 0
	for pos < len(b) && !r.ended {
		var end, next int
		var marker bool
		var err error
		if csv {
			end, next, err = r.csvLineEnd(b[pos:], final)
		} else {
			end, next, marker, err = r.textLineEnd(b[pos:], final)
		}
		if err != nil {
			r.line++
			rest := ""
			if csv {
				rest = string(b[pos:])
			}
			return pos, r.errAt(err, rest)
		}
		if end < 0 {
			break
		}
		line := b[pos : pos+end]
		eol := b[pos+end : pos+next]
		if marker {
			eol = eol[2:] // after the `\.`
		}
		pos += next
		r.line++
		if csv && len(line) == 2 && line[0] == '\\' && line[1] == '.' {
			marker, line = true, nil
		}
		if err := r.checkEOL(eol, marker, len(line) == 0, csv); err != nil {
			return pos, r.errAt(err, "")
		}
		if marker {
			// End-of-data marker: what precedes it on its line is the last
			// row, and the rest of the data is ignored.
			r.ended = true
			pos = len(b)
			if len(line) == 0 {
				return pos, nil
			}
		}
		if csv {
			r.splitCSV(line)
		} else {
			r.splitText(line)
		}
		if r.line == 1 && r.spec.Header {
			if err := r.checkHeader(); err != nil {
				return pos, r.errAt(err, string(line))
			}
			continue
		}
		if err := r.decodeRow(line); err != nil {
			return pos, err
		}
		if err := emit(r.row); err != nil {
			return pos, r.errAt(err, "")
		}
	}
	return pos, nil
}

// checkEOL enforces one newline style per COPY, set by the first line, as
// PostgreSQL does: a stray \r or \n is data the client forgot to escape.
func (r *copyReader) checkEOL(eol []byte, marker, emptyLine, csv bool) error {
	if len(eol) == 0 {
		return nil // the last line, without a newline
	}
	got := string(eol)
	if r.eol == "" {
		r.eol = got
		return nil
	}
	if got == r.eol {
		return nil
	}
	if marker && emptyLine {
		return pgerror.New(codeBadCopyFormat, "end-of-copy marker does not match previous newline style")
	}
	if r.eol == "\n" {
		if csv {
			return &pgerror.Error{Code: codeBadCopyFormat, Message: "unquoted carriage return found in data", Hint: "Use quoted CSV field to represent carriage return."}
		}
		return &pgerror.Error{Code: codeBadCopyFormat, Message: "literal carriage return found in data", Hint: `Use "\\r" to represent carriage return.`}
	}
	if csv {
		return &pgerror.Error{Code: codeBadCopyFormat, Message: "unquoted newline found in data", Hint: "Use quoted CSV field to represent newline."}
	}
	return &pgerror.Error{Code: codeBadCopyFormat, Message: "literal newline found in data", Hint: `Use "\\n" to represent newline.`}
}

// textLineEnd finds the end of the first line of b in text format: the
// length of the line and the bytes it takes with its end of line, or -1
// when b holds no complete line yet. A backslash quotes the next byte,
// even a newline. Lines end in \n, \r\n or \r. `\.` followed by the end
// of a line ends the data (marker); followed by anything else it is an
// error.
func (r *copyReader) textLineEnd(b []byte, final bool) (end, next int, marker bool, err error) {
	// Scanning resumes where the previous chunk left the incomplete line,
	// so a long line costs linear time however it is split.
	i := r.resume
	r.resume = 0
	wait := func(at int) (int, int, bool, error) {
		r.resume = at
		return -1, 0, false, nil
	}
	// Fast path: a line without backslashes or carriage returns.
	if n := bytes.IndexByte(b[i:], '\n'); n >= 0 && bytes.IndexByte(b[i:i+n], '\\') < 0 && bytes.IndexByte(b[i:i+n], '\r') < 0 {
		return i + n, i + n + 1, false, nil
	}
	for {
		j := bytes.IndexAny(b[i:], "\\\n\r")
		if j < 0 {
			break
		}
		i += j
		switch b[i] {
		case '\\':
			if i+1 < len(b) && b[i+1] == '.' {
				k := i + 2
				switch {
				case k == len(b) && !final:
					return wait(i)
				case k == len(b):
					return i, k, true, nil
				case b[k] == '\n':
					return i, k + 1, true, nil
				case b[k] == '\r':
					if k+1 < len(b) && b[k+1] == '\n' {
						return i, k + 2, true, nil
					}
					if k+1 == len(b) && !final {
						return wait(i)
					}
					return i, k + 1, true, nil
				}
				return 0, 0, false, pgerror.New(codeBadCopyFormat, "end-of-copy marker corrupt")
			}
			if i+2 > len(b) {
				if !final {
					return wait(i)
				}
				i = len(b)
				continue
			}
			i += 2
			continue
		case '\n':
			return i, i + 1, false, nil
		}
		// '\r'
		if i+1 < len(b) {
			if b[i+1] == '\n' {
				return i, i + 2, false, nil
			}
			return i, i + 1, false, nil
		}
		if final {
			return i, i + 1, false, nil
		}
		return wait(i)
	}
	if final && len(b) > 0 {
		return len(b), len(b), false, nil
	}
	return wait(len(b))
}

// csvLineEnd is textLineEnd for CSV: newlines inside quotes belong to the
// field. It too resumes an incomplete line where it stopped, inside or
// outside quotes.
func (r *copyReader) csvLineEnd(b []byte, final bool) (int, int, error) {
	quote, esc := r.spec.Quote, r.spec.Escape
	unquoted := string([]byte{quote, '\n', '\r'})
	quoted := string([]byte{quote, esc})
	i, inQuote := r.resume, r.resumeQuote
	r.resume, r.resumeQuote = 0, false
	wait := func(at int, q bool) (int, int, error) {
		r.resume, r.resumeQuote = at, q
		return -1, 0, nil
	}
	for {
		if !inQuote {
			if i >= len(b) {
				break
			}
			j := bytes.IndexAny(b[i:], unquoted)
			if j < 0 {
				i = len(b)
				break
			}
			i += j
			switch b[i] {
			case '\n':
				return i, i + 1, nil
			case '\r':
				if i+1 < len(b) {
					if b[i+1] == '\n' {
						return i, i + 2, nil
					}
					return i, i + 1, nil
				}
				if final {
					return i, i + 1, nil
				}
				return wait(i, false)
			}
			// An opening quote: find its closing quote.
			i++
			inQuote = true
		}
		for inQuote && i < len(b) {
			k := bytes.IndexAny(b[i:], quoted)
			if k < 0 {
				i = len(b)
				break
			}
			i += k
			if b[i] == esc && esc != quote {
				if i+1 >= len(b) && !final {
					return wait(i, true)
				}
				i += 2 // escape and the escaped byte
				continue
			}
			if esc == quote && i+1 < len(b) && b[i+1] == quote {
				i += 2 // doubled quote
				continue
			}
			if esc == quote && i+1 == len(b) && !final {
				return wait(i, true) // "" may straddle the chunk boundary
			}
			i++
			inQuote = false
		}
		if inQuote {
			if final {
				return 0, 0, pgerror.New(codeBadCopyFormat, "unterminated CSV quoted field")
			}
			return wait(min(i, len(b)), true)
		}
	}
	if final && len(b) > 0 {
		return len(b), len(b), nil
	}
	return wait(len(b), false)
}

// splitText splits a text-format line into fields, undoing backslash
// escapes. A field whose raw text equals the NULL string is NULL.
func (r *copyReader) splitText(line []byte) {
	r.scratch, r.bounds = r.scratch[:0], r.bounds[:0]
	delim := r.spec.Delimiter
	i := 0
	for {
		rawStart, outStart := i, len(r.scratch)
		end := -1 // the next delimiter at or after i (or the line's end)
		for i < len(line) {
			if end < i {
				// Searched again only when an escape consumed the
				// delimiter: each byte is scanned a bounded number of times.
				end = len(line)
				if e := bytes.IndexByte(line[i:], delim); e >= 0 {
					end = i + e
				}
			}
			j := bytes.IndexByte(line[i:end], '\\')
			if j < 0 {
				r.scratch = append(r.scratch, line[i:end]...)
				i = end
				break
			}
			r.scratch = append(r.scratch, line[i:i+j]...)
			i += j + 1 // past the backslash
			if i >= len(line) {
				r.scratch = append(r.scratch, '\\')
				break
			}
			c := line[i]
			i++
			switch c {
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'v':
				c = '\v'
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := c - '0'
				for k := 0; k < 2 && i < len(line) && isOctal(line[i]); k++ {
					v = v<<3 | (line[i] - '0')
					i++
				}
				c = v
			case 'x':
				if i < len(line) && hexVal(line[i]) >= 0 {
					v := byte(hexVal(line[i]))
					i++
					if i < len(line) && hexVal(line[i]) >= 0 {
						v = v<<4 | byte(hexVal(line[i]))
						i++
					}
					c = v
				}
			}
			r.scratch = append(r.scratch, c)
		}
		if string(line[rawStart:i]) == r.spec.Null {
			r.scratch = r.scratch[:outStart]
			r.bounds = append(r.bounds, -1, -1)
		} else {
			r.bounds = append(r.bounds, outStart, len(r.scratch))
		}
		if i >= len(line) {
			return
		}
		i++ // the delimiter
	}
}

// splitCSV splits a CSV line into fields. Quotes may open anywhere in a
// field; inside them the escape byte followed by the quote (or by itself)
// stands for that byte. An unquoted field equal to the NULL string is
// NULL; a quoted one never is.
func (r *copyReader) splitCSV(line []byte) {
	r.scratch, r.bounds = r.scratch[:0], r.bounds[:0]
	delim, quote, esc := r.spec.Delimiter, r.spec.Quote, r.spec.Escape
	special := string([]byte{delim, quote})
	i := 0
	for {
		rawStart, outStart := i, len(r.scratch)
		sawQuote := false
		for i < len(line) {
			j := bytes.IndexAny(line[i:], special)
			if j < 0 {
				r.scratch = append(r.scratch, line[i:]...)
				i = len(line)
				break
			}
			r.scratch = append(r.scratch, line[i:i+j]...)
			i += j
			if line[i] == delim {
				break
			}
			sawQuote = true
			i++
			for i < len(line) {
				c := line[i]
				if c == esc && i+1 < len(line) && (line[i+1] == quote || (esc != quote && line[i+1] == esc)) {
					r.scratch = append(r.scratch, line[i+1])
					i += 2
					continue
				}
				i++
				if c == quote {
					break
				}
				r.scratch = append(r.scratch, c)
			}
		}
		if !sawQuote && string(line[rawStart:i]) == r.spec.Null {
			r.bounds = append(r.bounds, -1, -1)
		} else {
			r.bounds = append(r.bounds, outStart, len(r.scratch))
		}
		if i >= len(line) {
			return
		}
		i++ // the delimiter
	}
}

// checkHeader checks a HEADER MATCH line against the column names.
func (r *copyReader) checkHeader() error {
	if !r.spec.HeaderMatch {
		return nil
	}
	n := len(r.bounds) / 2
	if n != len(r.cols) {
		return pgerror.New(codeBadCopyFormat, "wrong number of fields in header line: got %d, expected %d", n, len(r.cols))
	}
	for k, col := range r.cols {
		s, e := r.bounds[2*k], r.bounds[2*k+1]
		if s < 0 {
			return pgerror.New(codeBadCopyFormat, "column name mismatch in header line field %d: got null value (%q), expected %q", k+1, r.spec.Null, col.Name)
		}
		if got := string(r.scratch[s:e]); got != col.Name {
			return pgerror.New(codeBadCopyFormat, "column name mismatch in header line field %d: got %q, expected %q", k+1, got, col.Name)
		}
	}
	return nil
}

// decodeRow converts the split fields of a text or CSV line into r.row.
func (r *copyReader) decodeRow(line []byte) error {
	n := len(r.bounds) / 2
	if n > len(r.cols) {
		return r.errAt(pgerror.New(codeBadCopyFormat, "extra data after last expected column"), string(line))
	}
	if n < len(r.cols) {
		return r.errAt(pgerror.New(codeBadCopyFormat, "missing data for column %q", r.cols[n].Name), string(line))
	}
	for k, col := range r.cols {
		s, e := r.bounds[2*k], r.bounds[2*k+1]
		if s < 0 {
			r.row[k] = copyval.Value{}
			continue
		}
		if err := r.decodeValue(&r.row[k], col.TypeOID, formatText, r.scratch[s:e], k); err != nil {
			return r.columnErr(err, k, string(r.scratch[s:e]))
		}
	}
	return nil
}

// decodeValue decodes one non-NULL field into v like a Bind parameter,
// with allocation-free paths for the common types (strings alias data:
// see copyval). Anything unusual, and every error, goes through
// decodeParam, so errors are worded as for every other value.
func (r *copyReader) decodeValue(v *copyval.Value, oid uint32, format int16, data []byte, k int) error {
	alias := func() string { return unsafe.String(unsafe.SliceData(data), len(data)) }
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.JSONOID:
		if utf8.Valid(data) {
			*v = copyval.Value{Kind: copyval.String, S: alias()}
			return nil
		}
	case pgtype.JSONBOID:
		if format == formatText && utf8.Valid(data) {
			*v = copyval.Value{Kind: copyval.String, S: alias()}
			return nil
		}
	}
	if format == formatText {
		if r.decodeTextFast(v, oid, data, alias) {
			return nil
		}
	} else if decodeBinaryFast(v, oid, data) {
		return nil
	}
	x, err := r.enc.decodeParam(oid, format, data, k+1)
	if err != nil {
		return err
	}
	*v = copyval.Of(x)
	return nil
}

// decodeTextFast decodes the common text values that parse cleanly; false
// leaves the value (and its error) to decodeParam.
func (r *copyReader) decodeTextFast(v *copyval.Value, oid uint32, data []byte, alias func() string) bool {
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		if i, ok := parseDecimalInt(data); ok {
			if lo, hi := intRange(oid); i >= lo && i <= hi {
				*v = copyval.Value{Kind: copyval.Int, I: i}
				return true
			}
		}
	case pgtype.Float8OID, pgtype.Float4OID:
		if f, err := parseFloat(alias()); err == nil {
			if oid == pgtype.Float4OID {
				f = float64(float32(f))
			}
			*v = copyval.Value{Kind: copyval.Float, F: f}
			return true
		}
	case pgtype.TimestamptzOID, pgtype.TimestampOID:
		if us, ok := parseTimestampFast(data, oid, r.enc.loc); ok {
			*v = copyval.Value{Kind: copyval.Time, T: time.UnixMicro(us).UTC()}
			return true
		}
		if t, err := parseTimestamp(alias(), oid, r.enc.loc); err == nil {
			*v = copyval.Value{Kind: copyval.Time, T: t}
			return true
		}
	case pgtype.DateOID:
		if t, err := parseTimestamp(alias(), oid, r.enc.loc); err == nil {
			*v = copyval.Value{Kind: copyval.Time, T: t}
			return true
		}
	}
	return false
}

// decodeBinaryFast decodes the fixed-size binary values decodeBinary
// accepts, as it does; false leaves the value (and its error) to
// decodeParam.
func decodeBinaryFast(v *copyval.Value, oid uint32, data []byte) bool {
	switch {
	case oid == pgtype.Int8OID && len(data) == 8:
		*v = copyval.Value{Kind: copyval.Int, I: int64(binary.BigEndian.Uint64(data))}
	case oid == pgtype.Int4OID && len(data) == 4:
		*v = copyval.Value{Kind: copyval.Int, I: int64(int32(binary.BigEndian.Uint32(data)))}
	case oid == pgtype.Int2OID && len(data) == 2:
		*v = copyval.Value{Kind: copyval.Int, I: int64(int16(binary.BigEndian.Uint16(data)))}
	case oid == pgtype.Float8OID && len(data) == 8:
		*v = copyval.Value{Kind: copyval.Float, F: math.Float64frombits(binary.BigEndian.Uint64(data))}
	case oid == pgtype.Float4OID && len(data) == 4:
		*v = copyval.Value{Kind: copyval.Float, F: float64(math.Float32frombits(binary.BigEndian.Uint32(data)))}
	case oid == pgtype.BoolOID && len(data) == 1:
		i := int64(0)
		if data[0] != 0 {
			i = 1
		}
		*v = copyval.Value{Kind: copyval.Bool, I: i}
	case (oid == pgtype.TimestamptzOID || oid == pgtype.TimestampOID) && len(data) == 8:
		us := int64(binary.BigEndian.Uint64(data))
		if us == math.MaxInt64 || us == math.MinInt64 {
			return false
		}
		*v = copyval.Value{Kind: copyval.Time, T: time.UnixMicro(us + pgEpochMicros).UTC()}
	default:
		return false
	}
	return true
}

// parseDecimalInt parses an optionally signed run of at most 18 digits.
func parseDecimalInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseBinary reads the binary format: the header once, then tuples (a
// field count, then per field an int32 length, -1 for NULL, and the bytes),
// then the trailer (a field count of -1).
func (r *copyReader) parseBinary(b []byte, emit copyEmit) (int, error) {
	pos := 0
	if !r.binHeader {
		const fixed = 11 + 4 + 4
		if len(b) < fixed {
			if len(b) >= 11 && !bytes.Equal(b[:11], binarySignature) {
				return 0, pgerror.New(codeBadCopyFormat, "COPY file signature not recognized")
			}
			return 0, nil
		}
		if !bytes.Equal(b[:11], binarySignature) {
			return 0, pgerror.New(codeBadCopyFormat, "COPY file signature not recognized")
		}
		flags := binary.BigEndian.Uint32(b[11:])
		if flags&(1<<16) != 0 {
			return 0, pgerror.New(codeBadCopyFormat, "invalid COPY file header (WITH OIDS)")
		}
		if flags&0xFFFF0000&^(1<<16) != 0 {
			return 0, pgerror.New(codeBadCopyFormat, "unrecognized critical flags in COPY file header")
		}
		ext := int(int32(binary.BigEndian.Uint32(b[15:])))
		if ext < 0 {
			return 0, pgerror.New(codeBadCopyFormat, "invalid COPY file header (missing length)")
		}
		if len(b) < fixed+ext {
			return 0, nil
		}
		pos = fixed + ext
		r.binHeader = true
	}
	for pos+2 <= len(b) {
		count := int(int16(binary.BigEndian.Uint16(b[pos:])))
		if count == -1 {
			r.ended = true
			if pos+2 < len(b) {
				return pos, pgerror.New(codeBadCopyFormat, "received copy data after EOF marker")
			}
			return len(b), nil
		}
		if count != len(r.cols) {
			r.line++
			return pos, r.errAt(pgerror.New(codeBadCopyFormat, "row field count is %d, expected %d", count, len(r.cols)), "")
		}
		p := pos + 2
		r.bounds = r.bounds[:0]
		complete := true
		for k := 0; k < count; k++ {
			if p+4 > len(b) {
				complete = false
				break
			}
			l := int(int32(binary.BigEndian.Uint32(b[p:])))
			p += 4
			if l == -1 {
				r.bounds = append(r.bounds, -1, -1)
				continue
			}
			if l < 0 {
				r.line++
				return pos, r.errAt(pgerror.New(codeBadCopyFormat, "invalid field size"), "")
			}
			if l > copyMaxRecord {
				r.line++
				return pos, r.errAt(pgerror.New(pgerror.ProgramLimitExceeded, "COPY field of %d bytes exceeds the limit of %d bytes", l, copyMaxRecord), "")
			}
			if p+l > len(b) {
				complete = false
				break
			}
			r.bounds = append(r.bounds, p, p+l)
			p += l
		}
		if !complete {
			break
		}
		r.line++
		for k, col := range r.cols {
			s, e := r.bounds[2*k], r.bounds[2*k+1]
			if s < 0 {
				r.row[k] = copyval.Value{}
				continue
			}
			if err := r.decodeValue(&r.row[k], col.TypeOID, formatBinary, b[s:e], k); err != nil {
				return pos, r.columnErr(err, k, "")
			}
		}
		if err := emit(r.row); err != nil {
			return pos, r.errAt(err, "")
		}
		pos = p
	}
	return pos, nil
}

// columnErr attaches COPY's context to a value error, with PostgreSQL's
// wording for errors the Bind decoder words for parameters.
func (r *copyReader) columnErr(err error, k int, value string) error {
	pe := pgerror.As(err)
	e := *pe
	switch e.Code {
	case codeInvalidBinaryRepresentation:
		e.Message = "incorrect binary data format"
	case "22021":
		e.Message = `invalid byte sequence for encoding "UTF8"`
	}
	e.Where = fmt.Sprintf("COPY %s, line %d, column %s", r.spec.Table, r.line, r.cols[k].Name)
	if r.spec.Format != CopyBinary && utf8.ValidString(value) {
		e.Where += ": " + quoteContext(value)
	}
	return &e
}

// errAt attaches "COPY t, line n" (and the line when given) to err.
func (r *copyReader) errAt(err error, line string) error {
	pe := pgerror.As(err)
	if pe.Where != "" {
		return err
	}
	e := *pe
	e.Where = fmt.Sprintf("COPY %s, line %d", r.spec.Table, r.line)
	if line != "" && utf8.ValidString(line) {
		e.Where += ": " + quoteContext(line)
	}
	return &e
}

// quoteContext quotes a value for an error context line, shortened like
// PostgreSQL's.
func quoteContext(s string) string {
	if len(s) > 100 {
		cut := 100
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return `"` + s + `"`
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// copyWriter formats COPY TO rows.
type copyWriter struct {
	spec CopySpec
	cols []Column
	enc  *encoder
	tmp  []byte
}

// appendHeader appends the header line (text and csv).
func (w *copyWriter) appendHeader(buf []byte) []byte {
	for i, col := range w.cols {
		if i > 0 {
			buf = append(buf, w.spec.Delimiter)
		}
		buf = w.appendField(buf, []byte(col.Name), i)
	}
	return append(buf, '\n')
}

// appendRow appends one row in the COPY's format.
func (w *copyWriter) appendRow(buf []byte, row []any) ([]byte, error) {
	if w.spec.Format == CopyBinary {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(row)))
	}
	for i, raw := range row {
		v, err := normalize(raw)
		if err != nil {
			return buf, pgerror.New(pgerror.InternalError, "column %q: %v", w.cols[i].Name, err)
		}
		oid := w.cols[i].TypeOID
		if w.spec.Format == CopyBinary {
			if v == nil {
				buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF)
				continue
			}
			lenPos := len(buf)
			buf = append(buf, 0, 0, 0, 0)
			if buf, err = w.enc.appendBinary(buf, oid, v); err != nil {
				return buf, err
			}
			binary.BigEndian.PutUint32(buf[lenPos:], uint32(len(buf)-lenPos-4))
			continue
		}
		if i > 0 {
			buf = append(buf, w.spec.Delimiter)
		}
		if v == nil {
			buf = append(buf, w.spec.Null...)
			continue
		}
		if w.tmp, err = w.enc.appendText(w.tmp[:0], oid, v); err != nil {
			return buf, err
		}
		buf = w.appendField(buf, w.tmp, i)
	}
	if w.spec.Format != CopyBinary {
		buf = append(buf, '\n')
	}
	return buf, nil
}

// appendField appends one non-NULL value: backslash-escaped in text,
// quoted when needed in CSV.
func (w *copyWriter) appendField(buf, s []byte, col int) []byte {
	delim := w.spec.Delimiter
	if w.spec.Format == CopyCSV {
		quote, esc := w.spec.Quote, w.spec.Escape
		need := string(s) == w.spec.Null || bytes.IndexByte(s, delim) >= 0 || bytes.IndexByte(s, quote) >= 0 ||
			bytes.IndexAny(s, "\r\n") >= 0 || (col == 0 && string(s) == `\.`)
		if !need {
			return append(buf, s...)
		}
		buf = append(buf, quote)
		for _, c := range s {
			if c == quote || c == esc {
				buf = append(buf, esc)
			}
			buf = append(buf, c)
		}
		return append(buf, quote)
	}
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '\\' && c != delim {
			continue
		}
		buf = append(buf, s[start:i]...)
		start = i + 1
		switch c {
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\v':
			buf = append(buf, '\\', 'v')
		case '\\':
			buf = append(buf, '\\', '\\')
		default:
			if c == delim {
				buf = append(buf, '\\', c)
			} else {
				buf = append(buf, c)
			}
		}
	}
	return append(buf, s[start:]...)
}
