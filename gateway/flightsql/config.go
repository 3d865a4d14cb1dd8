package flightsql

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	// Password is the password of User when Trust is false. Empty means no
	// password login is configured: every call fails with Unauthenticated.
	Password string
	// TokenTTL is the lifetime of bearer tokens. Zero means
	// DefaultTokenTTL.
	TokenTTL time.Duration
}

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
	return c
}
