package cache_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/internal/testcert"
	"openwit/storage/cache"
	"openwit/storage/objstore"
	"openwit/storage/objstore/objstoretest"
)

// node is a cache server on a loopback port over a Local object store.
type node struct {
	srv   *cache.Server
	addr  string
	reg   *prometheus.Registry
	store objstore.Bucket
}

func startNode(t testing.TB, store objstore.Bucket, cfg cache.Config) *node {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Bucket, cfg.Registerer = store, reg
	srv, err := cache.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &node{srv: srv, addr: ln.Addr().String(), reg: reg, store: store}
}

func newLocal(t testing.TB) *objstore.Local {
	t.Helper()
	l, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newClient(t testing.TB, store objstore.Bucket, cfg cache.ClientConfig, nodes ...string) *cache.Client {
	t.Helper()
	cfg.Bucket = store
	cfg.Nodes = func() []string { return nodes }
	c, err := cache.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func metric(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func put(t testing.TB, b objstore.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestClientAcceptance runs the Bucket contract over a client reading
// through a cache node, with blocks and chunks small enough that reads
// span several of each.
func TestClientAcceptance(t *testing.T) {
	for _, tc := range []struct {
		name       string
		block, max int64
		chunk      int64
	}{
		{"defaults", 0, 0, 0},
		// Chunks hold AtomicOverwrite's objects whole: a read longer than
		// a chunk of an object replaced meanwhile fails (see the package
		// documentation); LargeObject still spans 64 chunks.
		{"small-blocks", 4 << 10, 256 << 10, 128 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newLocal(t)
			n := startNode(t, store, cache.Config{BlockSize: tc.block, MaxRange: tc.max, MemoryBytes: 8 << 20})
			reg := prometheus.NewRegistry()
			c := newClient(t, store, cache.ClientConfig{ChunkSize: tc.chunk, Registerer: reg}, n.addr)
			objstoretest.AcceptanceTest(t, c)
			if metric(t, n.reg, "openwit_cache_served_bytes_total") == 0 {
				t.Error("the cache node served no bytes")
			}
		})
	}
}

func get(t testing.TB, addr, key, rng string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/v1/objects/"+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestHitMiss reads a range twice: the first read loads its blocks, the
// second is served from memory.
func TestHitMiss(t *testing.T) {
	store := newLocal(t)
	data := randomBytes(1, 10_000)
	put(t, store, "t/a.parquet", data)
	n := startNode(t, store, cache.Config{BlockSize: 1000, MaxRange: 4000})

	resp, body := get(t, n.addr, "t/a.parquet", "bytes=1500-3499")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1500:3500]) {
		t.Fatalf("first read: %s, %d bytes (equal %v)", resp.Status, len(body), bytes.Equal(body, data[1500:3500]))
	}
	if got := resp.Header.Get("Content-Range"); got != "bytes 1500-3499/10000" {
		t.Errorf("Content-Range = %q", got)
	}
	if h, m := metric(t, n.reg, "openwit_cache_hits_total"), metric(t, n.reg, "openwit_cache_misses_total"); h != 0 || m != 3 {
		t.Errorf("after the first read hits=%v misses=%v, want 0 and 3 (blocks 1-3)", h, m)
	}
	_, body = get(t, n.addr, "t/a.parquet", "bytes=1500-3499")
	if !bytes.Equal(body, data[1500:3500]) {
		t.Fatal("second read differs")
	}
	if h, m := metric(t, n.reg, "openwit_cache_hits_total"), metric(t, n.reg, "openwit_cache_misses_total"); h != 3 || m != 3 {
		t.Errorf("after the second read hits=%v misses=%v, want 3 and 3", h, m)
	}
	if r := metric(t, n.reg, "openwit_cache_hit_ratio"); r != 0.5 {
		t.Errorf("hit ratio = %v, want 0.5", r)
	}
	if b := metric(t, n.reg, "openwit_cache_served_bytes_total"); b != 4000 {
		t.Errorf("served bytes = %v, want 4000", b)
	}
	// The tail: an open range is cut at the end.
	resp, body = get(t, n.addr, "t/a.parquet", "bytes=9990-")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[9990:]) {
		t.Errorf("tail read: %s, %d bytes", resp.Status, len(body))
	}
}

// TestEviction reads more blocks than fit: the memory stays within the
// limit, the oldest blocks are evicted and read again as misses.
func TestEviction(t *testing.T) {
	store := newLocal(t)
	const bs = 4096
	data := randomBytes(2, 10*bs)
	put(t, store, "t/big", data)
	// Room for about 3 blocks and the size entry.
	limit := int64(3*bs + 1000)
	n := startNode(t, store, cache.Config{BlockSize: bs, MaxRange: bs, MemoryBytes: limit})
	for i := range 10 {
		_, body := get(t, n.addr, "t/big", fmt.Sprintf("bytes=%d-%d", i*bs, (i+1)*bs-1))
		if !bytes.Equal(body, data[i*bs:(i+1)*bs]) {
			t.Fatalf("block %d differs", i)
		}
		if m := metric(t, n.reg, "openwit_cache_memory_bytes"); m > float64(limit) {
			t.Fatalf("memory %v over the limit %d", m, limit)
		}
	}
	if e := metric(t, n.reg, "openwit_cache_evictions_total"); e < 7 {
		t.Errorf("evictions = %v, want at least 7", e)
	}
	misses := metric(t, n.reg, "openwit_cache_misses_total")
	get(t, n.addr, "t/big", fmt.Sprintf("bytes=0-%d", bs-1)) // evicted long ago
	if m := metric(t, n.reg, "openwit_cache_misses_total"); m != misses+1 {
		t.Errorf("re-reading the first block: misses %v -> %v, want one more", misses, m)
	}
	get(t, n.addr, "t/big", fmt.Sprintf("bytes=%d-%d", 9*bs, 10*bs-1)) // the newest: kept
	if m := metric(t, n.reg, "openwit_cache_misses_total"); m != misses+1 {
		t.Errorf("re-reading the last block: misses %v -> %v, want none more", misses, m)
	}
}

// gateBucket is a Local whose OpenFile counts calls and waits for the gate
// to open, so that concurrent misses overlap for sure.
type gateBucket struct {
	*objstore.Local
	gate  chan struct{}
	opens atomic.Int64
}

func (g *gateBucket) OpenFile(ctx context.Context, key string) (objstore.File, error) {
	g.opens.Add(1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Local.OpenFile(ctx, key)
}

// TestSingleflight sends concurrent reads of one block: one load serves
// them all.
func TestSingleflight(t *testing.T) {
	local := newLocal(t)
	data := randomBytes(3, 5000)
	put(t, local, "t/one", data)
	g := &gateBucket{Local: local, gate: make(chan struct{})}
	n := startNode(t, g, cache.Config{BlockSize: 8192, MaxRange: 8192})
	close(g.gate)
	if resp, _ := get(t, n.addr, "t/one", "bytes=0-0"); resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("warm-up: %s", resp.Status) // loads the size only once
	}
	opens := g.opens.Load()
	n.srv.Forget("t/one")
	g.gate = make(chan struct{})

	const readers = 16
	var wg sync.WaitGroup
	bodies := make([][]byte, readers)
	var started sync.WaitGroup
	started.Add(readers)
	for i := range readers {
		wg.Go(func() {
			started.Done()
			_, bodies[i] = get(t, n.addr, "t/one", "bytes=100-4099")
		})
	}
	started.Wait()
	// Let the requests pile up on the loads, then release them.
	deadline := time.Now().Add(10 * time.Second)
	for g.opens.Load() < opens+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(g.gate)
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, data[100:4100]) {
			t.Fatalf("reader %d got %d bytes that differ", i, len(b))
		}
	}
	// One load of the size and one of the block, whatever the timing.
	if got := g.opens.Load() - opens; got != 2 {
		t.Errorf("the object was opened %d times for %d concurrent readers, want 2 (size, block)", got, readers)
	}
	if m := metric(t, n.reg, "openwit_cache_misses_total"); m != 2 {
		t.Errorf("misses = %v, want 2 (one block before, one after Forget)", m)
	}
}

