package ingest_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/testlocal"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// node is one "process": a WAL, catalog and bucket on a directory. Opening
// a second node on the same directory without closing the first simulates a
// crash (nothing the first had buffered is flushed).
type node struct {
	w   *wal.WAL
	cat catalog.Catalog
	ing *ingest.Ingester
}

func open(t *testing.T, dir string, pub ingest.Publisher) *node {
	t.Helper()
	p := testlocal.Open(t, dir)
	cat, bucket, w := p.Catalog, p.Bucket, p.WAL
	if pub == nil {
		pub = &storage.Publisher{Bucket: bucket, Catalog: cat}
	} else if fp, ok := pub.(*failingPublisher); ok {
		fp.inner = &storage.Publisher{Bucket: bucket, Catalog: cat}
	} else if rp, ok := pub.(*refusingPublisher); ok {
		rp.inner = &storage.Publisher{Bucket: bucket, Catalog: cat}
	}
	ing, err := ingest.New(context.Background(), ingest.Config{WAL: w, Catalog: cat, Publisher: pub, FlushAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return &node{w: w, cat: cat, ing: ing}
}

// crash abandons the node: the WAL file handles close without a flush.
func (n *node) crash() {
	n.w.Close()
	n.cat.Close()
}

func table(t *testing.T, n *node, name string) *catalog.Table {
	t.Helper()
	ctx := context.Background()
	tb, err := n.cat.GetTable(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		tb, err = n.cat.CreateTable(ctx, &catalog.Table{Name: name, TimeColumn: "ts", ShardDuration: time.Hour,
			Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}, {Name: "v", Type: "int8"}}})
		if err == nil {
			err = n.ing.AddTable(ctx, tb)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// insert writes rows with values vs at hour h (one shard per hour).
func insert(t *testing.T, n *node, tb *catalog.Table, h int, vs ...int64) {
	t.Helper()
	rec, shard := rows(t, tb, h, vs...)
	defer rec.Release()
	if err := n.ing.Insert(context.Background(), tb.ID, []ingest.Part{{Shard: shard, Rec: rec}}); err != nil {
		t.Fatal(err)
	}
}

// rows returns a batch of values vs at hour h, a second apart, and its
// shard.
func rows(t *testing.T, tb *catalog.Table, h int, vs ...int64) (arrow.RecordBatch, int64) {
	t.Helper()
	schema, err := storage.ArrowSchema(tb)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	base := time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC)
	for i, v := range vs {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Second).UnixMicro()))
		b.Field(1).(*array.Int64Builder).Append(v)
	}
	return b.NewRecordBatch(), ingest.ShardOf(tb, base.UnixMicro())
}

