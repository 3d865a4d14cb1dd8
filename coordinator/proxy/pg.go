package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/pgerror"
	"openwit/internal/pgstartup"
)

// Startup packet codes (internal/pgstartup).
const (
	sslRequestCode    = pgstartup.SSLRequest
	gssEncRequestCode = pgstartup.GSSEncRequest
	cancelRequestCode = pgstartup.CancelRequest
)

// SQLSTATEs the proxy sends itself.
const (
	codeProtocolViolation    = "08P01"
	codeConnectionFailure    = "08006"
	codeAdminShutdown        = "57P01"
	codeCannotConnectNow     = "57P03"
	codeInvalidAuthorization = "28000"
)

// alpnProtocol is PostgreSQL's ALPN protocol name, required for direct TLS.
const alpnProtocol = "postgresql"

// tlsHandshakeRecord is the first byte of a TLS ClientHello record.
const tlsHandshakeRecord = 0x16

// replayConn returns pending bytes before reading from Conn.
type replayConn struct {
	net.Conn
	pending []byte
}

func (r *replayConn) Read(b []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(b, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	return r.Conn.Read(b)
}

// fatalMessage encodes an ErrorResponse with severity FATAL.
func fatalMessage(code, msg, detail string) []byte {
	b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg, Detail: detail}).Encode(nil)
	return b
}

// servePG runs one PostgreSQL client connection: the startup phase at the
// proxy, then the session relayed to a gateway.
func (p *Proxy) servePG(nc net.Conn) {
	var client net.Conn = nc
	_ = nc.SetDeadline(time.Now().Add(p.cfg.StartupTimeout))
	secure, sslDone, gssDone := false, false, false
	refuse := func(reason, code, msg string) {
		p.met.refused.WithLabelValues("pg", reason).Inc()
		_, _ = client.Write(fatalMessage(code, msg, ""))
	}
	if p.cfg.TLS != nil {
		// Direct TLS (PostgreSQL 17's sslnegotiation=direct): a TLS
		// handshake record where a startup packet would start (no valid
		// one starts with 0x16). Anything else is replayed.
		var first [1]byte
		if _, err := io.ReadFull(nc, first[:]); err != nil {
			return
		}
		rc := &replayConn{Conn: nc, pending: first[:]}
		client = rc
		if first[0] == tlsHandshakeRecord {
			tc := tls.Server(rc, p.cfg.TLS)
			if err := tc.Handshake(); err != nil {
				p.met.refused.WithLabelValues("pg", "tls_handshake").Inc()
				p.log.Debug("proxy tls handshake failed", "err", err, "direct", true)
				return
			}
			client, secure, sslDone = tc, true, true
			if tc.ConnectionState().NegotiatedProtocol != alpnProtocol {
				refuse("startup", codeProtocolViolation, "received direct SSL connection request without ALPN protocol negotiation extension")
				return
			}
		}
	}
	for {
		body, err := pgstartup.ReadPacket(client)
		if err != nil {
			var pe *pgerror.Error
			if errors.As(err, &pe) {
				refuse("startup", pe.Code, pe.Message)
			}
			return
		}
		code := binary.BigEndian.Uint32(body)
		switch code {
		case sslRequestCode, gssEncRequestCode:
			// Each may come once, before the StartupMessage, and
			// nothing after TLS is up.
			if len(body) != 4 || secure || (code == sslRequestCode && sslDone) || (code == gssEncRequestCode && gssDone) {
				refuse("startup", codeProtocolViolation, "invalid encryption negotiation request")
				return
			}
			if code == sslRequestCode {
				sslDone = true
				if p.cfg.TLS != nil {
					if _, err := client.Write([]byte{'S'}); err != nil {
						return
					}
					tc := tls.Server(client, p.cfg.TLS)
					if err := tc.Handshake(); err != nil {
						p.met.refused.WithLabelValues("pg", "tls_handshake").Inc()
						p.log.Debug("proxy tls handshake failed", "err", err)
						return
					}
					client, secure = tc, true
					continue
				}
			} else {
				gssDone = true
			}
			if _, err := client.Write([]byte{'N'}); err != nil {
				return
			}
			continue
		case cancelRequestCode:
			if len(body) >= 12 && len(body) <= 4+4+256 {
				p.cancel(binary.BigEndian.Uint32(body[4:8]), body[8:])
			}
			return // no reply: the requester sees the connection close
		}
		if major := code >> 16; major != 3 {
			refuse("startup", codeProtocolViolation,
				fmt.Sprintf("unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, code&0xffff))
			return
		}
		if _, err := pgstartup.ParseParams(body[4:]); err != nil {
			pe := pgerror.As(err)
			refuse("startup", pe.Code, pe.Message)
			return
		}
		if p.cfg.TLSRequired && !secure {
			p.met.refused.WithLabelValues("pg", "no_tls").Inc()
			_, _ = client.Write(fatalMessage(codeInvalidAuthorization, "connection without encryption refused: this server requires TLS (sslmode=require)", ""))
			return
		}
		_ = nc.SetDeadline(time.Time{})
		p.relayPG(client, body)
		return
	}
}

// relayPG connects the client to a gateway, forwards its StartupMessage
// and relays the session: client→gateway bytes as they come, gateway→client
// by whole messages.
func (p *Proxy) relayPG(client net.Conn, startup []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.DialTimeout)
	b, name, addr, gw := p.dial(ctx, protoPG)
	cancel()
	if b == nil {
		p.met.refused.WithLabelValues("pg", "no_gateway").Inc()
		_, _ = client.Write(fatalMessage(codeCannotConnectNow, "no gateway is available", "Every gateway behind the proxy is down or draining."))
		return
	}
	defer p.untrack(gw)
	p.met.total.WithLabelValues(name, "pg").Inc()
	conns := p.met.conns.WithLabelValues(name, "pg")
	conns.Inc()
	defer conns.Dec()

	pkt := make([]byte, 4+len(startup))
	binary.BigEndian.PutUint32(pkt, uint32(len(pkt)))
	copy(pkt[4:], startup)
	if _, err := gw.Write(pkt); err != nil {
		p.pool.markDown(b, err)
		_, _ = client.Write(fatalMessage(codeConnectionFailure, "connection to the gateway failed", "Gateway "+name+": "+err.Error()))
		return
	}
	s := &pgSession{p: p, name: name, addr: addr, gw: gw, client: client}
	defer s.forgetKey()

	var clientGone atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.relayClient()
		clientGone.Store(true)
		gw.Close()
	})
	err := s.relayGateway()
	var werr *clientWriteError
	switch {
	case err == nil, clientGone.Load(), s.terminated.Load(), errors.As(err, &werr):
	case s.lastFatal:
		// The gateway said why it ended the session (FATAL); nothing to add.
	case errors.Is(err, errTruncated):
		p.log.Warn("proxy lost a gateway in the middle of a large message; closing the client connection", "gateway", name)
	case p.closing.Load():
		_, _ = client.Write(fatalMessage(codeAdminShutdown, "terminating connection because the proxy is shutting down", ""))
	default:
		p.met.lost.WithLabelValues(name).Inc()
		p.log.Info("proxy lost a gateway connection", "gateway", name, "err", err)
		_, _ = client.Write(fatalMessage(codeConnectionFailure, "terminating connection because the connection to the gateway was lost",
			"Gateway "+name+": "+err.Error()))
	}
	client.Close()
	gw.Close()
	wg.Wait()
}

