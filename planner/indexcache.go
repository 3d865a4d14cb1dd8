package planner

import (
	"container/list"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/index"
	"openwit/storage/objstore"
)

// DefaultIndexCacheBytes is the default of Config.IndexCacheBytes.
const DefaultIndexCacheBytes = 256 << 20

// missingRetry is how long a file without an artifact is not looked up
// again (the indexer may build it meanwhile).
const missingRetry = 30 * time.Second

// indexCache holds decoded index artifacts by file id, least recently
// used first out, bounded by the artifacts' encoded sizes.
type indexCache struct {
	bucket objstore.Bucket
	log    *slog.Logger
	limit  int64

	mu    sync.Mutex
	lru   *list.List // of *ixEntry, most recent at the front
	byID  map[string]*list.Element
	bytes int64

	loads, hits, failures prometheus.Counter
}

type ixEntry struct {
	id    string
	ix    *index.Index // nil: none usable
	size  int64
	until time.Time // for nil ix: look again after this
}

func newIndexCache(bucket objstore.Bucket, log *slog.Logger, limit int64, reg prometheus.Registerer) *indexCache {
	f := promauto.With(reg)
	return &indexCache{
		bucket: bucket, log: log, limit: limit, lru: list.New(), byID: map[string]*list.Element{},
		loads: f.NewCounter(prometheus.CounterOpts{Name: "openwit_index_artifact_loads_total",
			Help: "Index artifacts read from the object store by the coordinator."}),
		hits: f.NewCounter(prometheus.CounterOpts{Name: "openwit_index_artifact_cache_hits_total",
			Help: "Index artifact lookups served from the coordinator's cache."}),
		failures: f.NewCounter(prometheus.CounterOpts{Name: "openwit_index_artifact_failures_total",
			Help: "Index artifacts that could not be read or decoded (the file is not pruned)."}),
	}
}

// get returns the artifact of f, or nil when it has none or it is
// unusable (then the file is simply not pruned).
func (c *indexCache) get(ctx context.Context, f *catalog.File) *index.Index {
	if c == nil || c.bucket == nil {
		return nil
	}
	c.mu.Lock()
	if el, ok := c.byID[f.ID]; ok {
		e := el.Value.(*ixEntry)
		if e.ix != nil || time.Now().Before(e.until) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			c.hits.Inc()
			return e.ix
		}
		c.removeLocked(el)
	}
	c.mu.Unlock()
	ix, size := c.load(ctx, f)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[f.ID]; ok { // loaded concurrently
		c.removeLocked(el)
	}
	e := &ixEntry{id: f.ID, ix: ix, size: max(size, 64), until: time.Now().Add(missingRetry)}
	c.byID[f.ID] = c.lru.PushFront(e)
	c.bytes += e.size
	for c.bytes > c.limit && c.lru.Len() > 1 {
		c.removeLocked(c.lru.Back())
	}
	return ix
}

func (c *indexCache) removeLocked(el *list.Element) {
	e := el.Value.(*ixEntry)
	c.lru.Remove(el)
	delete(c.byID, e.id)
	c.bytes -= e.size
}

// load reads and decodes f's artifact: the linked one, else the one at
// the conventional key (built by an indexer after this node listed f).
func (c *indexCache) load(ctx context.Context, f *catalog.File) (*index.Index, int64) {
	key, linked := storage.IndexKey(f.Path), false
	if f.Index != nil {
		key, linked = f.Index.Path, true
	}
	c.loads.Inc()
	r, err := c.bucket.Get(ctx, key)
	if err != nil {
		if linked || !errors.Is(err, objstore.ErrNotFound) {
			c.failures.Inc()
			c.log.Warn("index artifact unreadable, file not pruned", "file", f.ID, "key", key, "err", err)
		}
		return nil, 0
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err == nil {
		var ix *index.Index
		if ix, err = index.Decode(b); err == nil {
			if len(ix.RowGroups) == 0 || sum(ix.RowGroups) != f.Rows {
				err = errors.New("row counts differ from the file's")
			} else {
				return ix, int64(len(b))
			}
		}
	}
	c.failures.Inc()
	c.log.Warn("index artifact unusable, file not pruned", "file", f.ID, "key", key, "err", err)
	return nil, int64(len(b))
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}
