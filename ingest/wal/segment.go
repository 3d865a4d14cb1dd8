package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	segmentHeaderSize = 20
	segmentMagic      = "OWAL"
	formatVersion     = 1
	segmentExt        = ".wal"
	tmpExt            = ".tmp"
	segmentNameLen    = 20 + len(segmentExt)
)

// segment is one live segment file.
type segment struct {
	first uint64 // LSN of its first record (or of the next record, if empty)
	path  string
	size  int64 // bytes, including bytes still buffered for the active segment
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d%s", first, segmentExt) }

// parseSegmentName returns the first LSN encoded in a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	if len(name) != segmentNameLen || !strings.HasSuffix(name, segmentExt) {
		return 0, false
	}
	for _, c := range name[:20] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	first, err := strconv.ParseUint(name[:20], 10, 64)
	if err != nil || first == 0 {
		return 0, false
	}
	return first, true
}

func encodeSegmentHeader(first uint64) []byte {
	b := make([]byte, segmentHeaderSize)
	copy(b[0:4], segmentMagic)
	binary.LittleEndian.PutUint32(b[4:8], formatVersion)
	binary.LittleEndian.PutUint64(b[8:16], first)
	binary.LittleEndian.PutUint32(b[16:20], crc32.Checksum(b[0:16], castagnoli))
	return b
}

// readSegmentHeader reads and verifies a segment header and returns its first LSN.
func readSegmentHeader(r io.Reader) (uint64, error) {
	var b [segmentHeaderSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("%w: short segment header", ErrCorrupt)
		}
		return 0, err
	}
	if string(b[0:4]) != segmentMagic {
		return 0, fmt.Errorf("%w: bad segment magic %q", ErrCorrupt, b[0:4])
	}
	if got, want := crc32.Checksum(b[0:16], castagnoli), binary.LittleEndian.Uint32(b[16:20]); got != want {
		return 0, fmt.Errorf("%w: segment header checksum %#08x, want %#08x", ErrCorrupt, got, want)
	}
	if v := binary.LittleEndian.Uint32(b[4:8]); v != formatVersion {
		return 0, fmt.Errorf("%w: unsupported segment format version %d", ErrCorrupt, v)
	}
	return binary.LittleEndian.Uint64(b[8:16]), nil
}

// listSegments returns the segment files in dir in LSN order and removes
// leftover temporary files of an interrupted segment creation.
func listSegments(dir string, log *slog.Logger) ([]segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	var segs []segment // ReadDir sorts by name; zero-padded names sort by LSN
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, segmentExt+tmpExt) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("remove temporary segment: %w", err)
			}
			log.Info("removed temporary segment", "file", name)
			continue
		}
		if first, ok := parseSegmentName(name); ok && e.Type().IsRegular() {
			segs = append(segs, segment{first: first, path: filepath.Join(dir, name)})
		}
	}
	return segs, nil
}

// createSegment creates the segment that starts at first, atomically: the
// header is written and fsynced under a temporary name, renamed into place and
// the directory fsynced. The returned file is positioned after the header.
func createSegment(dir string, first uint64) (*os.File, error) {
	path := filepath.Join(dir, segmentName(first))
	tmp := path + tmpExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create segment %s: %w", segmentName(first), err)
	}
	err = func() error {
		if _, err := f.Write(encodeSegmentHeader(first)); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
		return syncDir(dir)
	}()
	if err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("create segment %s: %w", segmentName(first), err)
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// scanResult describes one verified segment.
type scanResult struct {
	records uint64 // valid records, LSNs first .. first+records-1
	end     int64  // offset just past the last valid record
	size    int64  // file size
	bad     error  // why scanning stopped before size: torn, corrupt or out of sequence
}

// scanSegment verifies every record of a segment. A bad header or an I/O
// failure is returned as an error; a bad record is reported in scanResult.bad
// so the caller can decide whether it is a torn tail or corruption.
func scanSegment(seg segment, maxSize int) (scanResult, error) {
	f, err := os.Open(seg.path)
	if err != nil {
		return scanResult{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return scanResult{}, err
	}
	first, err := readSegmentHeader(f)
	if err != nil {
		return scanResult{}, err
	}
	if first != seg.first {
		return scanResult{}, fmt.Errorf("%w: header first lsn %d does not match file name", ErrCorrupt, first)
	}
	res := scanResult{end: segmentHeaderSize, size: st.Size()}
	rr := newRecordReader(f, segmentHeaderSize, st.Size(), maxSize)
	for {
		lsn, _, err := rr.next()
		switch {
		case errors.Is(err, io.EOF):
			return res, nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			res.bad = fmt.Errorf("torn record: %w", err)
			return res, nil
		case errors.Is(err, ErrCorrupt):
			res.bad = err
			return res, nil
		case err != nil:
			return res, err
		case lsn != seg.first+res.records:
			res.bad = fmt.Errorf("%w: record lsn %d, want %d", ErrCorrupt, lsn, seg.first+res.records)
			return res, nil
		}
		res.records++
		res.end = rr.off
	}
}
