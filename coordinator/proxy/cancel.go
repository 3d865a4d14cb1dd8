package proxy

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"sync"
)

// maxCancelKeys bounds the cancel key map (one entry per open PostgreSQL
// session); past it new sessions work but cannot be cancelled.
const maxCancelKeys = 1 << 20

// cancelKey is what the proxy needs to forward a CancelRequest: the
// gateway's own key of the session and where the gateway is.
type cancelKey struct {
	secret  []byte // the key the proxy gave the client
	gateway string // name, for logs
	addr    string // the gateway's PostgreSQL address
	pid     uint32 // the gateway's BackendKeyData
	gSecret []byte
}

// cancelKeys maps the process ids the proxy hands out in BackendKeyData to
// the gateway sessions behind them. The proxy gives each client its own
// key (a process id unique in this proxy and a random secret) instead of
// passing the gateway's on: gateways number their sessions independently,
// so their keys can collide, and a client never learns a gateway's key.
type cancelKeys struct {
	mu   sync.Mutex
	next uint32
	m    map[uint32]*cancelKey
}

func newCancelKeys() *cancelKeys {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &cancelKeys{next: binary.BigEndian.Uint32(b[:]) >> 1, m: make(map[uint32]*cancelKey)}
}

// add registers a gateway key and returns the client's key; ok is false
// when the map is full.
func (k *cancelKeys) add(e *cancelKey) (pid uint32, ok bool) {
	e.secret = make([]byte, len(e.gSecret))
	if len(e.secret) < 4 {
		e.secret = make([]byte, 4)
	}
	if _, err := rand.Read(e.secret); err != nil {
		return 0, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) >= maxCancelKeys {
		return 0, false
	}
	for {
		k.next++
		if pid = k.next & 0x7fffffff; pid != 0 && k.m[pid] == nil {
			break
		}
	}
	k.m[pid] = e
	return pid, true
}

// remove forgets a session's key (at the end of the session).
func (k *cancelKeys) remove(pid uint32, e *cancelKey) {
	k.mu.Lock()
	if k.m[pid] == e {
		delete(k.m, pid)
	}
	k.mu.Unlock()
}

// lookup returns the session of a client key, nil unless pid and secret
// both match.
func (k *cancelKeys) lookup(pid uint32, secret []byte) *cancelKey {
	k.mu.Lock()
	e := k.m[pid]
	k.mu.Unlock()
	if e == nil || subtle.ConstantTimeCompare(secret, e.secret) != 1 {
		return nil
	}
	return e
}

// len returns the number of registered keys.
func (k *cancelKeys) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}