// TestNotFound reads a missing object: 404 from the node, ErrNotFound
// from the client.
func TestNotFound(t *testing.T) {
	store := newLocal(t)
	n := startNode(t, store, cache.Config{})
	if resp, _ := get(t, n.addr, "t/missing", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET of a missing object: %s, want 404", resp.Status)
	}
	if metric(t, n.reg, "openwit_cache_not_found_total") != 1 {
		t.Error("not_found_total is not 1")
	}
	c := newClient(t, store, cache.ClientConfig{}, n.addr)
	if _, err := c.Size(t.Context(), "t/missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Size: %v, want ErrNotFound", err)
	}
	if _, err := c.OpenFile(t.Context(), "t/missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("OpenFile: %v, want ErrNotFound", err)
	}
	// An object that appears later is found (misses are not cached).
	put(t, store, "t/missing", []byte("now here"))
	if resp, body := get(t, n.addr, "t/missing", ""); resp.StatusCode != http.StatusOK || string(body) != "now here" {
		t.Errorf("GET after Put: %s %q", resp.Status, body)
	}
}

// TestBadRequests sends malformed requests: each gets a 4xx and the
// server keeps serving.
func TestBadRequests(t *testing.T) {
	store := newLocal(t)
	put(t, store, "t/x", randomBytes(4, 3000))
	n := startNode(t, store, cache.Config{BlockSize: 1024, MaxRange: 2048})
	for _, tc := range []struct {
		name, method, path, rng string
		want                    int
	}{
		{"backslash in key", "GET", "/v1/objects/t%5Cx", "", 400},
		{"reserved key prefix", "GET", "/v1/objects/t/.openwit-tmp-1", "", 400},
		{"long key", "GET", "/v1/objects/" + string(bytes.Repeat([]byte("k"), 1100)), "", 400},
		{"suffix range", "GET", "/v1/objects/t/x", "bytes=-10", 400},
		{"two ranges", "GET", "/v1/objects/t/x", "bytes=0-1,5-6", 400},
		{"reversed range", "GET", "/v1/objects/t/x", "bytes=9-2", 400},
		{"not bytes", "GET", "/v1/objects/t/x", "lines=1-2", 400},
		{"garbage range", "GET", "/v1/objects/t/x", "bytes=a-b", 400},
		{"range too long", "GET", "/v1/objects/t/x", "bytes=0-2999", 400},
		{"whole object too long", "GET", "/v1/objects/t/x", "", 400},
		{"beyond the end", "GET", "/v1/objects/t/x", "bytes=3000-3001", 416},
		{"post", "POST", "/v1/objects/t/x", "", 405},
		{"unknown path", "GET", "/v2/objects/t/x", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, "http://"+n.addr+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s (Range %q): %s, want %d", tc.method, tc.path, tc.rng, resp.Status, tc.want)
			}
		})
	}
	if resp, _ := get(t, n.addr, "t/x", "bytes=0-9"); resp.StatusCode != http.StatusPartialContent {
		t.Errorf("a good request after the bad ones: %s", resp.Status)
	}
	if b := metric(t, n.reg, "openwit_cache_bad_requests_total"); b < 10 {
		t.Errorf("bad_requests_total = %v", b)
	}
}

