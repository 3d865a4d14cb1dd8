package ingest_test

import (
	"context"
	"testing"
	"time"

	"openwit/ingest"
	"openwit/internal/testlocal"
	"openwit/storage"
	"openwit/storage/catalog"
)

// openCfg is open with the ingester's configuration changed by tune.
func openCfg(t *testing.T, dir string, tune func(*ingest.Config)) *node {
	t.Helper()
	p := testlocal.Open(t, dir)
	cfg := ingest.Config{WAL: p.WAL, Catalog: p.Catalog, Publisher: &storage.Publisher{Bucket: p.Bucket, Catalog: p.Catalog}, FlushAge: time.Hour}
	if tune != nil {
		tune(&cfg)
	}
	ing, err := ingest.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &node{w: p.WAL, cat: p.Catalog, ing: ing}
}

// filesPerHour counts the table's published files by hour of 2026-01-01
// and checks each file's checkpoint rule: the catalog's checkpoint of a
// shard is the highest MaxLSN of its files.
func filesPerHour(t *testing.T, n *node, tb *catalog.Table) map[int]int {
	t.Helper()
	ctx := context.Background()
	files, err := n.cat.ListFiles(ctx, tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := n.cat.Checkpoints(ctx, n.w.ID(), tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	out := map[int]int{}
	top := map[int64]uint64{}
	for _, f := range files {
		out[int((f.Shard-base)/time.Hour.Microseconds())]++
		top[f.Shard] = max(top[f.Shard], f.MaxLSN)
	}
	for shard, lsn := range top {
		if cp[shard] != lsn {
			t.Errorf("shard %d: checkpoint %d, want its files' highest LSN %d", shard, cp[shard], lsn)
		}
	}
	return out
}

func sameCounts(t *testing.T, step string, got map[int]int, want map[int]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: files per hour %v, want %v", step, got, want)
		return
	}
	for h, c := range want {
		if got[h] != c {
			t.Errorf("%s: files per hour %v, want %v", step, got, want)
			return
		}
	}
}

// A shard that gets no rows once a later shard of its table has started is
// published by the next flusher pass; late rows for it wait for the usual
// rules (here: the final Flush), and it is flushed early only once.
func TestColdShardsFlushEarly(t *testing.T) {
	ctx := context.Background()
	n := openCfg(t, t.TempDir(), nil)
	tb := table(t, n, "logs")
	pass := func(step string, want map[int]int) {
		t.Helper()
		if err := n.ing.FlushPass(ctx); err != nil {
			t.Fatal(err)
		}
		sameCounts(t, step, filesPerHour(t, n, tb), want)
	}
	insert(t, n, tb, 1, 10, 11)
	pass("one shard", map[int]int{})
	insert(t, n, tb, 2, 20)
	pass("hour 2 started", map[int]int{1: 1})
	// Late rows for hour 1 while hour 2 is the newest: kept buffered.
	insert(t, n, tb, 1, 12)
	pass("late row for hour 1", map[int]int{1: 1})
	// One record with rows of hours 3 and 4: hour 3's rows came in the
	// record that started hour 4, so it is cold too; hour 1's late row is
	// not flushed early a second time.
	r3, s3 := rows(t, tb, 3, 30)
	r4, s4 := rows(t, tb, 4, 40)
	defer r3.Release()
	defer r4.Release()
	if err := n.ing.Insert(ctx, tb.ID, []ingest.Part{{Shard: s3, Rec: r3}, {Shard: s4, Rec: r4}}); err != nil {
		t.Fatal(err)
	}
	pass("hours 3 and 4 started", map[int]int{1: 1, 2: 1, 3: 1})
	if got := values(t, n, tb); got[-1] != 4 || got[12] != 1 || got[40] != 1 {
		t.Errorf("before Flush: %v, want 4 published rows, 12 and 40 buffered", got)
	}
	if err := n.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "after Flush", filesPerHour(t, n, tb), map[int]int{1: 2, 2: 1, 3: 1, 4: 1})
	if got := values(t, n, tb); got[-1] != 6 || len(got) != 1 {
		t.Errorf("after Flush: %v, want 6 published rows and nothing buffered", got)
	}
}

// Rows arriving for an older shard than the newest (out of order) keep it
// warm; KeepColdShards turns early flushes off.
func TestColdShardsNotFlushed(t *testing.T) {
	for _, tc := range []struct {
		name string
		keep bool
		// hours inserted one record each, in order
		hours []int
		want  map[int]int
	}{
		{"out of order keeps the older shard warm", false, []int{1, 3, 1}, map[int]int{}},
		{"a later record for the older hour", false, []int{2, 1, 3, 2}, map[int]int{1: 1}},
		{"KeepColdShards", true, []int{1, 2, 3}, map[int]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			n := openCfg(t, t.TempDir(), func(c *ingest.Config) { c.KeepColdShards = tc.keep })
			tb := table(t, n, "logs")
			for i, h := range tc.hours {
				insert(t, n, tb, h, int64(i))
			}
			if err := n.ing.FlushPass(ctx); err != nil {
				t.Fatal(err)
			}
			sameCounts(t, "after a pass", filesPerHour(t, n, tb), tc.want)
			total := 0
			for _, c := range values(t, n, tb) {
				total += c // published rows under -1, buffered values
			}
			if total != len(tc.hours) {
				t.Errorf("%d rows visible, want %d", total, len(tc.hours))
			}
		})
	}
}

// A crash after a cold shard was published and the WAL truncated replays
// only what was still buffered: no row is lost or published twice.
func TestColdShardCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n := openCfg(t, dir, nil)
	tb := table(t, n, "logs")
	insert(t, n, tb, 1, 10, 11)
	insert(t, n, tb, 2, 20)
	insert(t, n, tb, 1, 12) // late: stays buffered
	if err := n.ing.FlushPass(ctx); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "before the crash", filesPerHour(t, n, tb), map[int]int{})
	insert(t, n, tb, 3, 30)
	if err := n.ing.FlushPass(ctx); err != nil {
		t.Fatal(err)
	}
	// Hour 1's late row came after hour 2 started, but before hour 3 did:
	// hour 1 (all three rows) and hour 2 are cold now.
	sameCounts(t, "hour 3 started", filesPerHour(t, n, tb), map[int]int{1: 1, 2: 1})
	n.crash()

	n2 := openCfg(t, dir, nil)
	got := values(t, n2, tb)
	if got[-1] != 4 || got[30] != 1 || len(got) != 2 {
		t.Errorf("after the crash: %v, want 4 published rows and 30 replayed", got)
	}
	if err := n2.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "after Flush", filesPerHour(t, n2, tb), map[int]int{1: 1, 2: 1, 3: 1})
}
