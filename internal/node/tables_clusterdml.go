package node

import (
	"context"
	"errors"
	"time"

	"openwit/coordinator/control"
	"openwit/internal/retry"
	"openwit/storage/catalog"
)

// Cluster-wide DELETE/UPDATE/TRUNCATE and schema changes
// (docs/design/078-cluster-dml.md): the etcd side is in
// coordinator/control (tables_clusterdml.go); this wires it to the
// ingester and the engine.

// DefaultClusterFlushTimeout is the default of --cluster-flush-timeout.
const DefaultClusterFlushTimeout = 10 * time.Second

// startClusterTables, called once the control plane started, registers
// this node's ingester (so that other nodes' DELETEs wait for it), answers
// their flush requests and follows their schema changes.
func (n *Node) startClusterTables(p *control.Plane) {
	if n.ing != nil || n.kafka != nil {
		err := retry.Do(context.Background(), retry.Policy{Attempts: 3, Base: 200 * time.Millisecond}, nil, func(ctx context.Context) error {
			return p.RegisterIngester(ctx, n.ing != nil)
		})
		if err != nil {
			n.log.Warn("register the ingester in etcd failed: DELETE on other nodes will not wait for this node's buffered rows", "err", err)
		}
		p.ServeFlushes(n.flushLocal)
	}
	if n.eng != nil {
		p.WatchTableChanges(func([]int64) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := n.eng.ReloadTables(ctx); err != nil {
				n.log.Warn("reload table definitions after another node's schema change failed", "err", err)
			}
		})
	}
}

// flushLocal publishes this node's buffered rows of a table: the
// ingester's (acknowledged) and the Kafka consumer's (consumed, offsets
// not yet committed: published too, so that they do not appear after a
// DELETE that began after they were consumed).
func (n *Node) flushLocal(ctx context.Context, tableID int64) error {
	if n.ing != nil {
		err := n.ing.FlushTable(ctx, tableID)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) { // not loaded here: no rows here
			return err
		}
	}
	if n.kafka != nil {
		return n.kafka.c.FlushTable(ctx, tableID)
	}
	return nil
}

// clusterFlush is planner.Config.ClusterFlush: every other registered
// ingester publishes its buffered rows of the table.
func (n *Node) clusterFlush(ctx context.Context, tableID int64) error {
	if !n.ctl.on {
		return nil
	}
	p, err := n.plane(ctx)
	if err != nil {
		return err
	}
	if p == nil {
		return errors.New("the control plane did not start")
	}
	wait := n.cfg.ClusterFlushTimeout
	if wait == 0 {
		wait = DefaultClusterFlushTimeout
	}
	return p.FlushTable(ctx, tableID, wait)
}

// tablesChanged is planner.Config.TablesChanged: the other nodes reload
// table definitions. Best effort (their catalog refresh and restarts
// catch up otherwise).
func (n *Node) tablesChanged(ctx context.Context) {
	if !n.ctl.on {
		return
	}
	p, err := n.plane(ctx)
	if err != nil || p == nil {
		return
	}
	if err := p.AnnounceTableChange(ctx, nil); err != nil {
		n.log.Warn("announce a schema change to the other nodes failed; they see it at their next refresh", "err", err)
	}
}

// unregisterIngester, at a clean shutdown, publishes every buffered row
// and then removes this node's ingester key: other nodes' DELETEs no
// longer wait for it. If the publish fails the key stays (the WAL still
// holds acknowledged rows).
func (n *Node) unregisterIngester(ctx context.Context) {
	if (n.ing == nil && len(n.cfg.Kafka.Brokers) == 0) || !n.ctl.on { // the Kafka consumer stopped already
		return
	}
	c := &n.ctl
	c.mu.Lock()
	p := c.plane
	c.mu.Unlock()
	if p == nil {
		return
	}
	if n.ing != nil {
		if err := n.ing.Flush(ctx); err != nil {
			n.log.Warn("publish the buffers before leaving failed; the ingester stays registered", "err", err)
			return
		}
	}
	if err := p.UnregisterIngester(ctx); err != nil {
		n.log.Warn("unregister the ingester", "err", err)
	}
}