// TestFallback reads through a client whose only cache node is gone: the
// object store answers, and the node is skipped after its failure.
func TestFallback(t *testing.T) {
	store := newLocal(t)
	data := randomBytes(5, 100_000)
	put(t, store, "t/f", data)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	reg := prometheus.NewRegistry()
	c := newClient(t, store, cache.ClientConfig{Registerer: reg, DownFor: time.Hour}, dead)
	f, err := c.OpenFile(t.Context(), "t/f")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5000)
	if _, err := f.ReadAt(buf, 777); err != nil || !bytes.Equal(buf, data[777:5777]) {
		t.Fatalf("ReadAt: %v (equal %v)", err, bytes.Equal(buf, data[777:5777]))
	}
	rc, err := c.Get(t.Context(), "t/f")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %v, %d bytes", err, len(got))
	}
	if fb := metric(t, reg, "openwit_cache_client_fallbacks_total"); fb != 3 {
		t.Errorf("fallbacks = %v, want 3 (Size, ReadAt, Get)", fb)
	}
	// No node at all is the plain path, not a fallback.
	noneReg := prometheus.NewRegistry()
	none := newClient(t, store, cache.ClientConfig{Registerer: noneReg})
	if size, err := none.Size(t.Context(), "t/f"); err != nil || size != int64(len(data)) {
		t.Fatalf("Size without nodes: %d, %v", size, err)
	}
	if fb := metric(t, noneReg, "openwit_cache_client_fallbacks_total"); fb != 0 {
		t.Errorf("a client without nodes counted %v fallbacks, want 0", fb)
	}
	// Only the first read tried the node; then it was down.
	if r := metric(t, reg, "openwit_cache_client_requests_total"); r != 1 {
		t.Errorf("requests to the dead node = %v, want 1 (then skipped)", r)
	}
}

