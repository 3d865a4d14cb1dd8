package notify

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

type failingRelay struct{ got [][]Notification }

func (r *failingRelay) Publish(_ context.Context, ns []Notification) error {
	r.got = append(r.got, ns)
	return errors.New("etcd is away")
}

func TestHubRouting(t *testing.T) {
	h := NewHub(nil)
	a, b := h.NewListener(), h.NewListener()
	var woken atomic.Int32
	a.SetWake(func() { woken.Add(1) })
	a.Listen("x")
	a.Listen("x") // one subscription
	b.Listen("y")
	if err := h.Notify(context.Background(), []Notification{{PID: 7, Channel: "x", Payload: "1"}, {PID: 7, Channel: "y", Payload: "2"}, {PID: 7, Channel: "x", Payload: "3"}}); err != nil {
		t.Fatal(err)
	}
	if got := a.Take(); len(got) != 2 || got[0].Payload != "1" || got[1].Payload != "3" {
		t.Errorf("a took %+v, want payloads 1 and 3 of channel x", got)
	}
	if woken.Load() != 1 {
		t.Errorf("a woken %d times for one delivery, want 1", woken.Load())
	}
	if got := b.Take(); len(got) != 1 || got[0].Payload != "2" {
		t.Errorf("b took %+v, want payload 2", got)
	}
	if a.Pending() || b.Pending() {
		t.Error("Take left notifications queued")
	}

	// UNLISTEN keeps what is queued, as PostgreSQL does; later ones do not come.
	h.Deliver([]Notification{{Channel: "x", Payload: "queued"}})
	a.Unlisten("x")
	h.Deliver([]Notification{{Channel: "x", Payload: "late"}})
	if got := a.Take(); len(got) != 1 || got[0].Payload != "queued" {
		t.Errorf("after UNLISTEN a took %+v, want only the queued one", got)
	}
	if len(a.Channels()) != 0 {
		t.Errorf("a still listens to %v", a.Channels())
	}

	// A relay error comes after the local delivery.
	r := &failingRelay{}
	h.SetRelay(r)
	if err := h.Notify(context.Background(), []Notification{{Channel: "y", Payload: "relayed"}}); err == nil {
		t.Error("relay error not returned")
	}
	if got := b.Take(); len(got) != 1 || got[0].Payload != "relayed" || len(r.got) != 1 {
		t.Errorf("b took %+v, relay got %v", got, r.got)
	}

	b.Close()
	h.Deliver([]Notification{{Channel: "y", Payload: "after close"}})
	if b.Pending() || len(h.listeners) != 0 {
		t.Errorf("a closed listener still receives (hub listeners %v)", h.listeners)
	}
}

func TestQueueDropsOldest(t *testing.T) {
	h := NewHub(nil)
	l := h.NewListener()
	l.Listen("c")
	for i := range MaxQueue + 5 {
		h.Deliver([]Notification{{Channel: "c", Payload: fmt.Sprint(i)}})
	}
	got := l.Take()
	if len(got) != MaxQueue || got[0].Payload != "5" || got[len(got)-1].Payload != fmt.Sprint(MaxQueue+4) {
		t.Fatalf("queue of %d from %q to %q, want %d from 5 to %d", len(got), got[0].Payload, got[len(got)-1].Payload, MaxQueue, MaxQueue+4)
	}
	if h.Dropped() != 5 {
		t.Errorf("Dropped() = %d, want 5", h.Dropped())
	}
}
