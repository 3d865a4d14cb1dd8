package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// rec is a replayed record.
type rec struct {
	lsn     uint64
	payload []byte
}

// openWAL opens a WAL and closes it at the end of the test unless the test
// already did.
func openWAL(tb testing.TB, opts Options) *WAL {
	tb.Helper()
	w, err := Open(opts)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := w.Close(); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFailed) {
			tb.Errorf("close: %v", err)
		}
	})
	return w
}

func closeWAL(tb testing.TB, w *WAL) {
	tb.Helper()
	if err := w.Close(); err != nil {
		tb.Fatalf("close: %v", err)
	}
}

func replayAll(tb testing.TB, w *WAL, after uint64) []rec {
	tb.Helper()
	var out []rec
	err := w.Replay(after, func(lsn uint64, p []byte) error {
		out = append(out, rec{lsn, slices.Clone(p)})
		return nil
	})
	if err != nil {
		tb.Fatalf("replay after %d: %v", after, err)
	}
	return out
}

// payloadFor is the deterministic payload of the record with the given LSN;
// its size is in [0, maxSize).
func payloadFor(lsn uint64, maxSize int) []byte {
	r := rand.New(rand.NewPCG(lsn, 42))
	p := make([]byte, r.IntN(maxSize))
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// fixedPayload is a payload of exactly n bytes derived from lsn.
func fixedPayload(lsn uint64, n int) []byte {
	return bytes.Repeat([]byte{byte(lsn)}, n)
}

// checkRecords asserts that got holds exactly the LSNs from..to with the
// payloads produced by want.
func checkRecords(tb testing.TB, got []rec, from, to uint64, want func(uint64) []byte) {
	tb.Helper()
	if from > to {
		if len(got) != 0 {
			tb.Fatalf("got %d records (first lsn %d), want none", len(got), got[0].lsn)
		}
		return
	}
	if uint64(len(got)) != to-from+1 {
		tb.Fatalf("got %d records, want %d (lsn %d..%d)", len(got), to-from+1, from, to)
	}
	for i, r := range got {
		if wantLSN := from + uint64(i); r.lsn != wantLSN {
			tb.Fatalf("record %d: lsn %d, want %d", i, r.lsn, wantLSN)
		}
		if !bytes.Equal(r.payload, want(r.lsn)) {
			tb.Fatalf("lsn %d: payload differs (%d bytes, want %d)", r.lsn, len(r.payload), len(want(r.lsn)))
		}
	}
}

func mustAppend(tb testing.TB, w *WAL, p []byte) uint64 {
	tb.Helper()
	lsn, err := w.Append(p)
	if err != nil {
		tb.Fatalf("append: %v", err)
	}
	return lsn
}

// segmentFiles lists the segment file names in dir.
func segmentFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), segmentExt) {
			names = append(names, e.Name())
		}
	}
	return names
}

func dirBytes(tb testing.TB, dir string) int64 {
	tb.Helper()
	var n int64
	for _, name := range segmentFiles(tb, dir) {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(tb testing.TB, src string) string {
	tb.Helper()
	dst := tb.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dst
}

// metricValue returns the value of a counter or gauge in reg.
func metricValue(tb testing.TB, reg *prometheus.Registry, name string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	tb.Fatalf("metric %s not found", name)
	return 0
}

// logBuffer is a concurrency-safe log sink for asserting on log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestLogger() (*slog.Logger, *logBuffer) {
	var buf logBuffer
	return slog.New(slog.NewTextHandler(io.Writer(&buf), nil)), &buf
}

// recordOffset is the file offset of the i-th record (0-based) of a segment
// whose records all have payloads of n bytes.
func recordOffset(i, n int) int64 {
	return int64(segmentHeaderSize + i*(recordHeaderSize+n))
}

func flipByte(tb testing.TB, path string, off int64) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if off >= int64(len(b)) {
		tb.Fatalf("flip offset %d beyond %s size %d", off, path, len(b))
	}
	b[off] ^= 0x5a
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func segPath(dir string, first uint64) string { return filepath.Join(dir, segmentName(first)) }

func describe(r []rec) string {
	if len(r) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d..%d", r[0].lsn, r[len(r)-1].lsn)
}
