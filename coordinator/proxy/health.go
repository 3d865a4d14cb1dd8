package proxy

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// checkAll refreshes the gateway list from Backends and checks every
// gateway once, in parallel.
func (p *Proxy) checkAll(ctx context.Context) {
	bs := p.pool.refresh(p.cfg.Backends.Gateways())
	var wg sync.WaitGroup
	for _, b := range bs {
		p.pool.mu.Lock()
		g := b.gw
		p.pool.mu.Unlock()
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, p.cfg.CheckTimeout)
			defer cancel()
			p.pool.report(b, check(cctx, g))
		})
	}
	wg.Wait()
}

// check probes a gateway: on the PostgreSQL port a GSSENCRequest round
// trip (every PostgreSQL server answers it with one byte, 'N' here,
// before any authentication, and a connection closed after it leaves no
// trace in the gateway's metrics), on the Flight SQL port a TCP connect.
func check(ctx context.Context, g Gateway) error {
	var d net.Dialer
	if g.PGAddr != "" {
		c, err := d.DialContext(ctx, "tcp", g.PGAddr)
		if err != nil {
			return err
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			_ = c.SetDeadline(dl)
		}
		var req [8]byte
		binary.BigEndian.PutUint32(req[0:4], 8)
		binary.BigEndian.PutUint32(req[4:8], gssEncRequestCode)
		if _, err := c.Write(req[:]); err != nil {
			return fmt.Errorf("probe %s: %w", g.PGAddr, err)
		}
		var b [1]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return fmt.Errorf("probe %s: %w", g.PGAddr, err)
		}
		if b[0] != 'N' && b[0] != 'G' {
			return fmt.Errorf("probe %s: answer %q to GSSENCRequest is not PostgreSQL's", g.PGAddr, b[0])
		}
	}
	if g.FlightAddr != "" {
		c, err := d.DialContext(ctx, "tcp", g.FlightAddr)
		if err != nil {
			return err
		}
		c.Close()
	}
	return nil
}

// errNoTLS means a gateway answered SSLRequest with 'N' while the proxy
// requires TLS to gateways.
var errNoTLS = errors.New("the gateway does not offer TLS")

// gatewayTLS negotiates TLS on a fresh PostgreSQL connection to a gateway
// (SSLRequest, 'S', handshake).
func (p *Proxy) gatewayTLS(ctx context.Context, c net.Conn, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:4], 8)
	binary.BigEndian.PutUint32(req[4:8], sslRequestCode)
	var b [1]byte
	if _, err := c.Write(req[:]); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := io.ReadFull(c, b[:]); err != nil {
		c.Close()
		return nil, err
	}
	if b[0] != 'S' {
		c.Close()
		return nil, fmt.Errorf("%s: %w", addr, errNoTLS)
	}
	cfg := p.cfg.GatewayTLS.Clone()
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(addr)
		cfg.ServerName = host
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("tls to %s: %w", addr, err)
	}
	_ = c.SetDeadline(time.Time{})
	return tc, nil
}
