package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/pgerror"
	"openwit/internal/pgstartup"
)

// Startup packet codes and bounds (internal/pgstartup).
const (
	sslRequestCode    = pgstartup.SSLRequest
	gssEncRequestCode = pgstartup.GSSEncRequest
	cancelRequestCode = pgstartup.CancelRequest
	maxStartupPacket  = pgstartup.MaxPacket
)

// errStartupClosed means the client went away during startup.
var errStartupClosed = pgstartup.ErrClosed

// startup runs the startup phase: encryption negotiation, cancel requests,
// StartupMessage, authentication, session creation and the initial
// ParameterStatus messages. It reports whether the session is ready.
func (c *conn) startup() bool {
	var in io.Reader = c.nc // the TLS connection once negotiated
	var tlsConn *tls.Conn
	sslDone, gssDone := false, false
	if c.srv.cfg.TLS != nil {
		// A TLS handshake record instead of a startup packet is direct
		// TLS (PostgreSQL 17's sslnegotiation=direct); anything else is
		// replayed into the startup packet reader.
		pc, direct, err := peekTLS(c.nc)
		if err != nil {
			c.startupFailed(err)
			return false
		}
		in = pc
		if direct {
			if tlsConn = c.handshake(pc, true); tlsConn == nil {
				return false
			}
			in, sslDone = tlsConn, true
		}
	}
	for {
		body, err := pgstartup.ReadPacket(in)
		if err != nil {
			c.startupFailed(err)
			return false
		}
		code := binary.BigEndian.Uint32(body)
		switch code {
		case sslRequestCode, gssEncRequestCode:
			// Each may come once, before the StartupMessage; nothing
			// after TLS is up.
			if len(body) != 4 || tlsConn != nil || (code == sslRequestCode && sslDone) || (code == gssEncRequestCode && gssDone) {
				c.sendFatal(fatal(pgerror.ProtocolViolation, "invalid encryption negotiation request"))
				return false
			}
			if code == sslRequestCode {
				sslDone = true
				if c.srv.cfg.TLS != nil {
					if tlsConn = c.startTLS(); tlsConn == nil {
						return false
					}
					in = tlsConn
					continue
				}
			} else {
				gssDone = true
			}
			// No TLS (or no GSSAPI encryption): the client continues in
			// plain text with a StartupMessage (or gives up).
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false
			}
			continue
		case cancelRequestCode:
			if len(body) >= 12 && len(body) <= 4+4+256 {
				c.srv.cancel(binary.BigEndian.Uint32(body[4:8]), body[8:])
			}
			// No reply; the requester just sees the connection close.
			return false
		}
		if major := code >> 16; major != 3 {
			c.sendFatal(fatal(pgerror.ProtocolViolation,
				"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, code&0xffff))
			return false
		}
		params, err := pgstartup.ParseParams(body[4:])
		if err != nil {
			c.sendFatal(err)
			return false
		}
		return c.startSession(code&0xffff, params, tlsConn != nil)
	}
}

// startTLS answers an SSLRequest with 'S' and runs the TLS handshake on
// the socket; from then on every message travels inside TLS. It returns
// nil when the handshake fails (the connection is then closed: there is no
// way to send an error the client can read). Bytes the client sent after
// the SSLRequest without waiting for 'S' reach the handshake as records
// and fail it, so plaintext can never be injected into the TLS session.
func (c *conn) startTLS() *tls.Conn {
	if _, err := c.nc.Write([]byte{'S'}); err != nil {
		return nil
	}
	return c.handshake(c.nc, false)
}

// handshake runs the server side of a TLS handshake on nc and switches the
// connection's reader and writer to it. Direct TLS (no SSLRequest) must
// negotiate the ALPN protocol "postgresql", as PostgreSQL 17 requires.
func (c *conn) handshake(nc net.Conn, direct bool) *tls.Conn {
	tc := tls.Server(nc, c.srv.cfg.TLS)
	// The startup deadline (authentication_timeout) bounds the handshake.
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.log.Debug("pgwire tls handshake failed", "err", err, "direct", direct)
		c.srv.met.authTLSHandshake.Inc()
		return nil
	}
	c.w.w = tc
	if direct && tc.ConnectionState().NegotiatedProtocol != alpnProtocol {
		c.sendFatal(fatal(pgerror.ProtocolViolation, "received direct SSL connection request without ALPN protocol negotiation extension"))
		return nil
	}
	c.rd = pgproto3.NewBackend(tc, io.Discard)
	c.rd.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)
	st := tc.ConnectionState()
	c.log = c.log.With("tls", tls.VersionName(st.Version))
	return tc
}

