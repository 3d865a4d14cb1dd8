// Package notify delivers PostgreSQL's LISTEN/NOTIFY notifications
// between the sessions of a node and, through a Relay, between the nodes
// of a cluster (docs/design/064-listen-notify.md).
//
// A Hub fans notifications out to Listeners, one per session. A session
// queues what it receives; the wire protocol takes the queue when the
// session is idle and outside a transaction block (PostgreSQL delivers
// notifications only between transactions) and sends NotificationResponse
// messages. A listener's wake function tells the connection that
// something is queued while it waits for the client.
package notify

import (
	"context"
	"log/slog"
	"sync"
)

// MaxPayload is the longest payload PostgreSQL accepts (NOTIFY's "payload
// string too long" above it).
const MaxPayload = 7999

// MaxQueue is how many notifications a listener holds before the oldest
// are dropped: a session that never goes idle (a client that never reads)
// must not grow without bound. PostgreSQL's queue is 8 GB shared by all
// sessions and blocks senders when full; dropping the oldest of one slow
// listener's notifications keeps the senders unaffected.
const MaxQueue = 10000

// Notification is one NOTIFY as the listener receives it.
type Notification struct {
	// PID is the sending session's process id (its BackendKeyData pid).
	PID     uint32 `json:"pid"`
	Channel string `json:"channel"`
	Payload string `json:"payload"`
}

// Relay carries notifications to the other nodes of a cluster. Publish
// sends one transaction's notifications; the relay hands the other nodes'
// notifications to Hub.Deliver.
type Relay interface {
	Publish(ctx context.Context, ns []Notification) error
}

// Hub is a node's notification exchange. The zero value is not usable;
// use NewHub.
type Hub struct {
	log *slog.Logger

	mu        sync.Mutex
	listeners map[string]map[*Listener]struct{} // channel -> listeners
	relay     Relay
	dropped   uint64
}

// NewHub returns an empty hub that delivers on this node only until
// SetRelay gives it a relay.
func NewHub(log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{log: log, listeners: map[string]map[*Listener]struct{}{}}
}

// SetRelay makes Notify also publish to the other nodes.
func (h *Hub) SetRelay(r Relay) {
	h.mu.Lock()
	h.relay = r
	h.mu.Unlock()
}

// Notify delivers one committed transaction's notifications to this
// node's listeners and publishes them to the other nodes. A relay error is
// returned after the local delivery: the notifications did reach this
// node's sessions.
func (h *Hub) Notify(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	h.Deliver(ns)
	h.mu.Lock()
	r := h.relay
	h.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.Publish(ctx, ns)
}

// Deliver queues notifications for this node's listeners of their
// channels, in order, and wakes the listeners.
func (h *Hub) Deliver(ns []Notification) {
	woken := map[*Listener]struct{}{}
	h.mu.Lock()
	for _, n := range ns {
		for l := range h.listeners[n.Channel] {
			if l.push(n) {
				h.dropped++
			}
			woken[l] = struct{}{}
		}
	}
	h.mu.Unlock()
	for l := range woken {
		l.wakeUp()
	}
}

// Dropped is how many notifications full listener queues have dropped.
func (h *Hub) Dropped() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

// NewListener returns a listener of no channel.
func (h *Hub) NewListener() *Listener {
	return &Listener{hub: h, channels: map[string]struct{}{}}
}

// Listener is one session's subscription and queue. It is safe for
// concurrent use: the hub pushes while the session listens and takes.
type Listener struct {
	hub *Hub

	mu       sync.Mutex
	channels map[string]struct{}
	queue    []Notification
	wake     func()
}

// SetWake sets the function called (without locks held) when a
// notification is queued.
func (l *Listener) SetWake(f func()) {
	l.mu.Lock()
	l.wake = f
	l.mu.Unlock()
}

// Listen subscribes to channel; listening twice is one subscription.
func (l *Listener) Listen(channel string) {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	l.mu.Lock()
	l.channels[channel] = struct{}{}
	l.mu.Unlock()
	set := l.hub.listeners[channel]
	if set == nil {
		set = map[*Listener]struct{}{}
		l.hub.listeners[channel] = set
	}
	set[l] = struct{}{}
}

// Unlisten unsubscribes from channel. Notifications of the channel that
// are already queued stay queued, as in PostgreSQL.
func (l *Listener) Unlisten(channel string) {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	l.mu.Lock()
	delete(l.channels, channel)
	l.mu.Unlock()
	l.hub.remove(l, channel)
}

// UnlistenAll unsubscribes from every channel.
func (l *Listener) UnlistenAll() {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	l.mu.Lock()
	chans := l.channels
	l.channels = map[string]struct{}{}
	l.mu.Unlock()
	for ch := range chans {
		l.hub.remove(l, ch)
	}
}

// remove drops l from channel's set. The caller holds h.mu.
func (h *Hub) remove(l *Listener, channel string) {
	if set := h.listeners[channel]; set != nil {
		delete(set, l)
		if len(set) == 0 {
			delete(h.listeners, channel)
		}
	}
}

// Channels returns the channels listened to, in no order.
func (l *Listener) Channels() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.channels))
	for ch := range l.channels {
		out = append(out, ch)
	}
	return out
}

// Pending reports whether notifications are queued.
func (l *Listener) Pending() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue) > 0
}

// Take returns and clears the queue.
func (l *Listener) Take() []Notification {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queue
	l.queue = nil
	return q
}

// Close unsubscribes from every channel and drops the queue.
func (l *Listener) Close() {
	l.UnlistenAll()
	l.mu.Lock()
	l.queue = nil
	l.wake = nil
	l.mu.Unlock()
}

// push queues n and reports whether the oldest queued one was dropped.
func (l *Listener) push(n Notification) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	dropped := false
	if len(l.queue) >= MaxQueue {
		copy(l.queue, l.queue[1:])
		l.queue = l.queue[:len(l.queue)-1]
		dropped = true
	}
	l.queue = append(l.queue, n)
	return dropped
}

func (l *Listener) wakeUp() {
	l.mu.Lock()
	f := l.wake
	l.mu.Unlock()
	if f != nil {
		f()
	}
}
