package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"openwit/coordinator/control"
	"openwit/storage/catalog"
)

// controlState is the node's part of the etcd control plane
// (coordinator/control): the embedded member, when it runs one, and the
// plane.
type controlState struct {
	on       bool
	embedded bool
	embedErr chan error // result of the embedded member's start
	waitOnce sync.Once
	embedRes error
	etcd     *control.Embedded
	mu       sync.Mutex
	plane    *control.Plane
	closed   bool
	ready    chan struct{} // closed once plane is set (or failed to be)
	started  chan struct{} // closed when startControl returned
}

// startEmbeddedEtcd starts the embedded etcd member in the background:
// it takes about a second, which overlaps the rest of the startup.
func (n *Node) startEmbeddedEtcd(ctx context.Context, roles Roles) {
	c := &n.ctl
	c.on, c.embedded = n.cfg.ControlPlane(roles)
	c.ready = make(chan struct{})
	if !c.on {
		close(c.ready)
		return
	}
	if !c.embedded {
		return
	}
	c.embedErr = make(chan error, 1)
	go func() {
		e, err := control.StartEmbedded(ctx, control.EmbedConfig{Dir: filepath.Join(n.cfg.DataDir, "etcd"),
			ClientAddr: n.cfg.EtcdEmbedAddr, PeerAddr: n.cfg.EtcdEmbedPeerAddr, Logger: n.log})
		c.etcd = e
		c.embedErr <- err
	}()
}

// goControl joins the control plane in the background: the node is ready
// (queries, ingest) without waiting for etcd; schema changes wait for the
// plane (lockSchema). A failure to join is fatal (Err).
func (n *Node) goControl(roles Roles) {
	c := &n.ctl
	c.started = make(chan struct{})
	go func() {
		defer close(c.started)
		if err := n.startControl(roles); err != nil {
			n.fatal(fmt.Errorf("control plane: %w", err))
		}
	}()
}

// startControl joins the control plane once the embedded member (if any)
// is up: registry, election for the control role, and the leader's jobs.
func (n *Node) startControl(roles Roles) error {
	c := &n.ctl
	if !c.on {
		return nil
	}
	defer func() {
		select {
		case <-c.ready:
		default:
			close(c.ready)
		}
	}()
	endpoints := n.cfg.EtcdEndpoints
	if c.embedded {
		if err := c.waitEmbedded(); err != nil {
			return err
		}
		endpoints = []string{c.etcd.Endpoint}
		go func(errs <-chan error) {
			if err, ok := <-errs; ok && err != nil {
				n.fatal(fmt.Errorf("embedded etcd: %w", err))
			}
		}(c.etcd.Err())
	}
	var names []string
	for r := range roles {
		if r != RoleAll {
			names = append(names, r)
		}
	}
	sort.Strings(names)
	addrs := map[string]string{"http": n.advertised(n.httpLn)}
	if n.pgLn != nil {
		addrs["pg"], addrs["flight"] = n.advertised(n.pgLn), n.advertised(n.fsqlLn)
	}
	if n.srchLn != nil {
		addrs["search"] = n.advertised(n.srchLn)
	}
	if n.storeLn != nil {
		addrs["storage"] = n.advertised(n.storeLn)
	}
	p, err := control.New(control.Config{Endpoints: endpoints, NodeID: n.id, Roles: names, Addrs: addrs,
		Campaign: roles[RoleControl], LeaseTTL: n.cfg.ControlLeaseTTL, Logger: n.log, Registerer: n.reg})
	if err != nil {
		return err
	}
	if roles[RoleControl] && n.cat != nil {
		if err := n.addStorageJobs(p); err != nil {
			p.Close()
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		p.Close()
		return nil
	}
	p.Start()
	if n.hub != nil {
		p.StartNotifyRelay(n.hub) // LISTEN/NOTIFY across the front nodes
	}
	if n.handoff != nil || n.store != nil {
		p.Owners() // follow the shard owners from now on (shardowner.go)
	}
	n.startClusterTables(p) // tables_clusterdml.go
	c.plane = p
	n.log.Info("control plane", "node_id", n.id, "etcd", endpoints, "embedded", c.embedded, "candidate", roles[RoleControl])
	return nil
}

// storageJob is the control leader's job running the storage jobs
// (compaction, retention, garbage collection: storage/compact) every
// --compaction-interval. Each step starts only while the job's fencing
// token is current, in etcd and in the catalog's fence; the catalog swaps
// themselves are compare-and-set, so a deposed leader finishing a step can
// waste work but not corrupt the file list.
const storageJob = "storage-maintenance"

// addStorageJobs registers storageJob on p.
func (n *Node) addStorageJobs(p *control.Plane) error {
	if n.cfg.CompactionInterval == 0 {
		return nil
	}
	jobs, err := n.storageJobs()
	if err != nil {
		return err
	}
	fencer, _ := n.cat.(catalog.Fencer)
	return p.AddJob(control.JobSpec{Name: storageJob, Every: n.cfg.CompactionInterval, Run: func(ctx context.Context, token int64) error {
		for _, step := range storageSteps(jobs) {
			if err := p.Jobs().Check(ctx, token); err != nil {
				return err
			}
			if fencer != nil {
				if err := fencer.Fence(ctx, storageJob, token); err != nil {
					return err
				}
			}
			// A step that fails (a lost swap race, an object store error)
			// is retried at the next run; it does not make this run fail,
			// which would keep the job's state from advancing.
			if err := step.run(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("storage job failed; retried at the next run", "job", step.name, "err", err)
			}
		}
		return ctx.Err()
	}})
}

// plane returns the control plane, waiting while it starts; nil when the
// node has none.
func (n *Node) plane(ctx context.Context) (*control.Plane, error) {
	c := &n.ctl
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plane, nil
}

// lockSchema is planner.Config.SchemaLock: the etcd schema lock, or nothing
// when the node runs no control plane.
func (n *Node) lockSchema(ctx context.Context) (func(), error) {
	if !n.ctl.on {
		return func() {}, nil
	}
	p, err := n.plane(ctx)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("the control plane did not start")
	}
	return p.LockSchema(ctx)
}

// serveControl is GET /control: the control plane's status as JSON.
func (n *Node) serveControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if !n.ctl.on {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintln(w, `{"error":"no control plane on this node (a search worker without --etcd-endpoints, or --etcd-embed-addr off)"}`)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	p, err := n.plane(ctx)
	if err != nil || p == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"error":"control plane starting"}`)
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(p.Status(ctx))
}

// closeControl leaves the control plane (resign, revoke the lease) and
// stops the embedded member.
func (n *Node) closeControl() {
	c := &n.ctl
	c.mu.Lock()
	p := c.plane
	c.plane, c.closed = nil, true
	c.mu.Unlock()
	if c.started != nil {
		<-c.started // startControl sees closed and stops
	}
	if p != nil {
		p.Close()
	}
	if c.embedErr != nil {
		_ = c.waitEmbedded() // a start still running: wait for its outcome
	}
	if c.etcd != nil {
		c.etcd.Close()
		c.etcd = nil
	}
}

// waitEmbedded waits for the embedded member's start and returns its error.
func (c *controlState) waitEmbedded() error {
	c.waitOnce.Do(func() { c.embedRes = <-c.embedErr })
	return c.embedRes
}

// fatal reports a serving error without blocking (the first ones win).
func (n *Node) fatal(err error) {
	select {
	case n.errc <- err:
	default:
	}
}
