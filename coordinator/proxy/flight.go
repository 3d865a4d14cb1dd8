package proxy

import (
	"context"
	"io"
	"net"
	"sync"
)

// serveFlight relays one Flight SQL client connection (HTTP/2, in TLS or
// not) to one gateway as plain bytes: every call the client makes on this
// connection reaches the same gateway.
func (p *Proxy) serveFlight(client net.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.DialTimeout)
	b, name, _, gw := p.dial(ctx, protoFlight)
	cancel()
	if b == nil {
		// Nothing the client can read as an error: HTTP/2 has not
		// started. The connection closes and gRPC reports Unavailable.
		p.met.refused.WithLabelValues("flight", "no_gateway").Inc()
		return
	}
	defer p.untrack(gw)
	p.met.total.WithLabelValues(name, "flight").Inc()
	conns := p.met.conns.WithLabelValues(name, "flight")
	conns.Inc()
	defer conns.Dec()
	var once sync.Once
	stop := func() { once.Do(func() { client.Close(); gw.Close() }) }
	var wg sync.WaitGroup
	raw := gw.(gatewayConn).Conn // *net.TCPConn: the copies can splice
	wg.Go(func() {
		_, _ = io.Copy(raw, client)
		stop()
	})
	_, _ = io.Copy(client, raw)
	stop()
	wg.Wait()
}
