package pgwire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/pgerror"
)

// Transaction status bytes reported in ReadyForQuery.
const (
	txIdle   = 'I'
	txActive = 'T'
	txFailed = 'E'
)

// terminateGrace bounds writes once the server stops a connection: enough
// for the final FATAL, not enough for a client that stopped reading to hold
// the connection open.
const terminateGrace = time.Second

// conn is one client connection. Everything except the fields under mu is
// owned by the connection goroutine.
type conn struct {
	srv    *Server
	nc     net.Conn
	log    *slog.Logger
	ctx    context.Context // cancelled when the connection must stop
	cancel context.CancelFunc

	rd *pgproto3.Backend // frame decoder; its writer is unused
	w  writer

	pid    uint32
	secret [4]byte

	user     string
	params   map[string]string // startup parameters
	sess     Session
	enc      encoder
	reported map[string]string // ParameterStatus values last sent

	stmts   map[string]*prepared
	portals map[string]*portal
	tx      byte
	// implicit is set while a simple query's statements run as one
	// implicit transaction (Transactional sessions).
	implicit bool
	// skipping is set after an error in the extended protocol: messages
	// are discarded until Sync.
	skipping bool
	// idle is set when ReadyForQuery was the last thing sent and no message
	// has arrived since: the session can be terminated without losing work.
	idle bool
	// done ends the message loop (after a FATAL error or Terminate).
	done bool

	mu       sync.Mutex
	running  context.CancelFunc // cancels the executing statement; nil when none
	canceled bool               // running was cancelled by a CancelRequest
	// reading is set while the message loop waits for the client; woken
	// is set when a notification moved the read deadline to wake it.
	reading bool
	woken   bool

	notifier Notifier // nil when the session receives no notifications
}

func newConn(s *Server, ctx context.Context, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(ctx)
	c := &conn{
		srv:     s,
		nc:      nc,
		ctx:     ctx,
		cancel:  cancel,
		pid:     s.nextPID.Add(1),
		stmts:   make(map[string]*prepared),
		portals: make(map[string]*portal),
		tx:      txIdle,
	}
	c.log = s.log.With("pid", c.pid, "remote", nc.RemoteAddr().String())
	c.w.w = nc
	c.rd = pgproto3.NewBackend(nc, io.Discard)
	c.rd.SetMaxBodyLen(s.cfg.MaxMessageSize)
	c.enc.loc = time.UTC
	return c
}

// wake interrupts a blocked read so the connection notices Shutdown.
func (c *conn) wake() {
	_ = c.nc.SetReadDeadline(time.Now())
}

// kill stops the connection at once: the running statement's context is
// cancelled and the socket closed.
func (c *conn) kill() {
	c.cancel()
	_ = c.nc.Close()
}

// cancelRunning cancels the executing statement, if any.
func (c *conn) cancelRunning() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running != nil {
		c.canceled = true
		c.running()
	}
}

// startRunning records cancel as the way to stop the executing statement.
func (c *conn) startRunning(cancel context.CancelFunc) {
	c.mu.Lock()
	c.running = cancel
	c.canceled = false
	c.mu.Unlock()
}

// stopRunning clears the running statement and reports whether a
// CancelRequest hit it.
func (c *conn) stopRunning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	canceled := c.canceled
	c.running = nil
	c.canceled = false
	return canceled
}

// serve runs the connection until it ends. It never panics.
func (c *conn) serve() {
	defer c.close()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("pgwire connection panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			c.w.buf = c.w.buf[:0]
			c.w.send(errorResponse(fatal(pgerror.InternalError, "internal error: %v", r)))
			_ = c.w.flush()
		}
	}()
	// Server stop (ctx) unblocks reads at once and bounds writes, leaving
	// time for the final FATAL; the goroutine then sees c.ctx.Err() and
	// terminates the session.
	stop := context.AfterFunc(c.ctx, func() {
		_ = c.nc.SetReadDeadline(time.Now())
		_ = c.nc.SetWriteDeadline(time.Now().Add(terminateGrace))
	})
	defer stop()

	if !c.startup() {
		return
	}
	c.loop()
}

// close releases everything the connection holds.
func (c *conn) close() {
	for name := range c.portals {
		c.closePortal(name)
	}
	if c.sess != nil {
		sess := c.sess
		if err := protect(c.log, "Session.Close", sess.Close); err != nil {
			c.log.Warn("pgwire close session", "err", err)
		}
	}
	c.cancel()
	_ = c.nc.Close()
	c.srv.forget(c)
	c.log.Debug("pgwire connection closed")
}

