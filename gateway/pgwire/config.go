package pgwire

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/gateway/auth"
)

// Defaults applied by NewServer to zero Config fields.
const (
	// DefaultAddr is the listen address used by ListenAndServe.
	DefaultAddr = "127.0.0.1:5433"
	// DefaultMaxMessageSize bounds the body of one frontend message.
	DefaultMaxMessageSize = 64 << 20
	// DefaultServerVersion is reported as server_version. Clients derive
	// server_version_num (150000) from its leading "major.minor".
	DefaultServerVersion = "15.0 (OpenWit)"
)

// startupTimeout bounds the time between accepting a connection and
// receiving its startup packet (PostgreSQL's authentication_timeout).
const startupTimeout = time.Minute

// Config configures a Server.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on.
	Addr string
	// Backend opens a SQL session per authenticated connection. Required.
	Backend Backend
	// Logger receives connection-level events; nil discards them.
	Logger *slog.Logger
	// Registerer registers the server's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// MaxMessageSize is the largest frontend message body accepted, in
	// bytes. A bigger frame gets a FATAL 54000 and the connection closes
	// before the body is read. Zero means DefaultMaxMessageSize.
	MaxMessageSize int
	// ServerVersion is reported in ParameterStatus server_version. It must
	// start with "major.minor" digits. Empty means DefaultServerVersion.
	ServerVersion string
	// Trust accepts every user without a password. When false, clients
	// prove the password of their user with SCRAM-SHA-256 against Users.
	Trust bool
	// Users are the accounts password authentication checks. With Trust
	// false and no users, every connection is refused with 28000.
	Users *auth.Users
	// TLS, when set, is offered to clients that send SSLRequest. Its
	// first certificate also gives SCRAM-SHA-256-PLUS its channel binding.
	// It should set MinVersion (the server enforces TLS 1.2 at least).
	TLS *tls.Config
	// TLSRequired refuses clients that did not negotiate TLS with FATAL
	// 28000 (PostgreSQL's hostssl). It needs TLS.
	TLSRequired bool
}

// DefaultConfig returns a Config for local development: trust
// authentication on DefaultAddr. Backend must still be set.
func DefaultConfig() Config {
	return Config{
		Addr:           DefaultAddr,
		MaxMessageSize: DefaultMaxMessageSize,
		ServerVersion:  DefaultServerVersion,
		Trust:          true,
	}
}

// Validate reports whether c can be used to build a Server.
func (c Config) Validate() error {
	if c.Backend == nil {
		return errors.New("pgwire config: backend is required")
	}
	if c.MaxMessageSize < 0 {
		return fmt.Errorf("pgwire config: max message size %d is negative", c.MaxMessageSize)
	}
	if c.TLSRequired && c.TLS == nil {
		return errors.New("pgwire config: TLS is required but no TLS configuration is set")
	}
	if c.ServerVersion != "" && serverVersionNum(c.ServerVersion) == 0 {
		return fmt.Errorf("pgwire config: server version %q does not start with major.minor", c.ServerVersion)
	}
	return nil
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.ServerVersion == "" {
		c.ServerVersion = DefaultServerVersion
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLS != nil {
		c.TLS = c.TLS.Clone()
		c.TLS.MinVersion = max(c.TLS.MinVersion, tls.VersionTLS12)
		if len(c.TLS.NextProtos) == 0 {
			c.TLS.NextProtos = []string{alpnProtocol}
		}
	}
	return c
}

// serverVersionNum computes server_version_num the way libpq does from a
// server_version string: "15.0 (OpenWit)" → 150000, "9.6.3" → 90603. It
// returns 0 when v does not start with "major.minor" (or "major" for 10+).
func serverVersionNum(v string) int {
	var parts [3]int
	n, i := 0, 0
	for n < 3 {
		start := i
		val := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' && i-start < 6 {
			val = val*10 + int(v[i]-'0')
			i++
		}
		if i == start {
			break
		}
		parts[n] = val
		n++
		if i >= len(v) || v[i] != '.' {
			break
		}
		i++
	}
	switch {
	case n == 0:
		return 0
	case parts[0] >= 10:
		// Since 10, the second number is the minor release.
		return parts[0]*10000 + parts[1]
	case n < 2:
		return 0
	default:
		return parts[0]*10000 + parts[1]*100 + parts[2]
	}
}
