package node

import (
	"context"

	"openwit/coordinator/control"
	"openwit/storage/handoff"
)

// Shard ownership (docs/design/026-shard-ownership.md): with a control
// plane, each (table, time shard) has one storage node assigned through
// etcd, which a front node's hand-offs try first; the rendezvous order
// over --storage-nodes and gossip stays the fallback.

// readyPlane returns the control plane without waiting for it: nil while
// it starts, after it stopped, or on a node without one.
func (n *Node) readyPlane() *control.Plane {
	c := &n.ctl
	select {
	case <-c.ready:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plane
}

// shardOwner is the hand-off client's Owner: the shard's owner in the
// control plane (bounded by control.LookupBound), or ok=false for the
// rendezvous order.
func (n *Node) shardOwner(ctx context.Context, key string, nodes []string) (string, bool) {
	p := n.readyPlane()
	if p == nil {
		return "", false
	}
	return p.Owners().Lookup(ctx, key, nodes, handoff.Rank)
}

// shardOwnedElsewhere is the storage service's OwnedElsewhere: another
// live storage node owns the shard of a hand-off this node takes.
func (n *Node) shardOwnedElsewhere(key string) bool {
	p := n.readyPlane()
	return p != nil && p.Owners().OwnedElsewhere(key)
}
