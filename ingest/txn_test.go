package ingest_test

import (
	"context"
	"testing"

	"openwit/ingest"
)

// TestInsertTxIsOneRecord writes a transaction's rows of two tables (two
// shards of one) as one record: one LSN, visible together, replayed
// together, and once after a second crash.
func TestInsertTxIsOneRecord(t *testing.T) {
	dir := t.TempDir()
	n := open(t, dir, nil)
	a, b := table(t, n, "a"), table(t, n, "b")
	ra1, sa1 := rows(t, a, 1, 1, 2)
	defer ra1.Release()
	ra2, sa2 := rows(t, a, 2, 3)
	defer ra2.Release()
	rb, sb := rows(t, b, 1, 10)
	defer rb.Release()
	before := n.w.LastLSN()
	err := n.ing.InsertTx(context.Background(), []ingest.TableWrite{
		{TableID: a.ID, Parts: []ingest.Part{{Shard: sa1, Rec: ra1}, {Shard: sa2, Rec: ra2}}},
		{TableID: b.ID, Parts: []ingest.Part{{Shard: sb, Rec: rb}}},
		{TableID: b.ID + 1000}, // nothing written: skipped
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.w.LastLSN() - before; got != 1 {
		t.Fatalf("transaction wrote %d WAL records, want 1", got)
	}
	check := func(n *node) {
		t.Helper()
		ga, gb := values(t, n, a), values(t, n, b)
		for _, v := range []int64{1, 2, 3} {
			if ga[v] != 1 {
				t.Errorf("table a: value %d seen %d times, want 1 (all %v)", v, ga[v], ga)
			}
		}
		if gb[10] != 1 || len(gb) != 1 {
			t.Errorf("table b: %v, want value 10 once", gb)
		}
	}
	check(n)
	n.crash()
	n2 := open(t, dir, nil)
	check(n2)
	n2.crash()
	check(open(t, dir, nil))
}

// TestInsertTxSkipsDroppedTable keeps the rows of the tables that still
// exist when one of the transaction's tables was dropped meanwhile.
func TestInsertTxSkipsDroppedTable(t *testing.T) {
	dir := t.TempDir()
	n := open(t, dir, nil)
	a, b := table(t, n, "a"), table(t, n, "b")
	ra, sa := rows(t, a, 1, 1)
	defer ra.Release()
	rb, sb := rows(t, b, 1, 2)
	defer rb.Release()
	if err := n.cat.DropTable(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	n.ing.DropTable(b.ID)
	err := n.ing.InsertTx(context.Background(), []ingest.TableWrite{
		{TableID: a.ID, Parts: []ingest.Part{{Shard: sa, Rec: ra}}},
		{TableID: b.ID, Parts: []ingest.Part{{Shard: sb, Rec: rb}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := values(t, n, a); got[1] != 1 {
		t.Errorf("table a: %v, want value 1", got)
	}
	n.crash()
	n2 := open(t, dir, nil)
	if got := values(t, n2, a); got[1] != 1 || len(got) != 1 {
		t.Errorf("table a after replay: %v, want value 1 once", got)
	}
}
