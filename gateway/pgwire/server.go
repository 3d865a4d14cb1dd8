package pgwire

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves the PostgreSQL v3 wire protocol over one or more listeners.
// It is safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger
	met *metrics
	// cbind is the tls-server-end-point channel binding of Config.TLS's
	// certificate (nil: no SCRAM-SHA-256-PLUS).
	cbind []byte

	nextPID      atomic.Uint32
	shuttingDown atomic.Bool

	mu        sync.Mutex
	addr      net.Addr
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	keys      map[uint32]*conn // BackendKeyData process id → connection
	connGone  chan struct{}    // signalled (never blocking) when a conn leaves conns
}

// NewServer validates cfg, fills defaults and registers metrics.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	met, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		met:       met,
		cbind:     tlsChannelBinding(cfg.TLS),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		keys:      make(map[uint32]*conn),
		connGone:  make(chan struct{}, 1),
	}, nil
}

// ListenAndServe listens on Config.Addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen pgwire %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, l)
}

// Addr returns the address of the listener most recently passed to Serve,
// or nil before Serve is called.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Serve accepts connections on l and serves each on its own goroutine
// until ctx is done, l is closed or Shutdown is called. Serve closes l.
//
// When ctx is done every connection Serve accepted is terminated (running
// statements see their context cancelled, sessions get FATAL 57P01) and
// Serve returns nil once their goroutines have exited, which requires the
// Backend to honour context cancellation. After Shutdown, or when l is
// closed by someone else, Serve returns nil at once and the connections it
// accepted keep running under Shutdown's or ctx's control. Any other accept
// error is returned.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	if s.shuttingDown.Load() {
		s.mu.Unlock()
		_ = l.Close()
		return nil
	}
	s.listeners[l] = struct{}{}
	s.addr = l.Addr()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		_ = l.Close()
	}()

	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()

	var wg sync.WaitGroup
	var retErr error
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || s.shuttingDown.Load() || errors.Is(err, net.ErrClosed) {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("pgwire accept failed; retrying", "err", err, "delay", delay)
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-ctx.Done():
				}
				t.Stop()
				continue // a cancelled ctx has closed l; Accept fails and we stop
			}
			retErr = fmt.Errorf("accept pgwire connection: %w", err)
			break
		}
		delay = 0
		c := s.newConn(ctx, nc)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.serve()
		}()
	}
	if ctx.Err() != nil {
		// ctx cancellation reaches every connection through its context;
		// wait until they are gone.
		wg.Wait()
	}
	return retErr
}

// Shutdown stops accepting connections, terminates idle sessions with FATAL
// 57P01 (admin_shutdown), lets running statements finish and terminates
// their sessions once they are idle again. When ctx is done first, the
// remaining statements are cancelled, their connections closed, and
// ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shuttingDown.Store(true)
	for l := range s.listeners {
		_ = l.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	// The flag is set before the wake-up so a connection that misses the
	// deadline sees the flag at its next idle point.
	for _, c := range conns {
		c.wake()
	}
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-s.connGone:
		case <-ctx.Done():
			s.mu.Lock()
			for c := range s.conns {
				c.kill()
			}
			s.mu.Unlock()
			return ctx.Err()
		}
	}
}

// newConn builds a connection and tracks it.
func (s *Server) newConn(ctx context.Context, nc net.Conn) *conn {
	c := newConn(s, ctx, nc)
	// The startup deadline is set before the connection becomes visible to
	// Shutdown, whose wake-up must win.
	_ = nc.SetReadDeadline(time.Now().Add(startupTimeout))
	s.mu.Lock()
	s.conns[c] = struct{}{}
	closing := s.shuttingDown.Load()
	s.mu.Unlock()
	if closing {
		c.wake() // accepted while Shutdown was taking its snapshot
	}
	s.met.connections.Inc()
	return c
}

// forget removes c from the server's bookkeeping.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.keys[c.pid] == c {
		delete(s.keys, c.pid)
	}
	s.mu.Unlock()
	s.met.connections.Dec()
	select {
	case s.connGone <- struct{}{}:
	default:
	}
}

// registerKey makes c reachable by CancelRequest.
func (s *Server) registerKey(c *conn) {
	s.mu.Lock()
	s.keys[c.pid] = c
	s.mu.Unlock()
}

// cancel handles a CancelRequest: when pid and secret match a connection,
// its running statement is cancelled. Anything else is ignored, as in
// PostgreSQL, so that a client cannot probe for keys.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.keys[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(secret, c.secret[:]) != 1 {
		s.log.Debug("pgwire cancel request ignored", "pid", pid)
		return
	}
	c.cancelRunning()
}

// protect runs f and converts a panic into an internal error. It is used
// around every call into the Backend.
func protect(log *slog.Logger, what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("pgwire backend panic", "call", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = &panicError{what: what, value: r}
		}
	}()
	return f()
}

// panicError is a recovered backend panic.
type panicError struct {
	what  string
	value any
}

func (e *panicError) Error() string {
	return fmt.Sprintf("internal error: panic in %s: %v", e.what, e.value)
}
