package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func testLogger(tb testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("test", tb.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// startEtcd runs an embedded single-member etcd for the test.
func startEtcd(tb testing.TB) *Embedded {
	tb.Helper()
	var e *Embedded
	var err error
	for range 3 { // a free port can be taken before etcd binds it
		e, err = StartEmbedded(tb.Context(), EmbedConfig{Dir: tb.TempDir(), ClientAddr: freeAddr(tb), PeerAddr: freeAddr(tb), Logger: testLogger(tb)})
		if err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// newPlane starts a plane; it is closed when the test ends unless the
// test closes it first.
func newPlane(tb testing.TB, endpoint, id string, campaign bool, jobs ...JobSpec) (*Plane, *prometheus.Registry) {
	tb.Helper()
	return newPlaneTTL(tb, endpoint, id, campaign, 2*time.Second, jobs...)
}

func newPlaneTTL(tb testing.TB, endpoint, id string, campaign bool, ttl time.Duration, jobs ...JobSpec) (*Plane, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	p, err := New(Config{Endpoints: []string{endpoint}, NodeID: id, Roles: []string{"control"}, Campaign: campaign,
		LeaseTTL: ttl, LockTimeout: 3 * time.Second, Logger: testLogger(tb).With("node", id), Registerer: reg})
	if err != nil {
		tb.Fatal(err)
	}
	for _, j := range jobs {
		if err := p.AddJob(j); err != nil {
			tb.Fatal(err)
		}
	}
	p.Start()
	closed := false
	tb.Cleanup(func() {
		if !closed {
			p.Close()
		}
	})
	return p, reg
}

// waitFor polls cond; the bound only keeps a broken build from hanging.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("timed out waiting for %s", what)
}

// kill makes a plane vanish the way a killed process does: its client
// stops without revoking the lease, so its keys live until the TTL.
func kill(p *Plane) {
	p.cli.Close()
	p.owners.stop()
	p.cancel()
	<-p.done
}

func TestElectionAndRegistry(t *testing.T) {
	e := startEtcd(t)
	a, _ := newPlane(t, e.Endpoint, "a", true)
	waitFor(t, "a leads", a.IsLeader)
	b, _ := newPlane(t, e.Endpoint, "b", true)
	obs, _ := newPlane(t, e.Endpoint, "obs", false)
	waitFor(t, "three nodes registered", func() bool { return len(obs.Status(t.Context()).Nodes) == 3 })
	st := obs.Status(t.Context())
	if st.Leader != "a" || st.Role != RoleObserver || !st.Quorum || st.Decisions != "active" {
		t.Fatalf("status %s, want leader a seen by an observer with quorum", st)
	}
	if len(st.Members) != 1 || !st.Members[0].Reachable || !st.Members[0].HasLeader {
		t.Fatalf("members %+v", st.Members)
	}
	if b.IsLeader() || b.Status(t.Context()).Role != RoleCandidate {
		t.Fatalf("b: %s, want a candidate", b.Status(t.Context()))
	}
	// A clean stop hands over at once (resign + revoke) and leaves the
	// registry.
	a.Close()
	waitFor(t, "b leads", b.IsLeader)
	if st := obs.Status(t.Context()); st.Leader != "b" || len(st.Nodes) != 2 {
		t.Fatalf("after a stopped: %s, %d nodes", st, len(st.Nodes))
	}
}

func TestLeaseExpiryTakeover(t *testing.T) {
	e := startEtcd(t)
	// a reaches etcd through a proxy the test cuts: a crash, after which
	// none of a's requests (a resign or revoke on its way out) arrive.
	cut := newNetCut(t, e.Endpoint)
	// A lease long enough to look at the cluster while a's keys live on.
	a, _ := newPlaneTTL(t, cut.Addr(), "a", true, 6*time.Second)
	waitFor(t, "a leads", a.IsLeader)
	b, _ := newPlane(t, e.Endpoint, "b", true)
	waitFor(t, "b campaigns", func() bool { return b.Status(t.Context()).Role == RoleCandidate })
	term := b.Status(t.Context()).LeaderTerm
	// What is left of a's lease, as etcd counts it (on a starved machine
	// keepalives come late, so this can be far below the TTL). etcd
	// answers whole seconds rounded down, at a moment after asked: the
	// lease cannot expire before asked+left.
	a.mu.Lock()
	lease := a.sess.Lease()
	a.mu.Unlock()
	asked := time.Now()
	ttl, err := a.cli.TimeToLive(t.Context(), lease)
	if err != nil {
		t.Fatal(err)
	}
	left := time.Duration(ttl.TTL) * time.Second
	cut.Cut()
	kill(a)
	// a's keys stay until its lease expires: nobody else leads before.
	// Every answer (with a quorum) until the leader changes is looked at.
	for {
		st := b.Status(t.Context())
		took := time.Since(asked)
		if st.Quorum && st.Leader != "a" {
			if took < left {
				t.Fatalf("%v after a had %v of its lease left: %s, want a until its lease expires", took, left, st)
			}
			break
		}
		if took > 30*time.Second {
			t.Fatalf("a still leads %v after its lease (%v left) should have expired: %s", took, left, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, "b leads after a's lease expired", b.IsLeader)
	st := b.Status(t.Context())
	if st.Leader != "b" || st.LeaderTerm <= term {
		t.Fatalf("status %s term %d, want b with a term above %d", st, st.LeaderTerm, term)
	}
	for _, n := range st.Nodes {
		if n.ID == "a" {
			t.Fatalf("a is still registered after its lease expired: %+v", st.Nodes)
		}
	}
}

// TestFencingRejectsStaleToken: a holder whose lease expired (a long pause)
// cannot commit, through etcd or the token check, after another holder
// took over.
func TestFencingRejectsStaleToken(t *testing.T) {
	e := startEtcd(t)
	a, _ := newPlane(t, e.Endpoint, "a", false)
	b, _ := newPlane(t, e.Endpoint, "b", false)
	ctx := t.Context()

	aStarted := make(chan int64)
	aErr := make(chan error, 1)
	release := make(chan struct{})
	go func() {
		aErr <- a.Jobs().Run(ctx, "backfill", func(ctx context.Context, token int64) error {
			aStarted <- token
			<-release // a "pause" longer than the lease
			return a.Jobs().Commit(context.Background(), token, clientv3.OpPut("/test/effect", "a"))
		})
	}()
	ta := <-aStarted
	if err := a.Jobs().Check(ctx, ta); err != nil {
		t.Fatalf("a's fresh token: %v", err)
	}
	// a's lease expires while it is paused (its keepalives stop): simulate
	// by revoking the lease behind its back.
	a.mu.Lock()
	lease := a.sess.Lease()
	a.mu.Unlock()
	if _, err := b.cli.Revoke(ctx, lease); err != nil {
		t.Fatal(err)
	}
	var tb int64
	if err := b.Jobs().Run(ctx, "backfill", func(ctx context.Context, token int64) error {
		tb = token
		return b.Jobs().Commit(ctx, token, clientv3.OpPut("/test/effect", "b"))
	}); err != nil {
		t.Fatal(err)
	}
	if tb <= ta {
		t.Fatalf("tokens not increasing: a %d, b %d", ta, tb)
	}
	close(release)
	if err := <-aErr; !errors.Is(err, ErrStaleToken) {
		t.Fatalf("stale holder's commit: %v, want ErrStaleToken", err)
	}
	g, err := b.cli.Get(ctx, "/test/effect")
	if err != nil || len(g.Kvs) != 1 || string(g.Kvs[0].Value) != "b" {
		t.Fatalf("effect %v %v, want only b's", g, err)
	}
	st, _, err := b.Jobs().State(ctx, "backfill")
	if err != nil || st.Runs != 1 || st.Token != tb || st.Holder != "b" {
		t.Fatalf("state %+v %v, want one run by b with token %d", st, err, tb)
	}
	// A job already run is not run again.
	if err := b.Jobs().Run(ctx, "backfill", func(context.Context, int64) error {
		t.Error("ran a committed one-shot job again")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Jobs().Check(ctx, ta); !errors.Is(err, ErrStaleToken) {
		t.Fatalf("Check(stale) = %v", err)
	}
}

// TestJobExactlyOnceWhenHolderKilled: the holder dies in the middle of a
// run; another node takes the job over after the lease TTL, and the job's
// effect is committed exactly once.
func TestJobExactlyOnceWhenHolderKilled(t *testing.T) {
	e := startEtcd(t)
	ctx := t.Context()
	a, _ := newPlane(t, e.Endpoint, "a", false)
	b, regB := newPlane(t, e.Endpoint, "b", false)
	var calls atomic.Int32
	job := func(p *Plane) JobFunc {
		return func(ctx context.Context, token int64) error {
			calls.Add(1)
			resp, err := p.cli.Get(ctx, "/test/counter")
			if err != nil {
				return err
			}
			n := 0
			if len(resp.Kvs) == 1 {
				fmt.Sscan(string(resp.Kvs[0].Value), &n)
			}
			if p == a {
				<-ctx.Done() // a is killed mid-run
				return ctx.Err()
			}
			return p.Jobs().Commit(ctx, token, clientv3.OpPut("/test/counter", fmt.Sprint(n+1)))
		}
	}
	aIn := make(chan struct{})
	go a.Jobs().Run(ctx, "migrate", func(ctx context.Context, token int64) error {
		close(aIn)
		return job(a)(ctx, token)
	})
	<-aIn
	bDone := make(chan error, 1)
	go func() { bDone <- b.Jobs().Run(ctx, "migrate", job(b)) }()
	kill(a)
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	if err := b.Jobs().Run(ctx, "migrate", job(b)); err != nil {
		t.Fatal(err)
	}
	resp, err := b.cli.Get(ctx, "/test/counter")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "1" {
		t.Fatalf("counter %v %v, want 1", resp, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("job called %d times, want 2 (a killed, b completing)", calls.Load())
	}
	if got := testutil.ToFloat64(b.runs.WithLabelValues("migrate", "committed")); got != 1 {
		t.Fatalf("b committed %v runs", got)
	}
	_ = regB
}

// TestPeriodicJobOnLeader: the leader runs its periodic job; the counter in
// etcd and the metric agree.
func TestPeriodicJobOnLeader(t *testing.T) {
	e := startEtcd(t)
	var n atomic.Int32
	var jobs atomic.Pointer[Jobs]
	p, _ := newPlane(t, e.Endpoint, "a", true, JobSpec{Name: "tick", Every: 100 * time.Millisecond, Run: func(ctx context.Context, token int64) error {
		n.Add(1)
		return jobs.Load().Check(ctx, token)
	}})
	jobs.Store(p.Jobs())
	waitFor(t, "three runs", func() bool { return n.Load() >= 3 })
	p.Close()
	obs, _ := newPlane(t, e.Endpoint, "obs", false)
	st, _, err := obs.Jobs().State(t.Context(), "tick")
	// The last call may have been cut short by Close before its commit.
	if err != nil || st.Runs < 2 || st.Runs > int64(n.Load()) || st.Runs < int64(n.Load())-1 || st.Holder != "a" {
		t.Fatalf("state %+v %v, want %d runs by a (or one less)", st, err, n.Load())
	}
	// A commit cut short by Close may be applied without its answer.
	if got := testutil.ToFloat64(p.runs.WithLabelValues("tick", "committed")); got != float64(st.Runs) && got != float64(st.Runs-1) {
		t.Fatalf("metric %v, want %d (or one less)", got, st.Runs)
	}
	if js := obs.Status(t.Context()).Jobs; len(js) != 1 || js[0].Name != "tick" || js[0].Runs != st.Runs {
		t.Fatalf("status jobs %+v", js)
	}
}

func TestSchemaLockSerializes(t *testing.T) {
	e := startEtcd(t)
	a, _ := newPlane(t, e.Endpoint, "a", false)
	b, _ := newPlane(t, e.Endpoint, "b", false)
	unlock, err := a.LockSchema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := b.LockSchema(t.Context())
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("b took the schema lock while a holds it: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// Held for longer than the timeout: the waiter gives up with
	// ErrUnavailable.
	unlock, err = a.LockSchema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := b.LockSchema(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("lock while held past the timeout: %v, want ErrUnavailable", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{NodeID: "a"},
		{Endpoints: []string{"x"}},
		{Endpoints: []string{"x"}, NodeID: "a/b"},
		{Endpoints: []string{"x"}, NodeID: "a", LeaseTTL: 1500 * time.Millisecond},
	} {
		if err := c.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", c, err)
		}
	}
	if err := checkJobName("Bad Name"); !errors.Is(err, ErrInvalid) {
		t.Errorf("job name: %v", err)
	}
}

// TestSchemaLockDropsLeftWaiter: a Lock request that timed out on the
// client may still be applied by etcd and leave the node's waiter key
// under the lock prefix; while it stands every other node's DDL waits.
// dropWaiter (run after a failed LockSchema) deletes exactly that key.
func TestSchemaLockDropsLeftWaiter(t *testing.T) {
	e := startEtcd(t)
	b, _ := newPlane(t, e.Endpoint, "b", false)
	c, _ := newPlane(t, e.Endpoint, "c", false)
	sess, err := b.session(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// What a lost, later applied, tryAcquire of b leaves behind.
	left := fmt.Sprintf("%s/%x", b.key("locks", "schema"), sess.Lease())
	if _, err := b.cli.Put(t.Context(), left, "", clientv3.WithLease(sess.Lease())); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LockSchema(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("c locked past b's left waiter key: %v", err)
	}
	b.schemaSem <- struct{}{} // as LockSchema holds it when it fails
	b.dropWaiter(sess, func() { <-b.schemaSem })
	unlock, err := c.LockSchema(t.Context())
	if err != nil {
		t.Fatalf("after dropWaiter: %v", err)
	}
	unlock()
}
