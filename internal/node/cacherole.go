package node

import (
	"context"
	"fmt"
	"net"
	"slices"

	"openwit/coordinator/membership"
	"openwit/storage/cache"
	"openwit/storage/objstore"
)

// cacheTier is the cache role's service and this node's client of the
// cache nodes (docs/design/018-cache-role.md).
type cacheTier struct {
	direct objstore.Bucket // the object store itself
	srv    *cache.Server   // --roles cache
	ln     net.Listener
	client *cache.Client // reads through the cache nodes
}

// startCacheTier starts the cache role's service over the object store
// (behind the disk cache of --cache-dir), routes this node's reads through
// the cache nodes when it has any (--cache-nodes, or gossip), and puts
// the disk cache in front of a remote store for a node that is not a
// cache node itself.
func (n *Node) startCacheTier(roles Roles) (err error) {
	cfg := n.cfg
	n.tier.direct = n.bucket
	if roles[RoleCache] {
		src, err := n.diskCache(n.bucket)
		if err != nil {
			return err
		}
		n.tier.srv, err = cache.New(cache.Config{Bucket: src, MemoryBytes: int64(cfg.CacheMemory), TLS: n.sec.searchServer,
			Logger: n.log.With("component", "cache"), Registerer: n.reg})
		if err != nil {
			return err
		}
		if n.tier.ln, err = net.Listen("tcp", cfg.CacheAddr); err != nil {
			return fmt.Errorf("listen on --cache-addr: %w", err)
		}
		go func() {
			if err := n.tier.srv.Serve(n.tier.ln); err != nil {
				n.errc <- err
			}
		}()
	}
	readsObjects := roles[RoleSearch] || roles[RoleCoordinator] || roles[RoleIndexer]
	if readsObjects && (len(cfg.CacheNodes) > 0 || cfg.GossipAddr != "") {
		n.tier.client, err = cache.NewClient(cache.ClientConfig{Bucket: n.bucket, Nodes: n.cacheNodes, TLS: n.sec.searchClient,
			Logger: n.log.With("component", "cache-client"), Registerer: n.reg})
		if err != nil {
			return err
		}
		n.bucket = n.tier.client
	}
	if !roles[RoleCache] {
		n.bucket, err = n.diskCache(n.bucket)
	}
	return err
}

// cacheNodes returns the cache nodes to read through: --cache-nodes and
// the alive cache nodes gossip knows.
func (n *Node) cacheNodes() []string {
	out := n.cfg.CacheNodes
	gossip := n.gossiper.Load() // not n.members: readers may run before gossip starts
	if gossip == nil {
		return out
	}
	out = slices.Clone(out)
	for _, m := range gossip.Members() {
		if m.CacheAddr != "" && m.HasRole(RoleCache) && m.Health == membership.Alive && !m.Leaving {
			out = append(out, m.CacheAddr)
		}
	}
	return out
}

// cacheHitRatio is the cache role's hit ratio since start (0 without the
// role), gossiped for `openwit status`.
func (n *Node) cacheHitRatio() float64 {
	if n.tier.srv == nil {
		return 0
	}
	return float64(int(n.tier.srv.HitRatio()*1000)) / 1000
}

func (n *Node) stopCacheTier(ctx context.Context) error {
	var err error
	if n.tier.srv != nil {
		if err = n.tier.srv.Shutdown(ctx); err != nil {
			err = fmt.Errorf("stop cache: %w", err)
		}
	}
	if n.tier.ln != nil {
		n.tier.ln.Close()
	}
	if n.tier.client != nil {
		n.tier.client.Close()
	}
	return err
}
