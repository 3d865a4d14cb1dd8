package ingest_test

import (
	"context"
	"errors"
	"testing"

	"openwit/storage/catalog"
)

// TestFlushTable publishes one table's buffered rows, not the others',
// and a crash afterwards replays none of them even once the files are
// removed from the catalog (what TRUNCATE does): their WAL records are at
// or below the checkpoints the flush raised.
func TestFlushTable(t *testing.T) {
	dir := t.TempDir()
	n := open(t, dir, nil)
	a, b := table(t, n, "a"), table(t, n, "b")
	insert(t, n, a, 1, 1, 2)
	insert(t, n, a, 2, 3)
	insert(t, n, b, 1, 7)
	ctx := context.Background()
	if err := n.ing.FlushTable(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := values(t, n, a); got[-1] != 3 || len(got) != 1 {
		t.Errorf("table a after FlushTable: %v, want its 3 rows published and none buffered", got)
	}
	if got := values(t, n, b); got[7] != 1 || got[-1] != 0 {
		t.Errorf("table b after FlushTable of a: %v, want its row still buffered", got)
	}
	files, err := n.cat.ListFiles(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}
	if err := n.cat.ReplaceFiles(ctx, a.ID, ids, nil); err != nil {
		t.Fatal(err)
	}
	n.crash()
	n2 := open(t, dir, nil)
	if got := values(t, n2, a); len(got) != 0 {
		t.Errorf("table a after its files were removed and a crash: %v, want nothing (replay must skip them)", got)
	}
	if got := values(t, n2, b); got[7] != 1 {
		t.Errorf("table b after the crash: %v, want its row replayed", got)
	}
	if err := n2.ing.FlushTable(ctx, 999); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("FlushTable of an unknown table: %v", err)
	}
}
