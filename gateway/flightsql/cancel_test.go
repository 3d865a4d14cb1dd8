package flightsql

import (
	"context"
	"testing"
	"time"

	"openwit/internal/pgerror"
)

// TestRegistry: cancel reaches every running call of an id and only
// those; a cancelled id refuses new calls until its tombstone expires; the
// tombstones are bounded.
func TestRegistry(t *testing.T) {
	r := newRegistry()
	ctx := context.Background()
	a1, done1, err := r.start(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	a2, done2, _ := r.start(ctx, 1) // the same ticket redeemed twice
	b, doneB, _ := r.start(ctx, 2)
	if n := r.runningCalls(); n != 3 {
		t.Fatalf("running %d, want 3", n)
	}
	r.cancel(1)
	if a1.Err() == nil || a2.Err() == nil || b.Err() != nil {
		t.Errorf("after cancel(1): %v %v %v", a1.Err(), a2.Err(), b.Err())
	}
	done1()
	done2()
	doneB()
	if n := r.runningCalls(); n != 0 {
		t.Errorf("running %d after done, want 0", n)
	}
	if _, _, err := r.start(ctx, 1); pgerror.Code(err) != pgerror.QueryCanceled {
		t.Errorf("start of a cancelled id: %v, want 57014", err)
	}
	r.cancelled[1] = time.Now().Add(-cancelledTTL - time.Second)
	if _, done, err := r.start(ctx, 1); err != nil {
		t.Errorf("start after the tombstone expired: %v", err)
	} else {
		done()
	}
	// Id 0 (a ticket without an id) is never registered.
	if c, done, err := r.start(ctx, 0); err != nil || c != ctx || r.runningCalls() != 0 {
		t.Errorf("id 0: %v", err)
	} else {
		done()
	}
	for id := uint64(10); id < 10+2*maxCancelled; id++ {
		r.cancel(id)
	}
	if n := len(r.cancelled); n > maxCancelled {
		t.Errorf("%d tombstones, want at most %d", n, maxCancelled)
	}
}
