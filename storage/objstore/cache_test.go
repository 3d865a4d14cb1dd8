package objstore_test

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/internal/tests3"
	"openwit/storage/objstore"
	"openwit/storage/objstore/objstoretest"
)

func TestCacheAcceptance(t *testing.T) {
	t.Parallel()
	t.Run("local", func(t *testing.T) {
		l, _ := newLocal(t)
		c, err := objstore.NewCache(l, objstore.CacheConfig{Dir: t.TempDir(), MaxBytes: 4 << 20, BlockSize: 256 << 10})
		if err != nil {
			t.Fatal(err)
		}
		objstoretest.AcceptanceTest(t, c)
	})
	t.Run("s3", func(t *testing.T) {
		srv := tests3.Gofakes3(t)
		b := testS3(t, srv, "", srv.CreateBucket(t, "cached"), "", nil)
		c, err := objstore.Cached(b, t.TempDir(), 64<<20)
		if err != nil {
			t.Fatal(err)
		}
		objstoretest.AcceptanceTest(t, c)
	})
}

// cacheRig is a cache over gofakes3 behind a proxy that counts requests.
type cacheRig struct {
	bucket *objstore.S3
	proxy  *tests3.FaultProxy
	reg    *prometheus.Registry
	cache  *objstore.Cache
	dir    string
}

func newCacheRig(t *testing.T, maxBytes, blockSize int64) *cacheRig {
	t.Helper()
	srv := tests3.Gofakes3(t)
	bucket := srv.CreateBucket(t, "rig")
	proxy := tests3.NewFaultProxy(t, srv.Endpoint, tests3.Faults{})
	r := &cacheRig{bucket: testS3(t, srv, proxy.URL, bucket, "", nil), proxy: proxy, dir: t.TempDir()}
	r.reopen(t, maxBytes, blockSize)
	return r
}

// reopen starts a new Cache on the same directory, as a restarted process
// would.
func (r *cacheRig) reopen(t *testing.T, maxBytes, blockSize int64) {
	t.Helper()
	r.reg = prometheus.NewRegistry()
	c, err := objstore.NewCache(r.bucket, objstore.CacheConfig{Dir: r.dir, MaxBytes: maxBytes, BlockSize: blockSize, Registerer: r.reg})
	if err != nil {
		t.Fatal(err)
	}
	r.cache = c
}