// TestRendezvous spreads keys over three nodes through the client: each
// node serves some, and every key is cached on one node only.
func TestRendezvous(t *testing.T) {
	store := newLocal(t)
	var nodes []*node
	var addrs []string
	for range 3 {
		n := startNode(t, store, cache.Config{BlockSize: 4096, MaxRange: 1 << 20})
		nodes, addrs = append(nodes, n), append(addrs, n.addr)
	}
	c := newClient(t, store, cache.ClientConfig{}, addrs...)
	const keys = 60
	for i := range keys {
		key := fmt.Sprintf("tables/1/f%03d.parquet", i)
		put(t, store, key, randomBytes(uint64(i), 100))
		for range 2 {
			rc, err := c.Get(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, rc)
			rc.Close()
		}
	}
	total := 0.0
	for i, n := range nodes {
		m := metric(t, n.reg, "openwit_cache_misses_total")
		h := metric(t, n.reg, "openwit_cache_hits_total")
		if m < keys/6 {
			t.Errorf("node %d loaded %v of %d keys: uneven", i, m, keys)
		}
		if h != m {
			t.Errorf("node %d: %v hits for %v misses, want equal (each key read twice on one node)", i, h, m)
		}
		total += m
	}
	if total != keys {
		t.Errorf("blocks loaded over all nodes = %v, want %d (one node per key)", total, keys)
	}
}

// TestMutualTLS serves over HTTPS with client certificates: a client with
// one reads through the node, one without is refused (and falls back).
func TestMutualTLS(t *testing.T) {
	certs := testcert.New(t)
	store := newLocal(t)
	data := randomBytes(6, 3000)
	put(t, store, "t/tls", data)
	n := startNode(t, store, cache.Config{TLS: certs.MutualServerConfig()})
	reg := prometheus.NewRegistry()
	c := newClient(t, store, cache.ClientConfig{TLS: certs.MutualClientConfig(), Registerer: reg}, n.addr)
	rc, err := c.Get(t.Context(), "t/tls")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) || metric(t, reg, "openwit_cache_client_fallbacks_total") != 0 {
		t.Fatalf("mutual TLS read: %d bytes, fallbacks %v", len(got), metric(t, reg, "openwit_cache_client_fallbacks_total"))
	}
	if metric(t, n.reg, "openwit_cache_served_bytes_total") != 3000 {
		t.Error("the node did not serve the read")
	}
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certs.ClientConfig().RootCAs, MinVersion: tls.VersionTLS13}}}
	resp, err := noCert.Get("https://" + n.addr + "/v1/objects/t/tls")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a client without a certificate got %s", resp.Status)
	}
	plain := &http.Client{}
	if resp, err := plain.Get("http://" + n.addr + "/v1/objects/t/tls"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP read an object from a TLS node")
		}
	}
}

// pairBucket is a Local whose OpenFile waits (boundedly) until another
// OpenFile runs at the same time, and records the most that ran at once
// and how many ran.
type pairBucket struct {
	*objstore.Local
	mu         sync.Mutex
	cur, peak  int
	opens      int
	armed      bool
	pairedOnce chan struct{}
	once       sync.Once
}

func (p *pairBucket) OpenFile(ctx context.Context, key string) (objstore.File, error) {
	p.mu.Lock()
	if !p.armed {
		p.mu.Unlock()
		return p.Local.OpenFile(ctx, key)
	}
	p.opens++
	p.cur++
	p.peak = max(p.peak, p.cur)
	if p.cur >= 2 {
		p.once.Do(func() { close(p.pairedOnce) })
	}
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.cur--; p.mu.Unlock() }()
	select {
	case <-p.pairedOnce:
	case <-time.After(5 * time.Second): // bound only: the assertion is on peak
	}
	return p.Local.OpenFile(ctx, key)
}

