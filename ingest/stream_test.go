package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/testlocal"
	"openwit/storage"
	"openwit/storage/catalog"
)

// openSmall is open with a WAL that gives every record a segment of its
// own, so truncation removes exactly the records below its LSN.
func openSmall(t *testing.T, dir string, pub ingest.Publisher) *node {
	t.Helper()
	cat, bucket := testlocal.Store(t, dir)
	w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), SegmentSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	inner := &storage.Publisher{Bucket: bucket, Catalog: cat}
	if tp, ok := pub.(*tablePublisher); ok {
		tp.inner = inner
	} else {
		pub = inner
	}
	ing, err := ingest.New(context.Background(), ingest.Config{WAL: w, Catalog: cat, Publisher: pub, FlushAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return &node{w: w, cat: cat, ing: ing}
}

// tablePublisher refuses to publish the tables named in refuse.
type tablePublisher struct {
	inner  *storage.Publisher
	refuse map[string]bool
}

func (p *tablePublisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, b []arrow.RecordBatch, lsn uint64) (*catalog.File, error) {
	if p.refuse[t.Name] {
		return nil, errors.New("object store unreachable")
	}
	return p.inner.Publish(ctx, writer, t, shard, b, lsn)
}

// add appends one batch of values vs at hour h to stream s.
func add(t *testing.T, s *ingest.Stream, tb *catalog.Table, h int, vs ...int64) {
	t.Helper()
	rec, shard := rows(t, tb, h, vs...)
	defer rec.Release()
	if err := s.Add(context.Background(), []ingest.Part{{Shard: shard, Rec: rec}}); err != nil {
		t.Fatal(err)
	}
}

// TestStreamCommit: a stream's rows become visible together at Commit,
// an aborted or uncommitted stream leaves nothing after a crash, and
// truncation keeps the provisional records of an open stream and of
// buffered rows that came from one, although newer records are published.
func TestStreamCommit(t *testing.T) {
	dir := t.TempDir()
	pub := &tablePublisher{refuse: map[string]bool{}}
	n := openSmall(t, dir, pub)
	a, b := table(t, n, "a"), table(t, n, "b")
	ctx := context.Background()

	s := n.ing.BeginStream(b.ID)
	add(t, s, b, 1, 7)
	insert(t, n, a, 1, 1)
	if got := values(t, n, b); len(got) != 0 {
		t.Fatalf("provisional rows visible before commit: %v", got)
	}
	// Publishing a's newer row must not truncate the open stream's record.
	if err := n.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	add(t, s, b, 2, 8, 9)
	lsn, err := s.Commit(ctx)
	if err != nil || lsn == 0 {
		t.Fatalf("commit: lsn %d, %v", lsn, err)
	}
	if got := values(t, n, b); got[7] != 1 || got[8] != 1 || got[9] != 1 || len(got) != 3 {
		t.Fatalf("after commit: %v, want 7, 8, 9 once", got)
	}
	if _, err := s.Commit(ctx); err == nil {
		t.Error("second commit of a stream succeeded")
	}

	// A newer record of a is published while b's committed rows stay
	// buffered: truncation must keep b's provisional records.
	insert(t, n, a, 1, 2)
	pub.refuse["b"] = true
	if err := n.ing.Flush(ctx); err == nil {
		t.Fatal("flush with b refused succeeded")
	}
	aborted := n.ing.BeginStream(b.ID)
	add(t, aborted, b, 1, 10)
	aborted.Abort()
	open := n.ing.BeginStream(b.ID)
	add(t, open, b, 1, 11)
	n.crash()

	n2 := openSmall(t, dir, nil)
	if got := values(t, n2, a); got[-1] != 2 || len(got) != 1 {
		t.Errorf("a after restart: %v, want its 2 rows published and nothing buffered", got)
	}
	if got := values(t, n2, b); got[7] != 1 || got[8] != 1 || got[9] != 1 || len(got) != 3 {
		t.Errorf("b after restart: %v, want exactly the committed 7, 8, 9", got)
	}
	// The replayed rows publish, and a second restart holds them once.
	if err := n2.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n2.crash()
	n3 := openSmall(t, dir, nil)
	if got := values(t, n3, b); got[-1] != 3 || len(got) != 1 {
		t.Errorf("b after publish and restart: %v, want 3 published rows", got)
	}
}

// TestStreamOfDroppedTable: a stream into a table dropped meanwhile fails
// with catalog.ErrNotFound and applies nothing.
func TestStreamOfDroppedTable(t *testing.T) {
	n := openSmall(t, t.TempDir(), nil)
	tb := table(t, n, "gone")
	s := n.ing.BeginStream(tb.ID)
	add(t, s, tb, 1, 1)
	n.ing.DropTable(tb.ID)
	if _, err := s.Commit(context.Background()); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("commit into a dropped table: %v", err)
	}
}

