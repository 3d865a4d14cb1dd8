package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrNoOwner: no registered node can own the key (no storage node in the
// registry, or every candidate's lease ended while assigning).
var ErrNoOwner = errors.New("no shard owner candidate")

// OwnerRole and OwnerAddr name what makes a registered node a shard owner
// candidate: the role in NodeInfo.Roles and the address in NodeInfo.Addrs.
const (
	OwnerRole = "storage"
	OwnerAddr = "storage"
)

// LookupBound bounds the etcd round trips of one Lookup; after a failed
// one, Lookup does not try etcd again for lookupPause.
const (
	LookupBound = 2 * time.Second
	lookupPause = 5 * time.Second
)

// Owner is the record of a shard's owner (key PREFIX/shards/KEY, attached
// to the owner's registry lease, so it goes when the owner's session ends).
type Owner struct {
	Key    string `json:"-"`
	NodeID string `json:"node_id"`
	Addr   string `json:"addr"`
	// Epoch is the record's etcd creation revision: a fencing number that
	// grows with every new assignment of the key.
	Epoch int64 `json:"-"`
	// Lease is the owner's registry lease the record hangs on.
	Lease int64 `json:"-"`
}

// Candidate is a registered node that can own shards: it runs the storage
// role, publishes a storage address, and its registry key's lease is the
// one its owner records get.
type Candidate struct {
	NodeID string
	Addr   string
	Lease  clientv3.LeaseID
}

// RankFunc orders addresses for a key, best first (rendezvous hashing:
// storage/handoff.Rank). It may drop addresses.
type RankFunc func(key string, addrs []string) []string

// Owners assigns keys (a table's time shard) to one owner each through
// etcd: a create-if-absent transaction puts the record under the chosen
// candidate's lease, so concurrent assigners agree on one winner and the
// record disappears when its owner's session ends; the next lookup then
// assigns the key again. Records and candidates are cached from a watch
// on the plane's prefix, so a lookup whose key is known costs no round
// trip. Methods are safe for concurrent use.
type Owners struct {
	p *Plane

	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	live      bool // the watch is current
	recs      map[string]Owner
	cands     map[string]Candidate // by node id
	prev      map[string]string    // key → node id of its last record that went away
	downUntil time.Time            // no etcd round trip before then (it just failed)
	used      map[string]time.Time // own records: last hand-off taken (or first seen)
	idle      time.Duration        // own records unused this long are released

	assigned   prometheus.Counter
	reassigned prometheus.Counter
	lookups    *prometheus.CounterVec
}

func newOwners(p *Plane, reg prometheus.Registerer) *Owners {
	f := promauto.With(reg)
	return &Owners{p: p, recs: map[string]Owner{}, cands: map[string]Candidate{}, prev: map[string]string{},
		used: map[string]time.Time{}, idle: ShardIdle,
		assigned: f.NewCounter(prometheus.CounterOpts{Name: "openwit_control_shard_assignments_total",
			Help: "Shard owner records this node created in etcd."}),
		reassigned: f.NewCounter(prometheus.CounterOpts{Name: "openwit_control_shard_reassignments_total",
			Help: "Shard owner records this node created for a shard another node owned before (its owner's lease ended)."}),
		lookups: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_control_shard_lookups_total",
			Help: "Shard owner lookups by source: cached (watch), etcd (read or assigned), stale (cached while etcd failed, owner alive in gossip), none (rendezvous)."},
			[]string{"source"}),
	}
}

// Owners returns the plane's shard owners. Its watch starts on first use.
func (p *Plane) Owners() *Owners {
	p.owners.start()
	return p.owners
}

func (o *Owners) start() {
	o.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		o.cancel, o.done = cancel, make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { o.watch(ctx) })
		if o.p.cfg.Addrs[OwnerAddr] != "" {
			wg.Go(func() { o.sweepEvery(ctx) })
		}
		go func() {
			wg.Wait()
			close(o.done)
		}()
	})
}

func (o *Owners) stop() {
	o.once.Do(func() {}) // a plane that never used it starts nothing now
	if o.cancel != nil {
		o.cancel()
		<-o.done
	}
}

var ownerKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$`)

func (o *Owners) key(k string) string { return o.p.key("shards", k) }

// Lookup returns the address of key's owner for a hand-off, or ok=false
// when the caller should use its own rendezvous order. It prefers, in this
// order: the watched record; a record read or created in etcd within
// LookupBound (candidates in nodes, the addresses the caller can reach now,
// are tried first); the last record seen when etcd failed, if its address
// is in nodes. It never waits longer than LookupBound, and after an etcd
// failure it does not try etcd again for a few seconds.
func (o *Owners) Lookup(ctx context.Context, key string, nodes []string, rank RankFunc) (addr string, ok bool) {
	o.start()
	if r, ok := o.current(key); ok {
		o.lookups.WithLabelValues("cached").Inc()
		return r.Addr, true
	}
	o.mu.Lock()
	down := time.Now().Before(o.downUntil)
	o.mu.Unlock()
	if !down {
		ctx, cancel := context.WithTimeout(ctx, LookupBound)
		r, err := o.Owner(ctx, key, preferring(nodes, rank))
		cancel()
		if err == nil {
			o.lookups.WithLabelValues("etcd").Inc()
			return r.Addr, true
		}
		if !errors.Is(err, ErrNoOwner) && !errors.Is(err, ErrInvalid) {
			o.p.log.Warn("shard owner lookup failed; using the cached owner or rendezvous", "key", key, "err", err)
			o.mu.Lock()
			o.downUntil = time.Now().Add(lookupPause)
			o.mu.Unlock()
		}
	}
	if r, ok := o.Cached(key); ok && slices.Contains(nodes, r.Addr) {
		o.lookups.WithLabelValues("stale").Inc()
		return r.Addr, true
	}
	o.lookups.WithLabelValues("none").Inc()
	return "", false
}

// preferring ranks with rank and moves the addresses in nodes first.
func preferring(nodes []string, rank RankFunc) RankFunc {
	return func(key string, addrs []string) []string {
		r := rank(key, addrs)
		in := func(a string) bool { return slices.Contains(nodes, a) }
		return append(slices.DeleteFunc(slices.Clone(r), func(a string) bool { return !in(a) }),
			slices.DeleteFunc(slices.Clone(r), in)...)
	}
}

// Owner returns key's owner, assigning it when it has none: the
// candidates (registered storage nodes, from the watch or read from etcd)
// are tried in rank's order with a transaction that creates the record
// under the candidate's lease only if the key has no record; when another
// assigner won, its record is returned. A candidate whose lease ended
// meanwhile is skipped. ErrNoOwner: no candidate.
func (o *Owners) Owner(ctx context.Context, key string, rank RankFunc) (Owner, error) {
	if !ownerKeyRE.MatchString(key) {
		return Owner{}, fmt.Errorf("%w: shard key %q", ErrInvalid, key)
	}
	if r, ok := o.current(key); ok {
		return r, nil
	}
	cands, err := o.candidates(ctx)
	if err != nil {
		return Owner{}, err
	}
	byAddr := map[string]Candidate{}
	var addrs []string
	for _, c := range cands {
		if _, dup := byAddr[c.Addr]; !dup {
			byAddr[c.Addr] = c
			addrs = append(addrs, c.Addr)
		}
	}
	slices.Sort(addrs)
	k := o.key(key)
	for _, a := range rank(key, addrs) {
		c, ok := byAddr[a]
		if !ok {
			continue
		}
		b, _ := json.Marshal(Owner{NodeID: c.NodeID, Addr: c.Addr})
		resp, err := o.p.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
			Then(clientv3.OpPut(k, string(b), clientv3.WithLease(c.Lease))).
			Else(clientv3.OpGet(k)).Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			continue // the candidate's session ended: the next one
		}
		if err != nil {
			return Owner{}, fmt.Errorf("assign shard %s: %w", key, err)
		}
		if resp.Succeeded {
			r := Owner{Key: key, NodeID: c.NodeID, Addr: c.Addr, Epoch: resp.Header.Revision, Lease: int64(c.Lease)}
			o.assigned.Inc()
			o.mu.Lock()
			if prev, ok := o.prev[key]; ok && prev != c.NodeID {
				o.reassigned.Inc()
			}
			delete(o.prev, key)
			o.put(r)
			o.mu.Unlock()
			o.p.log.Info("shard owner assigned", "key", key, "owner", c.NodeID, "epoch", r.Epoch)
			return r, nil
		}
		kvs := resp.Responses[0].GetResponseRange().GetKvs()
		if len(kvs) == 0 { // deleted between the compare and the get
			continue
		}
		r, err := decodeOwner(key, kvs[0])
		if err != nil {
			return Owner{}, err
		}
		o.mu.Lock()
		o.put(r)
		o.mu.Unlock()
		return r, nil
	}
	return Owner{}, fmt.Errorf("assign shard %s: %w (%d candidates)", key, ErrNoOwner, len(cands))
}

// Cached returns key's last known record, which may be stale when the
// watch is not current.
func (o *Owners) Cached(key string) (Owner, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.recs[key]
	return r, ok
}

// OwnedElsewhere reports whether the watch, being current, knows key's
// owner to be another node than this one (a storage node taking a
// hand-off it does not own). A storage node calls it for every hand-off
// it takes: a key it owns is noted as in use, which keeps its record from
// the idle sweep.
func (o *Owners) OwnedElsewhere(key string) bool {
	o.start()
	r, ok := o.current(key)
	if ok && r.NodeID == o.p.cfg.NodeID {
		o.mu.Lock()
		o.used[key] = time.Now()
		o.mu.Unlock()
	}
	return ok && r.NodeID != o.p.cfg.NodeID
}

// ShardIdle is how long a storage node keeps owning a shard it took no
// hand-off of: then it deletes the record (a compare on its epoch), so
// records of past shards do not pile up in etcd. A later hand-off of the
// shard assigns it again, usually to the same node.
const ShardIdle = time.Hour

// sweepEvery releases this node's idle records every idle/4.
func (o *Owners) sweepEvery(ctx context.Context) {
	t := time.NewTicker(o.idle / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := o.sweep(ctx, now); err != nil && ctx.Err() == nil {
				o.p.log.Debug("shard owner sweep", "err", err)
			}
		}
	}
}

// sweep deletes this node's records unused since now-idle. A record seen
// for the first time counts as used now.
func (o *Owners) sweep(ctx context.Context, now time.Time) error {
	o.mu.Lock()
	if !o.live {
		o.mu.Unlock()
		return nil
	}
	var idle []Owner
	for k, r := range o.recs {
		if r.NodeID != o.p.cfg.NodeID {
			continue
		}
		u, ok := o.used[k]
		if !ok {
			o.used[k] = now
		} else if now.Sub(u) >= o.idle {
			idle = append(idle, r)
		}
	}
	for k := range o.used {
		if r, ok := o.recs[k]; !ok || r.NodeID != o.p.cfg.NodeID {
			delete(o.used, k)
		}
	}
	o.mu.Unlock()
	for _, r := range idle {
		k := o.key(r.Key)
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := o.p.cli.Txn(cctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", r.Epoch)).Then(clientv3.OpDelete(k)).Commit()
		cancel()
		if err != nil {
			return fmt.Errorf("release shard %s: %w", r.Key, err)
		}
		o.mu.Lock()
		delete(o.used, r.Key)
		o.mu.Unlock()
		o.p.log.Debug("idle shard released", "key", r.Key, "epoch", r.Epoch)
	}
	return nil
}

// current returns key's record when the watch is current.
func (o *Owners) current(key string) (Owner, bool) {
	if !o.p.hasSession() {
		return Owner{}, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.live {
		return Owner{}, false
	}
	r, ok := o.recs[key]
	return r, ok
}

// candidates returns the registered owner candidates: from the watch when
// it is current, else read from etcd.
func (o *Owners) candidates(ctx context.Context) ([]Candidate, error) {
	o.mu.Lock()
	if o.live && o.p.hasSession() {
		out := make([]Candidate, 0, len(o.cands))
		for _, c := range o.cands {
			out = append(out, c)
		}
		o.mu.Unlock()
		return out, nil
	}
	o.mu.Unlock()
	g, err := o.p.cli.Get(ctx, o.p.key("nodes")+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("read the node registry: %w", err)
	}
	var out []Candidate
	for _, kv := range g.Kvs {
		if c, ok := candidate(kv); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// candidate decodes a registry entry, ok when it is an owner candidate.
func candidate(kv *mvccpb.KeyValue) (Candidate, bool) {
	var n NodeInfo
	if json.Unmarshal(kv.Value, &n) != nil || kv.Lease == 0 || n.Addrs[OwnerAddr] == "" || !slices.Contains(n.Roles, OwnerRole) {
		return Candidate{}, false
	}
	return Candidate{NodeID: n.ID, Addr: n.Addrs[OwnerAddr], Lease: clientv3.LeaseID(kv.Lease)}, true
}

func decodeOwner(key string, kv *mvccpb.KeyValue) (Owner, error) {
	var r Owner
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return Owner{}, fmt.Errorf("decode the owner of shard %s: %w", key, err)
	}
	r.Key, r.Epoch, r.Lease = key, kv.CreateRevision, kv.Lease
	return r, nil
}

// put caches r (o.mu held) unless the watch is current: then the watch
// brings it, in order with a later delete.
func (o *Owners) put(r Owner) {
	if !o.live {
		o.recs[r.Key] = r
	}
}

// watch keeps the cache current: list the records and the registry at
// one revision, then follow the plane's prefix from there; start over
// when the watch ends (etcd unreachable, no leader, compaction).
func (o *Owners) watch(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := o.follow(ctx)
		o.mu.Lock()
		o.live = false
		o.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		o.p.log.Debug("shard owner watch ended; listing again", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (o *Owners) follow(ctx context.Context) error {
	shards, nodes := o.p.key("shards")+"/", o.p.key("nodes")+"/"
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	resp, err := o.p.cli.Txn(lctx).Then(clientv3.OpGet(shards, clientv3.WithPrefix()), clientv3.OpGet(nodes, clientv3.WithPrefix())).Commit()
	cancel()
	if err != nil {
		return fmt.Errorf("list shard owners: %w", err)
	}
	recs, cands := map[string]Owner{}, map[string]Candidate{}
	for _, kv := range resp.Responses[0].GetResponseRange().GetKvs() {
		k := strings.TrimPrefix(string(kv.Key), shards)
		if r, err := decodeOwner(k, kv); err == nil {
			recs[k] = r
		}
	}
	for _, kv := range resp.Responses[1].GetResponseRange().GetKvs() {
		if c, ok := candidate(kv); ok {
			cands[c.NodeID] = c
		}
	}
	wctx, wcancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer wcancel()
	wch := o.p.cli.Watch(wctx, o.p.cfg.Prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
	o.mu.Lock()
	for k, r := range o.recs {
		if n, ok := recs[k]; !ok || n.NodeID != r.NodeID {
			o.prev[k] = r.NodeID
		}
	}
	o.recs, o.cands, o.live = recs, cands, true
	o.mu.Unlock()
	for wr := range wch {
		if err := wr.Err(); err != nil {
			return err
		}
		o.mu.Lock()
		for _, ev := range wr.Events {
			key := string(ev.Kv.Key)
			switch {
			case strings.HasPrefix(key, shards):
				k := strings.TrimPrefix(key, shards)
				if ev.Type == clientv3.EventTypeDelete {
					if r, ok := o.recs[k]; ok {
						o.prev[k] = r.NodeID
						delete(o.recs, k)
					}
				} else if r, err := decodeOwner(k, ev.Kv); err == nil {
					o.recs[k] = r
				}
			case strings.HasPrefix(key, nodes):
				id := strings.TrimPrefix(key, nodes)
				if c, ok := candidate(ev.Kv); ok && ev.Type != clientv3.EventTypeDelete {
					o.cands[id] = c
				} else {
					delete(o.cands, id)
				}
			}
		}
		if len(o.prev) > 100000 { // bounded: it only feeds a metric
			clear(o.prev)
		}
		o.mu.Unlock()
	}
	return errors.New("watch closed")
}
