package control

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// netCut is a TCP proxy in front of an etcd endpoint that a test can cut:
// every connection through it drops at once and nothing passes after, as
// when the process on the client's side is killed. Closing a client
// instead leaves it a moment in which its session ends and its code can
// still reach etcd (a resign or revoke on the way out), which a killed
// process never gets.
type netCut struct {
	l      net.Listener
	target string

	mu    sync.Mutex
	conns []net.Conn
	cut   bool
}

// newNetCut listens on a free loopback port and forwards to target (a
// client URL, http://host:port) until Cut or the end of the test.
func newNetCut(tb testing.TB, target string) *netCut {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		tb.Fatalf("endpoint %q: %v", target, err)
	}
	target = u.Host
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	n := &netCut{l: l, target: target}
	go n.accept()
	tb.Cleanup(n.Cut)
	return n
}

// Addr is the endpoint clients dial instead of target.
func (n *netCut) Addr() string { return "http://" + n.l.Addr().String() }

func (n *netCut) accept() {
	for {
		c, err := n.l.Accept()
		if err != nil {
			return
		}
		d, err := net.Dial("tcp", n.target)
		if err != nil {
			c.Close()
			continue
		}
		if !n.track(c, d) {
			continue
		}
		go n.pipe(c, d)
		go n.pipe(d, c)
	}
}

// track registers a connection pair; false (both closed) once cut.
func (n *netCut) track(c, d net.Conn) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cut {
		c.Close()
		d.Close()
		return false
	}
	n.conns = append(n.conns, c, d)
	return true
}

func (n *netCut) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// Cut closes the listener and every connection; idempotent.
func (n *netCut) Cut() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cut {
		return
	}
	n.cut = true
	n.l.Close()
	for _, c := range n.conns {
		c.Close()
	}
	n.conns = nil
}
