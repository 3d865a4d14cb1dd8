package node

import (
	"net"
	"strings"
	"testing"
)

// addrListener is a net.Listener that only reports an address: what
// advertised reads.
type addrListener struct {
	net.Listener
	addr net.Addr
}

func (l addrListener) Addr() net.Addr { return l.addr }

// TestAdvertised: --advertise-host replaces an unspecified listen host (a
// container's 0.0.0.0) in the addresses a node gossips and registers, and
// leaves specific hosts alone.
func TestAdvertised(t *testing.T) {
	ln := func(a string) net.Listener {
		tcp, err := net.ResolveTCPAddr("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		return addrListener{addr: tcp}
	}
	for _, tc := range []struct{ host, listen, want string }{
		{"search-1", "0.0.0.0:8816", "search-1:8816"},
		{"search-1", "[::]:8816", "search-1:8816"},
		{"search-1", "127.0.0.1:8816", "127.0.0.1:8816"},
		{"", "0.0.0.0:8816", "0.0.0.0:8816"},
		{"10.0.0.7", "0.0.0.0:5433", "10.0.0.7:5433"},
	} {
		n := &Node{cfg: Config{AdvertiseHost: tc.host}}
		if got := n.advertised(ln(tc.listen)); got != tc.want {
			t.Errorf("advertise host %q, listener %s: got %s, want %s", tc.host, tc.listen, got, tc.want)
		}
	}
	if got := (&Node{}).advertised(nil); got != "" {
		t.Errorf("no listener: got %q", got)
	}
}

// TestGossipAdvertise: memberlist advertises an IP, so the host is
// resolved; only an unspecified --gossip-addr host is replaced.
func TestGossipAdvertise(t *testing.T) {
	for _, tc := range []struct{ host, gossip, want, err string }{
		{"localhost", "0.0.0.0:7946", "127.0.0.1:7946", ""},
		{"127.0.0.2", ":7946", "127.0.0.2:7946", ""},
		{"localhost", "127.0.0.1:7946", "", ""},
		{"", "0.0.0.0:7946", "", ""},
		{"localhost", "0.0.0.0:0", "", "fixed --gossip-addr port"},
		{"no-such-host.invalid", "0.0.0.0:7946", "", "--advertise-host no-such-host.invalid: resolve"},
	} {
		n := &Node{cfg: Config{AdvertiseHost: tc.host, GossipAddr: tc.gossip}}
		got, err := n.gossipAdvertise()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %s: err %v, want %q", tc.host, tc.gossip, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q %s: got %q %v, want %q", tc.host, tc.gossip, got, err, tc.want)
		}
	}
}

func TestValidateAdvertiseHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{{"search-1", true}, {"10.1.2.3", true}, {"fd00::1", true}, {"search-1:8816", false}, {"a/b", false}, {"a b", false}} {
		c := DefaultConfig()
		c.DataDir = t.TempDir()
		c.AdvertiseHost = tc.host
		err := c.Validate()
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), "--advertise-host")) {
			t.Errorf("--advertise-host %q: %v", tc.host, err)
		}
	}
}
