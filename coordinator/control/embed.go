package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// EmbedConfig configures the embedded single-member etcd server that
// `openwit serve` runs when no external cluster is given.
type EmbedConfig struct {
	// Dir holds the member's data (DATA_DIR/etcd).
	Dir string
	// ClientAddr and PeerAddr are host:port listen addresses; the member
	// advertises them as http:// URLs.
	ClientAddr string
	PeerAddr   string
	// Logger may be nil (no logs).
	Logger *slog.Logger
}

// Embedded is a running embedded etcd member.
type Embedded struct {
	etcd  *embed.Etcd
	quiet *atomic.Bool
	once  sync.Once
	// Endpoint is the client URL to connect to.
	Endpoint string
}

// StartEmbedded starts the member and returns once it serves clients (about
// a second on a fresh directory) or ctx ends.
func StartEmbedded(ctx context.Context, c EmbedConfig) (*Embedded, error) {
	curl, err := hostURL(c.ClientAddr)
	if err != nil {
		return nil, fmt.Errorf("--etcd-embed-addr: %w", err)
	}
	purl, err := hostURL(c.PeerAddr)
	if err != nil {
		return nil, fmt.Errorf("--etcd-embed-peer-addr: %w", err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	cfg := embed.NewConfig()
	cfg.Name = "openwit"
	cfg.Dir = c.Dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*curl}, []url.URL{*curl}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*purl}, []url.URL{*purl}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// Keep a bounded history: revisions older than an hour are compacted.
	cfg.AutoCompactionMode, cfg.AutoCompactionRetention = embed.CompactorModePeriodic, "1h"
	quiet := new(atomic.Bool)
	cfg.Logger = "zap"
	cfg.LogLevel = "warn"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(newZapLogger(c.Logger, "etcd", quiet))
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd: %w", err)
	}
	em := &Embedded{etcd: e, quiet: quiet, Endpoint: curl.String()}
	select {
	case <-e.Server.ReadyNotify():
		return em, nil
	case err := <-e.Err():
		em.Close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	case <-ctx.Done():
		em.Close()
		return nil, ctx.Err()
	case <-time.After(60 * time.Second):
		em.Close()
		return nil, errors.New("embedded etcd not ready after 60s")
	}
}

// Err reports a fatal error of the running member.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close stops the member; it is idempotent. Its shutdown chatter is
// logged at debug level.
func (e *Embedded) Close() {
	e.once.Do(func() {
		e.quiet.Store(true)
		e.etcd.Close()
	})
}

func hostURL(addr string) (*url.URL, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "http", Host: addr}, nil
}
