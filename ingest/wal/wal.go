package wal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for Options.
const (
	DefaultSegmentSize = 64 << 20
)

// writeBufferSize is how many encoded bytes Append buffers before it hands
// them to the OS; the syncer also hands them over before every fsync.
const writeBufferSize = 1 << 20

var (
	// ErrCorrupt marks data on disk that fails verification: a bad checksum,
	// header, length or LSN sequence where it cannot be a torn tail.
	ErrCorrupt = errors.New("wal: corrupt data")
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("wal: closed")
	// ErrTooLarge is returned by Append for a payload above MaxRecordSize.
	ErrTooLarge = errors.New("wal: record too large")
	// ErrFailed wraps the cause once a write or fsync has failed; the WAL then
	// refuses all further writes and must be reopened to recover.
	ErrFailed = errors.New("wal: failed")
)

// Options configures Open.
type Options struct {
	// Dir is the directory holding the segment files. Required.
	Dir string
	// SegmentSize is the size after which the WAL rolls to a new segment.
	// Default 64 MiB.
	SegmentSize int64
	// MaxRecordSize is the largest payload Append accepts and the decoder
	// reads; larger lengths on disk are corrupt. Default 256 MiB, at most
	// 4 GiB - 1. Never lower it below the size of a record still in the WAL:
	// Open would reject that record as corrupt.
	MaxRecordSize int
	// Logger receives recovery warnings and failures. Default discards.
	Logger *slog.Logger
	// Registerer registers the metrics; nil means no metrics are registered.
	Registerer prometheus.Registerer
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Dir == "":
		return o, errors.New("dir is required")
	case o.SegmentSize < 0:
		return o, fmt.Errorf("segment size %d is negative", o.SegmentSize)
	case o.MaxRecordSize < 0 || int64(o.MaxRecordSize) > math.MaxUint32:
		return o, fmt.Errorf("max record size %d is out of range", o.MaxRecordSize)
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.MaxRecordSize == 0 {
		o.MaxRecordSize = DefaultMaxRecordSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// WAL is an open write-ahead log. All methods are safe for concurrent use.
type WAL struct {
	id      string // see ID
	dir     string
	segSize int64
	maxSize int
	log     *slog.Logger
	m       *metrics
	syncFn  func(*os.File) error // (*os.File).Sync; replaced by tests

	truncMu sync.Mutex // serializes Truncate

	mu       sync.Mutex
	segs     []segment     // live segments in LSN order; the last one is active
	f        *os.File      // active segment, opened for append
	retired  []*os.File    // previous active segments, fsynced, closed by the syncer
	buf      []byte        // encoded records not yet written to f
	next     uint64        // LSN of the next record
	durable  uint64        // every LSN <= durable is fsynced
	size     int64         // sum of segs[i].size
	err      error         // sticky failure, wraps ErrFailed
	closed   bool          // set by Close
	round    chan struct{} // closed when the next sync round ends
	kick     chan struct{} // wakes the syncer; capacity 1
	syncDone chan struct{} // closed when the syncer exits
}

// Open opens the WAL in opts.Dir, creating it if needed, verifies every
// segment, cuts a torn or corrupt tail off the last segment, and positions the
// writer after the last valid record. Corruption anywhere else is returned as
// an error wrapping ErrCorrupt.
func Open(opts Options) (*WAL, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open wal: %w", err)
	}
	if err := makeDir(opts.Dir); err != nil {
		return nil, fmt.Errorf("open wal: %w", err)
	}
	w := &WAL{
		dir:      opts.Dir,
		segSize:  opts.SegmentSize,
		maxSize:  opts.MaxRecordSize,
		log:      opts.Logger,
		m:        newMetrics(opts.Registerer),
		syncFn:   (*os.File).Sync,
		round:    make(chan struct{}),
		kick:     make(chan struct{}, 1),
		syncDone: make(chan struct{}),
	}
	fresh, err := w.recover()
	if err != nil {
		return nil, fmt.Errorf("open wal %s: %w", opts.Dir, err)
	}
	if w.id, err = loadID(opts.Dir, fresh); err != nil {
		w.f.Close()
		return nil, fmt.Errorf("open wal %s: %w", opts.Dir, err)
	}
	w.m.segments.Set(float64(len(w.segs)))
	w.m.bytes.Set(float64(w.size))
	go w.syncLoop()
	return w, nil
}

// makeDir creates dir if it does not exist and makes its entry durable.
func makeDir(dir string) error {
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}

// recover scans the existing segments and opens the last one for appending.
// It reports fresh when the directory held no segment (a new WAL).
func (w *WAL) recover() (fresh bool, err error) {
	segs, err := listSegments(w.dir, w.log)
	if err != nil {
		return false, err
	}
	if len(segs) == 0 {
		f, err := createSegment(w.dir, 1)
		if err != nil {
			return false, err
		}
		w.f, w.next = f, 1
		w.segs = []segment{{first: 1, path: filepath.Join(w.dir, segmentName(1)), size: segmentHeaderSize}}
		w.size = segmentHeaderSize
		return true, nil
	}
	next := segs[0].first
	var res scanResult
	for i := range segs {
		s := &segs[i]
		name := filepath.Base(s.path)
		if s.first != next {
			return false, fmt.Errorf("%w: segment %s starts at lsn %d, want %d", ErrCorrupt, name, s.first, next)
		}
		if res, err = scanSegment(*s, w.maxSize); err != nil {
			return false, fmt.Errorf("scan segment %s: %w", name, err)
		}
		if res.bad != nil && i < len(segs)-1 {
			if !errors.Is(res.bad, ErrCorrupt) {
				return false, fmt.Errorf("%w: segment %s offset %d: %w", ErrCorrupt, name, res.end, res.bad)
			}
			return false, fmt.Errorf("segment %s offset %d: %w", name, res.end, res.bad)
		}
		next = s.first + res.records
		s.size = res.end
		w.size += res.end
	}
	last := segs[len(segs)-1]
	name := filepath.Base(last.path)
	f, err := os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return false, fmt.Errorf("open segment %s: %w", name, err)
	}
	if res.bad != nil {
		if err := f.Truncate(res.end); err != nil {
			_ = f.Close()
			return false, fmt.Errorf("cut segment %s: %w", name, err)
		}
		w.log.Warn("cut wal tail", "segment", name, "offset", res.end, "bytes", res.size-res.end, "reason", res.bad.Error())
	}
	// Whatever survived may still sit in the page cache only; make it durable
	// before reporting it as such.
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return false, fmt.Errorf("sync segment %s: %w", name, err)
	}
	w.segs, w.f, w.next, w.durable = segs, f, next, next-1
	return false, nil
}