// alpnProtocol is PostgreSQL's ALPN protocol name.
const alpnProtocol = "postgresql"

// tlsHandshakeRecord is the first byte of a TLS ClientHello record.
const tlsHandshakeRecord = 0x16

// peekTLS reads the first byte of a connection and reports whether it
// starts a TLS handshake record. The returned connection replays that
// byte. (A startup packet's first byte is the top of its length, 0 for
// every valid one.)
func peekTLS(nc net.Conn) (net.Conn, bool, error) {
	var b [1]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, errStartupClosed
		}
		return nil, false, err
	}
	return &replayConn{Conn: nc, pending: b[:]}, b[0] == tlsHandshakeRecord, nil
}

// replayConn returns pending bytes before reading from Conn.
type replayConn struct {
	net.Conn
	pending []byte
}

func (r *replayConn) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	return r.Conn.Read(p)
}

// startupFailed reports a startup read error where the protocol allows it.
func (c *conn) startupFailed(err error) {
	var pe *pgerror.Error
	switch {
	case errors.As(err, &pe):
		c.sendFatal(pe)
	case errors.Is(err, errStartupClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		switch {
		case c.ctx.Err() != nil, c.srv.shuttingDown.Load():
			c.sendFatal(fatal(codeCannotConnectNow, "the database system is shutting down"))
		default:
			c.log.Debug("pgwire startup timeout")
		}
	default:
		c.log.Debug("pgwire startup read failed", "err", err)
	}
}

// startSession authenticates the user and opens the backend session.
// secure tells whether the connection negotiated TLS.
func (c *conn) startSession(minor uint32, params map[string]string, secure bool) bool {
	// Protocol 3.x with x > 0, or _pq_ protocol options: tell the client
	// what we speak (3.0, no options) and carry on, as PostgreSQL does.
	var unknownOpts []string
	for k := range params {
		if strings.HasPrefix(k, "_pq_.") {
			unknownOpts = append(unknownOpts, k)
			delete(params, k)
		}
	}
	if minor > 0 || len(unknownOpts) > 0 {
		c.w.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknownOpts})
	}
	if c.srv.shuttingDown.Load() || c.ctx.Err() != nil {
		c.sendFatal(fatal(codeCannotConnectNow, "the database system is shutting down"))
		return false
	}
	c.user = params["user"]
	if c.user == "" {
		c.sendFatal(fatal(pgerror.InvalidAuthorization, "no PostgreSQL user name specified in startup packet"))
		return false
	}
	if params["database"] == "" {
		params["database"] = c.user
	}
	if r, ok := params["replication"]; ok && !isFalse(r) {
		c.sendFatal(fatal(pgerror.FeatureNotSupported, "replication connections are not supported"))
		return false
	}
	c.log = c.log.With("user", c.user, "database", params["database"])
	switch {
	case c.srv.cfg.TLSRequired && !secure:
		c.srv.met.authNoTLS.Inc()
		c.sendFatal(fatal(pgerror.InvalidAuthorization,
			"connection without encryption refused for user %q, database %q: this server requires TLS (sslmode=require)", c.user, params["database"]))
		return false
	case c.srv.cfg.Trust:
	case c.srv.cfg.Users.Len() == 0:
		c.sendFatal(fatal(pgerror.InvalidAuthorization, "password authentication is not configured"))
		return false
	default:
		var cbind []byte
		if secure {
			cbind = c.srv.cbind
		}
		if !c.authenticate(cbind) {
			return false
		}
	}
	c.params = params

	c.w.send(&pgproto3.AuthenticationOk{})
	var sess Session
	err := protect(c.log, "Backend.OpenSession", func() error {
		var err error
		sess, err = c.srv.cfg.Backend.OpenSession(context.WithValue(context.WithValue(c.ctx, clientAddrKey{}, c.nc.RemoteAddr()), serverAddrKey{}, c.nc.LocalAddr()), params)
		return err
	})
	if err == nil && sess == nil {
		err = errors.New("backend returned no session")
	}
	if err != nil {
		pe := *pgerror.As(err)
		pe.Severity = severityFatal
		c.sendFatal(&pe)
		return false
	}
	c.sess = sess
	if p, ok := sess.(ProcessIDer); ok {
		c.pid = p.ProcessID()
		c.log = c.srv.log.With("pid", c.pid, "remote", c.nc.RemoteAddr().String())
	}
	if n, ok := sess.(Notifier); ok {
		c.notifier = n
		n.SetNotifyWake(c.notifyWake)
	}

	c.reported = make(map[string]string)
	for _, name := range reportedParams() {
		v := c.paramValue(name)
		c.reported[name] = v
		c.w.send(&pgproto3.ParameterStatus{Name: name, Value: v})
	}
	c.enc.setTimeZone(c.reported["TimeZone"])
	c.enc.intervalStyle = normIntervalStyle(c.reported["IntervalStyle"])
	if v, ok := sess.Setting("extra_float_digits"); ok {
		c.enc.setExtraFloatDigits(v)
	}

	if _, err := rand.Read(c.secret[:]); err != nil {
		c.sendFatal(fatal(pgerror.InternalError, "generate cancel key: %v", err))
		return false
	}
	c.w.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.srv.registerKey(c)

	_ = c.nc.SetReadDeadline(time.Time{})
	c.log.Debug("pgwire session started", "application_name", params["application_name"])
	c.readyForQuery()
	return c.w.err == nil
}

