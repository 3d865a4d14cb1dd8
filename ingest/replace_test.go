package ingest_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// swappingPublisher publishes, then runs swap (a concurrent catalog
// refresh or swap) before the ingester lists the new file: the races
// between a flush and the others.
type swappingPublisher struct {
	inner *storage.Publisher
	swap  func(f *catalog.File)
}

func (p *swappingPublisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, b []arrow.RecordBatch, lsn uint64) (*catalog.File, error) {
	f, err := p.inner.Publish(ctx, writer, t, shard, b, lsn)
	if err == nil && p.swap != nil {
		p.swap(f)
	}
	return f, err
}

func snapshotFiles(t *testing.T, n *node, tb *catalog.Table) []*catalog.File {
	t.Helper()
	s, err := n.ing.Snapshot(tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	return s.Files
}

// TestReplaceFilesAfterRefresh: a swap (a DELETE's rewrite, a compaction)
// commits in the catalog, and a catalog refresh lists the table before the
// swapping node's ReplaceFiles runs, so the refresh already follows the
// swap. ReplaceFiles then must not add the new file a second time: every
// row of it would be read twice.
func TestReplaceFilesAfterRefresh(t *testing.T) {
	n := open(t, t.TempDir(), nil) // not started: no background refresh
	tb := table(t, n, "refreshed")
	if err := n.ing.AddTable(t.Context(), tb); err != nil {
		t.Fatal(err)
	}
	insert(t, n, tb, 1, 10, 11)
	if err := n.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	old := snapshotFiles(t, n, tb)
	if len(old) != 1 {
		t.Fatalf("files = %d, want 1", len(old))
	}
	rewritten := *old[0]
	rewritten.ID, rewritten.Path, rewritten.Rows = "rewritten", "rewritten.parquet", 1
	removed, added := []string{old[0].ID}, []*catalog.File{&rewritten}
	if err := n.cat.ReplaceFiles(t.Context(), tb.ID, removed, added); err != nil {
		t.Fatal(err)
	}
	if err := n.ing.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	n.ing.ReplaceFiles(tb.ID, removed, added)
	if err := n.ing.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := snapshotFiles(t, n, tb)
	ids := []string{}
	for _, f := range got {
		ids = append(ids, f.ID)
	}
	if len(got) != 1 || got[0].ID != "rewritten" {
		t.Fatalf("ingester lists %v after a refresh saw the swap first, want [rewritten]", ids)
	}
}

// snapshotRows counts the rows a query of the table's snapshot reads:
// its files' and its buffered batches'.
func snapshotRows(t *testing.T, n *node, tb *catalog.Table) int64 {
	t.Helper()
	s, err := n.ing.Snapshot(tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	var rows int64
	for _, f := range s.Files {
		rows += f.Rows
	}
	for _, b := range s.Batches {
		rows += b.NumRows()
	}
	return rows
}

// TestRefreshDuringPublish: a flush (a DELETE's FlushTable, in its own
// goroutine) commits its file, and the periodic catalog refresh lists the
// table before the publish lists the file and drops the frozen rows it
// holds. Applied, that listing would have a query in between read the
// rows twice (from the file and from the buffers): the refresh leaves it,
// and the next one follows the catalog.
func TestRefreshDuringPublish(t *testing.T) {
	pub := &swappingPublisher{}
	dir := t.TempDir()
	bucket, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	n := open(t, dir, pub)
	pub.inner = &storage.Publisher{Bucket: bucket, Catalog: n.cat}
	tb := table(t, n, "refreshed_early")
	insert(t, n, tb, 1, 10, 11, 12)
	var during []int64
	pub.swap = func(*catalog.File) {
		if err := n.ing.Refresh(t.Context()); err != nil {
			t.Error(err)
		}
		during = append(during, snapshotRows(t, n, tb))
	}
	if err := n.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	pub.swap = nil
	during = append(during, snapshotRows(t, n, tb))
	if err := n.ing.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	during = append(during, snapshotRows(t, n, tb))
	wantRowsEach(t, during, 3)
	if got := snapshotFiles(t, n, tb); len(got) != 1 {
		t.Errorf("ingester lists %d files after the publish and a refresh, want 1", len(got))
	}
}

// TestSwapDuringPublish: a flush commits its file, and before the publish
// lists it, a compaction (or another connection's DELETE) that listed the
// catalog then merges it into a new file and swaps: ReplaceFiles adds the
// merged file. A query in between must not read the file's rows from the
// merged file and from the buffers the publish has not dropped yet.
func TestSwapDuringPublish(t *testing.T) {
	pub := &swappingPublisher{}
	dir := t.TempDir()
	bucket, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	n := open(t, dir, pub)
	pub.inner = &storage.Publisher{Bucket: bucket, Catalog: n.cat}
	tb := table(t, n, "swapped_early")
	insert(t, n, tb, 1, 10, 11)
	if err := n.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	first := snapshotFiles(t, n, tb)
	insert(t, n, tb, 1, 12)
	var during []int64
	swapped := make(chan error, 1)
	pub.swap = func(f *catalog.File) {
		merged := *first[0]
		merged.ID, merged.Path, merged.Rows, merged.MaxLSN = "merged", "merged.parquet", 3, f.MaxLSN
		removed := []string{first[0].ID, f.ID}
		if err := n.cat.ReplaceFiles(t.Context(), tb.ID, removed, []*catalog.File{&merged}); err != nil {
			t.Error(err) // the publish runs on a flush goroutine: no Fatal
			swapped = nil
			return
		}
		// The swap's ReplaceFiles waits for the publish; run now, it
		// would have this read count the third row twice. The bound only
		// stops waiting for a ReplaceFiles that waits: one that does not
		// returns at once and fails the test.
		go func() {
			n.ing.ReplaceFiles(tb.ID, removed, []*catalog.File{&merged})
			swapped <- nil
		}()
		select {
		case <-swapped:
			swapped = nil
		case <-time.After(200 * time.Millisecond):
		}
		during = append(during, snapshotRows(t, n, tb))
	}
	if err := n.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	pub.swap = nil
	if swapped != nil {
		<-swapped // the ReplaceFiles that waited for the publish
	}
	during = append(during, snapshotRows(t, n, tb))
	if err := n.ing.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	during = append(during, snapshotRows(t, n, tb))
	wantRowsEach(t, during, 3)
	if got := snapshotFiles(t, n, tb); len(got) != 1 || got[0].ID != "merged" {
		t.Errorf("ingester lists %d files after the raced swap, want [merged]", len(got))
	}
}

// hookedPublisher runs before ahead of the publish it wraps: before the
// flush's file is committed.
type hookedPublisher struct {
	inner  *storage.Publisher
	before func()
}

func (p *hookedPublisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, b []arrow.RecordBatch, lsn uint64) (*catalog.File, error) {
	if p.before != nil {
		p.before()
	}
	return p.inner.Publish(ctx, writer, t, shard, b, lsn)
}

// TestRefreshDuringUncommittedPublish: a refresh while a publish is in
// flight but has not committed yet applies its listing: only a listing
// that may hold a file whose rows are still buffered waits for the next
// refresh, so a node that publishes all the time still follows the
// catalog (another node's file here).
func TestRefreshDuringUncommittedPublish(t *testing.T) {
	pub := &hookedPublisher{}
	dir := t.TempDir()
	bucket, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	n := open(t, dir, pub)
	pub.inner = &storage.Publisher{Bucket: bucket, Catalog: n.cat}
	tb := table(t, n, "refreshed_uncommitted")
	insert(t, n, tb, 1, 10, 11)
	rec, shard := rows(t, tb, 2, 20, 21, 22)
	defer rec.Release()
	other, err := (&storage.Publisher{Bucket: bucket, Catalog: n.cat}).Publish(t.Context(), "other-node", tb, shard, []arrow.RecordBatch{rec}, 7)
	if err != nil {
		t.Fatal(err)
	}
	var during []*catalog.File
	pub.before = func() {
		if err := n.ing.Refresh(t.Context()); err != nil {
			t.Error(err)
		}
		during = snapshotFiles(t, n, tb)
	}
	if err := n.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 || during[0].ID != other.ID {
		t.Errorf("files listed by a refresh during an uncommitted publish: %v, want the other node's file", during)
	}
	if rows := snapshotRows(t, n, tb); rows != 5 {
		t.Errorf("rows after the publish: %d, want 5", rows)
	}
}

// wantRowsEach checks that every read of during saw want rows.
func wantRowsEach(t *testing.T, during []int64, want int64) {
	t.Helper()
	for i, rows := range during {
		if rows != want {
			t.Errorf("read %d of the table around the publish: %d rows, want %d (all: %v)", i, rows, want, during)
		}
	}
}
