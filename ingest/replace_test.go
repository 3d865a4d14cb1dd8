package ingest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/ingest"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// swappingPublisher publishes, then lets a "compaction" swap the new file
// away before the ingester lists it: the race between a flush and a swap.
type swappingPublisher struct {
	inner *storage.Publisher
	ing   *ingest.Ingester
	swap  func(f *catalog.File)
}

func (p *swappingPublisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, b []arrow.RecordBatch, lsn uint64) (*catalog.File, error) {
	f, err := p.inner.Publish(ctx, writer, t, shard, b, lsn)
	if err == nil && p.swap != nil {
		p.swap(f)
	}
	return f, err
}

func TestReplaceFilesFollowsSwaps(t *testing.T) {
	dir := t.TempDir()
	bucket, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	pub := &swappingPublisher{}
	n := open(t, dir, pub)
	pub.inner = &storage.Publisher{Bucket: bucket, Catalog: n.cat}
	pub.ing = n.ing
	tb := table(t, n, "swapped")
	if err := n.ing.AddTable(t.Context(), tb); err != nil {
		t.Fatal(err)
	}
	insert(t, n, tb, 1, 10, 11)
	if err := n.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	first := snapshotFiles(t, n, tb)
	if len(first) != 1 {
		t.Fatalf("files = %d, want 1", len(first))
	}
	// The swap lands between the catalog publish and the ingester's
	// listing of the new file: the file must not come back.
	insert(t, n, tb, 1, 12)
	pub.swap = func(f *catalog.File) {
		merged := *first[0]
		merged.ID, merged.Path, merged.Rows, merged.MaxLSN = "merged", "merged.parquet", 3, f.MaxLSN
		if err := n.cat.ReplaceFiles(t.Context(), tb.ID, []string{first[0].ID, f.ID}, []*catalog.File{&merged}); err != nil {
			t.Fatal(err)
		}
		n.ing.ReplaceFiles(tb.ID, []string{first[0].ID, f.ID}, []*catalog.File{&merged})
	}
	if err := n.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := snapshotFiles(t, n, tb)
	if len(got) != 1 || got[0].ID != "merged" {
		ids := []string{}
		for _, f := range got {
			ids = append(ids, f.ID)
		}
		t.Errorf("ingester lists %v after the raced swap, want [merged]", ids)
	}
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