// pgSession is one relayed PostgreSQL session.
type pgSession struct {
	p      *Proxy
	name   string
	addr   string // the gateway's PostgreSQL address, as configured
	gw     net.Conn
	client net.Conn
	// lastFatal: the last message relayed was an ErrorResponse with
	// severity FATAL or PANIC.
	lastFatal bool
	key       *cancelKey
	pid       uint32
	// terminated: the client sent Terminate; the gateway closing the
	// connection next is the normal end.
	terminated atomic.Bool
}

// relayClient copies client messages to the gateway as they come,
// tracking message boundaries to notice Terminate. It flushes whenever
// the next read might block.
func (s *pgSession) relayClient() error {
	br := bufio.NewReaderSize(s.client, 64<<10)
	bw := bufio.NewWriterSize(s.gw, 64<<10)
	for {
		if br.Buffered() < 5 && bw.Buffered() > 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		hdr, err := br.Peek(5)
		if err != nil {
			_ = bw.Flush()
			return err
		}
		n := int64(int32(binary.BigEndian.Uint32(hdr[1:5])))
		if n < 4 {
			// Not PostgreSQL framing: pass it on for the gateway to
			// refuse, then stop.
			_, _ = bw.Write(hdr)
			_ = bw.Flush()
			return fmt.Errorf("client sent an invalid message length %d", n)
		}
		if hdr[0] == 'X' {
			s.terminated.Store(true)
		}
		if int64(br.Buffered()) < 1+n && bw.Buffered() > 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		if _, err := io.CopyN(bw, br, 1+n); err != nil {
			_ = bw.Flush()
			return err
		}
	}
}

// clientWriteError is a failed write to the client.
type clientWriteError struct{ err error }

func (e *clientWriteError) Error() string { return "write to client: " + e.err.Error() }
func (e *clientWriteError) Unwrap() error { return e.err }

// errTruncated means the gateway connection ended inside a message the
// proxy was streaming (larger than MaxMessageSize).
var errTruncated = errors.New("gateway connection ended inside a streamed message")

