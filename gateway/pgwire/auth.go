package pgwire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/gateway/auth"
	"openwit/internal/pgerror"
)

// maxAuthMessage bounds a SASL message (PostgreSQL's
// PG_MAX_AUTH_TOKEN_LENGTH).
const maxAuthMessage = 65535

// authenticate runs SCRAM-SHA-256 with the client (AuthenticationSASL,
// SASLInitialResponse, AuthenticationSASLContinue, SASLResponse,
// AuthenticationSASLFinal) and reports whether it proved the password of
// c.user. On failure the FATAL error has been sent. cbind is the channel
// binding data of a TLS connection, nil without TLS.
func (c *conn) authenticate(cbind []byte) bool {
	c.rd.SetMaxBodyLen(min(maxAuthMessage, c.srv.cfg.MaxMessageSize))
	defer c.rd.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)
	defer func() { _ = c.rd.SetAuthType(pgproto3.AuthTypeOk) }()

	s := c.srv.cfg.Users.NewSCRAM(c.user, cbind)
	c.w.send(&pgproto3.AuthenticationSASL{AuthMechanisms: auth.Mechanisms(cbind)})
	if c.w.flush() != nil {
		return false
	}
	_ = c.rd.SetAuthType(pgproto3.AuthTypeSASL)
	msg, ok := c.receiveAuth()
	if !ok {
		return false
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		c.sendFatal(fatal(pgerror.ProtocolViolation, "expected SASL response, got %s", messageName(msg)))
		return false
	}
	first, err := s.Start(init.AuthMechanism, init.Data)
	if err != nil {
		return c.authFailed(err)
	}
	c.w.send(&pgproto3.AuthenticationSASLContinue{Data: first})
	if c.w.flush() != nil {
		return false
	}
	_ = c.rd.SetAuthType(pgproto3.AuthTypeSASLContinue)
	if msg, ok = c.receiveAuth(); !ok {
		return false
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		c.sendFatal(fatal(pgerror.ProtocolViolation, "expected SASL response, got %s", messageName(msg)))
		return false
	}
	final, err := s.Finish(resp.Data)
	if err != nil {
		return c.authFailed(err)
	}
	c.w.send(&pgproto3.AuthenticationSASLFinal{Data: final})
	c.log.Debug("pgwire password authentication succeeded", "channel_binding", cbind != nil && init.AuthMechanism == auth.SCRAMSHA256Plus)
	return true
}

// receiveAuth reads one message during authentication. A client that
// closes the connection here (psql does, to prompt for a password) is not
// an error.
func (c *conn) receiveAuth() (pgproto3.FrontendMessage, bool) {
	msg, err := c.rd.Receive()
	if err == nil {
		return msg, true
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.startupFailed(err)
	} else {
		c.readFailed(err)
	}
	return nil, false
}

// authFailed sends the FATAL error for a failed exchange: 28P01 with
// PostgreSQL's message for a wrong password or an unknown user (the two are
// not told apart), 08P01 for a broken SCRAM message.
func (c *conn) authFailed(err error) bool {
	if errors.Is(err, auth.ErrMalformed) {
		c.sendFatal(fatal(pgerror.ProtocolViolation, "%s", err.Error()))
		return false
	}
	c.srv.met.authPassword.Inc()
	c.log.Info("pgwire password authentication failed", "err", err)
	c.sendFatal(fatal(pgerror.InvalidPassword, "password authentication failed for user %q", c.user))
	return false
}

func messageName(msg pgproto3.FrontendMessage) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
}

// tlsChannelBinding returns the tls-server-end-point channel binding data
// for cfg's first certificate, or nil when cfg has none (certificates
// chosen per connection through GetCertificate get no channel binding).
func tlsChannelBinding(cfg *tls.Config) []byte {
	if cfg == nil || len(cfg.Certificates) == 0 || len(cfg.Certificates[0].Certificate) == 0 {
		return nil
	}
	leaf := cfg.Certificates[0].Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cfg.Certificates[0].Certificate[0]); err != nil {
			return nil
		}
	}
	return auth.ChannelBinding(leaf)
}
