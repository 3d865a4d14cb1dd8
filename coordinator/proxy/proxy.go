package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Proxy.
type Config struct {
	// Backends provides the gateways (required).
	Backends Backends
	// TLS, when set, terminates TLS at the proxy for PostgreSQL clients
	// that send SSLRequest; without it SSLRequest is answered 'N'.
	TLS *tls.Config
	// TLSRequired refuses PostgreSQL clients that do not negotiate TLS
	// (FATAL 28000).
	TLSRequired bool
	// GatewayTLS, when set, makes every PostgreSQL connection to a
	// gateway (sessions and cancel requests) negotiate TLS (SSLRequest,
	// then a handshake verified with this configuration; the server name
	// defaults to the gateway's host). Nil: plain TCP.
	GatewayTLS *tls.Config
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// CheckInterval is the period of the active health checks (default
	// 1s); CheckTimeout bounds one check (default 2s).
	CheckInterval, CheckTimeout time.Duration
	// Fall failed checks in a row take a gateway down (default 2); Rise
	// good ones bring it back (default 2). A refused connection attempt
	// takes it down at once.
	Fall, Rise int
	// DialTimeout bounds connecting to a gateway (default 5s).
	DialTimeout time.Duration
	// StartupTimeout bounds a PostgreSQL client's startup phase up to the
	// StartupMessage (default 60s, PostgreSQL's authentication_timeout).
	StartupTimeout time.Duration
	// MaxMessageSize is the largest gateway→client PostgreSQL message the
	// proxy holds whole before forwarding it (default 64 MiB); larger
	// ones are streamed through and lose the clean-error guarantee.
	MaxMessageSize int
}

// DefaultConfig returns the defaults of the optional settings.
func DefaultConfig() Config {
	return Config{CheckInterval: time.Second, CheckTimeout: 2 * time.Second, Fall: 2, Rise: 2,
		DialTimeout: 5 * time.Second, StartupTimeout: 60 * time.Second, MaxMessageSize: 64 << 20}
}

// Validate checks cfg and fills the defaults of unset fields.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if c.Backends == nil {
		return errors.New("proxy: no Backends")
	}
	if c.TLSRequired && c.TLS == nil {
		return errors.New("proxy: TLSRequired needs TLS")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&c.CheckInterval, d.CheckInterval)
	setDefault(&c.CheckTimeout, d.CheckTimeout)
	setDefault(&c.DialTimeout, d.DialTimeout)
	setDefault(&c.StartupTimeout, d.StartupTimeout)
	setDefault(&c.Fall, d.Fall)
	setDefault(&c.Rise, d.Rise)
	setDefault(&c.MaxMessageSize, d.MaxMessageSize)
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Proxy routes PostgreSQL wire and Flight SQL clients to gateways. It is
// safe for concurrent use.
type Proxy struct {
	cfg  Config
	log  *slog.Logger
	met  *metrics
	pool *pool
	keys *cancelKeys

	closing atomic.Bool
	stop    chan struct{}
	checks  sync.WaitGroup

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{} // client and gateway sides
	active    sync.WaitGroup        // connection goroutines
}

// New validates cfg and registers the metrics.
func New(cfg Config) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TLS != nil && len(cfg.TLS.NextProtos) == 0 {
		cfg.TLS = cfg.TLS.Clone()
		cfg.TLS.NextProtos = []string{alpnProtocol} // for direct TLS
	}
	met, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("register proxy metrics: %w", err)
	}
	return &Proxy{
		cfg: cfg, log: cfg.Logger, met: met,
		pool:      newPool(cfg.Logger, met, cfg.Rise, cfg.Fall),
		keys:      newCancelKeys(),
		stop:      make(chan struct{}),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[net.Conn]struct{}),
	}, nil
}

// Start runs one round of health checks, so the gateways that answer take
// connections from the first client on, then keeps checking every
// CheckInterval until Shutdown.
func (p *Proxy) Start(ctx context.Context) {
	p.checkAll(ctx)
	p.checks.Add(1)
	go func() {
		defer p.checks.Done()
		t := time.NewTicker(p.cfg.CheckInterval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.checkAll(context.Background())
			}
		}
	}()
}

// ServePG accepts PostgreSQL wire clients on l until Shutdown or until l
// is closed; it closes l.
func (p *Proxy) ServePG(l net.Listener) error { return p.serve(l, "pg", p.servePG) }

// ServeFlight accepts Flight SQL (HTTP/2, TLS or not) clients on l and
// relays each connection to one gateway until Shutdown or until l is
// closed; it closes l.
func (p *Proxy) ServeFlight(l net.Listener) error { return p.serve(l, "flight", p.serveFlight) }

func (p *Proxy) serve(l net.Listener, what string, handle func(net.Conn)) error {
	p.mu.Lock()
	if p.closing.Load() {
		p.mu.Unlock()
		return l.Close()
	}
	p.listeners[l] = struct{}{}
	p.mu.Unlock()
	defer l.Close()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if p.closing.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				p.log.Warn("proxy accept failed; retrying", "listener", what, "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("accept %s connection: %w", what, err)
		}
		delay = 0
		if !p.track(nc) {
			nc.Close()
			continue
		}
		p.active.Add(1)
		go func() {
			defer p.active.Done()
			defer p.untrack(nc)
			defer func() {
				if r := recover(); r != nil {
					p.log.Error("proxy connection panic", "listener", what, "panic", fmt.Sprint(r))
				}
			}()
			handle(nc)
		}()
	}
}

// track registers a connection for Shutdown; false once shutting down.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing.Load() {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// Shutdown stops accepting connections and the health checks, then closes
// every connection: PostgreSQL sessions get FATAL 57P01 at a message
// boundary. It returns when the connection goroutines have ended or ctx
// is done.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closing.Swap(true) {
		close(p.stop)
	}
	for l := range p.listeners {
		l.Close()
	}
	// Gateway sides first: a PostgreSQL relay then sees its gateway
	// connection end, and with closing set says so to the client.
	for c := range p.conns {
		if _, gw := c.(gatewayConn); gw {
			c.Close()
		}
	}
	p.mu.Unlock()
	p.checks.Wait()
	done := make(chan struct{})
	go func() { p.active.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		return ctx.Err()
	}
}

// gatewayConn marks the proxy's connection to a gateway in the tracked set.
type gatewayConn struct{ net.Conn }

// dial connects to a gateway for protocol proto, trying the picked
// gateways in turn; a gateway that refuses is marked down. It returns the
// gateway, its name, the address dialled (as configured, so TLS verifies
// the configured host) and the connection; nil when no gateway is up.
func (p *Proxy) dial(ctx context.Context, proto int) (*backend, string, string, net.Conn) {
	tried := make(map[*backend]bool)
	for {
		b, addr := p.pool.pick(proto, tried)
		if b == nil {
			return nil, "", "", nil
		}
		tried[b] = true
		d := net.Dialer{Timeout: p.cfg.DialTimeout}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil && proto == protoPG && p.cfg.GatewayTLS != nil {
			c, err = p.gatewayTLS(ctx, c, addr)
		}
		if err != nil {
			p.pool.markDown(b, err)
			continue
		}
		gc := gatewayConn{c}
		if !p.track(gc) {
			c.Close()
			return nil, "", "", nil
		}
		return b, p.pool.name(b), addr, gc
	}
}