// Append adds one record and returns its LSN. The record is handed to the OS
// in LSN order but is not durable until Sync covers it.
func (w *WAL) Append(payload []byte) (uint64, error) {
	if len(payload) > w.maxSize {
		return 0, fmt.Errorf("append %d bytes: %w", len(payload), ErrTooLarge)
	}
	n := int64(recordHeaderSize + len(payload))
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return 0, err
	}
	if active := w.segs[len(w.segs)-1]; w.next > active.first && active.size+n > w.segSize {
		if err := w.rollLocked(); err != nil {
			return 0, err
		}
	}
	lsn := w.next
	if len(payload) < writeBufferSize {
		w.buf = appendRecord(w.buf, lsn, payload)
	} else {
		// A large payload goes to the OS straight from the caller's slice,
		// after the buffered records and its header: copying it into the
		// buffer first would cost a copy and, for every new size, a fresh
		// allocation. A crash between the two writes leaves a torn tail.
		w.buf = appendRecordHeader(w.buf, lsn, payload)
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		if _, err := w.f.Write(payload); err != nil {
			return 0, w.failLocked(fmt.Errorf("write segment: %w", err))
		}
	}
	w.next++
	w.segs[len(w.segs)-1].size += n
	w.size += n
	w.m.appendedBytes.Add(float64(n))
	w.m.bytes.Set(float64(w.size))
	if len(w.buf) >= writeBufferSize {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
	}
	return lsn, nil
}

// StartSync asks the syncer to start a group commit round soon without
// waiting for it, so the fsync of what was appended overlaps with the
// caller's next work. A later Sync still decides durability.
func (w *WAL) StartSync() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil || w.durable == w.next-1 {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default: // a kick is already pending
	}
}

// Sync returns once every record with LSN <= lsn is fsynced. Concurrent
// callers share fsyncs. If ctx ends first Sync returns ctx.Err(); the record
// may still become durable.
func (w *WAL) Sync(ctx context.Context, lsn uint64) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if last := w.next - 1; lsn > last {
		w.mu.Unlock()
		return fmt.Errorf("sync lsn %d: beyond last lsn %d", lsn, last)
	}
	for {
		switch {
		case w.durable >= lsn:
			w.mu.Unlock()
			return nil
		case w.err != nil:
			err := w.err
			w.mu.Unlock()
			return err
		case w.closed:
			w.mu.Unlock()
			return ErrClosed
		}
		// w.round has not started yet, so it will cover lsn.
		round := w.round
		select {
		case w.kick <- struct{}{}:
		default: // a kick is already pending
		}
		w.mu.Unlock()
		select {
		case <-round:
		case <-ctx.Done():
			return ctx.Err()
		}
		w.mu.Lock()
	}
}

// Write appends payload and waits until it is durable.
func (w *WAL) Write(ctx context.Context, payload []byte) (uint64, error) {
	lsn, err := w.Append(payload)
	if err != nil {
		return 0, err
	}
	return lsn, w.Sync(ctx, lsn)
}

