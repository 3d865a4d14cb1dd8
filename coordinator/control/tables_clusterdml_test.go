package control

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestClusterFlush: a flush request returns once every other registered
// ingester ran its flush; a registered node that does not answer (down)
// fails it with UnreachableError naming the node, one whose flush fails
// with FlushFailedError; the requester itself and unregistered nodes are
// not waited for; a non-durable registration ends with its lease.
func TestClusterFlush(t *testing.T) {
	t.Parallel()
	etcd := startEtcd(t)
	ctx := t.Context()
	a, _ := newPlane(t, etcd.Endpoint, "a", false)
	b, _ := newPlane(t, etcd.Endpoint, "b", false)
	var mu sync.Mutex
	var flushed []int64
	for _, p := range []*Plane{a, b} {
		if err := p.RegisterIngester(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	b.ServeFlushes(func(_ context.Context, id int64) error {
		mu.Lock()
		flushed = append(flushed, id)
		mu.Unlock()
		return nil
	})
	a.ServeFlushes(func(context.Context, int64) error { t.Error("a served its own request"); return nil })
	if err := a.FlushTable(ctx, 7, 10*time.Second); err != nil {
		t.Fatalf("flush with b serving: %v", err)
	}
	mu.Lock()
	if !slices.Equal(flushed, []int64{7}) {
		t.Fatalf("b flushed %v, want [7] before the request returned", flushed)
	}
	mu.Unlock()

	// d is registered (its WAL holds rows) but does not answer.
	d, _ := newPlane(t, etcd.Endpoint, "d", false)
	if err := d.RegisterIngester(ctx, true); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := a.FlushTable(ctx, 8, time.Second)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !slices.Equal(ue.Nodes, []string{"d"}) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("flush with d silent: %v, want UnreachableError naming d", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("flush with d silent took %v, want about the 1s wait", took)
	}
	// Once d serves, it answers.
	d.ServeFlushes(func(context.Context, int64) error { return nil })
	if err := a.FlushTable(ctx, 9, 10*time.Second); err != nil {
		t.Fatalf("flush with d serving: %v", err)
	}
	if err := d.UnregisterIngester(ctx); err != nil {
		t.Fatal(err)
	}

	// e's publish fails: the requester gets its error.
	e, _ := newPlane(t, etcd.Endpoint, "e", false)
	if err := e.RegisterIngester(ctx, true); err != nil {
		t.Fatal(err)
	}
	e.ServeFlushes(func(context.Context, int64) error { return errors.New("object store down") })
	err = a.FlushTable(ctx, 10, 20*time.Second)
	var fe *FlushFailedError
	if !errors.As(err, &fe) || fe.Node != "e" || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("flush with e failing: %v, want FlushFailedError from e", err)
	}
	if err := e.UnregisterIngester(ctx); err != nil {
		t.Fatal(err)
	}

	// A consumer's registration lives with its lease: killed, it is no
	// longer waited for once the lease expired.
	f, _ := newPlane(t, etcd.Endpoint, "f", false)
	if err := f.RegisterIngester(ctx, false); err != nil {
		t.Fatal(err)
	}
	if ids, err := a.Ingesters(ctx); err != nil || !slices.Contains(ids, "f") {
		t.Fatalf("ingesters %v (%v), want f listed", ids, err)
	}
	kill(f)
	waitFor(t, "f's registration to expire", func() bool {
		ids, err := a.Ingesters(ctx)
		return err == nil && !slices.Contains(ids, "f")
	})
	if err := a.FlushTable(ctx, 11, 10*time.Second); err != nil {
		t.Fatalf("flush after f's lease expired: %v", err)
	}
}

// TestTableChanges: a node's announcement reaches the other nodes'
// watchers, not its own.
func TestTableChanges(t *testing.T) {
	t.Parallel()
	etcd := startEtcd(t)
	a, _ := newPlane(t, etcd.Endpoint, "a", false)
	b, _ := newPlane(t, etcd.Endpoint, "b", false)
	got := make(chan []int64, 10)
	b.WatchTableChanges(func(ids []int64) { got <- ids })
	a.WatchTableChanges(func(ids []int64) { t.Errorf("a heard its own announcement %v", ids) })
	// The watch starts in the background: announce until b hears one.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := a.AnnounceTableChange(t.Context(), []int64{3}); err != nil {
			t.Fatal(err)
		}
		select {
		case ids := <-got:
			if !slices.Equal(ids, []int64{3}) {
				t.Fatalf("b heard %v, want [3]", ids)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("b never heard a's announcement")
		}
	}
}

// BenchmarkClusterFlush is one flush request answered by one other node
// (whose flush does nothing): the cost the step adds to a DELETE besides
// the publishes. BenchmarkEtcdPut is one put, for the ratio.
func BenchmarkClusterFlush(b *testing.B) {
	etcd := startEtcd(b)
	a, _ := newPlane(b, etcd.Endpoint, "a", false)
	o, _ := newPlane(b, etcd.Endpoint, "o", false)
	if err := o.RegisterIngester(b.Context(), true); err != nil {
		b.Fatal(err)
	}
	o.ServeFlushes(func(context.Context, int64) error { return nil })
	b.ReportAllocs()
	for b.Loop() {
		if err := a.FlushTable(b.Context(), 1, 10*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEtcdPut(b *testing.B) {
	etcd := startEtcd(b)
	a, _ := newPlane(b, etcd.Endpoint, "a", false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.cli.Put(b.Context(), "/bench/k", "v"); err != nil {
			b.Fatal(err)
		}
	}
}
