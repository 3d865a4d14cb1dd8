package cache

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/internal/retry"
	"openwit/storage/objstore"
)

// Defaults of [ClientConfig].
const (
	DefaultChunkSize = 8 << 20
	DefaultDownFor   = 5 * time.Second
)

// DefaultRetry is the retry schedule of a client's reads over the cache
// nodes: an attempt on the key's node, then on the next ones in rendezvous
// order, before the object store answers.
var DefaultRetry = retry.Policy{Attempts: 3, Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}

// ClientConfig configures a [Client].
type ClientConfig struct {
	// Bucket is the object store: writes, deletes and lists go to it, and
	// reads when no cache node answers. Required.
	Bucket objstore.Bucket
	// Nodes returns the cache nodes (host:port) to read through now; it is
	// called on every read, so it may follow gossip. Required.
	Nodes func() []string
	// TLS, when set, is the client side of the nodes' mutual TLS.
	TLS *tls.Config
	// Retry is the schedule over the nodes (DefaultRetry when zero).
	Retry retry.Policy
	// ChunkSize is the most one request asks for (DefaultChunkSize when
	// 0); it must not exceed the nodes' MaxRange.
	ChunkSize int64
	// DownFor is how long a node that failed a request is skipped
	// (DefaultDownFor when 0).
	DownFor time.Duration
	// Logger receives fallbacks to the object store; nil discards them.
	Logger *slog.Logger
	// Registerer registers the client's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Client is an [objstore.Bucket] that reads through the cache nodes: each
// object is read from the node rendezvous hashing picks for its key,
// other nodes when that one fails, and the object store when every node
// fails. It is safe for concurrent use.
type Client struct {
	cfg       ClientConfig
	hc        *http.Client
	scheme    string
	requests  prometheus.Counter
	fallbacks prometheus.Counter

	mu   sync.Mutex
	down map[string]time.Time // node -> skipped until
}

var (
	_ objstore.Bucket     = (*Client)(nil)
	_ objstore.FileOpener = (*Client)(nil)
)

// NewClient returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Bucket == nil || cfg.Nodes == nil {
		return nil, errors.New("cache client: bucket and nodes are required")
	}
	if cfg.Retry == (retry.Policy{}) {
		cfg.Retry = DefaultRetry
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.DownFor <= 0 {
		cfg.DownFor = DefaultDownFor
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       cfg.TLS,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
	}
	f := promauto.With(cfg.Registerer)
	c := &Client{cfg: cfg, hc: &http.Client{Transport: tr}, scheme: "http",
		requests: f.NewCounter(prometheus.CounterOpts{Name: "openwit_cache_client_requests_total",
			Help: "Requests sent to cache nodes."}),
		fallbacks: f.NewCounter(prometheus.CounterOpts{Name: "openwit_cache_client_fallbacks_total",
			Help: "Reads the object store answered because no cache node did."}),
		down: map[string]time.Time{}}
	if cfg.TLS != nil {
		c.scheme = "https"
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Unwrap returns the object store.
func (c *Client) Unwrap() objstore.Bucket { return c.cfg.Bucket }

// rendezvous orders nodes by their score for key, highest first: every
// client picks the same first node for a key, and a node joining or
// leaving moves only the keys it wins or held. The score is a hash with
// a fixed seed-free mix so that all processes agree.
func rendezvous(nodes []string, key string) []string {
	type scored struct {
		node  string
		score uint64
	}
	s := make([]scored, 0, len(nodes))
	for _, n := range nodes {
		s = append(s, scored{n, score(n, key)})
	}
	slices.SortFunc(s, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i].node
	}
	return out
}

// score is FNV-1a of node, NUL, key, finished with a 64-bit mixer (FNV's
// low bits alone spread poorly over similar keys).
func score(node, key string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(node); i++ {
		h = (h ^ uint64(node[i])) * prime
	}
	h = (h ^ 0) * prime
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * prime
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// order returns the nodes to try for key, in rendezvous order, without
// the nodes that failed within DownFor; configured reports whether there
// is any node at all.
func (c *Client) order(key string) (nodes []string, configured bool) {
	nodes = rendezvous(dedupe(c.cfg.Nodes()), key)
	configured = len(nodes) > 0
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	return slices.DeleteFunc(nodes, func(n string) bool {
		until, ok := c.down[n]
		if ok && now.After(until) {
			delete(c.down, n)
			return false
		}
		return ok
	}), configured
}

func dedupe(nodes []string) []string {
	out := slices.Clone(nodes)
	slices.Sort(out)
	return slices.Compact(out)
}

func (c *Client) markDown(node string) {
	c.mu.Lock()
	c.down[node] = time.Now().Add(c.cfg.DownFor)
	c.mu.Unlock()
}

// statusError is a node's answer other than success.
type statusError struct {
	node string
	code int
	msg  string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("cache node %s: %d %s", e.node, e.code, e.msg)
}

var (
	// errNoNode reports that no cache node is configured (or gossiped).
	errNoNode = errors.New("no cache node")
	// errAllDown reports that every cache node failed within DownFor.
	errAllDown = errors.New("every cache node failed recently")
)

// call runs op against the nodes of key in order under the retry policy.
// A node that fails at the transport level or with a 5xx is skipped for
// DownFor (and by the next attempts); a 4xx answer is final.
func (c *Client) call(ctx context.Context, key string, op func(ctx context.Context, node string) error) error {
	nodes, configured := c.order(key)
	switch {
	case !configured:
		return errNoNode
	case len(nodes) == 0:
		return errAllDown
	}
	i := 0
	return retry.Do(ctx, c.cfg.Retry, retryable, func(ctx context.Context) error {
		node := nodes[i%len(nodes)]
		i++
		c.requests.Inc()
		err := op(ctx, node)
		if err != nil && retryable(err) && ctx.Err() == nil {
			c.markDown(node)
			if nodes = slices.DeleteFunc(nodes, func(n string) bool { return n == node }); len(nodes) == 0 {
				return &allDown{err}
			}
			i--
		}
		return err
	})
}

// allDown wraps the last error once every node of a read failed: nothing
// is left to retry.
type allDown struct{ err error }

func (e *allDown) Error() string { return e.err.Error() }
func (e *allDown) Unwrap() error { return e.err }

func retryable(err error) bool {
	if ad := (*allDown)(nil); errors.As(err, &ad) {
		return false
	}
	if se := (*statusError)(nil); errors.As(err, &se) {
		return se.code >= 500
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// fallback records that the object store answers a read the nodes did
// not, unless ctx ended (then there is nobody to answer): it returns
// ctx's error then, nil otherwise.
func (c *Client) fallback(ctx context.Context, key string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !errors.Is(err, errNoNode) {
		// Without any node (gossip on, no cache node yet) the store is
		// the normal path, not a fallback.
		c.fallbacks.Inc()
		c.cfg.Logger.Debug("cache read falls back to the object store", "key", key, "err", err)
	}
	return nil
}

func (c *Client) url(node, key string) string {
	u := url.URL{Scheme: c.scheme, Host: node, Path: pathPrefix + key}
	return u.String()
}

// head asks node for the size of key.
func (c *Client) head(ctx context.Context, node, key string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.url(node, key), nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, &statusError{node, resp.StatusCode, resp.Status}
	}
	return strconv.ParseInt(resp.Header.Get(sizeHeader), 10, 64)
}

// fetch reads up to len(p) bytes of key at off from node into p. It
// returns how many bytes the node sent (fewer at the object's end) and the
// object's size.
func (c *Client) fetch(ctx context.Context, node, key string, off int64, p []byte) (int, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(node, key), nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1))
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, 0, &statusError{node, resp.StatusCode, string(msg)}
	}
	size, err := strconv.ParseInt(resp.Header.Get(sizeHeader), 10, 64)
	if err != nil || resp.ContentLength < 0 || resp.ContentLength > int64(len(p)) || off+resp.ContentLength > size {
		return 0, 0, fmt.Errorf("cache node %s: answer of %d bytes of an object of %q bytes does not fit the request", node, resp.ContentLength, resp.Header.Get(sizeHeader))
	}
	n, err := io.ReadFull(resp.Body, p[:resp.ContentLength])
	if err != nil {
		return n, 0, fmt.Errorf("cache node %s: read %q at %d: %w", node, key, off, err)
	}
	return n, size, nil
}

