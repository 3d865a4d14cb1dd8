package objstore

import (
	"context"
	"sync/atomic"
)

// ReadStats counts, for one query fragment, the bytes its reads got from a
// cache instead of the object store: hits of the local-disk block cache
// (Cache) and ranges a cache node answered (the cache role's client,
// storage/cache). A reader records into the ReadStats of the context it
// was opened with (WithReadStats); without one nothing is counted. The
// bytes a fragment read from the object store itself are its total read
// bytes (counted by the reader of the data, exec.Scan) less these.
type ReadStats struct {
	cache atomic.Int64
}

// CacheBytes returns the bytes read from a cache so far.
func (r *ReadStats) CacheBytes() int64 { return r.cache.Load() }

type readStatsKey struct{}

// WithReadStats returns a context whose reads count into r.
func WithReadStats(ctx context.Context, r *ReadStats) context.Context {
	return context.WithValue(ctx, readStatsKey{}, r)
}

// CountCacheRead records that n bytes of a read opened under ctx came from
// a cache. It does nothing when ctx carries no ReadStats.
func CountCacheRead(ctx context.Context, n int64) {
	if r, ok := ctx.Value(readStatsKey{}).(*ReadStats); ok && r != nil && n > 0 {
		r.cache.Add(n)
	}
}
