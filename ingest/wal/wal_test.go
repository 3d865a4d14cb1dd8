package wal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRoundTrip(t *testing.T) {
	const n = 300
	dir := filepath.Join(t.TempDir(), "not", "yet") // Open creates it
	reg := prometheus.NewRegistry()
	w := openWAL(t, Options{Dir: dir, SegmentSize: 4096, Registerer: reg})
	want := func(lsn uint64) []byte { return payloadFor(lsn, 700) }
	for i := uint64(1); i <= n; i++ {
		if lsn := mustAppend(t, w, want(i)); lsn != i {
			t.Fatalf("append %d: lsn %d", i, lsn)
		}
	}
	if err := w.Sync(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if got := w.DurableLSN(); got != n {
		t.Fatalf("durable lsn %d, want %d", got, n)
	}
	closeWAL(t, w)

	files := segmentFiles(t, dir)
	if len(files) < 3 {
		t.Fatalf("%d segment files, want several", len(files))
	}
	if got := metricValue(t, reg, "openwit_wal_segments"); got != float64(len(files)) {
		t.Errorf("segments gauge %v, want %d", got, len(files))
	}
	if got, want := metricValue(t, reg, "openwit_wal_bytes"), float64(dirBytes(t, dir)); got != want {
		t.Errorf("bytes gauge %v, want %v", got, want)
	}

	w = openWAL(t, Options{Dir: dir, SegmentSize: 4096})
	if got := w.LastLSN(); got != n {
		t.Fatalf("last lsn after reopen %d, want %d", got, n)
	}
	if got, want := w.Size(), dirBytes(t, dir); got != want {
		t.Errorf("size %d, want %d", got, want)
	}
	for _, after := range []uint64{0, 1, 57, n / 2, n - 1, n, n + 10} {
		t.Run(fmt.Sprintf("after=%d", after), func(t *testing.T) {
			checkRecords(t, replayAll(t, w, after), after+1, n, want)
		})
	}
}

func TestReplayStopsAtCallbackError(t *testing.T) {
	w := openWAL(t, Options{Dir: t.TempDir(), SegmentSize: 256})
	for i := range 20 {
		mustAppend(t, w, fixedPayload(uint64(i+1), 50))
	}
	stop := errors.New("stop")
	var calls []uint64
	err := w.Replay(3, func(lsn uint64, _ []byte) error {
		calls = append(calls, lsn)
		if lsn == 9 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("replay returned %v, want the callback's error unchanged", err)
	}
	if want := []uint64{4, 5, 6, 7, 8, 9}; !slices.Equal(calls, want) {
		t.Fatalf("callback saw %v, want %v", calls, want)
	}
}

func TestTornTail(t *testing.T) {
	const (
		records = 12
		size    = 40 // payload bytes of every record
	)
	want := func(lsn uint64) []byte { return fixedPayload(lsn, size) }
	base := t.TempDir()
	w := openWAL(t, Options{Dir: base, SegmentSize: 300})
	for i := uint64(1); i <= records; i++ {
		mustAppend(t, w, want(i))
	}
	closeWAL(t, w)
	files := segmentFiles(t, base)
	if len(files) < 2 {
		t.Fatalf("want several segments, got %v", files)
	}
	lastName := files[len(files)-1]
	st, err := os.Stat(filepath.Join(base, lastName))
	if err != nil {
		t.Fatal(err)
	}
	end := st.Size()
	start := end - recordHeaderSize - size // offset of the last record

	tails := map[string][]byte{
		"nothing": nil,
		"zeros":   make([]byte, 64),
		"garbage": func() []byte {
			b := make([]byte, 64)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}(),
	}
	// Cut anywhere inside the last record, or after it, and append a tail.
	for cut := start; cut <= end; cut++ {
		for tailName, tail := range tails {
			if cut == end && len(tail) == 0 {
				continue // nothing damaged
			}
			survivors, validEnd := uint64(records-1), start
			if cut == end {
				survivors, validEnd = records, end
			}
			t.Run(fmt.Sprintf("cut=%d/%s", cut-start, tailName), func(t *testing.T) {
				dir := copyDir(t, base)
				path := filepath.Join(dir, lastName)
				if err := os.Truncate(path, cut); err != nil {
					t.Fatal(err)
				}
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Write(tail); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}

				log, logs := newTestLogger()
				w := openWAL(t, Options{Dir: dir, SegmentSize: 300, Logger: log})
				if got := w.LastLSN(); got != survivors {
					t.Fatalf("last lsn %d, want %d", got, survivors)
				}
				checkRecords(t, replayAll(t, w, 0), 1, survivors, want)
				if cut > validEnd || len(tail) > 0 {
					wantLog := fmt.Sprintf("segment=%s offset=%d bytes=%d", lastName, validEnd, cut-validEnd+int64(len(tail)))
					if !strings.Contains(logs.String(), wantLog) || !strings.Contains(logs.String(), "level=WARN") {
						t.Errorf("log %q does not warn about the cut %q", logs.String(), wantLog)
					}
				}
				next := survivors + 1
				if lsn := mustAppend(t, w, want(next)); lsn != next {
					t.Fatalf("append after recovery: lsn %d, want %d", lsn, next)
				}
				closeWAL(t, w)

				w = openWAL(t, Options{Dir: dir, SegmentSize: 300})
				checkRecords(t, replayAll(t, w, 0), 1, next, want)
			})
		}
	}
}

func TestCorruptRecord(t *testing.T) {
	const size = 100
	// SegmentSize fits exactly five records: segments start at 1, 6, 11.
	segSize := recordOffset(5, size)
	want := func(lsn uint64) []byte { return fixedPayload(lsn, size) }
	base := t.TempDir()
	w := openWAL(t, Options{Dir: base, SegmentSize: segSize})
	for i := uint64(1); i <= 15; i++ {
		mustAppend(t, w, want(i))
	}
	closeWAL(t, w)
	if got, want := segmentFiles(t, base), []string{segmentName(1), segmentName(6), segmentName(11)}; !slices.Equal(got, want) {
		t.Fatalf("segments %v, want %v", got, want)
	}

	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantErr string // substring of Open's error, which must wrap ErrCorrupt; "" if Open must succeed
		last    uint64 // last LSN after a successful Open
	}{
		{
			name: "last segment payload",
			damage: func(t *testing.T, dir string) {
				flipByte(t, segPath(dir, 11), recordOffset(2, size)+recordHeaderSize+50)
			},
			last: 12,
		},
		{
			name:   "last segment length",
			damage: func(t *testing.T, dir string) { flipByte(t, segPath(dir, 11), recordOffset(1, size)) },
			last:   11,
		},
		{
			name:   "last segment lsn",
			damage: func(t *testing.T, dir string) { flipByte(t, segPath(dir, 11), recordOffset(3, size)+8) },
			last:   13,
		},
		{
			name: "non-last segment payload",
			damage: func(t *testing.T, dir string) {
				flipByte(t, segPath(dir, 6), recordOffset(2, size)+recordHeaderSize+50)
			},
			wantErr: fmt.Sprintf("segment %s offset %d", segmentName(6), recordOffset(2, size)),
		},
		{
			name: "non-last segment torn",
			damage: func(t *testing.T, dir string) {
				if err := os.Truncate(segPath(dir, 1), recordOffset(5, size)-3); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: fmt.Sprintf("segment %s offset %d", segmentName(1), recordOffset(4, size)),
		},
		{
			name:    "segment header",
			damage:  func(t *testing.T, dir string) { flipByte(t, segPath(dir, 11), 9) },
			wantErr: segmentName(11),
		},
		{
			name: "missing middle segment",
			damage: func(t *testing.T, dir string) {
				if err := os.Remove(segPath(dir, 6)); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: fmt.Sprintf("segment %s starts at lsn 11, want 6", segmentName(11)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, base)
			tt.damage(t, dir)
			w, err := Open(Options{Dir: dir, SegmentSize: segSize})
			if tt.wantErr != "" {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("open: %v; want ErrCorrupt mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer w.Close()
			if got := w.LastLSN(); got != tt.last {
				t.Fatalf("last lsn %d, want %d", got, tt.last)
			}
			checkRecords(t, replayAll(t, w, 0), 1, tt.last, want)
			if lsn := mustAppend(t, w, want(tt.last+1)); lsn != tt.last+1 {
				t.Fatalf("append: lsn %d, want %d", lsn, tt.last+1)
			}
		})
	}
}

func TestGroupCommit(t *testing.T) {
	const (
		writers = 32
		each    = 200
		total   = writers * each
	)
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	w := openWAL(t, Options{Dir: dir, SegmentSize: 64 << 10, Registerer: reg})
	lsns := make([][]uint64, writers)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				lsn, err := w.Write(t.Context(), []byte(fmt.Sprintf("writer %d record %d", g, i)))
				if err != nil {
					t.Errorf("write: %v", err)
					return
				}
				if d := w.DurableLSN(); d < lsn {
					t.Errorf("write returned lsn %d with durable lsn %d", lsn, d)
				}
				lsns[g] = append(lsns[g], lsn)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	payloads := make(map[uint64][]byte, total)
	for g, ls := range lsns {
		for i, lsn := range ls {
			if i > 0 && lsn <= ls[i-1] {
				t.Fatalf("writer %d: lsn %d after %d", g, lsn, ls[i-1])
			}
			if _, dup := payloads[lsn]; dup {
				t.Fatalf("lsn %d assigned twice", lsn)
			}
			payloads[lsn] = []byte(fmt.Sprintf("writer %d record %d", g, i))
		}
	}
	fsyncs := metricValue(t, reg, "openwit_wal_fsyncs_total")
	t.Logf("%d writes, %v fsyncs", total, fsyncs)
	if fsyncs == 0 || fsyncs >= total {
		t.Errorf("%v fsyncs for %d writes; want group commit to share them", fsyncs, total)
	}
	if got := metricValue(t, reg, "openwit_wal_fsync_duration_seconds"); got != fsyncs {
		t.Errorf("fsync histogram has %v samples, want %v", got, fsyncs)
	}
	closeWAL(t, w)

	w = openWAL(t, Options{Dir: dir})
	// Dense: every LSN 1..total has a payload, and replay agrees.
	checkRecords(t, replayAll(t, w, 0), 1, total, func(lsn uint64) []byte { return payloads[lsn] })
}

func TestTruncate(t *testing.T) {
	const size = 100
	segSize := recordOffset(5, size) // five records per segment
	want := func(lsn uint64) []byte { return fixedPayload(lsn, size) }
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	w := openWAL(t, Options{Dir: dir, SegmentSize: segSize, Registerer: reg})
	for i := uint64(1); i <= 23; i++ {
		mustAppend(t, w, want(i))
	}
	if err := w.Sync(t.Context(), 23); err != nil { // so the files hold every byte Size counts
		t.Fatal(err)
	}
	// Segments: 1..5, 6..10, 11..15, 16..20, 21..23 (active).
	steps := []struct {
		lsn       uint64
		segments  []uint64 // first LSNs of the segment files left
		firstLive uint64   // first LSN Replay(0) returns
	}{
		{lsn: 0, segments: []uint64{1, 6, 11, 16, 21}, firstLive: 1},
		{lsn: 4, segments: []uint64{1, 6, 11, 16, 21}, firstLive: 1},
		{lsn: 5, segments: []uint64{6, 11, 16, 21}, firstLive: 6},
		{lsn: 5, segments: []uint64{6, 11, 16, 21}, firstLive: 6}, // idempotent
		{lsn: 12, segments: []uint64{11, 16, 21}, firstLive: 11},
		{lsn: 3, segments: []uint64{11, 16, 21}, firstLive: 11}, // smaller: no-op
		{lsn: 20, segments: []uint64{21}, firstLive: 21},
		{lsn: 22, segments: []uint64{21}, firstLive: 21}, // the active segment stays
		{lsn: 23, segments: []uint64{24}, firstLive: 24}, // everything: roll, then delete
		{lsn: 99, segments: []uint64{24}, firstLive: 24},
	}
	for _, st := range steps {
		if err := w.Truncate(st.lsn); err != nil {
			t.Fatalf("truncate %d: %v", st.lsn, err)
		}
		var wantFiles []string
		for _, first := range st.segments {
			wantFiles = append(wantFiles, segmentName(first))
		}
		if got := segmentFiles(t, dir); !slices.Equal(got, wantFiles) {
			t.Fatalf("after truncate %d: segments %v, want %v", st.lsn, got, wantFiles)
		}
		if got, want := w.Size(), dirBytes(t, dir); got != want {
			t.Fatalf("after truncate %d: size %d, want %d", st.lsn, got, want)
		}
		if got := metricValue(t, reg, "openwit_wal_segments"); got != float64(len(st.segments)) {
			t.Fatalf("after truncate %d: segments gauge %v", st.lsn, got)
		}
		checkRecords(t, replayAll(t, w, 0), st.firstLive, 23, want)
		checkRecords(t, replayAll(t, w, st.lsn), max(min(st.lsn, 23)+1, st.firstLive), 23, want)

		if st.lsn == 12 { // reopen a partly truncated log; later steps check it
			closeWAL(t, w)
			reg = prometheus.NewRegistry()
			w = openWAL(t, Options{Dir: dir, SegmentSize: segSize, Registerer: reg})
			if got := w.LastLSN(); got != 23 {
				t.Fatalf("last lsn after reopen %d, want 23", got)
			}
		}
	}
	if got := w.Size(); got != segmentHeaderSize {
		t.Fatalf("size of an empty wal %d, want %d", got, segmentHeaderSize)
	}
	closeWAL(t, w)

	// Everything was truncated; LSNs continue from the empty segment.
	w = openWAL(t, Options{Dir: dir, SegmentSize: segSize})
	if got := w.LastLSN(); got != 23 {
		t.Fatalf("last lsn of an empty wal after reopen %d, want 23", got)
	}
	if got := replayAll(t, w, 0); len(got) != 0 {
		t.Fatalf("replay of an empty wal: %s", describe(got))
	}
	if lsn := mustAppend(t, w, want(24)); lsn != 24 {
		t.Fatalf("append after truncating everything: lsn %d, want 24", lsn)
	}
	closeWAL(t, w)
	w = openWAL(t, Options{Dir: dir, SegmentSize: segSize})
	checkRecords(t, replayAll(t, w, 0), 24, 24, want)
}

func TestSyncWaitsForCoveringFsync(t *testing.T) {
	w := openWAL(t, Options{Dir: t.TempDir()})
	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	releaseAll := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseAll) // runs before openWAL's Close, even after a failure
	w.mu.Lock()
	w.syncFn = func(f *os.File) error {
		entered <- struct{}{}
		<-release
		return f.Sync()
	}
	w.mu.Unlock()

	lsn1 := mustAppend(t, w, []byte("one"))
	errc1 := make(chan error, 1)
	go func() { errc1 <- w.Sync(context.Background(), lsn1) }()
	<-entered // a round covering lsn1 is in its fsync

	lsn2 := mustAppend(t, w, []byte("two"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := w.Sync(ctx, lsn2); !errors.Is(err, context.Canceled) {
		t.Fatalf("sync with a canceled context: %v", err)
	}
	errc2 := make(chan error, 1)
	go func() { errc2 <- w.Sync(context.Background(), lsn2) }()

	release <- struct{}{} // finish the first fsync
	if err := <-errc1; err != nil {
		t.Fatalf("sync %d: %v", lsn1, err)
	}
	<-entered // lsn2 was not covered by the first round, so a second one runs
	if d := w.DurableLSN(); d != lsn1 {
		t.Fatalf("durable lsn %d during the second fsync, want %d", d, lsn1)
	}
	select {
	case err := <-errc2:
		t.Fatalf("sync %d returned %v before the fsync covering it finished", lsn2, err)
	default:
	}
	releaseAll()
	if err := <-errc2; err != nil {
		t.Fatalf("sync %d: %v", lsn2, err)
	}
	if d := w.DurableLSN(); d != lsn2 {
		t.Fatalf("durable lsn %d, want %d", d, lsn2)
	}
	if err := w.Sync(t.Context(), lsn2+1); err == nil {
		t.Fatal("sync beyond the last lsn succeeded")
	}
}

func TestFailedState(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(w *WAL)
	}{
		{"fsync error", func(w *WAL) {
			w.syncFn = func(*os.File) error { return errors.New("injected fsync error") }
		}},
		{"file closed underneath", func(w *WAL) { _ = w.f.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := openWAL(t, Options{Dir: dir})
			good, err := w.Write(t.Context(), []byte("durable"))
			if err != nil {
				t.Fatal(err)
			}
			w.mu.Lock()
			tt.breakIt(w)
			w.mu.Unlock()

			if _, err := w.Write(t.Context(), []byte("lost")); !errors.Is(err, ErrFailed) {
				t.Fatalf("write after breaking the file: %v, want ErrFailed", err)
			}
			if _, err := w.Append([]byte("later")); !errors.Is(err, ErrFailed) {
				t.Fatalf("append in failed state: %v", err)
			}
			if err := w.Sync(t.Context(), good+1); !errors.Is(err, ErrFailed) {
				t.Fatalf("sync in failed state: %v", err)
			}
			if err := w.Sync(t.Context(), good); err != nil {
				t.Fatalf("sync of a record made durable before the failure: %v", err)
			}
			if err := w.Truncate(good); !errors.Is(err, ErrFailed) {
				t.Fatalf("truncate in failed state: %v", err)
			}
			if err := w.Close(); !errors.Is(err, ErrFailed) {
				t.Fatalf("close in failed state: %v", err)
			}

			w = openWAL(t, Options{Dir: dir})
			got := replayAll(t, w, 0)
			if len(got) == 0 || string(got[0].payload) != "durable" {
				t.Fatalf("after reopen: %s", describe(got))
			}
		})
	}
}

func TestClosed(t *testing.T) {
	w := openWAL(t, Options{Dir: t.TempDir()})
	lsn, err := w.Write(t.Context(), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	closeWAL(t, w)
	checks := map[string]error{
		"append":   func() error { _, err := w.Append([]byte("y")); return err }(),
		"write":    func() error { _, err := w.Write(t.Context(), []byte("y")); return err }(),
		"sync":     w.Sync(t.Context(), lsn),
		"replay":   w.Replay(0, func(uint64, []byte) error { return nil }),
		"truncate": w.Truncate(lsn),
		"close":    w.Close(),
	}
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after close: %v, want ErrClosed", name, err)
		}
	}
	if got := w.DurableLSN(); got != lsn {
		t.Errorf("durable lsn after close %d, want %d", got, lsn)
	}
}

func TestAppendTooLarge(t *testing.T) {
	w := openWAL(t, Options{Dir: t.TempDir(), MaxRecordSize: 10})
	if _, err := w.Append(make([]byte, 11)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("append 11 bytes with limit 10: %v", err)
	}
	if lsn, err := w.Append(make([]byte, 10)); err != nil || lsn != 1 {
		t.Fatalf("append 10 bytes with limit 10: lsn %d, %v", lsn, err)
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no dir", Options{}},
		{"negative segment size", Options{Dir: t.TempDir(), SegmentSize: -1}},
		{"negative max record", Options{Dir: t.TempDir(), MaxRecordSize: -1}},
		{"max record beyond uint32", Options{Dir: t.TempDir(), MaxRecordSize: 1 << 33}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w, err := Open(tt.opts); err == nil {
				w.Close()
				t.Fatal("open succeeded")
			}
		})
	}
}

func TestOpenRemovesTemporarySegment(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, Options{Dir: dir})
	mustAppend(t, w, []byte("a"))
	closeWAL(t, w)
	// A crash between creating and renaming a new segment leaves this behind.
	tmp := segPath(dir, 2) + tmpExt
	if err := os.WriteFile(tmp, []byte("OW"), 0o644); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, Options{Dir: dir})
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary segment still there: %v", err)
	}
	if lsn := mustAppend(t, w, []byte("b")); lsn != 2 {
		t.Fatalf("lsn %d, want 2", lsn)
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{256, 4096} {
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			reg := prometheus.NewRegistry()
			w := openWAL(b, Options{Dir: b.TempDir(), Registerer: reg})
			payload := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := w.Write(ctx, payload); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/metricValue(b, reg, "openwit_wal_fsyncs_total"), "writes/fsync")
		})
	}
}

// TestID: a WAL keeps its id across restarts and gets a new one when it
// starts over from LSN 1 (the catalog's checkpoints are keyed by it).
func TestID(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, Options{Dir: dir})
	id := w.ID()
	if len(id) != 16 {
		t.Fatalf("id %q", id)
	}
	if _, err := w.Append([]byte("x")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w = openWAL(t, Options{Dir: dir})
	if w.ID() != id {
		t.Fatalf("id after reopen %q, want %q", w.ID(), id)
	}
	w.Close()
	// Segments gone (a replaced disk restored without them): LSNs start
	// at 1 again, so the id must change.
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	for _, s := range segs {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}
	w = openWAL(t, Options{Dir: dir})
	if w.ID() == id || w.ID() == "" {
		t.Fatalf("id after the WAL started over: %q (was %q)", w.ID(), id)
	}
	if n := w.LastLSN(); n != 0 {
		t.Fatalf("last lsn %d after starting over", n)
	}
}
