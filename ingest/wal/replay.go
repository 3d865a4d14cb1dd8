package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Replay calls fn for every record with LSN > after, in LSN order, up to the
// last record appended when Replay was called. The payload is valid only
// during the call. Replay stops at fn's first error and returns it unchanged.
// Records in segments that a concurrent Truncate removes are skipped.
func (w *WAL) Replay(after uint64, fn func(lsn uint64, payload []byte) error) error {
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	err := w.flushLocked() // so the files hold every record up to last
	segs, last := slices.Clone(w.segs), w.next-1
	w.mu.Unlock()
	if err != nil {
		return err
	}
	for i, s := range segs {
		if after >= last || s.first > last {
			break
		}
		if i+1 < len(segs) && segs[i+1].first-1 <= after {
			continue // every record in s is <= after
		}
		if err := w.replaySegment(s, after, last, fn); err != nil {
			return err
		}
	}
	return nil
}

// replaySegment calls fn for the records of s with after < LSN <= last.
func (w *WAL) replaySegment(s segment, after, last uint64, fn func(uint64, []byte) error) error {
	name := filepath.Base(s.path)
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) && w.truncated(s) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("replay segment %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("replay segment %s: %w", name, err)
	}
	if _, err := readSegmentHeader(f); err != nil {
		return fmt.Errorf("replay segment %s: %w", name, err)
	}
	rr := newRecordReader(f, segmentHeaderSize, st.Size(), w.maxSize)
	for want := s.first; want <= last; want++ {
		lsn, payload, err := rr.next()
		if errors.Is(err, io.EOF) {
			return nil // a non-active segment ends where the next one starts
		}
		if err == nil && lsn != want {
			err = fmt.Errorf("%w: record lsn %d, want %d", ErrCorrupt, lsn, want)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				err = fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			return fmt.Errorf("replay segment %s offset %d: %w", name, rr.off, err)
		}
		if lsn > after {
			if err := fn(lsn, payload); err != nil {
				return err
			}
		}
	}
	return nil
}

// truncated reports whether s is no longer a live segment.
func (w *WAL) truncated(s segment) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.segs) == 0 || w.segs[0].first > s.first
}

// Truncate declares every record with LSN <= lsn no longer needed and deletes
// the segments that hold only such records. If lsn covers every record, the
// active segment is first rolled so that it can go too; the new, empty
// segment keeps the LSN sequence. Truncate is idempotent, and an lsn at or
// below an earlier one is a no-op. Records appended after the call are never
// covered, whatever lsn is.
func (w *WAL) Truncate(lsn uint64) error {
	w.truncMu.Lock()
	defer w.truncMu.Unlock()

	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	lsn = min(lsn, w.next-1)
	if lsn == w.next-1 && w.next > w.segs[len(w.segs)-1].first {
		if err := w.rollLocked(); err != nil {
			w.mu.Unlock()
			return err
		}
	}
	k := 0
	for k < len(w.segs)-1 && w.segs[k+1].first-1 <= lsn {
		k++
	}
	drop := slices.Clone(w.segs[:k])
	w.segs = slices.Delete(w.segs, 0, k)
	w.resizeLocked(drop, -1)
	w.mu.Unlock()

	// Remove oldest first and make each removal durable before the next, so a
	// crash leaves a contiguous run of segments.
	for i, s := range drop {
		err := os.Remove(s.path)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			err = syncDir(w.dir)
		}
		if err != nil {
			w.mu.Lock()
			w.segs = append(slices.Clone(drop[i:]), w.segs...)
			w.resizeLocked(drop[i:], +1)
			w.mu.Unlock()
			return fmt.Errorf("truncate wal through lsn %d: remove segment %s: %w", lsn, filepath.Base(s.path), err)
		}
	}
	return nil
}

// resizeLocked adds (sign +1) or subtracts (-1) the sizes of segs.
func (w *WAL) resizeLocked(segs []segment, sign int64) {
	for _, s := range segs {
		w.size += sign * s.size
	}
	w.m.segments.Set(float64(len(w.segs)))
	w.m.bytes.Set(float64(w.size))
}
