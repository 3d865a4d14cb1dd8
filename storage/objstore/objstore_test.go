package objstore_test

import (
	"path"
	"path/filepath"
	"testing"

	"openwit/storage/objstore"
)

// FuzzCheckKey checks that every key CheckKey accepts is a clean, local
// path: it names one file below the root and nothing else.
func FuzzCheckKey(f *testing.F) {
	for _, seed := range []string{
		"a", "a/b", "../a", "a/../b", "/a", "a//b", "a/", `a\b`, "a\x00", ".", "..",
		"tables/7/shard=3/f.parquet", "a..b", ".hidden/x", ".openwit-tmp-1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if objstore.CheckKey(key) != nil {
			return
		}
		if !filepath.IsLocal(key) {
			t.Errorf("accepted key %q is not a local path", key)
		}
		if path.Clean(key) != key {
			t.Errorf("accepted key %q is not clean (%q)", key, path.Clean(key))
		}
	})
}
