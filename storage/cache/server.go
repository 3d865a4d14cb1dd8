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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/storage/objstore"
)

// Defaults of [Config].
const (
	DefaultBlockSize   = 1 << 20
	DefaultMemoryBytes = 1 << 30
	// DefaultMaxRange bounds the bytes of one request; longer ranges are
	// refused (the client asks for at most ClientConfig.ChunkSize).
	DefaultMaxRange = 64 << 20
)

// loadTimeout bounds one load from the object store: a load outlives the
// request that started it (other requests may wait for it).
const loadTimeout = 2 * time.Minute

// loadContext returns a context for a shared load started by a request:
// not canceled with the request, bounded by loadTimeout.
func loadContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
}

// Config configures a [Server].
type Config struct {
	// Bucket is where misses are read from: the object store, usually
	// behind an objstore.Cache on local disk. Required.
	Bucket objstore.Bucket
	// MemoryBytes bounds the blocks and sizes kept in memory
	// (DefaultMemoryBytes when 0).
	MemoryBytes int64
	// BlockSize is the unit of caching (DefaultBlockSize when 0).
	BlockSize int64
	// MaxRange bounds the bytes one request may ask for (DefaultMaxRange
	// when 0).
	MaxRange int64
	// TLS, when set, makes the service speak HTTPS only; with ClientAuth
	// tls.RequireAndVerifyClientCert only holders of a certificate from
	// ClientCAs may read (mutual TLS, as the search service).
	TLS *tls.Config
	// Logger receives errors reading the object store; nil discards them.
	Logger *slog.Logger
	// Registerer registers the metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Validate fills the defaults and checks c.
func (c *Config) Validate() error {
	if c.Bucket == nil {
		return errors.New("cache config: bucket is required")
	}
	if c.MemoryBytes == 0 {
		c.MemoryBytes = DefaultMemoryBytes
	}
	if c.BlockSize == 0 {
		c.BlockSize = DefaultBlockSize
	}
	if c.MaxRange == 0 {
		c.MaxRange = DefaultMaxRange
	}
	switch {
	case c.MemoryBytes < 0:
		return fmt.Errorf("cache config: memory limit %d is negative", c.MemoryBytes)
	case c.BlockSize < 0:
		return fmt.Errorf("cache config: block size %d is negative", c.BlockSize)
	case c.MaxRange < c.BlockSize:
		return fmt.Errorf("cache config: max range %d is below the block size %d", c.MaxRange, c.BlockSize)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Server is the cache service: ranged reads of objects over HTTP, served
// from a memory LRU of blocks and filled from Config.Bucket. The package
// documentation specifies the protocol. It is safe for concurrent use.
type Server struct {
	cfg Config
	mem *lru
	met *metrics
	hs  *http.Server

	// window counts hits and misses of the last minutes for HitRatio.
	window hitWindow

	mu     sync.Mutex
	closed bool
}

type metrics struct {
	hits, misses, served, evictions, notFound, badRequests prometheus.Counter
}

// New returns a Server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := promauto.With(cfg.Registerer)
	c := func(name, help string) prometheus.Counter {
		return f.NewCounter(prometheus.CounterOpts{Name: "openwit_cache_" + name, Help: help})
	}
	s := &Server{cfg: cfg, met: &metrics{
		hits:        c("hits_total", "Blocks served from the cache node's memory (or from a load another request started)."),
		misses:      c("misses_total", "Blocks read from the object store (or the node's disk cache) into memory."),
		served:      c("served_bytes_total", "Object bytes sent to clients."),
		evictions:   c("evictions_total", "Memory entries (blocks, sizes) evicted to stay within --cache-memory."),
		notFound:    c("not_found_total", "Reads of objects that do not exist."),
		badRequests: c("bad_requests_total", "Requests refused as malformed (key, range, method)."),
	}}
	s.mem = newLRU(cfg.MemoryBytes, s.met.evictions.Inc)
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "openwit_cache_hit_ratio",
				Help: "Blocks served from memory over all blocks served, over the last five minutes (0 without reads)."},
				s.HitRatio),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "openwit_cache_memory_bytes",
				Help: "Bytes charged for the blocks and sizes in memory."},
				func() float64 { b, _ := s.mem.usage(); return float64(b) }))
	}
	mux := http.NewServeMux()
	mux.HandleFunc(pathPrefix+"{key...}", s.serveObject)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.met.badRequests.Inc()
		http.Error(w, "unknown path (want "+pathPrefix+"KEY)", http.StatusNotFound)
	})
	s.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: maxHeaderBytes,
		TLSConfig: cfg.TLS, ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)}
	return s, nil
}

// pathPrefix is the path of objects, version included.
const pathPrefix = "/v1/objects/"

// maxHeaderBytes bounds a request's header (the URL included): a key is at
// most objstore.MaxKeyLen bytes, 3 times that escaped.
const maxHeaderBytes = 16 << 10

// HitRatio returns hits/(hits+misses) over the last five minutes (0
// without reads).
func (s *Server) HitRatio() float64 { return s.window.ratio() }