// forget tells the key's node that the object changed (best effort).
func (c *Client) forget(ctx context.Context, key string) {
	nodes, _ := c.order(key)
	if len(nodes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), forgetTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.url(nodes[0], key), nil)
	if err != nil {
		return
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.markDown(nodes[0]) // spares the next writes and reads the wait
		return
	}
	resp.Body.Close()
}

// forgetTimeout bounds what a write waits for its forget: an unreachable
// node costs a write at most this much, once per DownFor.
const forgetTimeout = 500 * time.Millisecond

// Put implements [objstore.Bucket.Put]: the object store stores it, then
// the key's node forgets what it held of the key.
func (c *Client) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	err := c.cfg.Bucket.Put(ctx, key, r, size)
	if objstore.CheckKey(key) == nil {
		c.forget(ctx, key)
	}
	return err
}

// Delete implements [objstore.Bucket.Delete] like Put.
func (c *Client) Delete(ctx context.Context, key string) error {
	err := c.cfg.Bucket.Delete(ctx, key)
	if objstore.CheckKey(key) == nil {
		c.forget(ctx, key)
	}
	return err
}

// List implements [objstore.Bucket.List] on the object store.
func (c *Client) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	return c.cfg.Bucket.List(ctx, prefix, fn)
}

// Size implements [objstore.Bucket.Size].
func (c *Client) Size(ctx context.Context, key string) (int64, error) {
	if objstore.CheckKey(key) != nil {
		return c.cfg.Bucket.Size(ctx, key)
	}
	var size int64
	err := c.call(ctx, key, func(ctx context.Context, node string) (err error) {
		size, err = c.head(ctx, node, key)
		return err
	})
	if err == nil {
		return size, nil
	}
	if err := c.fallback(ctx, key, err); err != nil {
		return 0, err
	}
	return c.cfg.Bucket.Size(ctx, key)
}

