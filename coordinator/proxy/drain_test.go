package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"openwit/internal/testserver"
)

// gaugeValue reads a gauge.
func gaugeValue(tb testing.TB, g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

// dynamic is a Backends whose list the test changes, as gossip would.
type dynamic struct {
	mu sync.Mutex
	gs []Gateway
}

func (d *dynamic) Gateways() []Gateway {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Gateway(nil), d.gs...)
}

func (d *dynamic) set(gs ...Gateway) {
	d.mu.Lock()
	d.gs = gs
	d.mu.Unlock()
}

var _ Backends = (*dynamic)(nil)

// eventually polls cond; the bound only keeps a broken proxy from hanging
// the test.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatalf("%s: not after 30s", what)
}

// TestDrainReweightShutdown runs the proxy in process over two real
// gateways (openwit processes) with a Backends list that changes: a
// removed gateway keeps its sessions and gets no new ones, new weights
// apply to new connections, and Shutdown ends sessions with FATAL 57P01.
func TestDrainReweightShutdown(t *testing.T) {
	t.Parallel()
	limits := []string{"1GB", "2GB"}
	var gws []Gateway
	for i, l := range limits {
		s := testserver.Start(t, testserver.Options{Args: []string{"--query-memory-limit", l}})
		gws = append(gws, Gateway{Name: fmt.Sprintf("g%d", i), PGAddr: fmt.Sprintf("127.0.0.1:%d", s.PGPort), Weight: 1})
	}
	d := &dynamic{}
	d.set(gws...)
	reg := prometheus.NewRegistry()
	cfg := DefaultConfig()
	cfg.Backends, cfg.Registerer, cfg.CheckInterval = d, reg, 20*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Start(t.Context())
	served := make(chan error, 1)
	go func() { served <- p.ServePG(ln) }()
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	dsn := "postgres://openwit@" + ln.Addr().String() + "/openwit?sslmode=disable"
	ctx := t.Context()
	which := func(c *pgx.Conn) int {
		t.Helper()
		var v string
		if err := c.QueryRow(ctx, "SHOW openwit.query_memory_limit").Scan(&v); err != nil {
			t.Fatal(err)
		}
		for i, l := range limits {
			if v == l {
				return i
			}
		}
		t.Fatalf("SHOW = %q", v)
		return -1
	}
	open := func() (*pgx.Conn, int) {
		t.Helper()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		return c, which(c)
	}
	count := func(n int) []int {
		t.Helper()
		out := make([]int, len(limits))
		for i := 0; i < n; i++ {
			c, g := open()
			out[g]++
			c.Close(ctx)
		}
		return out
	}

	// A session on g0, then g0 leaves the list.
	var s0 *pgx.Conn
	for i := 0; i < 4 && s0 == nil; i++ {
		if c, g := open(); g == 0 {
			s0 = c
		} else {
			defer c.Close(ctx)
		}
	}
	if s0 == nil {
		t.Fatal("no session on g0 in 4 connections with equal weights")
	}
	d.set(gws[1])
	eventually(t, "g0 removed", func() bool {
		p.pool.mu.Lock()
		defer p.pool.mu.Unlock()
		return p.pool.byName["g0"] == nil
	})
	if got := count(10); got[0] != 0 {
		t.Errorf("connections after g0 left: %v, want none on g0", got)
	}
	// The draining session goes on.
	if g := which(s0); g != 0 {
		t.Fatalf("the draining session answers from g%d", g)
	}
	var n int
	if err := s0.QueryRow(ctx, "SELECT 6 * 7").Scan(&n); err != nil || n != 42 {
		t.Fatalf("draining session: %d, %v", n, err)
	}
	if v := gaugeValue(t, p.met.conns.WithLabelValues("g0", "pg")); v != 1 {
		t.Errorf("open connections to the draining g0: %v, want 1", v)
	}
	s0.Close(ctx)
	eventually(t, "the draining session closed", func() bool {
		return gaugeValue(t, p.met.conns.WithLabelValues("g0", "pg")) == 0
	})

	// g0 comes back with weight 1, g1 gets 3.
	heavy := gws[1]
	heavy.Weight = 3
	d.set(gws[0], heavy)
	eventually(t, "g0 back", func() bool {
		p.pool.mu.Lock()
		defer p.pool.mu.Unlock()
		b := p.pool.byName["g0"]
		return b != nil && b.up && p.pool.byName["g1"].gw.Weight == 3
	})
	if got := count(40); got[0] < 8 || got[0] > 12 {
		t.Errorf("40 connections with weights 1:3: %v", got)
	}

	// With no gateway listed a new client gets FATAL 57P03; an open
	// session is not touched.
	last, _ := open()
	d.set()
	eventually(t, "every gateway removed", func() bool {
		p.pool.mu.Lock()
		defer p.pool.mu.Unlock()
		return len(p.pool.byName) == 0
	})
	_, err = pgx.Connect(ctx, dsn)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57P03" || pe.Severity != "FATAL" {
		t.Errorf("connection with no gateway: %v, want FATAL 57P03", err)
	}

	// Shutdown ends an idle session with FATAL 57P01.
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	_, err = last.Exec(ctx, "SELECT 1")
	if !errors.As(err, &pe) || pe.Code != "57P01" {
		t.Errorf("session after the proxy's shutdown: %v, want FATAL 57P01", err)
	}
	if err := <-served; err != nil {
		t.Errorf("ServePG: %v", err)
	}
	if _, err := pgx.Connect(ctx, dsn); err == nil {
		t.Error("the proxy accepts connections after Shutdown")
	}
}
