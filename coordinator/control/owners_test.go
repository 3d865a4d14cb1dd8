package control

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// storagePlane starts the plane of a storage node publishing addr; it is
// closed when the test ends unless the test closes or kills it first.
func storagePlane(tb testing.TB, endpoint, id, addr string) (*Plane, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	p, err := New(Config{Endpoints: []string{endpoint}, NodeID: id, Roles: []string{OwnerRole}, Addrs: map[string]string{OwnerAddr: addr},
		LeaseTTL: 2 * time.Second, Logger: testLogger(tb).With("node", id), Registerer: reg})
	if err != nil {
		tb.Fatal(err)
	}
	p.Start()
	tb.Cleanup(func() { p.Close() })
	return p, reg
}

// byList ranks addresses in the order of list (a caller whose rendezvous
// view differs from another's).
func byList(list ...string) RankFunc {
	return func(_ string, addrs []string) []string {
		var out []string
		for _, a := range list {
			if slices.Contains(addrs, a) {
				out = append(out, a)
			}
		}
		return out
	}
}

// waitCandidates waits until p's watch knows n owner candidates.
func waitCandidates(tb testing.TB, p *Plane, n int) {
	tb.Helper()
	o := p.Owners()
	waitFor(tb, fmt.Sprintf("%d candidates", n), func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.live && len(o.cands) == n && p.hasSession()
	})
}

// record reads key's owner record from etcd.
func record(tb testing.TB, p *Plane, key string) (Owner, bool) {
	tb.Helper()
	g, err := p.Client().Get(tb.Context(), p.key("shards", key))
	if err != nil {
		tb.Fatal(err)
	}
	if len(g.Kvs) == 0 {
		return Owner{}, false
	}
	r, err := decodeOwner(key, g.Kvs[0])
	if err != nil {
		tb.Fatal(err)
	}
	return r, true
}

func TestOwnersAgreeWhateverTheirRanking(t *testing.T) {
	e := startEtcd(t)
	storagePlane(t, e.Endpoint, "s1", "10.0.0.1:8817")
	storagePlane(t, e.Endpoint, "s2", "10.0.0.2:8817")
	i1, _ := newPlane(t, e.Endpoint, "i1", false)
	i2, _ := newPlane(t, e.Endpoint, "i2", false)
	waitCandidates(t, i1, 2)
	waitCandidates(t, i2, 2)
	// Each ingest node ranks the other storage node first and knows only
	// part of the cluster: they still agree on every key's owner.
	for k := range 20 {
		key := fmt.Sprintf("t1-s%d", k*3600)
		var a1, a2 string
		var wg sync.WaitGroup
		wg.Go(func() {
			a1, _ = i1.Owners().Lookup(t.Context(), key, []string{"10.0.0.1:8817"}, byList("10.0.0.1:8817", "10.0.0.2:8817"))
		})
		wg.Go(func() {
			a2, _ = i2.Owners().Lookup(t.Context(), key, []string{"10.0.0.2:8817"}, byList("10.0.0.2:8817", "10.0.0.1:8817"))
		})
		wg.Wait()
		r, ok := record(t, i1, key)
		if a1 == "" || a1 != a2 || !ok || r.Addr != a1 {
			t.Fatalf("%s: i1 says %q, i2 says %q, etcd %+v", key, a1, a2, r)
		}
	}
	st := i1.Status(t.Context())
	if st.ShardOwners["s1"]+st.ShardOwners["s2"] != 20 {
		t.Fatalf("status shard owners %v, want 20 shards", st.ShardOwners)
	}
	// A storage node that joins later owns nothing yet and shows as 0;
	// the ingest nodes, not candidates, do not show.
	storagePlane(t, e.Endpoint, "s3", "10.0.0.3:8817")
	waitFor(t, "s3 in the status", func() bool {
		n, ok := i1.Status(t.Context()).ShardOwners["s3"]
		return ok && n == 0
	})
	if st := i1.Status(t.Context()); len(st.ShardOwners) != 3 {
		t.Fatalf("status shard owners %v, want s1, s2 and s3", st.ShardOwners)
	}
}