// Serve answers requests on l until Shutdown; with Config.TLS the
// connections are TLS. It returns nil after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if s.cfg.TLS != nil {
		l = tls.NewListener(l, s.cfg.TLS)
	}
	if err := s.hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting requests and waits for running ones until ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return s.hs.Shutdown(ctx)
}

// Forget drops what the cache holds of key (the client sends it after a
// Put or Delete).
func (s *Server) Forget(key string) {
	s.mem.forget(key)
	if f, ok := s.cfg.Bucket.(interface{ Forget(string) }); ok {
		f.Forget(key)
	}
}

func (s *Server) bad(w http.ResponseWriter, msg string) {
	s.met.badRequests.Inc()
	http.Error(w, msg, http.StatusBadRequest)
}

func (s *Server) serveObject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if err := objstore.CheckKey(key); err != nil {
		s.bad(w, err.Error())
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodDelete:
		s.Forget(key)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		s.met.badRequests.Inc()
		w.Header().Set("Allow", "GET, HEAD, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	off, last, ranged, err := parseRange(r.Header.Get("Range"))
	if err != nil {
		s.bad(w, err.Error())
		return
	}
	ctx := r.Context()
	size, err := s.size(ctx, key)
	if err != nil {
		s.fail(w, key, err)
		return
	}
	w.Header().Set(sizeHeader, strconv.FormatInt(size, 10))
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	end := size // exclusive
	if ranged {
		if off >= size {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		if last >= 0 && last+1 < size {
			end = last + 1
		}
	}
	if end-off > s.cfg.MaxRange {
		s.bad(w, fmt.Sprintf("range of %d bytes is over the limit of %d; ask for less", end-off, s.cfg.MaxRange))
		return
	}
	bs := s.cfg.BlockSize
	var first []byte
	var loads atomic.Int64 // blocks this request loaded
	blocks := int64(0)     // blocks served
	defer func() {
		l := loads.Load()
		s.met.misses.Add(float64(l))
		s.met.hits.Add(float64(max(blocks-l, 0)))
		s.window.add(max(blocks-l, 0), l)
	}()
	if end > off {
		// The first block before the header, so that its errors get a
		// status; later errors cut the response short.
		if first, err = s.block(ctx, key, size, off/bs, &loads); err != nil {
			s.fail(w, key, err)
			return
		}
		if last := (end - 1) / bs; last > off/bs {
			pctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			// Claimed before sending starts, so that the sending loop
			// waits for the runs instead of loading blocks one by one.
			keys, flights := s.claimRange(key, size, off/bs+1, last)
			go func() {
				defer close(done)
				s.prefetch(pctx, key, size, keys, flights, &loads)
			}()
			defer func() { cancel(); <-done }()
		}
	}
	w.Header().Set("Content-Length", strconv.FormatInt(end-off, 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	if ranged {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, end-1, size))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	for pos := off; pos < end; {
		idx := pos / bs
		data := first
		if data == nil {
			if data, err = s.block(ctx, key, size, idx, &loads); err != nil {
				s.cfg.Logger.Warn("cache read cut short", "key", key, "offset", pos, "err", err)
				panic(http.ErrAbortHandler) // the client sees a short body
			}
		}
		first = nil
		part := data[pos-idx*bs : min(int64(len(data)), end-idx*bs)]
		if _, err := w.Write(part); err != nil {
			return // the client went away
		}
		s.met.served.Add(float64(len(part)))
		pos += int64(len(part))
		blocks++
	}
}

// sizeHeader carries the object's size on every successful answer.
const sizeHeader = "Openwit-Object-Size"

func (s *Server) fail(w http.ResponseWriter, key string, err error) {
	switch {
	case errors.Is(err, objstore.ErrNotFound):
		s.met.notFound.Inc()
		http.Error(w, "object not found", http.StatusNotFound)
	case errors.Is(err, context.Canceled):
		// The client went away.
	default:
		s.cfg.Logger.Warn("cache read", "key", key, "err", err)
		http.Error(w, "read object store: "+err.Error(), http.StatusBadGateway)
	}
}

// parseRange parses a Range header of one range "bytes=A-B" or "bytes=A-"
// (last -1). Suffix ranges and lists are refused.
func parseRange(h string) (off, last int64, ranged bool, err error) {
	if h == "" {
		return 0, -1, false, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false, fmt.Errorf("range %q: want one range bytes=FIRST-[LAST]", h)
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok || a == "" {
		return 0, 0, false, fmt.Errorf("range %q: want one range bytes=FIRST-[LAST]", h)
	}
	if off, err = strconv.ParseInt(a, 10, 64); err != nil || off < 0 {
		return 0, 0, false, fmt.Errorf("range %q: bad first byte", h)
	}
	last = -1
	if b != "" {
		if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < off {
			return 0, 0, false, fmt.Errorf("range %q: bad last byte", h)
		}
	}
	return off, last, true, nil
}

// size returns the object's size, from memory or the bucket.
func (s *Server) size(ctx context.Context, key string) (int64, error) {
	e, _, err := s.mem.get(ctx, entryKey{key: key, idx: sizeEntry}, func(ctx context.Context) (*entry, error) {
		f, err := s.open(ctx, key)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return &entry{size: f.Size()}, nil
	})
	if err != nil {
		return 0, err
	}
	return e.size, nil
}

// prefetchParallel bounds the object-store reads one request runs ahead
// of the block it sends, and maxRunBlocks the blocks one read loads.
const (
	prefetchParallel = 4
	maxRunBlocks     = 8
)

// prefetch loads the claimed blocks of a request's range ahead of the
// sending loop, which joins these loads (single flight): each run of
// missing blocks (up to maxRunBlocks) is one object-store read, and up to
// prefetchParallel runs are read at a time. So a cold 8 MiB chunk costs
// one read after its first block instead of seven. Errors are left to
// the sending loop.
func (s *Server) prefetch(ctx context.Context, key string, size int64, keys []entryKey, flights []*flight, loads *atomic.Int64) {
	sem := make(chan struct{}, prefetchParallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; i < len(keys); {
		if flights[i] == nil {
			i++
			continue
		}
		j := i + 1
		for j < len(keys) && flights[j] != nil && j-i < maxRunBlocks {
			j++
		}
		run, fl := keys[i:j], flights[i:j]
		i = j
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for k, f := range fl {
				s.mem.complete(run[k], f, nil, errAbandoned)
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.loadRun(ctx, key, size, run, fl)
			loads.Add(int64(len(run)))
		})
	}
}

// claimRange claims the loads of the missing blocks from..to of key
// (see lru.claim); prefetch must complete them.
func (s *Server) claimRange(key string, size, from, to int64) ([]entryKey, []*flight) {
	keys := make([]entryKey, 0, to-from+1)
	for idx := from; idx <= to; idx++ {
		keys = append(keys, entryKey{key: key, size: size, idx: idx})
	}
	return keys, s.mem.claim(keys)
}

// loadRun reads the contiguous blocks run of key (whose flights this
// caller claimed) with one read and completes their flights. The blocks
// share one buffer, charged block by block.
func (s *Server) loadRun(ctx context.Context, key string, size int64, run []entryKey, fl []*flight) {
	bs := s.cfg.BlockSize
	lctx, cancel := loadContext(ctx)
	defer cancel()
	from := run[0].idx * bs
	buf := make([]byte, min(int64(len(run))*bs, size-from))
	err := func() error {
		f, err := s.open(lctx, key)
		if err != nil {
			return err
		}
		defer f.Close()
		if f.Size() != size {
			s.mem.forget(key)
			return fmt.Errorf("read %q: object changed size from %d to %d", key, size, f.Size())
		}
		if n, err := f.ReadAt(buf, from); n != len(buf) {
			return fmt.Errorf("read %q blocks %d-%d: %w", key, run[0].idx, run[len(run)-1].idx, cmpErr(err, io.ErrUnexpectedEOF))
		}
		return nil
	}()
	for k, f := range fl {
		if err != nil {
			s.mem.complete(run[k], f, nil, err)
			continue
		}
		a := int64(k) * bs
		b := min(a+bs, int64(len(buf)))
		s.mem.complete(run[k], f, &entry{data: buf[a:b:b]}, nil)
	}
}

// block returns block idx of the object of the given size, counting in
// loads when this call loaded it.
func (s *Server) block(ctx context.Context, key string, size, idx int64, loads *atomic.Int64) ([]byte, error) {
	bs := s.cfg.BlockSize
	e, loaded, err := s.mem.get(ctx, entryKey{key: key, size: size, idx: idx}, func(ctx context.Context) (*entry, error) {
		f, err := s.open(ctx, key)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if f.Size() != size {
			s.mem.forget(key)
			return nil, fmt.Errorf("read %q: object changed size from %d to %d", key, size, f.Size())
		}
		buf := make([]byte, min(bs, size-idx*bs))
		if n, err := f.ReadAt(buf, idx*bs); n != len(buf) {
			return nil, fmt.Errorf("read %q block %d: %w", key, idx, cmpErr(err, io.ErrUnexpectedEOF))
		}
		return &entry{data: buf}, nil
	})
	if loaded {
		loads.Add(1)
	}
	if err != nil {
		return nil, err
	}
	return e.data, nil
}

func cmpErr(err, def error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return def
	}
	return err
}

// open opens key in the bucket for random reads (through the disk cache
// when the bucket is one).
func (s *Server) open(ctx context.Context, key string) (objstore.File, error) {
	if fo, ok := s.cfg.Bucket.(objstore.FileOpener); ok {
		return fo.OpenFile(ctx, key)
	}
	ra, err := objstore.NewReaderAt(ctx, s.cfg.Bucket, key)
	if err != nil {
		return nil, err
	}
	return readerAtFile{ra}, nil
}

type readerAtFile struct{ *objstore.ReaderAt }

func (readerAtFile) Close() error { return nil }