// Get implements [objstore.Bucket.Get].
func (c *Client) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return c.GetRange(ctx, key, 0, -1)
}

// GetRange implements [objstore.Bucket.GetRange]. The range is read in
// chunks of at most ChunkSize, one request each; the first is read before
// GetRange returns, so a missing object fails here.
func (c *Client) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if objstore.CheckKey(key) != nil || off < 0 || length < -1 || length == 0 {
		// Errors, and the empty range (it needs only the size), are the
		// object store's to answer.
		return c.cfg.Bucket.GetRange(ctx, key, off, length)
	}
	r := &chunkReader{c: c, ctx: ctx, key: key, pos: off, end: -1, size: -1}
	if length > 0 {
		r.end = off + length
	}
	if err := r.fill(); err != nil {
		return nil, err
	}
	return r, nil
}

// chunkReader reads a range chunk by chunk through the nodes; after a
// chunk no node answered, the rest comes from the object store.
type chunkReader struct {
	c        *Client
	ctx      context.Context
	key      string
	pos, end int64 // next offset to fetch; end of the range (-1: unknown)
	size     int64 // the object's size from the first chunk (-1: none yet)
	buf      []byte
	next     []byte        // unread bytes of the last chunk
	direct   io.ReadCloser // the object store's reader after a fallback
}

