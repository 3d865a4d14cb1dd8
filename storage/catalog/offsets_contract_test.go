package catalog

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func mustOffsets(t *testing.T, c Catalog, source, topic string) map[int32]int64 {
	t.Helper()
	o, err := c.SourceOffsets(t.Context(), source, topic)
	if err != nil {
		t.Fatalf("SourceOffsets(%s, %s): %v", source, topic, err)
	}
	return o
}

// testOffsetsCompareAndSet walks one partition through publishes at
// offsets: the first from NoOffset, then each from the previous To; a
// stale From is ErrConflict and writes nothing; a repeated publish is a
// no-op; files of two tables land together.
func testOffsetsCompareAndSet(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	logs := mustCreate(t, c, "logs")
	errs := mustCreate(t, c, "errs")
	if got := mustOffsets(t, c, "g", "logs"); got == nil || len(got) != 0 {
		t.Fatalf("offsets before any publish = %v, want an empty map", got)
	}
	d := OffsetDelta{Source: "g", Topic: "logs", Partition: 3, From: NoOffset, To: 100}
	f1 := sampleFile(logs.ID, "k-3-0-100", 0, 0, 0)
	e1 := sampleFile(errs.ID, "k-3-0-100-e", 0, 0, 0)
	if err := c.PublishFilesAt(ctx, []*File{f1, e1}, d); err != nil {
		t.Fatalf("first publish: %v", err)
	}
	if got := mustOffsets(t, c, "g", "logs"); !reflect.DeepEqual(got, map[int32]int64{3: 100}) {
		t.Fatalf("offsets = %v, want {3: 100}", got)
	}
	if fs := mustFiles(t, c, logs.ID); len(fs) != 1 || !reflect.DeepEqual(fs[0], f1) {
		t.Fatalf("logs files = %+v, want %+v", fs, f1)
	}
	if fs := mustFiles(t, c, errs.ID); len(fs) != 1 || fs[0].ID != e1.ID {
		t.Fatalf("errs files = %+v, want %s", fs, e1.ID)
	}
	// The same publish again (a retry after an unknown outcome): no-op.
	if err := c.PublishFilesAt(ctx, []*File{f1, e1}, d); err != nil {
		t.Fatalf("repeated publish: %v", err)
	}
	// Another consumer that also started from NoOffset loses.
	f2 := sampleFile(logs.ID, "k-3-0-150", 0, 0, 0)
	if err := c.PublishFilesAt(ctx, []*File{f2}, OffsetDelta{Source: "g", Topic: "logs", Partition: 3, From: NoOffset, To: 150}); !errors.Is(err, ErrConflict) {
		t.Fatalf("publish from NoOffset over 100: err = %v, want ErrConflict", err)
	}
	// A stale From loses, and nothing of it is written.
	if err := c.PublishFilesAt(ctx, []*File{f2}, OffsetDelta{Source: "g", Topic: "logs", Partition: 3, From: 50, To: 150}); !errors.Is(err, ErrConflict) {
		t.Fatalf("publish from 50 over 100: err = %v, want ErrConflict", err)
	}
	// Same range, other files: a conflict, not a repeat.
	if err := c.PublishFilesAt(ctx, []*File{f2}, d); !errors.Is(err, ErrConflict) {
		t.Fatalf("publish of other files over the same range: err = %v, want ErrConflict", err)
	}
	if fs := mustFiles(t, c, logs.ID); len(fs) != 1 {
		t.Fatalf("conflicting publishes wrote files: %+v", fs)
	}
	// The next range, without files (every record was skipped).
	if err := c.PublishFilesAt(ctx, nil, OffsetDelta{Source: "g", Topic: "logs", Partition: 3, From: 100, To: 120}); err != nil {
		t.Fatalf("publish 100..120 without files: %v", err)
	}
	f3 := sampleFile(logs.ID, "k-3-120-200", 3_600_000_000, 3_600_000_000, 0)
	if err := c.PublishFilesAt(ctx, []*File{f3}, OffsetDelta{Source: "g", Topic: "logs", Partition: 3, From: 120, To: 200}); err != nil {
		t.Fatalf("publish 120..200: %v", err)
	}
	// Other partitions, topics and sources are independent.
	if err := c.PublishFilesAt(ctx, nil, OffsetDelta{Source: "g", Topic: "logs", Partition: 0, From: NoOffset, To: 7}); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishFilesAt(ctx, nil, OffsetDelta{Source: "other", Topic: "logs", Partition: 3, From: NoOffset, To: 1}); err != nil {
		t.Fatal(err)
	}
	if got := mustOffsets(t, c, "g", "logs"); !reflect.DeepEqual(got, map[int32]int64{0: 7, 3: 200}) {
		t.Errorf("offsets = %v, want {0: 7, 3: 200}", got)
	}
	if got := mustOffsets(t, c, "other", "logs"); !reflect.DeepEqual(got, map[int32]int64{3: 1}) {
		t.Errorf("offsets of source other = %v, want {3: 1}", got)
	}
	if got := mustOffsets(t, c, "g", "nope"); len(got) != 0 {
		t.Errorf("offsets of an unknown topic = %v, want none", got)
	}
	// A file of a table that does not exist rolls the offset back.
	ghost := sampleFile(9999, "k-ghost", 0, 0, 0)
	if err := c.PublishFilesAt(ctx, []*File{ghost}, OffsetDelta{Source: "g", Topic: "logs", Partition: 3, From: 200, To: 300}); !errors.Is(err, ErrNotFound) {
		t.Errorf("publish into a missing table: err = %v, want ErrNotFound", err)
	}
	// A file ID published before (by another range) rolls back too.
	if err := c.PublishFilesAt(ctx, []*File{f1}, OffsetDelta{Source: "g", Topic: "logs", Partition: 3, From: 200, To: 300}); !errors.Is(err, ErrExists) {
		t.Errorf("publish of an existing file at a new range: err = %v, want ErrExists", err)
	}
	if got := mustOffsets(t, c, "g", "logs"); got[3] != 200 {
		t.Errorf("failed publishes moved the offset to %d, want 200", got[3])
	}
	if cp := mustCheckpoints(t, c, logs.ID); len(cp) != 2 {
		t.Errorf("checkpoints of logs = %v, want two shards", cp)
	}
	for _, bad := range []OffsetDelta{
		{Source: "", Topic: "t", Partition: 0, From: NoOffset, To: 1},
		{Source: "g", Topic: "", Partition: 0, From: NoOffset, To: 1},
		{Source: "g", Topic: "t", Partition: -1, From: NoOffset, To: 1},
		{Source: "g", Topic: "t", Partition: 0, From: 5, To: 5},
		{Source: "g", Topic: "t", Partition: 0, From: -2, To: 5},
	} {
		if err := c.PublishFilesAt(ctx, nil, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("PublishFilesAt(%+v): err = %v, want ErrInvalid", bad, err)
		}
	}
}

// testOffsetsConcurrent races publishers of one partition, each trying the
// same From with its own files: in every round exactly one wins, and the
// catalog holds exactly the winners' files.
func testOffsetsConcurrent(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")
	const workers, rounds = 6, 10
	from := NoOffset
	for r := range rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []int
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := int64((r+1)*100 + w)
				f := sampleFile(tbl.ID, fmt.Sprintf("r%02d-w%d", r, w), 0, 0, 0)
				err := c.PublishFilesAt(ctx, []*File{f}, OffsetDelta{Source: "g", Topic: "t", Partition: 0, From: from, To: to})
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, w)
					mu.Unlock()
				case !errors.Is(err, ErrConflict):
					t.Errorf("round %d worker %d: %v", r, w, err)
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: winners %v, want exactly one", r, winners)
		}
		from = int64((r+1)*100 + winners[0])
		if got := mustOffsets(t, c, "g", "t"); got[0] != from {
			t.Fatalf("round %d: stored offset %d, want %d", r, got[0], from)
		}
	}
	if fs := mustFiles(t, c, tbl.ID); len(fs) != rounds {
		t.Errorf("%d files, want %d (one per round)", len(fs), rounds)
	}
}
