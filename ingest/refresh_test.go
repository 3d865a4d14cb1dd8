package ingest_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// TestRefreshSharedCatalog runs two ingesters (own WALs) on one catalog
// and object store: the second learns the first's table and files through
// Refresh, AddFiles skips known files, and AddTable on a known table keeps
// its buffered rows.
func TestRefreshSharedCatalog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cat, err := catalog.OpenSQLite(ctx, filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	bucket, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
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
	a, b := mk("wal-a"), mk("wal-b")
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
