package handoff

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"openwit/coordinator/control"
	"openwit/internal/retry"
	"openwit/storage"
)

// ownerCluster is an embedded etcd, two storage services (a and b) over
// the fixture's catalog and object store, each registered in the control
// plane as a storage node, and the fixture itself.
type ownerCluster struct {
	*fixture
	etcd   *control.Embedded
	stores [2]*ownedStore
}

type ownedStore struct {
	id    string
	addr  string
	srv   *Server
	plane *control.Plane
	reg   *prometheus.Registry
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func newOwnerCluster(t *testing.T) *ownerCluster {
	t.Helper()
	c := &ownerCluster{fixture: newFixture(t, nil)}
	var err error
	for range 3 { // a free port can be taken before etcd binds it
		c.etcd, err = control.StartEmbedded(t.Context(), control.EmbedConfig{Dir: t.TempDir(), ClientAddr: freeAddr(t), PeerAddr: freeAddr(t)})
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.etcd.Close)
	for i, id := range []string{"sa", "sb"} {
		s := &ownedStore{id: id, reg: prometheus.NewRegistry()}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.addr = l.Addr().String()
		s.plane = c.plane(t, id, s.addr)
		if s.srv, err = NewServer(Config{Publisher: &storage.Publisher{Bucket: c.bucket, Catalog: c.cat}, Catalog: c.cat,
			Registerer: s.reg, OwnedElsewhere: s.plane.Owners().OwnedElsewhere}); err != nil {
			t.Fatal(err)
		}
		go s.srv.Serve(context.Background(), l)
		t.Cleanup(func() { s.srv.Shutdown(context.Background()) })
		c.stores[i] = s
	}
	return c
}

// plane joins the control plane as node id; with an address it is a
// storage node, else an ingest node.
func (c *ownerCluster) plane(t *testing.T, id, storageAddr string) *control.Plane {
	t.Helper()
	cfg := control.Config{Endpoints: []string{c.etcd.Endpoint}, NodeID: id, LeaseTTL: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()}
	if storageAddr != "" {
		cfg.Roles, cfg.Addrs = []string{control.OwnerRole}, map[string]string{control.OwnerAddr: storageAddr}
	}
	p, err := control.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(func() { p.Close() })
	return p
}

// ingest is a hand-off client over nodes whose owners come from p.
func (c *ownerCluster) ingest(t *testing.T, p *control.Plane, nodes ...string) *Client {
	t.Helper()
	cl, err := NewClient(ClientConfig{Nodes: func() []string { return nodes },
		Owner: func(ctx context.Context, key string, nodes []string) (string, bool) {
			return p.Owners().Lookup(ctx, key, nodes, Rank)
		},
		Retry: retry.Policy{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// owner reads the owner record of the fixture table's shard.
func (c *ownerCluster) owner(t *testing.T, p *control.Plane, shard int64) (control.Owner, bool) {
	t.Helper()
	return p.Owners().Cached(fmt.Sprintf("t%d-s%d", c.tbl.ID, shard))
}

// waitOwner waits (10 s at most) until p's cache, which its etcd watch
// fills, names the owner of shard: a hand-off assigns the record in etcd,
// the cache learns it a moment later.
func (c *ownerCluster) waitOwner(t *testing.T, p *control.Plane, shard int64) (control.Owner, bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, ok := c.owner(t, p, shard)
		if ok || time.Now().After(deadline) {
			return o, ok
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *ownedStore) files() float64 { return counterValue(s.srv.met.files) }

// waitCandidates waits until p can assign shards to both storage nodes.
func waitCandidates(t *testing.T, p *control.Plane) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if len(p.Status(t.Context()).Nodes) >= 2 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the storage nodes did not register")
}

func (c *ownerCluster) rows(t *testing.T) (rows int64, files int) {
	t.Helper()
	for _, f := range c.files(t) {
		rows += f.Rows
		files++
	}
	return rows, files
}

func TestHandoffGoesToTheEtcdOwnerWhateverTheNodeList(t *testing.T) {
	c := newOwnerCluster(t)
	a, b := c.stores[0], c.stores[1]
	px, py := c.plane(t, "ix", ""), c.plane(t, "iy", "")
	waitCandidates(t, px)
	// x knows both storage nodes; y knows only b (gossip has not seen a
	// yet), in another order.
	cx, cy := c.ingest(t, px, a.addr, b.addr), c.ingest(t, py, b.addr)
	ownedByA := 0
	for s := range int64(16) {
		shard := s * 3600e6
		first, second := cx, cy
		if s%2 == 1 { // y assigns the odd shards, x the even ones
			first, second = cy, cx
		}
		fa, fb := a.files(), b.files()
		if _, err := first.Publish(t.Context(), "w1", c.tbl, shard, []arrow.RecordBatch{c.batch(t, 2, "first")}, uint64(s+1)); err != nil {
			t.Fatal(err)
		}
		if _, err := second.Publish(t.Context(), "w2", c.tbl, shard, []arrow.RecordBatch{c.batch(t, 3, "second")}, uint64(s+1)); err != nil {
			t.Fatal(err)
		}
		o, ok := c.waitOwner(t, px, shard)
		if !ok {
			t.Fatalf("shard %d: no owner record after two hand-offs", s)
		}
		owner, other := a, b
		if o.NodeID == b.id {
			owner, other = b, a
		} else {
			ownedByA++
		}
		if o.NodeID != owner.id || owner.files()-map[*ownedStore]float64{a: fa, b: fb}[owner] != 2 || other.files() != map[*ownedStore]float64{a: fa, b: fb}[other] {
			t.Fatalf("shard %d: owner %+v; files a %v→%v, b %v→%v: want both hand-offs on the owner", s, o, fa, a.files(), fb, b.files())
		}
	}
	if ownedByA == 0 {
		t.Fatal("a owns no shard: y's narrower list was never overruled, the test proves nothing")
	}
	if v := counterValue(a.srv.met.notOwner) + counterValue(b.srv.met.notOwner); v != 0 {
		t.Fatalf("%v hand-offs taken by a node that does not own the shard", v)
	}
	if rows, files := c.rows(t); rows != 16*5 || files != 32 {
		t.Fatalf("%d rows in %d files, want 80 in 32", rows, files)
	}
	if v := testutil.ToFloat64(cy.owned.WithLabelValues("owner")); v != 16 {
		t.Fatalf("y placed %v hand-offs by owner, want 16", v)
	}
}

func TestHandoffOwnerDiesShardMoves(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "clean stop", true: "crash"}[crash], func(t *testing.T) {
			c := newOwnerCluster(t)
			px := c.plane(t, "ix", "")
			waitCandidates(t, px)
			cx := c.ingest(t, px, c.stores[0].addr, c.stores[1].addr)
			const shard = 0
			if _, err := cx.Publish(t.Context(), "w1", c.tbl, shard, []arrow.RecordBatch{c.batch(t, 4, "before")}, 1); err != nil {
				t.Fatal(err)
			}
			o, ok := c.waitOwner(t, px, shard)
			if !ok {
				t.Fatal("no owner record after the hand-off")
			}
			dead, alive := c.stores[0], c.stores[1]
			if o.NodeID == alive.id {
				dead, alive = alive, dead
			}
			dead.srv.Shutdown(context.Background())
			if crash {
				// The process vanishes: no revoke, the lease ends after its TTL.
				dead.plane.Client().Close()
			}
			dead.plane.Close()
			// Hand-offs go on while the record may still name the dead
			// node (until its lease ends): they fail over to b.
			lsn := uint64(1)
			for {
				lsn++
				if _, err := cx.Publish(t.Context(), "w1", c.tbl, shard, []arrow.RecordBatch{c.batch(t, 1, "after")}, lsn); err != nil {
					t.Fatal(err)
				}
				if o, ok := c.owner(t, px, shard); ok && o.NodeID == alive.id {
					break
				}
				if lsn > 2000 {
					t.Fatal("the shard was never reassigned")
				}
				time.Sleep(10 * time.Millisecond)
			}
			o2, _ := c.owner(t, px, shard)
			if o2.Epoch <= o.Epoch {
				t.Fatalf("new record %+v, old %+v: want a larger epoch", o2, o)
			}
			// One more hand-off after the reassignment goes to the new owner.
			before := alive.files()
			lsn++
			if _, err := cx.Publish(t.Context(), "w1", c.tbl, shard, []arrow.RecordBatch{c.batch(t, 1, "after")}, lsn); err != nil {
				t.Fatal(err)
			}
			if alive.files() != before+1 {
				t.Fatal("the hand-off after the reassignment did not go to the new owner")
			}
			// Every acknowledged hand-off is in the catalog once.
			if rows, files := c.rows(t); rows != 4+int64(lsn-1) || files != int(lsn) {
				t.Fatalf("%d rows in %d files, want %d in %d", rows, files, 4+lsn-1, lsn)
			}
		})
	}
}

func TestHandoffWithEtcdDown(t *testing.T) {
	c := newOwnerCluster(t)
	px := c.plane(t, "ix", "")
	waitCandidates(t, px)
	cx := c.ingest(t, px, c.stores[0].addr, c.stores[1].addr)
	if _, err := cx.Publish(t.Context(), "w1", c.tbl, 0, []arrow.RecordBatch{c.batch(t, 1, "x")}, 1); err != nil {
		t.Fatal(err)
	}
	o, ok := c.waitOwner(t, px, 0)
	if !ok {
		t.Fatal("no owner record after the hand-off")
	}
	owner := c.stores[0]
	if o.NodeID == c.stores[1].id {
		owner = c.stores[1]
	}
	c.etcd.Close()
	// Known shard (cached owner) and new shards (rendezvous): every
	// hand-off succeeds, each within the lookup bound plus the call.
	start := time.Now()
	before := owner.files()
	for i := range int64(6) {
		if _, err := cx.Publish(t.Context(), "w1", c.tbl, (i%3)*3600e6, []arrow.RecordBatch{c.batch(t, 1, "x")}, uint64(i+2)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 6*(control.LookupBound+2*time.Second) {
		t.Fatalf("6 hand-offs took %s with etcd down", d)
	}
	if got := owner.files() - before; got < 2 {
		t.Fatalf("the cached owner took %v of the 2 hand-offs of its shard", got)
	}
	if rows, files := c.rows(t); rows != 7 || files != 7 {
		t.Fatalf("%d rows in %d files, want 7", rows, files)
	}
}
