package ingest_test

import (
	"context"
	"testing"

	"openwit/storage/catalog"
)

// TestAddedColumnWidensBuffersAndReplay: after catalog.AddColumns, the
// buffered rows (UpdateTable), the rows replayed from WAL records written
// before the change, and a batch built with the old schema all read NULL
// for the new column; nothing is dropped.
func TestAddedColumnWidensBuffersAndReplay(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	n := open(t, dir, nil)
	old := table(t, n, "logs")
	insert(t, n, old, 1, 1, 2)
	grown, err := n.cat.AddColumns(ctx, "logs", []catalog.Column{{Name: "extra", Type: "text"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ing.AddTable(ctx, grown); err != nil { // known: UpdateTable
		t.Fatal(err)
	}
	if got := n.ing.Table(old.ID); len(got.Columns) != 3 {
		t.Fatalf("ingester's table has %d columns, want 3", len(got.Columns))
	}
	insert(t, n, old, 2, 3) // planned before the change: widened
	check := func(n *node, when string) {
		t.Helper()
		snap, err := n.ing.Snapshot(old.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Release()
		rows := 0
		for _, b := range snap.Batches {
			if b.NumCols() != 3 || b.Schema().Field(2).Name != "extra" {
				t.Fatalf("%s: batch schema %s", when, b.Schema())
			}
			if b.Column(2).NullN() != int(b.NumRows()) {
				t.Errorf("%s: extra has %d nulls of %d", when, b.Column(2).NullN(), b.NumRows())
			}
			rows += int(b.NumRows())
		}
		if rows != 3 {
			t.Errorf("%s: %d buffered rows, want 3", when, rows)
		}
	}
	check(n, "before the crash")
	n.crash()
	n2 := open(t, dir, nil) // replays the WAL records of the old schema
	check(n2, "after replay")
	if got := values(t, n2, old); got[1] != 1 || got[2] != 1 || got[3] != 1 {
		t.Errorf("values after replay: %v", got)
	}
}