// streamCrashEnv makes TestStreamCrashChild act as the writer process of
// TestStreamCrashKill.
const streamCrashEnv = "OPENWIT_STREAM_CRASH_DIR"

// streamRows is the rows of one stream of the crash test: 3 batches of
// 50 rows over two shards.
const streamRows = 150

// TestStreamCrashKill runs a process that writes streams of batches (a
// COPY's shape) and single inserts, SIGKILLs it at an arbitrary moment
// and checks after replay that every acknowledged stream is there whole,
// and every other one whole or not at all. Each round restarts on what
// the previous kill left behind.
func TestStreamCrashKill(t *testing.T) {
	dir := t.TempDir()
	acked := map[int64]bool{} // stream number
	for round := range 3 {
		var stderr bytes.Buffer
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestStreamCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), streamCrashEnv+"="+dir, fmt.Sprintf("OPENWIT_STREAM_CRASH_ROUND=%d", round))
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		want := 20 + 15*round
		sc := bufio.NewScanner(stdout)
		n := 0
		for n < want && sc.Scan() {
			var k int64
			if _, err := fmt.Sscanf(sc.Text(), "ack %d", &k); err != nil {
				continue
			}
			acked[k] = true
			n++
		}
		// Let it run on a little, so the kill lands at an arbitrary point.
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if n < want {
			t.Fatalf("round %d: writer stopped after %d acks: %s", round, n, stderr.String())
		}

		nd := openSmall(t, dir, nil)
		tb := table(t, nd, "c")
		per := map[int64]int{}
		for v, c := range values(t, nd, tb) {
			if c != 1 {
				t.Fatalf("round %d: value %d replayed %d times", round, v, c)
			}
			per[v/1000]++
		}
		for k := range acked {
			if per[k] != streamRows {
				t.Errorf("round %d: acknowledged stream %d has %d rows after replay, want %d", round, k, per[k], streamRows)
			}
		}
		for k, c := range per {
			if k > 0 && c != streamRows {
				t.Errorf("round %d: stream %d replayed with %d of %d rows", round, k, c, streamRows)
			}
		}
		t.Logf("round %d: %d streams acknowledged so far, %d replayed", round, len(acked), len(per))
		nd.crash()
	}
}

// TestStreamCrashChild is the writer process of TestStreamCrashKill. It
// writes streams of three batches, stream k's values k*1000+i, from two
// goroutines with single-row inserts between them, and prints "ack k"
// after each commit. Round r numbers its streams from r*100000.
func TestStreamCrashChild(t *testing.T) {
	dir := os.Getenv(streamCrashEnv)
	if dir == "" {
		t.Skip("helper process of TestStreamCrashKill")
	}
	var round int64
	fmt.Sscanf(os.Getenv("OPENWIT_STREAM_CRASH_ROUND"), "%d", &round)
	nd := openSmall(t, dir, nil)
	tb := table(t, nd, "c")
	ctx := context.Background()
	var outMu sync.Mutex
	for g := range 2 {
		go func() {
			for i := int64(0); ; i++ {
				k := round*100000 + int64(g)*50000 + i + 1
				s := nd.ing.BeginStream(tb.ID)
				for j := range int64(3) {
					vs := make([]int64, streamRows/3)
					for x := range vs {
						vs[x] = k*1000 + j*int64(len(vs)) + int64(x)
					}
					rec, shard := rows(t, tb, int(j%2), vs...)
					err := s.Add(ctx, []ingest.Part{{Shard: shard, Rec: rec}})
					rec.Release()
					if err != nil {
						fmt.Fprintln(os.Stderr, "add:", err)
						os.Exit(2)
					}
				}
				// A stream that is never committed, now and then.
				if i%5 == 4 {
					s.Abort()
					continue
				}
				if _, err := s.Commit(ctx); err != nil {
					fmt.Fprintln(os.Stderr, "commit:", err)
					os.Exit(2)
				}
				outMu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d\n", k)
				outMu.Unlock()
				// A single insert (value -k, stream key 0) between streams.
				rec, shard := rows(t, tb, 1, -k)
				err := nd.ing.Insert(ctx, tb.ID, []ingest.Part{{Shard: shard, Rec: rec}})
				rec.Release()
				if err != nil {
					fmt.Fprintln(os.Stderr, "insert:", err)
					os.Exit(2)
				}
			}
		}()
	}
	select {} // until killed
}
