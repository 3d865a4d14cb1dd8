package flightsql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/shopspring/decimal"
)

// handleVersion is the first byte of every ticket and prepared statement
// handle this package issues. Decoders reject other versions, so a format
// change bumps it and old handles fail cleanly with InvalidArgument.
const handleVersion = 1

// handleKind says what a handle names.
type handleKind byte

const (
	// kindQuery is the statement handle inside a TicketStatementQuery: the
	// SQL of a CommandStatementQuery, run when the ticket is redeemed.
	kindQuery handleKind = 'Q'
	// kindPrepared is a prepared statement handle: its SQL and the parameter
	// rows bound by the latest DoPut (none right after creation).
	kindPrepared handleKind = 'P'
)

// maxHandleParams bounds the parameter values a handle may carry, so a
// forged handle cannot make the decoder allocate without limit.
const maxHandleParams = 1 << 20

// errBadHandle is returned for a ticket or handle this package did not
// issue (or issued with another version).
var errBadHandle = errors.New("malformed handle")

// handle is a decoded ticket or prepared statement handle. Handles are
// stateless: everything needed to run the statement travels in them.
type handle struct {
	kind handleKind
	sql  string
	// id names one issued statement ticket (kindQuery only; 0 when the
	// ticket carries none), so CancelFlightInfo can find its running
	// DoGet calls.
	id uint64
	// params holds rows of bound parameter values (prepared statements
	// only). Each value is nil, bool, int64, float64, string, []byte,
	// time.Time (UTC, microseconds) or decimal.Decimal.
	params [][]any
}

// Value tags of the parameter encoding.
const (
	tagNull    = 0
	tagFalse   = 1
	tagTrue    = 2
	tagInt     = 3 // zigzag varint
	tagFloat   = 4 // 8 bytes, little-endian IEEE 754
	tagString  = 5 // uvarint length, bytes
	tagBytes   = 6 // uvarint length, bytes
	tagTime    = 7 // varint Unix microseconds
	tagDecimal = 8 // zigzag varint exponent, uvarint length, coefficient digits
)

// encodeHandle serializes h (see doc.go for the layout).
func encodeHandle(h handle) ([]byte, error) {
	b := make([]byte, 0, 16+len(h.sql))
	b = append(b, handleVersion, byte(h.kind))
	b = binary.AppendUvarint(b, uint64(len(h.sql)))
	b = append(b, h.sql...)
	if h.kind == kindQuery {
		if h.id != 0 {
			b = binary.LittleEndian.AppendUint64(b, h.id)
		}
		return b, nil
	}
	cols := 0
	if len(h.params) > 0 {
		cols = len(h.params[0])
	}
	b = binary.AppendUvarint(b, uint64(len(h.params)))
	b = binary.AppendUvarint(b, uint64(cols))
	for _, row := range h.params {
		if len(row) != cols {
			return nil, fmt.Errorf("encode handle: parameter rows of %d and %d values", cols, len(row))
		}
		for _, v := range row {
			var err error
			if b, err = appendValue(b, v); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull), nil
	case bool:
		if x {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case int64:
		return binary.AppendVarint(append(b, tagInt), x), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x)), nil
	case string:
		b = binary.AppendUvarint(append(b, tagString), uint64(len(x)))
		return append(b, x...), nil
	case []byte:
		b = binary.AppendUvarint(append(b, tagBytes), uint64(len(x)))
		return append(b, x...), nil
	case time.Time:
		return binary.AppendVarint(append(b, tagTime), x.UnixMicro()), nil
	case decimal.Decimal:
		s := x.Coefficient().String()
		b = binary.AppendVarint(append(b, tagDecimal), int64(x.Exponent()))
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...), nil
	}
	return nil, fmt.Errorf("encode handle: unsupported parameter value %T", v)
}

// decodeHandle parses a handle issued by encodeHandle. It never panics on
// malformed input.
func decodeHandle(b []byte) (handle, error) {
	var h handle
	if len(b) < 2 {
		return h, errBadHandle
	}
	if b[0] != handleVersion {
		return h, fmt.Errorf("%w: version %d, want %d", errBadHandle, b[0], handleVersion)
	}
	h.kind = handleKind(b[1])
	if h.kind != kindQuery && h.kind != kindPrepared {
		return h, fmt.Errorf("%w: unknown kind %q", errBadHandle, b[1])
	}
	d := decoder{b: b[2:]}
	h.sql = string(d.bytes())
	if h.kind == kindPrepared {
		rows, cols := d.uvarint(), d.uvarint()
		// Every value takes at least one byte: a count beyond what is left
		// is forged, and is rejected before anything is allocated.
		if d.err == nil && (cols == 0 && rows > 0 || rows > maxHandleParams || cols > maxHandleParams ||
			rows*cols > maxHandleParams || rows*cols > uint64(len(d.b))) {
			return h, fmt.Errorf("%w: %d parameter rows of %d values", errBadHandle, rows, cols)
		}
		for r := uint64(0); r < rows && d.err == nil; r++ {
			row := make([]any, cols)
			for c := range row {
				row[c] = d.value()
			}
			h.params = append(h.params, row)
		}
	}
	if h.kind == kindQuery && d.err == nil && len(d.b) == 8 {
		h.id = binary.LittleEndian.Uint64(d.b)
		d.b = nil
	}
	if d.err != nil {
		return handle{}, d.err
	}
	if len(d.b) != 0 {
		return handle{}, fmt.Errorf("%w: %d trailing bytes", errBadHandle, len(d.b))
	}
	return h, nil
}

// decoder reads the handle encoding; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated", errBadHandle)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) value() any {
	if len(d.b) == 0 {
		d.fail()
		return nil
	}
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case tagNull:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return d.varint()
	case tagFloat:
		if len(d.b) < 8 {
			d.fail()
			return nil
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return v
	case tagString:
		return string(d.bytes())
	case tagBytes:
		return append([]byte{}, d.bytes()...)
	case tagTime:
		us := d.varint()
		if us < minMicros || us > maxMicros {
			d.err = fmt.Errorf("%w: timestamp out of range", errBadHandle)
			return nil
		}
		return time.UnixMicro(us).UTC()
	case tagDecimal:
		exp, digits := d.varint(), d.bytes()
		coef, ok := new(big.Int).SetString(string(digits), 10)
		if d.err == nil && (!ok || exp < -maxDecimalExp || exp > maxDecimalExp || len(digits) > maxDecimalDigits) {
			d.err = fmt.Errorf("%w: bad decimal", errBadHandle)
			return nil
		}
		if d.err != nil {
			return nil
		}
		return decimal.NewFromBigInt(coef, int32(exp))
	}
	d.err = fmt.Errorf("%w: unknown value tag %d", errBadHandle, tag)
	d.b = nil
	return nil
}

// maxDecimalExp bounds the exponent of a decimal parameter (numeric's own
// limits are far narrower); it keeps a forged "1e999999999" from turning
// into a gigabyte of digits when formatted.
const (
	maxDecimalExp    = 1000
	maxDecimalDigits = 1000
)

// The range of timestamps a handle may carry: years 0001..9999, which every
// consumer formats without surprises.
var (
	minMicros = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	maxMicros = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
)