func TestOwnerRaceHasOneWinner(t *testing.T) {
	e := startEtcd(t)
	addrs := []string{"10.0.0.1:8817", "10.0.0.2:8817", "10.0.0.3:8817"}
	for i, a := range addrs {
		storagePlane(t, e.Endpoint, fmt.Sprintf("s%d", i+1), a)
	}
	var planes []*Plane
	var regs []*prometheus.Registry
	for i := range 4 {
		p, reg := newPlane(t, e.Endpoint, fmt.Sprintf("i%d", i), false)
		planes, regs = append(planes, p), append(regs, reg)
	}
	for _, p := range planes {
		waitCandidates(t, p, 3)
	}
	const perPlane = 8
	got := make([]Owner, len(planes)*perPlane)
	var wg sync.WaitGroup
	for i := range got {
		p := planes[i%len(planes)]
		rank := byList(addrs[i%3], addrs[(i+1)%3], addrs[(i+2)%3])
		wg.Go(func() {
			r, err := p.Owners().Owner(t.Context(), "t7-s0", rank)
			if err != nil {
				t.Error(err)
			}
			got[i] = r
		})
	}
	wg.Wait()
	for _, r := range got[1:] {
		if r.NodeID != got[0].NodeID || r.Epoch != got[0].Epoch || r.Epoch == 0 {
			t.Fatalf("owners %+v and %+v: want one", got[0], r)
		}
	}
	assigned := 0.0
	for _, reg := range regs {
		assigned += counter(t, reg, "openwit_control_shard_assignments_total")
	}
	if assigned != 1 {
		t.Fatalf("%v records created, want 1", assigned)
	}
}

func TestOwnerDiesShardIsReassigned(t *testing.T) {
	e := startEtcd(t)
	s1, _ := storagePlane(t, e.Endpoint, "s1", "10.0.0.1:8817")
	s2, _ := storagePlane(t, e.Endpoint, "s2", "10.0.0.2:8817")
	in, reg := newPlane(t, e.Endpoint, "in", false)
	waitCandidates(t, in, 2)
	waitCandidates(t, s2, 2)
	nodes := []string{"10.0.0.1:8817", "10.0.0.2:8817"}
	rank := byList(nodes...)
	addr, ok := in.Owners().Lookup(t.Context(), "t1-s0", nodes, rank)
	if !ok || addr != "10.0.0.1:8817" {
		t.Fatalf("owner %q %v, want s1 (ranked first)", addr, ok)
	}
	first, _ := record(t, in, "t1-s0")
	waitFor(t, "s2 sees the record", func() bool { return s2.Owners().OwnedElsewhere("t1-s0") })
	if s1.Owners().OwnedElsewhere("t1-s0") {
		t.Fatal("s1 owns the shard but sees it owned elsewhere")
	}
	// s1 is killed: its lease, and the record with it, end after the TTL.
	kill(s1)
	waitFor(t, "the record expires", func() bool { _, ok := record(t, in, "t1-s0"); return !ok })
	waitFor(t, "the watch drops the dead candidate", func() bool {
		in.owners.mu.Lock()
		defer in.owners.mu.Unlock()
		_, ok := in.owners.cands["s1"]
		return !ok
	})
	addr, ok = in.Owners().Lookup(t.Context(), "t1-s0", nodes, rank)
	if !ok || addr != "10.0.0.2:8817" {
		t.Fatalf("after s1 died: owner %q %v, want s2", addr, ok)
	}
	r, _ := record(t, in, "t1-s0")
	if r.NodeID != "s2" || r.Epoch <= first.Epoch {
		t.Fatalf("record %+v after %+v: want s2 with a larger epoch", r, first)
	}
	if v := counter(t, reg, "openwit_control_shard_reassignments_total"); v != 1 {
		t.Fatalf("%v reassignments, want 1", v)
	}
}

func TestOwnerLookupWithoutEtcd(t *testing.T) {
	e := startEtcd(t)
	storagePlane(t, e.Endpoint, "s1", "10.0.0.1:8817")
	storagePlane(t, e.Endpoint, "s2", "10.0.0.2:8817")
	in, reg := newPlane(t, e.Endpoint, "in", false)
	waitCandidates(t, in, 2)
	nodes := []string{"10.0.0.1:8817", "10.0.0.2:8817"}
	owner, ok := in.Owners().Lookup(t.Context(), "t1-s0", nodes, byList(nodes...))
	if !ok {
		t.Fatal("no owner with etcd up")
	}
	e.Close()
	// Wait until the node knows etcd is gone (its session ended), so the
	// lookups below take the degraded path.
	waitFor(t, "the session ends", func() bool { return !in.hasSession() })
	for _, tc := range []struct {
		name, key string
		nodes     []string
		want      string
		ok        bool
	}{
		{"cached owner alive in gossip", "t1-s0", nodes, owner, true},
		{"cached owner not alive", "t1-s0", slices.DeleteFunc(slices.Clone(nodes), func(a string) bool { return a == owner }), "", false},
		{"unknown shard", "t1-s3600", nodes, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			addr, ok := in.Owners().Lookup(t.Context(), tc.key, tc.nodes, byList(nodes...))
			// The bound is the contract (a flush never waits on etcd
			// longer), not a performance measurement.
			if d := time.Since(start); d > LookupBound+3*time.Second {
				t.Fatalf("lookup took %s with etcd down", d)
			}
			if addr != tc.want || ok != tc.ok {
				t.Fatalf("lookup: %q %v, want %q %v", addr, ok, tc.want, tc.ok)
			}
		})
	}
	if v := counter(t, reg, `openwit_control_shard_lookups_total`); v != 4 {
		t.Fatalf("%v lookups counted, want 4", v)
	}
}

