package control

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"openwit/internal/notify"
)

// LISTEN/NOTIFY between nodes (docs/design/064-listen-notify.md). A node
// writes each committed transaction's notifications as one put of its own
// key under notify/; every node watches the prefix from the current
// revision and hands the other nodes' puts to its hub. etcd orders the
// puts, so every node sees one sender's notifications in commit order. The
// key holds only the latest put: the history is what the watchers read,
// and etcd's compaction drops it. Notifications are not durable (nor are
// PostgreSQL's): a node that is disconnected from etcd misses what is
// sent meanwhile, and a sender's NOTIFY then reaches its own node only.

// notifyPutTimeout bounds one relay put: a NOTIFY never waits longer for
// the other nodes.
const notifyPutTimeout = 2 * time.Second

// notifyMessage is the value of a relay put.
type notifyMessage struct {
	Origin string                `json:"origin"`
	Notes  []notify.Notification `json:"notes"`
}

// NotifyRelay carries a hub's notifications to the other nodes and
// theirs to it. It implements notify.Relay.
type NotifyRelay struct {
	p      *Plane
	hub    *notify.Hub
	key    string
	cancel context.CancelFunc
	done   chan struct{}
}

var _ notify.Relay = (*NotifyRelay)(nil)

// StartNotifyRelay starts watching the other nodes' notifications for hub
// and makes hub publish through the relay. Close stops it (Plane.Close
// does).
func (p *Plane) StartNotifyRelay(hub *notify.Hub) *NotifyRelay {
	ctx, cancel := context.WithCancel(context.Background())
	r := &NotifyRelay{p: p, hub: hub, key: p.key("notify", p.cfg.NodeID), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.watch(ctx)
	}()
	hub.SetRelay(r)
	p.mu.Lock()
	p.relays = append(p.relays, r)
	p.mu.Unlock()
	return r
}

// notifyPutBytes bounds one relay put's payload bytes, well under etcd's
// request limit (1.5 MiB by default): a transaction's notifications go out
// in as many puts as needed, in order.
const notifyPutBytes = 512 << 10

// Publish implements notify.Relay.
func (r *NotifyRelay) Publish(ctx context.Context, ns []notify.Notification) error {
	for len(ns) > 0 {
		n, size := 0, 0
		for n < len(ns) && (n == 0 || size+len(ns[n].Payload)+len(ns[n].Channel) <= notifyPutBytes) {
			size += len(ns[n].Payload) + len(ns[n].Channel)
			n++
		}
		if err := r.put(ctx, ns[:n]); err != nil {
			return err
		}
		ns = ns[n:]
	}
	return nil
}

func (r *NotifyRelay) put(ctx context.Context, ns []notify.Notification) error {
	b, err := json.Marshal(notifyMessage{Origin: r.p.cfg.NodeID, Notes: ns})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, notifyPutTimeout)
	defer cancel()
	if _, err := r.p.cli.Put(ctx, r.key, string(b)); err != nil {
		return fmt.Errorf("etcd put %s: %w", r.key, err)
	}
	return nil
}

// watch delivers the other nodes' puts until ctx ends, watching again
// after an error (a compacted revision: what it covered is lost).
func (r *NotifyRelay) watch(ctx context.Context) {
	prefix := r.p.key("notify") + "/"
	for ctx.Err() == nil {
		wch := r.p.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix())
		for resp := range wch {
			if err := resp.Err(); err != nil {
				r.p.log.Warn("notify relay: watch failed; notifications sent meanwhile are lost", "err", err)
				break
			}
			for _, ev := range resp.Events {
				if ev.Type != clientv3.EventTypePut || string(ev.Kv.Key) == r.key {
					continue
				}
				var m notifyMessage
				if err := json.Unmarshal(ev.Kv.Value, &m); err != nil {
					r.p.log.Warn("notify relay: bad message", "key", string(ev.Kv.Key), "err", err)
					continue
				}
				r.hub.Deliver(m.Notes)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Close stops the relay; the hub delivers on its node only afterwards.
func (r *NotifyRelay) Close() {
	r.hub.SetRelay(nil)
	r.cancel()
	<-r.done
}
