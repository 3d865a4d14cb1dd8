package node

import (
	"io"
	"log/slog"
	"strings"
	"testing"

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
