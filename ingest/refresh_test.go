package ingest_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/testlocal"
	"openwit/storage"
	"openwit/storage/catalog"
)

// TestRefreshSharedCatalog runs two ingesters (own WALs) on one catalog
// and object store: the second learns the first's table and files through
// Refresh, AddFiles skips known files, and AddTable on a known table keeps
// its buffered rows.
func TestRefreshSharedCatalog(t *testing.T) {
	ctx := context.Background()
	cat, a, b := sharedNodes(t)
	tb := table(t, a, "logs")
	if _, err := b.ing.Snapshot(tb.ID); err == nil {
		t.Fatal("b knows the table before a refresh")
	}
	insert(t, a, tb, 1, 1, 2, 3)
	if err := a.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.ing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := values(t, b, tb); got[-1] != 3 {
		t.Fatalf("b sees %v after refresh, want one file of 3 rows", got)
	}
	// b buffers rows of its own; a repeated AddTable and refresh keep them
	// and add no file twice.
	insert(t, b, tb, 2, 7)
	if err := b.ing.AddTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if err := b.ing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := cat.ListFiles(ctx, tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.ing.AddFiles(tb.ID, fs)
	if got := values(t, b, tb); got[-1] != 3 || got[7] != 1 {
		t.Fatalf("b sees %v, want the 3-row file once and its buffered 7", got)
	}
}

// TestRefreshFollowsSwaps: when another node swaps files (compaction), a
// refresh replaces them in one step, so this node never lists the inputs
// and the output together, and a swapped-out file never comes back.
func TestRefreshFollowsSwaps(t *testing.T) {
	ctx := context.Background()
	cat, a, b := sharedNodes(t)
	tb := table(t, a, "logs")
	for _, v := range []int64{1, 2} {
		insert(t, a, tb, 1, v, v, v)
		if err := a.ing.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.ing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := values(t, b, tb); got[-1] != 6 {
		t.Fatalf("b sees %v, want two files of 3 rows", got)
	}
	// Another node compacts the two files into one (the catalog swap is
	// what matters here; the object is not read).
	old, err := cat.ListFiles(ctx, tb.ID)
	if err != nil || len(old) != 2 {
		t.Fatalf("files %v, %v", old, err)
	}
	merged := *old[0]
	merged.ID, merged.Path, merged.Rows, merged.Index = "merged", old[0].Path+".merged", 6, nil
	merged.MinTime, merged.MaxTime = min(old[0].MinTime, old[1].MinTime), max(old[0].MaxTime, old[1].MaxTime)
	merged.CreatedAt = time.Time{}
	if err := cat.ReplaceFiles(ctx, tb.ID, []string{old[0].ID, old[1].ID}, []*catalog.File{&merged}); err != nil {
		t.Fatal(err)
	}
	if err := b.ing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := b.ing.Snapshot(tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	if len(snap.Files) != 1 || snap.Files[0].ID != "merged" {
		var ids []string
		for _, f := range snap.Files {
			ids = append(ids, f.ID)
		}
		t.Fatalf("b lists %v after the swap, want [merged]", ids)
	}
	// A stale listing (from before the swap) cannot bring the inputs back.
	b.ing.AddFiles(tb.ID, old)
	if got := values(t, b, tb); got[-1] != 6 {
		t.Errorf("b sees %v after re-adding swapped-out files, want only the 6-row merged file", got)
	}
}

// sharedNodes returns two ingesters (own WALs) on one SQLite catalog and
// one local object store, as two nodes sharing a catalog.
func sharedNodes(t *testing.T) (catalog.Catalog, *node, *node) {
	ctx := context.Background()
	dir := t.TempDir()
	cat, bucket := testlocal.Store(t, dir)
	mk := func(name string) *node {
		w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, name)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: cat, Publisher: &storage.Publisher{Bucket: bucket, Catalog: cat}, FlushAge: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return &node{w: w, cat: cat, ing: ing}
	}
	return cat, mk("wal-a"), mk("wal-b")
}

// hookedCatalog runs beforeList once, at the start of the next ListFiles.
type hookedCatalog struct {
	catalog.Catalog
	beforeList func()
}

func (c *hookedCatalog) ListFiles(ctx context.Context, tableID int64) ([]*catalog.File, error) {
	if h := c.beforeList; h != nil {
		c.beforeList = nil
		h()
	}
	return c.Catalog.ListFiles(ctx, tableID)
}

// TestRefreshDropsFileSwappedDuringRead: this node publishes a file while
// its refresh reads the catalog, and another node's compaction swaps that
// file out before the read. The listing holds the replacement and lacks
// the file, which joined the list after the refresh began: keeping both
// would count the rows twice until the next refresh. The catalog's garbage
// record tells the refresh that the file was swapped out.
func TestRefreshDropsFileSwappedDuringRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cat, bucket := testlocal.Store(t, dir)
	w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	hooked := &hookedCatalog{Catalog: cat}
	ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: hooked, Publisher: &storage.Publisher{Bucket: bucket, Catalog: cat}, FlushAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{w: w, cat: cat, ing: ing}
	tb := table(t, n, "logs")
	insert(t, n, tb, 1, 1, 2, 3)
	if err := ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var published, replaced []string
	hooked.beforeList = func() {
		// During the read: a local publish lands, then a remote
		// compaction swaps both files for one.
		insert(t, n, tb, 1, 4, 5)
		if err := ing.Flush(ctx); err != nil {
			t.Error(err)
			return
		}
		old, err := cat.ListFiles(ctx, tb.ID)
		if err != nil || len(old) != 2 {
			t.Errorf("files %v, %v", old, err)
			return
		}
		merged := *old[0]
		merged.ID, merged.Path, merged.Rows, merged.Index = "merged", old[0].Path+".merged", 5, nil
		merged.MinTime, merged.MaxTime = min(old[0].MinTime, old[1].MinTime), max(old[0].MaxTime, old[1].MaxTime)
		merged.CreatedAt = time.Time{}
		for _, f := range old {
			published = append(published, f.ID)
		}
		if err := cat.ReplaceFiles(ctx, tb.ID, published, []*catalog.File{&merged}); err != nil {
			t.Error(err)
		}
		replaced = []string{"merged"}
	}
	if err := ing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if replaced == nil {
		t.Fatal("the hook did not run")
	}
	snap, err := ing.Snapshot(tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	var ids []string
	for _, f := range snap.Files {
		ids = append(ids, f.ID)
	}
	if len(ids) != 1 || ids[0] != "merged" {
		t.Fatalf("after the refresh the node lists %v, want [merged] (swapped out: %v)", ids, published)
	}
	// A file published during a read and NOT swapped out stays.
	hooked.beforeList = func() {
		insert(t, n, tb, 2, 6)
		if err := ing.Flush(ctx); err != nil {
			t.Error(err)
		}
	}
	if err := ing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	snap2, err := ing.Snapshot(tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer snap2.Release()
	if len(snap2.Files) != 2 {
		t.Errorf("after a publish during a read with no swap: %d files, want 2", len(snap2.Files))
	}
}
