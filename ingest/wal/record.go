package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// recordHeaderSize is the size of a record header: length, CRC, LSN.
const recordHeaderSize = 16

// DefaultMaxRecordSize is the payload limit used when Options.MaxRecordSize
// is zero, and by DecodeRecord.
const DefaultMaxRecordSize = 256 << 20

// castagnoli is the immutable CRC32C lookup table.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends the encoding of one record to dst.
func appendRecord(dst []byte, lsn uint64, payload []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, 0) // CRC, filled in below
	dst = binary.LittleEndian.AppendUint64(dst, lsn)
	dst = append(dst, payload...)
	rec := dst[start:]
	binary.LittleEndian.PutUint32(rec[4:8], recordCRC(rec[:recordHeaderSize], rec[recordHeaderSize:]))
	return dst
}

// appendRecordHeader appends the header of one record (whose payload
// follows it on disk) to dst.
func appendRecordHeader(dst []byte, lsn uint64, payload []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, 0) // CRC, filled in below
	dst = binary.LittleEndian.AppendUint64(dst, lsn)
	hdr := dst[start:]
	binary.LittleEndian.PutUint32(hdr[4:8], recordCRC(hdr, payload))
	return dst
}

// recordCRC is the CRC32C of the length field, the LSN field and the payload.
func recordCRC(hdr, payload []byte) uint32 {
	c := crc32.Update(0, castagnoli, hdr[0:4])
	c = crc32.Update(c, castagnoli, hdr[8:16])
	return crc32.Update(c, castagnoli, payload)
}

// parseRecordHeader checks the fields of a record header that can be
// checked without the payload.
func parseRecordHeader(hdr []byte, maxSize int) (length int, lsn uint64, err error) {
	n := binary.LittleEndian.Uint32(hdr[0:4])
	lsn = binary.LittleEndian.Uint64(hdr[8:16])
	if uint64(n) > uint64(maxSize) {
		return 0, 0, fmt.Errorf("%w: record length %d exceeds limit %d", ErrCorrupt, n, maxSize)
	}
	if lsn == 0 {
		return 0, 0, fmt.Errorf("%w: record lsn 0", ErrCorrupt)
	}
	return int(n), lsn, nil
}

// checkRecordCRC verifies a record whose header and payload are both read.
func checkRecordCRC(hdr, payload []byte) error {
	want := binary.LittleEndian.Uint32(hdr[4:8])
	if got := recordCRC(hdr, payload); got != want {
		return fmt.Errorf("%w: record checksum %#08x, want %#08x", ErrCorrupt, got, want)
	}
	return nil
}

// DecodeRecord decodes one record from the start of buf and returns its LSN,
// its payload (a sub-slice of buf) and the number of bytes consumed. It
// returns io.ErrUnexpectedEOF when buf ends inside the record and an error
// wrapping ErrCorrupt when the record is invalid (bad checksum, LSN 0, or a
// length above DefaultMaxRecordSize). It never allocates.
func DecodeRecord(buf []byte) (lsn uint64, payload []byte, n int, err error) {
	return decodeRecord(buf, DefaultMaxRecordSize)
}

func decodeRecord(buf []byte, maxSize int) (uint64, []byte, int, error) {
	if len(buf) < recordHeaderSize {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	hdr := buf[:recordHeaderSize]
	length, lsn, err := parseRecordHeader(hdr, maxSize)
	if err != nil {
		return 0, nil, 0, err
	}
	if len(buf)-recordHeaderSize < length {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	payload := buf[recordHeaderSize : recordHeaderSize+length]
	if err := checkRecordCRC(hdr, payload); err != nil {
		return 0, nil, 0, err
	}
	return lsn, payload, recordHeaderSize + length, nil
}

// recordReader reads records sequentially from a segment body. It knows the
// number of bytes left in the file, so a damaged length never causes a large
// allocation: a record claiming more bytes than remain is torn.
type recordReader struct {
	r       *bufio.Reader
	off     int64 // file offset of the next record
	size    int64 // file size
	maxSize int
	hdr     [recordHeaderSize]byte
	buf     []byte
}

func newRecordReader(r io.Reader, off, size int64, maxSize int) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64<<10), off: off, size: size, maxSize: maxSize}
}

// next returns the next record. The payload is valid until the next call.
// It returns io.EOF at a clean end of file, io.ErrUnexpectedEOF for a torn
// record and an error wrapping ErrCorrupt for an invalid one; rr.off then
// still points at the start of the bad record.
func (rr *recordReader) next() (uint64, []byte, error) {
	left := rr.size - rr.off
	if left == 0 {
		return 0, nil, io.EOF
	}
	if left < recordHeaderSize {
		return 0, nil, io.ErrUnexpectedEOF
	}
	if _, err := io.ReadFull(rr.r, rr.hdr[:]); err != nil {
		return 0, nil, eofIsTorn(err)
	}
	length, lsn, err := parseRecordHeader(rr.hdr[:], rr.maxSize)
	if err != nil {
		return 0, nil, err
	}
	if int64(length) > left-recordHeaderSize {
		return 0, nil, io.ErrUnexpectedEOF
	}
	if cap(rr.buf) < length {
		rr.buf = make([]byte, length)
	}
	payload := rr.buf[:length]
	if _, err := io.ReadFull(rr.r, payload); err != nil {
		return 0, nil, eofIsTorn(err)
	}
	if err := checkRecordCRC(rr.hdr[:], payload); err != nil {
		return 0, nil, err
	}
	rr.off += int64(recordHeaderSize + length)
	return lsn, payload, nil
}

// eofIsTorn maps a short read (the file shrank under us) to a torn record.
func eofIsTorn(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
