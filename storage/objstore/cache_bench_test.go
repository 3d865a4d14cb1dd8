package objstore_test

import (
	"bytes"
	"fmt"
	"testing"

	"openwit/storage/objstore"
)

// BenchmarkCacheSmallReads reads a warm object in the small pieces a
// Parquet reader asks for (page headers and indexes: 4 KiB; a selective
// read's buffered stream: 64 KiB) from a local directory and through a
// warm Cache over it: the cache/local ratio of one run is what a warm
// query on object storage pays per read over local disk.
func BenchmarkCacheSmallReads(b *testing.B) {
	const size = 8 << 20
	l, _ := newLocal(b)
	data := randomData(9, size)
	if err := l.Put(b.Context(), "obj", bytes.NewReader(data), size); err != nil {
		b.Fatal(err)
	}
	c, err := objstore.NewCache(l, objstore.CacheConfig{Dir: b.TempDir(), MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{4 << 10, 64 << 10} {
		for _, side := range []struct {
			name string
			fo   objstore.FileOpener
		}{{"local", l}, {"cache", c}} {
			f, err := side.fo.OpenFile(b.Context(), "obj")
			if err != nil {
				b.Fatal(err)
			}
			p := make([]byte, n)
			// Fill (cache) and warm the page cache (both) first.
			for off := int64(0); off < size; off += 1 << 20 {
				if _, err := f.ReadAt(make([]byte, 1<<20), off); err != nil {
					b.Fatal(err)
				}
			}
			b.Run(fmt.Sprintf("%s/%dKiB", side.name, n>>10), func(b *testing.B) {
				b.SetBytes(int64(n))
				b.ReportAllocs()
				off := int64(0)
				for b.Loop() {
					if _, err := f.ReadAt(p, off); err != nil {
						b.Fatal(err)
					}
					if off += 3*int64(n) + 1; off+int64(n) > size {
						off = 0
					}
				}
			})
			f.Close()
		}
	}
}