// syncLoop runs one group commit per kick: it hands the buffered records to
// the OS under mu, then fsyncs the active segment without holding mu, so
// appends continue while the disk works.
func (w *WAL) syncLoop() {
	defer close(w.syncDone)
	for range w.kick {
		w.mu.Lock()
		done := w.round
		w.round = make(chan struct{})
		retired := w.retired
		w.retired = nil
		idle := w.err != nil || w.durable == w.next-1
		var err error
		if !idle {
			err = w.flushLocked()
		}
		target, f := w.next-1, w.f
		w.mu.Unlock()

		for _, r := range retired { // fsynced by rollLocked; no round uses them any more
			if cerr := r.Close(); cerr != nil {
				w.log.Warn("close retired segment", "file", r.Name(), "err", cerr.Error())
			}
		}
		if idle {
			close(done)
			continue
		}
		if err == nil {
			err = w.fsyncFile(f)
		}

		w.mu.Lock()
		if err != nil {
			w.failLocked(fmt.Errorf("sync segment: %w", err))
		} else if w.err == nil && target > w.durable { // after any failure, no fsync is trusted
			w.durable = target
		}
		w.mu.Unlock()
		close(done)
	}
}

// rollLocked makes the active segment durable and starts a new, empty one.
// The old segment is fsynced before the new one exists, so only the last
// segment can ever have a torn tail.
func (w *WAL) rollLocked() error {
	if err := w.flushLocked(); err != nil {
		return err
	}
	if err := w.fsyncFile(w.f); err != nil {
		return w.failLocked(fmt.Errorf("sync segment: %w", err))
	}
	w.durable = w.next - 1
	f, err := createSegment(w.dir, w.next)
	if err != nil {
		return w.failLocked(err)
	}
	w.retired = append(w.retired, w.f)
	w.f = f
	w.segs = append(w.segs, segment{first: w.next, path: filepath.Join(w.dir, segmentName(w.next)), size: segmentHeaderSize})
	w.size += segmentHeaderSize
	w.m.segments.Set(float64(len(w.segs)))
	w.m.bytes.Set(float64(w.size))
	return nil
}

// flushLocked hands buffered records to the OS.
func (w *WAL) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return w.failLocked(fmt.Errorf("write segment: %w", err))
	}
	if cap(w.buf) > 4*writeBufferSize {
		w.buf = nil // do not pin the memory of one huge record
	} else {
		w.buf = w.buf[:0]
	}
	return nil
}

func (w *WAL) fsyncFile(f *os.File) error {
	start := time.Now()
	err := w.syncFn(f)
	w.m.fsyncs.Inc()
	w.m.fsyncDuration.Observe(time.Since(start).Seconds())
	return err
}

// failLocked puts the WAL into the failed state. After a failed write or
// fsync the page cache and the disk may disagree, and a retried fsync can
// report success without writing the lost pages, so nothing is retried.
func (w *WAL) failLocked(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %w", ErrFailed, err)
		w.log.Error("wal failed", "err", err.Error())
	}
	return w.err
}

func (w *WAL) usableLocked() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// DurableLSN returns the highest LSN known to be fsynced.
func (w *WAL) DurableLSN() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.durable
}

// LastLSN returns the LSN of the last appended record, or the LSN before the
// first one the WAL will assign if it holds none.
func (w *WAL) LastLSN() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.next - 1
}

// Size returns the bytes held by live segments, including headers and
// records not yet handed to the OS.
func (w *WAL) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

// Close syncs and closes the WAL. If the WAL has failed, Close releases its
// files and returns the failure. Later calls return ErrClosed.
func (w *WAL) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	close(w.kick)
	w.mu.Unlock()
	<-w.syncDone

	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.err
	if err == nil {
		if err = w.flushLocked(); err == nil {
			if serr := w.fsyncFile(w.f); serr != nil {
				err = w.failLocked(fmt.Errorf("sync segment: %w", serr))
			} else {
				w.durable = w.next - 1
			}
		}
	}
	for _, f := range append(w.retired, w.f) {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	w.retired = nil
	close(w.round) // wake Sync waiters; they see durable, the failure or ErrClosed
	if err != nil {
		return fmt.Errorf("close wal: %w", err)
	}
	return nil
}

// idFile holds the WAL's identity (see ID).
const idFile = "wal.id"

// ID names this WAL's LSN sequence: it is created with the WAL and kept
// across restarts, and a WAL that starts over from LSN 1 (a new or emptied
// directory) gets a new one. Whatever records "published up to LSN n"
// (the catalog's checkpoints) must key it by ID, never by node: a node
// whose disk was replaced would otherwise skip its new records on replay.
func (w *WAL) ID() string { return w.id }

// loadID reads the directory's WAL id, or stores a new random one when the
// WAL is fresh or predates ids.
func loadID(dir string, fresh bool) (string, error) {
	path := filepath.Join(dir, idFile)
	if !fresh {
		b, err := os.ReadFile(path)
		if id := strings.TrimSpace(string(b)); err == nil && id != "" {
			return id, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("read wal id: %w", err)
		}
	}
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	id := hex.EncodeToString(r[:])
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("store wal id: %w", err)
	}
	_, err = f.WriteString(id + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return "", fmt.Errorf("store wal id: %w", err)
	}
	return id, nil
}