func (r *chunkReader) fill() error {
	n := r.c.cfg.ChunkSize
	if r.end >= 0 {
		n = min(n, r.end-r.pos)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	buf := r.buf[:n]
	var got int
	var size int64
	err := r.c.call(r.ctx, r.key, func(ctx context.Context, node string) (err error) {
		got, size, err = r.c.fetch(ctx, node, r.key, r.pos, buf)
		return err
	})
	if err != nil {
		if err := r.c.fallback(r.ctx, r.key, err); err != nil {
			return err
		}
		length := int64(-1)
		if r.end >= 0 {
			length = r.end - r.pos
		}
		rc, err := r.c.cfg.Bucket.GetRange(r.ctx, r.key, r.pos, length)
		if err != nil {
			return err
		}
		r.direct = rc
		return nil
	}
	switch {
	case r.size >= 0 && size != r.size:
		// Replaced between two chunks (OpenWit never replaces an
		// object): fail rather than mix two versions.
		return fmt.Errorf("read %q at %d: object changed size from %d to %d during the read", r.key, r.pos, r.size, size)
	case r.end < 0 || r.end > size:
		r.end = size
	}
	r.size = size
	if got == 0 && r.pos < r.end {
		return fmt.Errorf("read %q at %d: %w", r.key, r.pos, io.ErrUnexpectedEOF)
	}
	r.pos += int64(got)
	r.next = buf[:got]
	return nil
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for {
		if r.direct != nil {
			return r.direct.Read(p)
		}
		if len(r.next) > 0 {
			n := copy(p, r.next)
			r.next = r.next[n:]
			return n, nil
		}
		if r.pos >= r.end {
			return 0, io.EOF
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
}

func (r *chunkReader) Close() error {
	if r.direct != nil {
		return r.direct.Close()
	}
	return nil
}

// OpenFile implements [objstore.FileOpener]: the size comes from the
// key's node (one request, cached there), each ReadAt is one request per
// ChunkSize.
func (c *Client) OpenFile(ctx context.Context, key string) (objstore.File, error) {
	if err := objstore.CheckKey(key); err != nil {
		return nil, err
	}
	size, err := c.Size(ctx, key)
	if err != nil {
		return nil, err
	}
	return &file{c: c, ctx: ctx, key: key, size: size}, nil
}

type file struct {
	c    *Client
	ctx  context.Context
	key  string
	size int64
}

func (f *file) Size() int64  { return f.size }
func (f *file) Close() error { return nil }

// ReadAt implements io.ReaderAt with objstore.ReaderAt's rules.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case off < 0:
		return 0, fmt.Errorf("read %q at %d: %w", f.key, off, objstore.ErrInvalidRange)
	case off > f.size || off == f.size && len(p) > 0:
		return 0, io.EOF
	}
	want := min(int64(len(p)), f.size-off)
	for n := int64(0); n < want; {
		chunk := p[n:min(want, n+f.c.cfg.ChunkSize)]
		if err := f.read(chunk, off+n); err != nil {
			return int(n), err
		}
		n += int64(len(chunk))
	}
	if want < int64(len(p)) {
		return int(want), io.EOF
	}
	return int(want), nil
}

// read fills p with the bytes at off, which exist: from a node, else the
// object store.
func (f *file) read(p []byte, off int64) error {
	c := f.c
	err := c.call(f.ctx, f.key, func(ctx context.Context, node string) error {
		got, size, err := c.fetch(ctx, node, f.key, off, p)
		if err == nil && (got != len(p) || size != f.size) {
			err = &statusError{node, http.StatusConflict, fmt.Sprintf("object of %d bytes, opened at %d", size, f.size)}
		}
		return err
	})
	if err == nil {
		objstore.CountCacheRead(f.ctx, int64(len(p)))
		return nil
	}
	if err := c.fallback(f.ctx, f.key, err); err != nil {
		return err
	}
	rc, err := c.cfg.Bucket.GetRange(f.ctx, f.key, off, int64(len(p)))
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read %q at %d: %w", f.key, off, err)
	}
	return nil
}