// reportedParams are the settings sent as ParameterStatus at startup and
// whenever a SET changes them (PostgreSQL's GUC_REPORT set).
func reportedParams() []string {
	return []string{
		"application_name",
		"client_encoding",
		"DateStyle",
		"default_transaction_read_only",
		"in_hot_standby",
		"integer_datetimes",
		"IntervalStyle",
		"is_superuser",
		"server_encoding",
		"server_version",
		"session_authorization",
		"standard_conforming_strings",
		"TimeZone",
	}
}

// paramValue is the current value of a reported setting: the session's
// when it knows one, otherwise the server's fixed value.
func (c *conn) paramValue(name string) string {
	switch name {
	case "server_version":
		return c.srv.cfg.ServerVersion
	case "server_encoding":
		return "UTF8" // OpenWit always speaks UTF8
	case "integer_datetimes":
		return "on"
	}
	if c.sess != nil {
		var v string
		var ok bool
		_ = protect(c.log, "Session.Setting", func() error {
			v, ok = c.sess.Setting(name)
			return nil
		})
		if ok {
			return v
		}
	}
	switch name {
	case "application_name":
		return c.params["application_name"]
	case "session_authorization":
		return c.user
	case "client_encoding":
		return "UTF8"
	case "DateStyle":
		return "ISO, MDY"
	case "IntervalStyle":
		return "postgres"
	case "TimeZone":
		return "UTC"
	case "is_superuser", "standard_conforming_strings":
		return "on"
	default:
		return "off"
	}
}

// reportChangedParams sends ParameterStatus for every reported setting whose
// value changed since it was last sent.
func (c *conn) reportChangedParams() {
	for _, name := range reportedParams() {
		v := c.paramValue(name)
		if old, ok := c.reported[name]; ok && old == v {
			continue
		}
		c.reported[name] = v
		c.w.send(&pgproto3.ParameterStatus{Name: name, Value: v})
		switch name {
		case "TimeZone":
			c.enc.setTimeZone(v)
		case "IntervalStyle":
			c.enc.intervalStyle = normIntervalStyle(v)
		}
	}
	// extra_float_digits is not reported to the client, but it changes
	// float text output.
	if v, ok := c.sess.Setting("extra_float_digits"); ok {
		c.enc.setExtraFloatDigits(v)
	}
}

// isFalse reports whether s is a PostgreSQL boolean false.
func isFalse(s string) bool {
	b, err := parseBool(s)
	return err == nil && !b
}