// sendFatal sends a FATAL error and ends the message loop.
func (c *conn) sendFatal(err error) {
	c.w.send(errorResponse(err))
	_ = c.w.flush()
	c.done = true
}

// readyForQuery ends a request cycle. Outside a transaction block the
// session's queued notifications go first, as PostgreSQL sends them when
// a transaction ends.
func (c *conn) readyForQuery() {
	if c.tx == txIdle {
		c.sendNotifications()
	}
	c.w.send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
	if c.w.flush() == nil {
		c.idle = true
	}
}

// loop reads and dispatches messages until the connection ends.
func (c *conn) loop() {
	for !c.done && c.w.err == nil {
		// Read deadlines are how Shutdown and server stop interrupt a
		// blocked read; a deadline cleared concurrently is caught here.
		if c.ctx.Err() != nil || (c.idle && c.srv.shuttingDown.Load()) {
			c.sendFatal(errAdminShutdown())
			return
		}
		c.startReading()
		msg, err := c.rd.Receive()
		c.doneReading(err)
		if err != nil {
			if c.readFailed(err) {
				continue
			}
			return
		}
		c.idle = false
		c.dispatch(msg)
	}
	if c.w.err != nil && c.ctx.Err() == nil {
		c.log.Debug("pgwire connection write failed", "err", c.w.err)
	}
}

// readFailed handles a Receive error and reports whether reading may
// continue.
func (c *conn) readFailed(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		switch {
		case c.ctx.Err() != nil:
			c.sendFatal(errAdminShutdown())
			return false
		case c.takeWoken() && !c.srv.shuttingDown.Load():
			// A notification woke the read: send it if the session is
			// idle outside a block (else it waits for ReadyForQuery),
			// then read on.
			_ = c.nc.SetReadDeadline(time.Time{})
			if c.idle && c.tx == txIdle {
				c.sendNotifications()
				_ = c.w.flush()
			}
			return c.w.err == nil
		case c.srv.shuttingDown.Load():
			if c.idle {
				c.sendFatal(errAdminShutdown())
				return false
			}
			// In the middle of a pipeline: keep reading until it ends in
			// Sync; the idle check at the top of the loop then ends the
			// session.
			_ = c.nc.SetReadDeadline(time.Time{})
			return true
		}
		c.log.Debug("pgwire read deadline exceeded", "err", err)
		return false
	}
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	switch {
	case errors.As(err, &tooBig):
		c.sendFatal(fatal(pgerror.ProgramLimitExceeded,
			"message of %d bytes exceeds the limit of %d bytes", tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		// Client went away.
	default:
		c.sendFatal(fatal(pgerror.ProtocolViolation, "invalid frontend message: %v", err))
	}
	return false
}

// dispatch handles one frontend message.
func (c *conn) dispatch(msg pgproto3.FrontendMessage) {
	if c.skipping {
		switch msg.(type) {
		case *pgproto3.Sync:
		case *pgproto3.Terminate:
			c.done = true
			return
		default:
			return
		}
	}
	var err error
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.simpleQuery(m.String)
		return
	case *pgproto3.Parse:
		err = c.handleParse(m)
	case *pgproto3.Bind:
		err = c.handleBind(m)
	case *pgproto3.Describe:
		err = c.handleDescribe(m)
	case *pgproto3.Execute:
		err = c.handleExecute(m)
	case *pgproto3.Close:
		err = c.handleClose(m)
	case *pgproto3.Sync:
		c.handleSync()
		return
	case *pgproto3.Flush:
		_ = c.w.flush()
		return
	case *pgproto3.Terminate:
		c.done = true
		return
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// Ignored outside COPY, as PostgreSQL does: they can arrive
		// after a COPY that failed.
		return
	case *pgproto3.FunctionCall:
		c.w.send(errorResponse(pgerror.New(pgerror.FeatureNotSupported, "fastpath function calls are not supported")))
		c.readyForQuery()
		return
	default:
		name := strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
		c.sendFatal(fatal(pgerror.ProtocolViolation, "unexpected %s message after startup", name))
		return
	}
	if err != nil {
		c.extendedError(err)
	}
}