func (r *cacheRig) metric(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "openwit_objstore_cache_"+name {
			m := mf.GetMetric()[0]
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// readAll reads key through the cache's OpenFile in chunks of chunk bytes.
func (r *cacheRig) readAll(t *testing.T, key string, chunk int) []byte {
	t.Helper()
	f, err := r.cache.OpenFile(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []byte
	p := make([]byte, chunk)
	for off := int64(0); off < f.Size(); {
		n, err := f.ReadAt(p, off)
		if err != nil && err != io.EOF {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
		out = append(out, p[:n]...)
		off += int64(n)
	}
	return out
}

func TestCacheHitsAndMisses(t *testing.T) {
	const bs = 64 << 10
	r := newCacheRig(t, 1<<20, bs)
	data := randomData(1, 10*bs+123) // 11 blocks
	if err := r.cache.Put(t.Context(), "f", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	before := r.proxy.Requests.Load()
	if got := r.readAll(t, "f", 100_000); !bytes.Equal(got, data) {
		t.Fatal("first read through the cache returned wrong bytes")
	}
	cold := r.proxy.Requests.Load() - before
	if misses := r.metric(t, "misses_total"); misses != 11 {
		t.Errorf("misses = %v, want 11 (every block once)", misses)
	}
	if cold > 11 {
		t.Errorf("cold read took %d requests; runs of missing blocks should need fewer than one per block", cold)
	}
	before = r.proxy.Requests.Load()
	if got := r.readAll(t, "f", 33_333); !bytes.Equal(got, data) {
		t.Fatal("second read through the cache returned wrong bytes")
	}
	if warm := r.proxy.Requests.Load() - before; warm != 0 {
		t.Errorf("warm open and read took %d requests, want 0", warm)
	}
	if hits := r.metric(t, "hits_total"); hits < 11 {
		t.Errorf("hits = %v, want at least 11", hits)
	}
	if b := r.metric(t, "bytes"); b != float64(len(data)) {
		t.Errorf("cache bytes gauge = %v, want %d", b, len(data))
	}
	t.Logf("cold read: %d requests; warm read: 0", cold)

	// Overwriting through the cache forgets the old blocks.
	other := randomData(2, 3*bs)
	if err := r.cache.Put(t.Context(), "f", bytes.NewReader(other), int64(len(other))); err != nil {
		t.Fatal(err)
	}
	if got := r.readAll(t, "f", 50_000); !bytes.Equal(got, other) {
		t.Fatal("read after overwrite returned stale bytes")
	}
}

func TestCacheEviction(t *testing.T) {
	const bs = 32 << 10
	r := newCacheRig(t, 5*bs, bs)
	datas := map[string][]byte{}
	for i := range 4 {
		k := fmt.Sprintf("obj-%d", i)
		datas[k] = randomData(uint64(i), 3*bs)
		if err := r.cache.Put(t.Context(), k, bytes.NewReader(datas[k]), int64(3*bs)); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		for k, d := range datas {
			if got := r.readAll(t, k, 10_000); !bytes.Equal(got, d) {
				t.Fatalf("round %d: %s: wrong bytes", round, k)
			}
			if b := r.cache.Bytes(); b > 5*bs {
				t.Fatalf("cache holds %d bytes, limit %d", b, 5*bs)
			}
		}
	}
	if onDisk := dirBytes(t, r.dir); onDisk > 5*bs {
		t.Errorf("cache directory holds %d bytes, limit %d", onDisk, 5*bs)
	}
	if ev := r.metric(t, "evictions_total"); ev == 0 {
		t.Error("no evictions counted although the data is larger than the cache")
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCacheRestart reopens the cache directory: blocks survive, leftover
// temporary files go, and a damaged block is detected and fetched again.
func TestCacheRestart(t *testing.T) {
	const bs = 64 << 10
	r := newCacheRig(t, 1<<20, bs)
	data := randomData(3, 4*bs)
	if err := r.cache.Put(t.Context(), "f", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	r.readAll(t, "f", bs)

	var blocks []string
	_ = filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, _ error) error {
		if !d.IsDir() {
			blocks = append(blocks, p)
		}
		return nil
	})
	if len(blocks) != 4 {
		t.Fatalf("%d block files on disk, want 4", len(blocks))
	}
	// A crash mid-write leaves a temporary file; a disk fault flips bytes.
	tmp := filepath.Join(filepath.Dir(blocks[0]), ".tmp-123")
	// Top-level files belong to the owner of the directory (a node's LOCK).
	lock := filepath.Join(r.dir, "LOCK")
	if err := os.WriteFile(lock, []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	damaged, err := os.ReadFile(blocks[1])
	if err != nil {
		t.Fatal(err)
	}
	damaged[100] ^= 0xff
	if err := os.WriteFile(blocks[1], damaged, 0o600); err != nil {
		t.Fatal(err)
	}

	r.reopen(t, 1<<20, bs)
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary file survived the restart: %v", err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("the top-level LOCK file did not survive the restart: %v", err)
	}
	if b := r.cache.Bytes(); b != int64(len(data)) {
		t.Errorf("reopened cache holds %d bytes, want %d", b, len(data))
	}
	before := r.proxy.Requests.Load()
	if got := r.readAll(t, "f", bs); !bytes.Equal(got, data) {
		t.Fatal("read after restart returned wrong bytes")
	}
	if c := r.metric(t, "corrupt_total"); c != 1 {
		t.Errorf("corrupt blocks = %v, want 1", c)
	}
	// Only the damaged block is fetched again: HEAD and one GET.
	if n := r.proxy.Requests.Load() - before; n != 2 {
		t.Errorf("read after restart took %d requests, want 2", n)
	}
}

// TestCacheConcurrentReaders reads one object from many goroutines through
// a cache too small to hold it, so fetches, hits and evictions interleave.
func TestCacheConcurrentReaders(t *testing.T) {
	t.Parallel()
	const bs = 16 << 10
	r := newCacheRig(t, 8*bs, bs)
	data := randomData(4, 40*bs+77)
	if err := r.cache.Put(t.Context(), "f", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			f, err := r.cache.OpenFile(t.Context(), "f")
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			rnd := rand.New(rand.NewPCG(uint64(g), 9))
			for range 60 {
				off := rnd.Int64N(int64(len(data)))
				p := make([]byte, rnd.IntN(3*bs)+1)
				n, err := f.ReadAt(p, off)
				if err != nil && err != io.EOF {
					errs <- err
					return
				}
				if !bytes.Equal(p[:n], data[off:off+int64(n)]) {
					errs <- fmt.Errorf("wrong bytes at %d", off)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if b := r.cache.Bytes(); b > 8*bs {
		t.Errorf("cache holds %d bytes, limit %d", b, 8*bs)
	}
}

func TestCacheConfig(t *testing.T) {
	l, _ := newLocal(t)
	for _, tt := range []struct {
		cfg  objstore.CacheConfig
		want string
	}{
		{objstore.CacheConfig{MaxBytes: 1}, "empty directory"},
		{objstore.CacheConfig{Dir: t.TempDir()}, "not positive"},
	} {
		if _, err := objstore.NewCache(l, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewCache(%+v) error = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// TestCacheSmallReads reads a cached object in many small and straddling
// pieces, as a Parquet reader does (page headers, page indexes, buffered
// streams): every piece is right and none makes a request. A block file
// that disappears under the cache is fetched again, not answered short.
func TestCacheSmallReads(t *testing.T) {
	const bs = 64 << 10
	r := newCacheRig(t, 1<<20, bs)
	data := randomData(7, 5*bs+777)
	if err := r.cache.Put(t.Context(), "f", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	r.readAll(t, "f", 3*bs)
	f, err := r.cache.OpenFile(t.Context(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rnd := rand.New(rand.NewPCG(7, 7))
	before := r.proxy.Requests.Load()
	for i := range 500 {
		n := 1 + rnd.IntN(2*bs)
		if i%2 == 0 {
			n = 1 + rnd.IntN(200)
		}
		off := rnd.Int64N(int64(len(data)))
		p := make([]byte, n)
		got, err := f.ReadAt(p, off)
		want := min(int64(n), int64(len(data))-off)
		if int64(got) != want || (err != nil && (err != io.EOF || want == int64(n))) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d", n, off, got, err, want)
		}
		if !bytes.Equal(p[:got], data[off:off+want]) {
			t.Fatalf("ReadAt(%d bytes at %d) returned wrong bytes", n, off)
		}
	}
	if n := r.proxy.Requests.Load() - before; n != 0 {
		t.Errorf("small reads of a cached object took %d requests, want 0", n)
	}

	// A block file removed behind the cache's back is fetched again.
	var blocks []string
	_ = filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, _ error) error {
		if !d.IsDir() && strings.Contains(d.Name(), fmt.Sprintf("-%d-2-", len(data))) {
			blocks = append(blocks, p)
		}
		return nil
	})
	if len(blocks) != 1 {
		t.Fatalf("found %d files of block 2, want 1", len(blocks))
	}
	if err := os.Remove(blocks[0]); err != nil {
		t.Fatal(err)
	}
	// The open file keeps reading the block it holds open (its bytes do not
	// change); a file opened now finds the block gone and fetches it.
	p := make([]byte, 100)
	if n, err := f.ReadAt(p, 2*bs+10); n != 100 || err != nil || !bytes.Equal(p, data[2*bs+10:2*bs+110]) {
		t.Fatalf("read of a removed block through the open file = %d, %v (or wrong bytes)", n, err)
	}
	f2, err := r.cache.OpenFile(t.Context(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if n, err := f2.ReadAt(p, 2*bs+20); n != 100 || err != nil || !bytes.Equal(p, data[2*bs+20:2*bs+120]) {
		t.Fatalf("read of a removed block = %d, %v (or wrong bytes)", n, err)
	}
	if n := r.proxy.Requests.Load() - before; n == 0 {
		t.Error("a removed block was answered without fetching it")
	}
}
