package membership

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// start runs a member on a free loopback port, joined to seeds.
func start(t *testing.T, id string, load *atomic.Int64, seeds ...string) *Membership {
	t.Helper()
	m, err := New(Config{
		Self: Info{ID: id, Version: "test", Roles: []string{"search"}, SearchAddr: "127.0.0.1:" + strings.TrimPrefix(id, "n"),
			HTTPAddr: "127.0.0.1:80", Weight: 1},
		BindAddr: "127.0.0.1:0",
		Join:     seeds,
		Refresh:  50 * time.Millisecond,
		Load:     func() Load { return Load{Queries: int(load.Load()), CPUs: 2} },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(t.Context()) })
	return m
}

// waitView polls m's view until cond holds; the bound only stops a
// broken cluster from hanging the test.
func waitView(t *testing.T, m *Membership, what string, cond func(map[string]Member) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var view map[string]Member
	for time.Now().Before(deadline) {
		view = map[string]Member{}
		for _, mb := range m.Members() {
			view[mb.ID] = mb
		}
		if cond(view) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: never %s; view %+v", m.cfg.Self.ID, what, view)
}

func healthOf(id string, h Health) func(map[string]Member) bool {
	return func(v map[string]Member) bool { return v[id].Health == h }
}

func TestMembership(t *testing.T) {
	var loads [4]atomic.Int64
	a := start(t, "n9001", &loads[0])
	b := start(t, "n9002", &loads[1], a.Addr())
	c := start(t, "n9003", &loads[2], b.Addr())
	d := start(t, "n9004", &loads[3], a.Addr(), c.Addr())
	all := []*Membership{a, b, c, d}

	t.Run("join", func(t *testing.T) {
		for _, m := range all {
			waitView(t, m, "sees four alive members", func(v map[string]Member) bool {
				if len(v) != 4 {
					return false
				}
				for _, o := range all {
					mb := v[o.cfg.Self.ID]
					if mb.Health != Alive || mb.GossipAddr != o.Addr() || !mb.HasRole("search") ||
						mb.SearchAddr != o.cfg.Self.SearchAddr || mb.Version != "test" || mb.Self != (o == m) {
						return false
					}
				}
				return true
			})
		}
	})

	t.Run("meta updates", func(t *testing.T) {
		loads[2].Store(7)
		for _, m := range all {
			waitView(t, m, "sees n9003 run 7 queries", func(v map[string]Member) bool {
				return v["n9003"].Load.Queries == 7 && v["n9003"].Load.CPUs == 2
			})
		}
	})

	t.Run("leave", func(t *testing.T) {
		if err := d.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, m := range all[:3] {
			waitView(t, m, "sees n9004 left", healthOf("n9004", Left))
		}
	})

	t.Run("failure detection", func(t *testing.T) {
		// Stop c without leaving: to the others it stops answering probes.
		close(c.stop)
		c.done.Wait()
		if err := c.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		for _, m := range all[:2] {
			waitView(t, m, "sees n9003 dead", healthOf("n9003", Dead))
		}
		// The dead member keeps its last meta in the view.
		if v := a.Members(); len(v) != 4 || v[2].ID != "n9003" || v[2].SearchAddr != "127.0.0.1:9003" {
			t.Fatalf("view after the failure: %+v", v)
		}
	})

	t.Run("rejoin", func(t *testing.T) {
		c2 := start(t, "n9003", &loads[2], a.Addr())
		for _, m := range []*Membership{a, b, c2} {
			waitView(t, m, "sees n9003 alive again", healthOf("n9003", Alive))
		}
	})
}

func TestMetaLimit(t *testing.T) {
	_, err := New(Config{Self: Info{ID: strings.Repeat("x", 600)}, BindAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "512") {
		t.Fatalf("a 600-byte id: err %v, want the meta size limit", err)
	}
	if _, err := New(Config{BindAddr: "127.0.0.1:0"}); err == nil {
		t.Fatal("no node id: no error")
	}
	// A full-size meta of a node with every address fits.
	i := Info{ID: strings.Repeat("n", 64), Version: "v0.0.0-20261126-0123456789ab", Roles: []string{"gateway", "coordinator", "ingest", "storage", "search", "cache", "indexer"},
		Weight: 1.5, Load: Load{Queries: 1 << 20, CPUs: 256, CPU: 255.9, FreeMem: 1 << 50, BufferFill: 0.99, CacheHitRatio: 0.999,
			Conns: 1 << 20, IngestRate: 12345678.9, WALBytes: 1 << 40, UploadLag: 99999.9, FlushAge: 86400, IndexQueue: 1 << 20, Latency: 999.999}}
	for _, p := range []*string{&i.PGAddr, &i.FlightAddr, &i.HTTPAddr, &i.SearchAddr, &i.StorageAddr, &i.CacheAddr} {
		*p = fmt.Sprintf("search-worker-%s.openwit.svc:65535", strings.Repeat("9", 14))
	}
	b, err := encode(i)
	if err != nil {
		t.Fatalf("a full node meta (%d bytes): %v", len(b), err)
	}
	// Over the limit in full, the addresses were shortened; decoding
	// gives them back.
	back, err := decode(b)
	if err != nil || back.StorageAddr != i.StorageAddr || back.PGAddr != i.PGAddr || back.SearchAddr != i.SearchAddr {
		t.Fatalf("decode: %+v, %v; want the addresses of %+v", back, err, i)
	}
}

// TestCacheHint computes the cache role's hint from the alive cache
// nodes' gossiped hit ratios.
func TestCacheHint(t *testing.T) {
	node := func(id string, ratio float64, h Health, roles ...string) Member {
		return Member{Info: Info{ID: id, Roles: roles, Load: Load{CacheHitRatio: ratio}}, Health: h}
	}
	find := func(st Status) *Hint {
		for i := range st.Hints {
			if st.Hints[i].Role == "cache" {
				return &st.Hints[i]
			}
		}
		return nil
	}
	if h := find(NewStatus("a", true, []Member{node("a", 0, Alive, "search")})); h != nil {
		t.Fatalf("a cache hint without cache nodes: %+v", h)
	}
	st := NewStatus("a", true, []Member{node("c1", 0.9, Alive, "cache"), node("c2", 0.7, Alive, "cache"), node("c3", 0, Dead, "cache")})
	if h := find(st); h == nil || h.Value < 0.79 || h.Value > 0.81 || h.Advice != "ok" || h.Signal != "cache hit ratio" {
		t.Fatalf("hint %+v, want ratio 0.8 ok", h)
	}
	st = NewStatus("a", true, []Member{node("c1", 0.2, Alive, "cache")})
	if h := find(st); h == nil || h.Advice != "scale out" {
		t.Fatalf("hint %+v, want scale out", h)
	}
	var b strings.Builder
	if err := st.WriteTable(&b); err != nil || !strings.Contains(b.String(), "cache hit ratio") {
		t.Fatalf("table %v:\n%s", err, b.String())
	}
}

// TestRoleHints computes each role's hint from the alive nodes' gossiped
// load: CPU per core for gateways and ingest nodes, upload lag in flush
// ages for storage, queue depth per indexer.
func TestRoleHints(t *testing.T) {
	node := func(id string, h Health, l Load, roles ...string) Member {
		return Member{Info: Info{ID: id, Roles: roles, Load: l}, Health: h}
	}
	hint := func(st Status, role string) Hint {
		for _, h := range st.Hints {
			if h.Role == role {
				return h
			}
		}
		t.Fatalf("no %s hint in %+v", role, st.Hints)
		return Hint{}
	}
	busy := Load{CPUs: 2, CPU: 1.9, Conns: 40, Latency: 0.25}
	idle := Load{CPUs: 2, CPU: 0.1, Conns: 2}
	st := NewStatus("g1", true, []Member{
		node("g1", Alive, busy, "gateway", "coordinator"),
		node("g2", Alive, busy, "gateway", "coordinator"),
		node("g3", Dead, idle, "gateway"), // dead nodes do not count
		node("i1", Alive, Load{CPUs: 4, CPU: 0.2, IngestRate: 1500, WALBytes: 64 << 20, UploadLag: 95, FlushAge: 30}, "ingest"),
		node("i2", Alive, Load{CPUs: 4, CPU: 0.1, IngestRate: 500, UploadLag: 3, FlushAge: 30}, "ingest"),
		node("x1", Alive, Load{CPUs: 1, IndexQueue: 450}, "indexer"),
		node("x2", Alive, Load{CPUs: 1, IndexQueue: 440}, "indexer"),
	})
	if h := hint(st, "gateway"); h.Advice != "scale out" || h.Value < 0.94 || h.Value > 0.96 || !strings.Contains(h.Detail, "80 client connections") || !strings.Contains(h.Detail, "250ms") {
		t.Errorf("gateway hint %+v, want scale out at 0.95 with 80 connections and 250ms", h)
	}
	if h := hint(st, "ingest"); h.Advice != "scale in" || !strings.Contains(h.Detail, "2000 rows/s") || !strings.Contains(h.Detail, "64MiB") {
		t.Errorf("ingest hint %+v, want scale in with 2000 rows/s and 64MiB of WAL", h)
	}
	if h := hint(st, "storage"); h.Advice != "scale out" || h.Value < 3.16 || h.Value > 3.17 || !strings.Contains(h.Detail, "i1") {
		t.Errorf("storage hint %+v, want scale out at 95/30 on i1", h)
	}
	if h := hint(st, "indexer"); h.Advice != "scale out" || h.Value != 225 || !strings.Contains(h.Detail, "450 files waiting") {
		t.Errorf("indexer hint %+v, want scale out at 450/2", h)
	}
	// A calm cluster.
	st = NewStatus("g1", true, []Member{
		node("g1", Alive, Load{CPUs: 2, CPU: 0.5}, "gateway"),
		node("i1", Alive, Load{CPUs: 2, CPU: 0.5, UploadLag: 20, FlushAge: 30}, "ingest"),
		node("x1", Alive, Load{IndexQueue: 3}, "indexer"),
	})
	for _, role := range []string{"gateway", "ingest", "storage", "indexer"} {
		if h := hint(st, role); h.Advice != "ok" {
			t.Errorf("%s hint %+v, want ok", role, h)
		}
	}
	for _, h := range st.Hints {
		if h.Role == "search" || h.Role == "coordinator" || h.Role == "cache" {
			t.Errorf("hint for %s without any such node: %+v", h.Role, h)
		}
	}
	var b strings.Builder
	if err := st.WriteTable(&b); err != nil || !strings.Contains(b.String(), "upload lag / flush age") || !strings.Contains(b.String(), "DETAIL") {
		t.Fatalf("table %v:\n%s", err, b.String())
	}
}