// relayGateway copies gateway messages to the client, each only once it
// has arrived whole, so the client never sees a truncated frame. It
// flushes whenever the next read might block. BackendKeyData is replaced
// by the proxy's own key, and a notification the session sent itself
// carries the proxy's process id (what the client compares it with). It
// returns the error that ended the gateway side (io.EOF when the gateway closed), or a *clientWriteError.
func (s *pgSession) relayGateway() error {
	br := bufio.NewReaderSize(s.gw, 64<<10)
	cw := bufio.NewWriterSize(s.client, 64<<10)
	flush := func() error {
		if cw.Buffered() == 0 {
			return nil
		}
		if err := cw.Flush(); err != nil {
			return &clientWriteError{err}
		}
		return nil
	}
	var msg []byte
	for {
		if br.Buffered() < 5 {
			if err := flush(); err != nil {
				return err
			}
		}
		hdr, err := br.Peek(5)
		if err != nil {
			if len(hdr) > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		typ, n := hdr[0], int(int32(binary.BigEndian.Uint32(hdr[1:5])))
		if n < 4 {
			return fmt.Errorf("gateway sent an invalid message length %d", n)
		}
		if n-4 > s.p.cfg.MaxMessageSize {
			// Too large to hold: stream it (the clean-error guarantee
			// does not cover it).
			if err := flush(); err != nil {
				return err
			}
			written, err := io.CopyN(cw, br, int64(1+n))
			if err != nil {
				if written > 0 {
					return errTruncated
				}
				return err
			}
			s.lastFatal = false
			continue
		}
		if br.Buffered() < 1+n {
			if err := flush(); err != nil {
				return err
			}
		}
		if cap(msg) < 1+n {
			msg = make([]byte, 1+n)
		}
		msg = msg[:1+n]
		if _, err := io.ReadFull(br, msg); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		switch typ {
		case 'K':
			msg = s.rewriteKey(msg)
		case 'A':
			s.rewriteNotifyPID(msg)
		case 'E':
			s.lastFatal = isFatal(msg[5:])
		default:
			s.lastFatal = false
		}
		if _, err := cw.Write(msg); err != nil {
			return &clientWriteError{err}
		}
		if cap(msg) > 1<<20 {
			msg = nil // do not keep a large buffer for the session's life
		}
	}
}

// rewriteKey registers the gateway's BackendKeyData and returns the
// message with the proxy's key for the client.
func (s *pgSession) rewriteKey(msg []byte) []byte {
	body := msg[5:]
	if len(body) < 8 || len(body) > 4+256 || s.key != nil {
		return msg // not a key we understand: pass it on
	}
	e := &cancelKey{gateway: s.name, addr: s.addr, pid: binary.BigEndian.Uint32(body[:4]),
		gSecret: append([]byte(nil), body[4:]...)}
	pid, ok := s.p.keys.add(e)
	if !ok {
		s.p.log.Warn("proxy cancel key map is full; this session cannot be cancelled", "gateway", s.name)
		return msg
	}
	s.key, s.pid = e, pid
	out, _ := (&pgproto3.BackendKeyData{ProcessID: pid, SecretKey: e.secret}).Encode(nil)
	return out
}

// rewriteNotifyPID replaces, in place, the sender's process id of a
// NotificationResponse that this session's own gateway connection sent
// with the process id the proxy handed the client, so a client that
// skips its own notifications (sender pid == its BackendKeyData pid)
// still recognises them. Other senders' ids pass unchanged.
func (s *pgSession) rewriteNotifyPID(msg []byte) {
	if s.key == nil || len(msg) < 9 {
		return
	}
	if binary.BigEndian.Uint32(msg[5:9]) == s.key.pid {
		binary.BigEndian.PutUint32(msg[5:9], s.pid)
	}
}

func (s *pgSession) forgetKey() {
	if s.key != nil {
		s.p.keys.remove(s.pid, s.key)
	}
}

// isFatal reports whether an ErrorResponse body has severity FATAL or
// PANIC.
func isFatal(body []byte) bool {
	for len(body) > 1 {
		f := body[0]
		i := bytes.IndexByte(body[1:], 0)
		if i < 0 {
			return false
		}
		v := string(body[1 : 1+i])
		if f == 'V' || f == 'S' {
			return v == "FATAL" || v == "PANIC"
		}
		body = body[2+i:]
	}
	return false
}

// cancel forwards a CancelRequest to the gateway of the session that
// owns the key, with the gateway's own key. Unknown keys are ignored, as
// PostgreSQL does, so a client cannot probe for them.
func (p *Proxy) cancel(pid uint32, secret []byte) {
	e := p.keys.lookup(pid, secret)
	if e == nil {
		p.met.cancels.WithLabelValues("unknown").Inc()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.DialTimeout)
	defer cancel()
	err := p.sendCancel(ctx, e)
	if err != nil {
		p.met.cancels.WithLabelValues("failed").Inc()
		p.log.Info("proxy could not forward a cancel request", "gateway", e.gateway, "err", err)
		return
	}
	p.met.cancels.WithLabelValues("forwarded").Inc()
}

func (p *Proxy) sendCancel(ctx context.Context, e *cancelKey) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if p.cfg.GatewayTLS != nil {
		if c, err = p.gatewayTLS(ctx, c, e.addr); err != nil {
			return err
		}
		defer c.Close()
	}
	pkt := make([]byte, 12+len(e.gSecret))
	binary.BigEndian.PutUint32(pkt[0:4], uint32(len(pkt)))
	binary.BigEndian.PutUint32(pkt[4:8], cancelRequestCode)
	binary.BigEndian.PutUint32(pkt[8:12], e.pid)
	copy(pkt[12:], e.gSecret)
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write(pkt); err != nil {
		return err
	}
	// The gateway closes the connection once it has handled the request.
	_, _ = io.Copy(io.Discard, c)
	return nil
}
