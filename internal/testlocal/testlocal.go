// Package testlocal opens the local storage of a test node: a SQLite
// catalog, a local-directory object store and a WAL, all on one
// directory, as `openwit serve` lays them out on its embedded defaults.
package testlocal

import (
	"context"
	"path/filepath"
	"testing"

	"openwit/ingest/wal"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// Parts is a node's local storage on one directory.
type Parts struct {
	Catalog catalog.Catalog // DIR/catalog.db
	Bucket  objstore.Bucket // DIR/objects
	WAL     *wal.WAL        // DIR/wal
}

// Open opens (or creates) the parts on dir; they close when the test
// ends (closing one earlier, to simulate a crash, is fine).
func Open(t testing.TB, dir string) Parts {
	t.Helper()
	cat, bucket := Store(t, dir)
	w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return Parts{Catalog: cat, Bucket: bucket, WAL: w}
}

// Store opens the catalog and object store of Open alone.
func Store(t testing.TB, dir string) (catalog.Catalog, objstore.Bucket) {
	t.Helper()
	cat, err := catalog.OpenSQLite(context.Background(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	bucket, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	return cat, bucket
}