func TestOwnerBadKey(t *testing.T) {
	e := startEtcd(t)
	in, _ := newPlane(t, e.Endpoint, "in", false)
	for _, k := range []string{"", "a/b", "../x", string(make([]byte, 300))} {
		if _, err := in.Owners().Owner(t.Context(), k, byList()); err == nil {
			t.Fatalf("key %q accepted", k)
		}
	}
	// No storage node registered: no owner, and Lookup says so.
	if _, err := in.Owners().Owner(t.Context(), "t1-s0", byList()); err == nil {
		t.Fatal("an owner without candidates")
	}
	if _, ok := in.Owners().Lookup(t.Context(), "t1-s0", nil, byList()); ok {
		t.Fatal("lookup without candidates found an owner")
	}
	g, err := in.Client().Get(t.Context(), in.key("shards")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || g.Count != 0 {
		t.Fatalf("%v records (%v), want none", g.Count, err)
	}
}

// counter sums a metric's series in reg.
func counter(tb testing.TB, reg *prometheus.Registry, name string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	v := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				v += m.GetCounter().GetValue()
			}
		}
	}
	return v
}

func TestOwnerReleasesIdleRecords(t *testing.T) {
	e := startEtcd(t)
	s1, _ := storagePlane(t, e.Endpoint, "s1", "10.0.0.1:8817")
	in, reg := newPlane(t, e.Endpoint, "in", false)
	waitCandidates(t, in, 1)
	waitCandidates(t, s1, 1)
	nodes := []string{"10.0.0.1:8817"}
	for _, k := range []string{"t1-s0", "t1-s1"} {
		if _, ok := in.Owners().Lookup(t.Context(), k, nodes, byList(nodes...)); !ok {
			t.Fatalf("%s: no owner", k)
		}
	}
	old, _ := record(t, in, "t1-s1")
	o := s1.Owners()
	waitFor(t, "s1 sees its records", func() bool {
		_, a := o.current("t1-s0")
		_, b := o.current("t1-s1")
		return a && b
	})
	// The sweep's clock is given: first sight at t0, a hand-off of t1-s0
	// after it, then a sweep one idle period after t0.
	t0 := time.Now()
	if err := o.sweep(t.Context(), t0); err != nil {
		t.Fatal(err)
	}
	if o.OwnedElsewhere("t1-s0") {
		t.Fatal("s1 owns t1-s0 but sees it owned elsewhere")
	}
	if err := o.sweep(t.Context(), t0.Add(o.idle)); err != nil {
		t.Fatal(err)
	}
	if _, ok := record(t, in, "t1-s0"); !ok {
		t.Fatal("the record in use was released")
	}
	if _, ok := record(t, in, "t1-s1"); ok {
		t.Fatal("the idle record was kept")
	}
	// The next hand-off assigns it again: a new epoch, the same node, not
	// counted as a reassignment.
	waitFor(t, "the ingest node sees the release", func() bool { _, ok := in.Owners().current("t1-s1"); return !ok })
	if addr, ok := in.Owners().Lookup(t.Context(), "t1-s1", nodes, byList(nodes...)); !ok || addr != nodes[0] {
		t.Fatalf("lookup after the release: %q %v", addr, ok)
	}
	if r, _ := record(t, in, "t1-s1"); r.NodeID != "s1" || r.Epoch <= old.Epoch {
		t.Fatalf("record %+v after %+v", r, old)
	}
	if v := counter(t, reg, "openwit_control_shard_reassignments_total"); v != 0 {
		t.Fatalf("%v reassignments, want 0", v)
	}
}

// BenchmarkOwnerLookup compares a lookup the watch answers with one that
// assigns a new shard in etcd (a transaction on the embedded member).
func BenchmarkOwnerLookup(b *testing.B) {
	e := startEtcd(b)
	storagePlane(b, e.Endpoint, "s1", "10.0.0.1:8817")
	storagePlane(b, e.Endpoint, "s2", "10.0.0.2:8817")
	in, _ := newPlane(b, e.Endpoint, "in", false)
	waitCandidates(b, in, 2)
	nodes := []string{"10.0.0.1:8817", "10.0.0.2:8817"}
	o := in.Owners()
	if _, ok := o.Lookup(b.Context(), "t1-s0", nodes, byList(nodes...)); !ok {
		b.Fatal("no owner")
	}
	waitFor(b, "the watch has the record", func() bool { _, ok := o.current("t1-s0"); return ok })
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o.Lookup(b.Context(), "t1-s0", nodes, byList(nodes...))
		}
	})
	b.Run("assign", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			o.Lookup(b.Context(), fmt.Sprintf("t2-s%d", i), nodes, byList(nodes...))
		}
	})
}
