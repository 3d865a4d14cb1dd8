package grpcserve

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Conns keeps one gRPC client connection per address, made on first use;
// safe for concurrent use. Set the fields before the first Get.
type Conns struct {
	// Name names the pool in errors ("search worker").
	Name string
	// TLS is the client TLS configuration; nil dials in plain text.
	TLS *tls.Config
	// BaseDelay and MaxDelay bound gRPC's reconnect backoff. A failed
	// connection fails calls at once until its next attempt (1s at first
	// by default): aligned with the callers' retry delays, a retry meets
	// a fresh attempt.
	BaseDelay, MaxDelay time.Duration
	// CallOptions are the connections' default call options (message
	// size limits).
	CallOptions []grpc.CallOption

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

// Get returns the connection to addr.
func (p *Conns) Get(addr string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("%s client is closed", p.Name)
	}
	if cc, ok := p.conns[addr]; ok {
		return cc, nil
	}
	cp := grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: 5 * time.Second}
	if p.BaseDelay > 0 {
		cp.Backoff.BaseDelay = p.BaseDelay
	}
	if p.MaxDelay > 0 {
		cp.Backoff.MaxDelay = p.MaxDelay
	}
	creds := insecure.NewCredentials()
	if p.TLS != nil {
		creds = credentials.NewTLS(p.TLS)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds), grpc.WithConnectParams(cp),
		grpc.WithDefaultCallOptions(append([]grpc.CallOption{CallOption()}, p.CallOptions...)...))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", p.Name, addr, err)
	}
	if p.conns == nil {
		p.conns = map[string]*grpc.ClientConn{}
	}
	p.conns[addr] = cc
	return cc, nil
}

// Close closes every connection; Get fails afterwards.
func (p *Conns) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for addr, cc := range p.conns {
		errs = append(errs, cc.Close())
		delete(p.conns, addr)
	}
	return errors.Join(errs...)
}
