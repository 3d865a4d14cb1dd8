package catalog

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testIndexArtifacts: a file published with an artifact lists it and is
// not queued; one published without is queued, leased to one builder at a
// time, leased again once the lease expires, and leaves the queue when
// linked. DropTable removes both kinds of rows.
func testIndexArtifacts(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")
	withIx := sampleFile(tbl.ID, "a", 0, 0, 1)
	withIx.Index = &IndexArtifact{Path: "a.idx", Bytes: 10, Version: 1}
	mustPublish(t, c, withIx)
	mustPublish(t, c, sampleFile(tbl.ID, "b", 0, 1, 2))
	files := mustFiles(t, c, tbl.ID)
	if files[0].Index == nil || *files[0].Index != *withIx.Index || files[1].Index != nil {
		t.Fatalf("listed artifacts: %+v, %+v", files[0].Index, files[1].Index)
	}
	if n, err := c.IndexQueueDepth(ctx); err != nil || n != 1 {
		t.Fatalf("queue depth = %d, %v; want 1", n, err)
	}
	job, err := c.LeaseIndexJob(ctx, "w1", time.Hour)
	if err != nil || job == nil || job.File.ID != "b" || job.Attempts != 1 {
		t.Fatalf("first lease: %+v, %v", job, err)
	}
	if job2, err := c.LeaseIndexJob(ctx, "w2", time.Hour); err != nil || job2 != nil {
		t.Fatalf("a leased job was leased again: %+v, %v", job2, err)
	}
	// The builder dies: its lease runs out and another one takes the file.
	rawExec(t, c, `UPDATE openwit_index_queue SET lease_until_us = 1`)
	job, err = c.LeaseIndexJob(ctx, "w2", time.Hour)
	if err != nil || job == nil || job.File.ID != "b" || job.Attempts != 2 {
		t.Fatalf("lease after expiry: %+v, %v", job, err)
	}
	if err := c.LinkIndex(ctx, "b", &IndexArtifact{Path: "b.idx", Bytes: 20, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.IndexQueueDepth(ctx); err != nil || n != 0 {
		t.Fatalf("queue depth after link = %d, %v; want 0", n, err)
	}
	if f := mustFiles(t, c, tbl.ID)[1]; f.Index == nil || f.Index.Path != "b.idx" {
		t.Fatalf("linked artifact not listed: %+v", f.Index)
	}
	if err := c.LinkIndex(ctx, "nope", &IndexArtifact{Path: "x", Bytes: 1, Version: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("link of an unknown file: %v, want ErrNotFound", err)
	}
	if err := c.LinkIndex(ctx, "b", &IndexArtifact{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("link of an empty artifact: %v, want ErrInvalid", err)
	}
	// A republished file with an artifact is still the same content.
	again := sampleFile(tbl.ID, "b", 0, 1, 2)
	again.Index = &IndexArtifact{Path: "other", Bytes: 1, Version: 1}
	mustPublish(t, c, again)
	mustPublish(t, c, sampleFile(tbl.ID, "c", 0, 2, 3))
	if err := c.DropTable(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"openwit_index_artifacts", "openwit_index_queue"} {
		if n := rawCount(t, c, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s keeps %d rows of a dropped table", table, n)
		}
	}
}

// testIndexLeaseConcurrent: concurrent builders never lease the same
// file twice while leases hold.
func testIndexLeaseConcurrent(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	tbl := mustCreate(t, c, "t")
	const files = 20
	for i := range files {
		mustPublish(t, c, sampleFile(tbl.ID, fmt.Sprintf("f%02d", i), 0, int64(i), uint64(i+1)))
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				job, err := c.LeaseIndexJob(t.Context(), fmt.Sprintf("w%d", w), time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if job == nil {
					return
				}
				mu.Lock()
				seen[job.File.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != files {
		t.Errorf("leased %d distinct files, want %d", len(seen), files)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("file %s leased %d times", id, n)
		}
	}
}