// values returns the multiset of v visible in the table: buffered rows and
// published files (read back through the catalog's file list).
func values(t *testing.T, n *node, tb *catalog.Table) map[int64]int {
	t.Helper()
	snap, err := n.ing.Snapshot(tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	out := map[int64]int{}
	for _, b := range snap.Batches {
		col := b.Column(1).(*array.Int64)
		for i := 0; i < col.Len(); i++ {
			out[col.Value(i)]++
		}
	}
	for _, f := range snap.Files {
		// Files are counted by rows; their content is covered by the
		// storage tests. Record them under a negative key per file.
		out[-1] += int(f.Rows)
	}
	return out
}

func TestReplayAfterCrash(t *testing.T) {
	dir := t.TempDir()
	n := open(t, dir, nil)
	tb := table(t, n, "logs")
	insert(t, n, tb, 1, 1, 2, 3)
	insert(t, n, tb, 2, 4)
	n.crash()

	n2 := open(t, dir, nil)
	got := values(t, n2, tb)
	for _, v := range []int64{1, 2, 3, 4} {
		if got[v] != 1 {
			t.Errorf("value %d seen %d times after replay, want 1 (all: %v)", v, got[v], got)
		}
	}
}

// failingPublisher publishes for real and then reports a failure, as when
// the process dies between the catalog commit and the WAL truncation.
type failingPublisher struct {
	inner *storage.Publisher
	fail  bool
}

func (p *failingPublisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, b []arrow.RecordBatch, lsn uint64) (*catalog.File, error) {
	f, err := p.inner.Publish(ctx, writer, t, shard, b, lsn)
	if err == nil && p.fail {
		return nil, errors.New("simulated crash after publish")
	}
	return f, err
}

func TestPublishedRowsAreNotReplayed(t *testing.T) {
	dir := t.TempDir()
	pub := &failingPublisher{fail: true}
	n := open(t, dir, pub)
	tb := table(t, n, "logs")
	insert(t, n, tb, 1, 10, 11)
	insert(t, n, tb, 2, 20)
	if err := n.ing.Flush(context.Background()); err == nil {
		t.Fatal("flush with a failing publisher succeeded")
	}
	// The files are published, the WAL still holds the records.
	if n.w.LastLSN() == 0 {
		t.Fatal("wal is empty")
	}
	n.crash()

	n2 := open(t, dir, nil)
	got := values(t, n2, tb)
	if got[-1] != 3 {
		t.Errorf("published rows = %d, want 3", got[-1])
	}
	for _, v := range []int64{10, 11, 20} {
		if got[v] != 0 {
			t.Errorf("value %d replayed into the buffer although its file is published (duplicate)", v)
		}
	}
	// New rows after recovery are buffered and flush normally.
	insert(t, n2, tb, 1, 12)
	if err := n2.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := values(t, n2, tb); got[-1] != 4 {
		t.Errorf("rows after second flush = %v, want 4 published", got)
	}
	if n2.w.Size() > 0 {
		files, _ := n2.cat.ListFiles(context.Background(), tb.ID)
		t.Logf("wal size %d after full flush (%d files)", n2.w.Size(), len(files))
	}
	n2.crash()
	n3 := open(t, dir, nil)
	if got := values(t, n3, tb); got[-1] != 4 || len(got) != 1 {
		t.Errorf("after restart: %v, want exactly 4 published rows and nothing buffered", got)
	}
}

func TestDroppedTableIsNotReplayed(t *testing.T) {
	dir := t.TempDir()
	n := open(t, dir, nil)
	tb := table(t, n, "logs")
	insert(t, n, tb, 1, 1, 2)
	if err := n.cat.DropTable(context.Background(), "logs"); err != nil {
		t.Fatal(err)
	}
	n.ing.DropTable(tb.ID)
	n.crash()

	n2 := open(t, dir, nil)
	tb2 := table(t, n2, "logs") // same name, new id
	if tb2.ID == tb.ID {
		t.Fatal("table id reused")
	}
	if got := values(t, n2, tb2); len(got) != 0 {
		t.Errorf("recreated table sees rows of the dropped one: %v", got)
	}
}

func TestShardOf(t *testing.T) {
	tb := &catalog.Table{ShardDuration: time.Hour}
	h := time.Hour.Microseconds()
	cases := []struct{ in, want int64 }{{0, 0}, {h - 1, 0}, {h, h}, {-1, -h}, {-h, -h}, {5*h + 7, 5 * h}}
	for _, c := range cases {
		if got := ingest.ShardOf(tb, c.in); got != c.want {
			t.Errorf("ShardOf(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestBufferLimitRefusesAndFlushFrees(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n := open(t, dir, nil)
	tb := table(t, n, "logs")
	n.crash()
	p := testlocal.Open(t, dir)
	cat, bucket, w := p.Catalog, p.Bucket, p.WAL
	reg := prometheus.NewRegistry()
	// No Start: the flusher does not run, so nothing frees the buffers
	// behind the test's back.
	ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: cat, Publisher: &storage.Publisher{Bucket: bucket, Catalog: cat},
		FlushAge: time.Hour, BufferLimit: 100, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	n = &node{w: w, cat: cat, ing: ing}
	insert(t, n, tb, 1, 1, 2, 3, 4, 5, 6, 7, 8) // 8 rows, > 100 bytes: admitted into empty buffers
	last := w.LastLSN()

	rec := oneRow(t, tb, 9)
	defer rec.Release()
	err = ing.Insert(ctx, tb.ID, []ingest.Part{{Shard: 0, Rec: rec}})
	if !errors.Is(err, ingest.ErrOverloaded) {
		t.Fatalf("insert over the buffer limit: %v, want ErrOverloaded", err)
	}
	if w.LastLSN() != last {
		t.Errorf("refused batch was written to the wal (last lsn %d, was %d)", w.LastLSN(), last)
	}
	if got := values(t, n, tb); got[9] != 0 || got[1] != 1 {
		t.Errorf("values after refusal: %v", got)
	}
	if v := counterValue(t, reg, "openwit_ingest_rejected_total", "buffer_limit"); v != 1 {
		t.Errorf("openwit_ingest_rejected_total{reason=buffer_limit} = %v, want 1", v)
	}
	if err := ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ing.Insert(ctx, tb.ID, []ingest.Part{{Shard: 0, Rec: rec}}); err != nil {
		t.Fatalf("insert after the flush freed the buffers: %v", err)
	}
	if got := values(t, n, tb); got[9] != 1 || got[-1] != 8 {
		t.Errorf("values after flush and retry: %v", got)
	}
}

func TestAppendIsInvisibleUntilSync(t *testing.T) {
	ctx := context.Background()
	n := open(t, t.TempDir(), nil)
	defer n.crash()
	tb := table(t, n, "logs")
	for v := range int64(5) {
		rec := oneRow(t, tb, v)
		lsn, err := n.ing.Append(ctx, tb.ID, []ingest.Part{{Shard: 0, Rec: rec}})
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		if lsn <= n.ing.DurableLSN() {
			// Already durable by a background round: visible, fine.
			continue
		}
		if got := values(t, n, tb); got[v] != 0 {
			t.Errorf("value %d visible before its lsn %d is durable", v, lsn)
		}
	}
	if err := n.ing.Sync(ctx, n.w.LastLSN()); err != nil {
		t.Fatal(err)
	}
	got := values(t, n, tb)
	for v := range int64(5) {
		if got[v] != 1 {
			t.Errorf("value %d seen %d times after Sync, want 1", v, got[v])
		}
	}
}

// oneRow is a batch of one row with value v at the epoch (shard 0).
func oneRow(t *testing.T, tb *catalog.Table, v int64) arrow.RecordBatch {
	t.Helper()
	schema, err := storage.ArrowSchema(tb)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.TimestampBuilder).Append(0)
	b.Field(1).(*array.Int64Builder).Append(v)
	return b.NewRecordBatch()
}

// counterValue is the value of the counter name{...=label} in reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{%s} not found", name, label)
	return 0
}

// TestTwoWritersShareACatalog: two nodes (two WALs) write the same shard of
// one table through one catalog and object store. Their LSNs are unrelated
// numbers, so a node that crashes must replay its own unpublished records
// even when the other node has published a higher LSN for that shard, and
// their files never share an id.
func TestTwoWritersShareACatalog(t *testing.T) {
	ctx := context.Background()
	shared := t.TempDir()
	cat, err := catalog.OpenSQLite(ctx, filepath.Join(shared, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	bucket, err := objstore.NewLocal(filepath.Join(shared, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	start := func(walDir string) (*wal.WAL, *ingest.Ingester) {
		t.Helper()
		w, err := wal.Open(wal.Options{Dir: walDir})
		if err != nil {
			t.Fatal(err)
		}
		ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: cat, Publisher: &storage.Publisher{Bucket: bucket, Catalog: cat}, FlushAge: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return w, ing
	}
	dirA, dirB := filepath.Join(shared, "a-wal"), filepath.Join(shared, "b-wal")
	wa, a := start(dirA)
	wb, b := start(dirB)
	if wa.ID() == wb.ID() || wa.ID() == "" {
		t.Fatalf("wal ids %q and %q", wa.ID(), wb.ID())
	}
	na, nb := &node{w: wa, cat: cat, ing: a}, &node{w: wb, cat: cat, ing: b}
	tb := table(t, na, "logs")
	if err := b.AddTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	for v := int64(1); v <= 5; v++ {
		insert(t, na, tb, 1, v) // a's LSNs 1..5
	}
	insert(t, nb, tb, 1, 100) // b's LSN 1, same shard
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	wb.Close() // b crashes before publishing

	wb2, b2 := start(dirB)
	if wb2.ID() != wb.ID() {
		t.Fatalf("wal id changed across a restart: %q then %q", wb.ID(), wb2.ID())
	}
	nb2 := &node{w: wb2, cat: cat, ing: b2}
	if got := values(t, nb2, tb); got[100] != 1 {
		t.Fatalf("b's acknowledged row after its restart: %v, want value 100 once (a published LSN 5 of the same shard)", got)
	}
	if err := b2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := cat.ListFiles(ctx, tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	ids := map[string]bool{}
	for _, f := range files {
		rows += f.Rows
		ids[f.ID] = true
	}
	if len(files) != 2 || len(ids) != 2 || rows != 6 {
		t.Fatalf("published files %d (distinct ids %d) with %d rows, want 2 files and 6 rows", len(files), len(ids), rows)
	}
	for _, w := range []*wal.WAL{wa, wb2} {
		cp, err := cat.Checkpoints(ctx, w.ID(), tb.ID)
		if err != nil || len(cp) != 1 {
			t.Fatalf("checkpoints of %s: %v %v", w.ID(), cp, err)
		}
	}
	wa.Close()
	wb2.Close()
}

// refusingPublisher fails without publishing while refuse is set, as when
// the object store or the storage node is unreachable.
type refusingPublisher struct {
	inner  *storage.Publisher
	refuse bool
}

func (p *refusingPublisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, b []arrow.RecordBatch, lsn uint64) (*catalog.File, error) {
	if p.refuse {
		return nil, errors.New("object store unreachable")
	}
	return p.inner.Publish(ctx, writer, t, shard, b, lsn)
}

// TestUnpublishedAge: the upload lag counts from the oldest row not yet
// published, also while a failed publish holds it frozen and newer rows
// arrive.
func TestUnpublishedAge(t *testing.T) {
	pub := &refusingPublisher{refuse: true}
	n := open(t, t.TempDir(), pub)
	tb := table(t, n, "logs")
	ing := n.ing
	if a := ing.UnpublishedAge(); a != 0 {
		t.Fatalf("age with nothing buffered = %v", a)
	}
	insert(t, n, tb, 1, 1)
	first := time.Now() // the oldest row arrived before this
	time.Sleep(20 * time.Millisecond)
	if err := ing.Flush(t.Context()); err == nil {
		t.Fatal("flush with the publisher refusing: no error")
	}
	insert(t, n, tb, 1, 2) // newer rows next to the frozen ones
	lower := time.Since(first)
	if a := ing.UnpublishedAge(); a < lower {
		t.Fatalf("age %v, want at least %v (since the first, still unpublished row)", a, lower)
	}
	pub.refuse = false
	if err := ing.Flush(t.Context()); err != nil { // the frozen rows
		t.Fatal(err)
	}
	if err := ing.Flush(t.Context()); err != nil { // the newer ones
		t.Fatal(err)
	}
	if a := ing.UnpublishedAge(); a != 0 {
		t.Fatalf("age after everything was published = %v", a)
	}
	if got := values(t, n, tb); got[-1] != 2 {
		t.Fatalf("published rows %v, want 2", got)
	}
}

// lateHandoff publishes rows v at hour h as a file of writer up to maxLSN,
// as a storage node does when it commits a hand-off after the node that
// sent it crashed.
func lateHandoff(t *testing.T, dir string, n *node, tb *catalog.Table, writer string, maxLSN uint64, h int, vs ...int64) {
	t.Helper()
	rec, shard := rows(t, tb, h, vs...)
	defer rec.Release()
	bucket, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	pub := &storage.Publisher{Bucket: bucket, Catalog: n.cat}
	if _, err := pub.Publish(t.Context(), writer, tb, shard, []arrow.RecordBatch{rec}, maxLSN); err != nil {
		t.Fatal(err)
	}
}

// TestLateHandoffAfterReplay: a node crashes after handing rows off; it
// replays them from its WAL, and then the storage node commits the
// hand-off. The replayed rows must count once: not in the file and the
// buffers at once (a refresh sees the file), and not published a second
// time with newer rows (a flush before the refresh).
func TestLateHandoffAfterReplay(t *testing.T) {
	for _, refreshFirst := range []bool{true, false} {
		dir := t.TempDir()
		n := open(t, dir, nil)
		tb := table(t, n, "logs")
		insert(t, n, tb, 1, 1, 2, 3)
		last, writer := n.w.LastLSN(), n.w.ID()
		n.crash()

		n = open(t, dir, nil) // replays 1, 2, 3 into the buffers
		if got := values(t, n, tb); got[1] != 1 || got[-1] != 0 {
			t.Fatalf("after replay: %v", got)
		}
		insert(t, n, tb, 1, 4) // a newer row of the same shard
		lateHandoff(t, dir, n, tb, writer, last, 1, 1, 2, 3)
		if refreshFirst {
			if err := n.ing.Refresh(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := values(t, n, tb); got[1] != 0 || got[4] != 1 || got[-1] != 3 {
				t.Fatalf("refresh after the late hand-off: %v, want the file's 3 rows and row 4 buffered", got)
			}
		}
		if err := n.ing.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := n.ing.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := values(t, n, tb); got[-1] != 4 || len(got) != 1 {
			t.Fatalf("refresh first %v: published rows %v, want 4 in files and nothing buffered", refreshFirst, got)
		}
		n.crash()
	}
}
