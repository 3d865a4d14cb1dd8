package flightsql

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/gateway/auth"
	"openwit/ingest"
	"openwit/planner"
	"openwit/storage/catalog"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultMaxRecvMsgSize bounds one incoming gRPC message. ADBC sends
	// bulk-ingest batches of about 10 MB; gRPC's own default (4 MiB) rejects
	// them.
	DefaultMaxRecvMsgSize = 256 << 20
	// DefaultBatchRows is the most rows one result record batch holds.
	DefaultBatchRows = 64 << 10
	// DefaultBatchBytes is the approximate size at which a result batch is
	// sent before reaching DefaultBatchRows. It stays well under the 4 MiB
	// receive limit gRPC clients (arrow-go's among them) use by default.
	DefaultBatchBytes = 2 << 20
	// DefaultTokenTTL is how long a bearer token from Handshake is valid.
	DefaultTokenTTL = 24 * time.Hour
)

// User is the only login name this version knows (as in the PostgreSQL
// gateway).
const User = "openwit"

// Config configures a Server.
type Config struct {
	// Engine plans and runs SQL. Required.
	Engine *planner.Engine
	// Ingester receives bulk-ingested batches. Required.
	Ingester *ingest.Ingester
	// Catalog lists tables for metadata calls and bulk ingest. Required.
	Catalog catalog.Catalog
	// Logger receives request-level events; nil discards them.
	Logger *slog.Logger
	// Registerer registers the server's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// MaxRecvMsgSize is the largest gRPC message accepted, in bytes. Zero
	// means DefaultMaxRecvMsgSize.
	MaxRecvMsgSize int
	// BatchRows and BatchBytes bound result record batches. Zero means the
	// defaults.
	BatchRows  int
	BatchBytes int
	// Trust serves every call without authentication (the loopback
	// development default). A Handshake with Basic credentials still gets
	// a token, so clients configured with a password work unchanged.
	Trust bool
	// Users are the accounts Handshake checks Basic credentials against
	// when Trust is false (the same users as the PostgreSQL gateway). With
	// no users every call fails with Unauthenticated.
	Users *auth.Users
	// TokenTTL is the lifetime of bearer tokens. Zero means
	// DefaultTokenTTL.
	TokenTTL time.Duration
	// TokenKey signs bearer tokens (HMAC-SHA-256); gateways that share it
	// accept each other's tokens. It must be at least 32 bytes. Empty means
	// a random key per process: a restart then invalidates every token.
	TokenKey []byte
	// TLS, when set, makes the server speak gRPC over TLS only (TLS 1.2 at
	// least); clients use grpc+tls://.
	TLS *tls.Config
}

// minTokenKey is the shortest accepted Config.TokenKey.
const minTokenKey = 32

// DefaultConfig returns a Config for local development (trust
// authentication). Engine, Ingester and Catalog must still be set.
func DefaultConfig() Config {
	return Config{
		MaxRecvMsgSize: DefaultMaxRecvMsgSize,
		BatchRows:      DefaultBatchRows,
		BatchBytes:     DefaultBatchBytes,
		Trust:          true,
		TokenTTL:       DefaultTokenTTL,
	}
}

// Validate reports whether c can be used to build a Server.
func (c Config) Validate() error {
	switch {
	case c.Engine == nil:
		return errors.New("flightsql config: engine is required")
	case c.Ingester == nil:
		return errors.New("flightsql config: ingester is required")
	case c.Catalog == nil:
		return errors.New("flightsql config: catalog is required")
	case c.MaxRecvMsgSize < 0:
		return fmt.Errorf("flightsql config: max receive message size %d is negative", c.MaxRecvMsgSize)
	case c.BatchRows < 0 || c.BatchBytes < 0:
		return errors.New("flightsql config: batch limits must not be negative")
	case c.TokenTTL < 0:
		return fmt.Errorf("flightsql config: token ttl %s is negative", c.TokenTTL)
	case len(c.TokenKey) > 0 && len(c.TokenKey) < minTokenKey:
		return fmt.Errorf("flightsql config: token key has %d bytes; at least %d are needed", len(c.TokenKey), minTokenKey)
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxRecvMsgSize == 0 {
		c.MaxRecvMsgSize = d.MaxRecvMsgSize
	}
	if c.BatchRows == 0 {
		c.BatchRows = d.BatchRows
	}
	if c.BatchBytes == 0 {
		c.BatchBytes = d.BatchBytes
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = d.TokenTTL
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLS != nil && c.TLS.MinVersion < tls.VersionTLS12 {
		c.TLS = c.TLS.Clone()
		c.TLS.MinVersion = tls.VersionTLS12
	}
	return c
}
