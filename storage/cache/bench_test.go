package cache_test

import (
	"context"
	"fmt"
	"testing"

	"openwit/storage/cache"
)

// BenchmarkClientRead reads 8 MiB ranges (one client chunk, 8 blocks) of one object through a client
// and a cache node over loopback HTTP: hot (served from memory) and cold
// (every block loaded from a Local store; the LRU holds less than the
// object).
func BenchmarkClientRead(b *testing.B) {
	const size = 64 << 20
	for _, tc := range []struct {
		name   string
		memory int64
	}{{"hot", 128 << 20}, {"cold", 4 << 20}} {
		b.Run(tc.name, func(b *testing.B) {
			store := newLocal(b)
			put(b, store, "bench/obj", randomBytes(7, size))
			n := startNode(b, store, cache.Config{MemoryBytes: tc.memory})
			c := newClient(b, store, cache.ClientConfig{}, n.addr)
			f, err := c.OpenFile(context.Background(), "bench/obj")
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 8<<20)
			if tc.name == "hot" {
				for off := int64(0); off < size; off += int64(len(buf)) {
					if _, err := f.ReadAt(buf, off); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			off := int64(0)
			for b.Loop() {
				if _, err := f.ReadAt(buf, off); err != nil {
					b.Fatal(fmt.Errorf("read at %d: %w", off, err))
				}
				off = (off + int64(len(buf))) % size
			}
		})
	}
}