// TestPrefetch reads a cold range of 20 blocks whose first is warm: the
// 19 others load as runs of up to 8 blocks, one object-store read each
// (3 reads, not 19), the runs overlap, and each block is counted once as
// a miss.
func TestPrefetch(t *testing.T) {
	local := newLocal(t)
	const bs = 1024
	data := randomBytes(8, 20*bs)
	put(t, local, "t/p", data)
	pb := &pairBucket{Local: local, pairedOnce: make(chan struct{})}
	n := startNode(t, pb, cache.Config{BlockSize: bs, MaxRange: 20 * bs})
	// The size and the first block load before the range is prefetched.
	if resp, _ := get(t, n.addr, "t/p", "bytes=0-0"); resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("warm-up: %s", resp.Status)
	}
	pb.mu.Lock()
	pb.armed = true
	pb.mu.Unlock()
	resp, body := get(t, n.addr, "t/p", fmt.Sprintf("bytes=0-%d", len(data)-1))
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data) {
		t.Fatalf("read: %s, %d bytes", resp.Status, len(body))
	}
	pb.mu.Lock()
	peak, opens := pb.peak, pb.opens
	pb.mu.Unlock()
	if opens != 3 {
		t.Errorf("%d object-store reads for 19 cold blocks, want 3 (runs of 8, 8 and 3)", opens)
	}
	if peak < 2 {
		t.Errorf("at most %d run loads ran at once, want prefetching (2 or more)", peak)
	}
	if h, m := metric(t, n.reg, "openwit_cache_hits_total"), metric(t, n.reg, "openwit_cache_misses_total"); h != 1 || m != 20 {
		t.Errorf("hits %v misses %v, want 1 (block 0, warm) and 20 (each block loaded once)", h, m)
	}
	// Read again: all in memory.
	if _, body := get(t, n.addr, "t/p", fmt.Sprintf("bytes=0-%d", len(data)-1)); !bytes.Equal(body, data) {
		t.Fatal("second read differs")
	}
	if h, m := metric(t, n.reg, "openwit_cache_hits_total"), metric(t, n.reg, "openwit_cache_misses_total"); h != 21 || m != 20 {
		t.Errorf("after a second read: hits %v misses %v, want 21 and 20", h, m)
	}
}

// TestScanResistance: blocks read more than once (the hot set) stay in
// memory while a scan reads many more blocks than fit, once each; with
// plain LRU the scan would evict them.
func TestScanResistance(t *testing.T) {
	store := newLocal(t)
	const bs = 4096
	hot := randomBytes(20, 2*bs)
	cold := randomBytes(21, 40*bs)
	put(t, store, "t/hot", hot)
	put(t, store, "t/cold", cold)
	// Room for about 8 blocks.
	n := startNode(t, store, cache.Config{BlockSize: bs, MaxRange: bs, MemoryBytes: 8*bs + 2000})
	block := func(key string, i int) {
		t.Helper()
		want := map[string][]byte{"t/hot": hot, "t/cold": cold}[key]
		if _, body := get(t, n.addr, key, fmt.Sprintf("bytes=%d-%d", i*bs, (i+1)*bs-1)); !bytes.Equal(body, want[i*bs:(i+1)*bs]) {
			t.Fatalf("%s block %d differs", key, i)
		}
	}
	for range 2 {
		block("t/hot", 0)
		block("t/hot", 1)
	}
	for i := range 40 {
		block("t/cold", i)
	}
	misses := metric(t, n.reg, "openwit_cache_misses_total")
	block("t/hot", 0)
	block("t/hot", 1)
	if m := metric(t, n.reg, "openwit_cache_misses_total"); m != misses {
		t.Errorf("the hot blocks after a scan of 40: %v misses, want none (they were evicted)", m-misses)
	}
	if e := metric(t, n.reg, "openwit_cache_evictions_total"); e < 30 {
		t.Errorf("evictions = %v: the scan did not cycle through the cache", e)
	}
}
