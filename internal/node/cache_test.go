package node

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"openwit/internal/tests3"
	"openwit/storage/objstore"
)

// TestSearchWorkerCache starts search workers on an S3 store with
// --cache-dir: the bucket is wrapped by the cache, a second process cannot
// share the directory, and a local store ignores the cache.
func TestSearchWorkerCache(t *testing.T) {
	srv := tests3.Gofakes3(t)
	bucket := srv.CreateBucket(t, "node")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := DefaultConfig()
	cfg.Roles, cfg.SearchAddr, cfg.HTTPAddr = "search", "127.0.0.1:0", "127.0.0.1:0"
	cfg.ObjectStore = srv.URL(bucket, "p")
	cfg.CacheDir, cfg.CacheSize = t.TempDir(), 1<<20

	n, err := Start(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown(t.Context())
	if _, ok := n.bucket.(*objstore.Cache); !ok {
		t.Fatalf("bucket is %T, want *objstore.Cache", n.bucket)
	}
	if _, err := Start(t.Context(), cfg, log); err == nil || !strings.Contains(err.Error(), "cache dir") {
		t.Fatalf("a second process on the same cache dir: %v, want an in-use error", err)
	}

	local := cfg
	local.ObjectStore = "file://" + t.TempDir()
	n2, err := Start(t.Context(), local, log)
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Shutdown(t.Context())
	if _, ok := n2.bucket.(*objstore.Local); !ok {
		t.Fatalf("bucket over a local directory is %T, want *objstore.Local (no cache)", n2.bucket)
	}
}

// TestCacheRoleOverS3 starts a cache node on an S3 store: it serves reads
// through its memory LRU and fills the disk cache under DATA_DIR/cache; a
// search worker with --cache-nodes reads through it.
func TestCacheRoleOverS3(t *testing.T) {
	srv := tests3.Gofakes3(t)
	bucket := srv.CreateBucket(t, "tier")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Roles, cfg.CacheAddr, cfg.HTTPAddr = "cache", "127.0.0.1:0", "127.0.0.1:0"
	cfg.ObjectStore, cfg.CacheMemory = srv.URL(bucket, "p"), 8<<20
	cn, err := Start(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Shutdown(t.Context())
	if cn.tier.srv == nil || cn.tier.client != nil {
		t.Fatalf("cache node: server %v, client %v; want a server and no client", cn.tier.srv != nil, cn.tier.client != nil)
	}
	if !strings.HasPrefix(cn.cfg.CacheDir, cfg.DataDir) {
		t.Fatalf("cache dir %q is not under the data dir", cn.cfg.CacheDir)
	}

	wcfg := DefaultConfig()
	wcfg.Roles, wcfg.SearchAddr, wcfg.HTTPAddr = "search", "127.0.0.1:0", "127.0.0.1:0"
	wcfg.ObjectStore, wcfg.CacheNodes = srv.URL(bucket, "p"), []string{cn.tier.ln.Addr().String()}
	w, err := Start(t.Context(), wcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(t.Context())
	if w.bucket != objstore.Bucket(w.tier.client) {
		t.Fatalf("worker bucket is %T, want the cache client", w.bucket)
	}
	data := strings.Repeat("openwit cache tier ", 100_000) // 1.9 MB: two blocks
	if err := w.bucket.Put(t.Context(), "tables/1/a.parquet", strings.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		f, err := w.bucket.(objstore.FileOpener).OpenFile(t.Context(), "tables/1/a.parquet")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100_000)
		if _, err := f.ReadAt(buf, 1_000_000); err != nil || string(buf) != data[1_000_000:1_100_000] {
			t.Fatalf("ReadAt through the cache node: %v", err)
		}
		f.Close()
	}
	// The cache node counts a request's blocks after sending its
	// response, so the second read's hit may land just after ReadAt
	// returns.
	var hits, misses float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		hits, misses = gaugeOrCounter(t, cn, "openwit_cache_hits_total"), gaugeOrCounter(t, cn, "openwit_cache_misses_total")
		if (hits >= 1 && misses >= 1) || time.Now().After(deadline) {
			break
		}
	}
	if hits < 1 || misses < 1 {
		t.Errorf("cache node hits %v misses %v, want both (a cold then a warm read)", hits, misses)
	}
	if disk := gaugeOrCounter(t, cn, "openwit_objstore_cache_bytes"); disk <= 0 {
		t.Errorf("the cache node's disk cache holds %v bytes, want the blocks it loaded", disk)
	}
	if fb := gaugeOrCounter(t, w, "openwit_cache_client_fallbacks_total"); fb != 0 {
		t.Errorf("worker fallbacks %v, want 0", fb)
	}
}

func gaugeOrCounter(t *testing.T, n *Node, name string) float64 {
	t.Helper()
	mfs, err := n.reg.Gather()
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
	t.Fatalf("no metric %s", name)
	return 0
}
