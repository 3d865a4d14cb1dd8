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

// indexCache holds the decoded columns of index artifacts, by file id and
// column name, least recently used first out, bounded by their estimated
// memory (index.Column.Bytes). A filter needs the artifact columns it
// names, and token postings only for a text search: at 100M rows the
// whole artifacts (about half the Parquet bytes, mostly the text
// columns' postings) do not fit the cache, and an equality lookup, which
// walks every file in the same order, missed on every file and re-read
// every artifact; the Bloom filters of the one column it names do fit.
type indexCache struct {
	bucket objstore.Bucket
	log    *slog.Logger
	limit  int64

	mu    sync.Mutex
	lru   *list.List // of *ixEntry, most recent at the front
	byKey map[ixKey]*list.Element
	bytes int64

	loads, hits, failures prometheus.Counter
}

// ixKey names a cached column of a file's artifact; col "" records a file
// without a usable artifact.
type ixKey struct{ file, col string }

type ixEntry struct {
	key  ixKey
	rows []int64       // the file's row groups (index.Index.RowGroups)
	col  *index.Column // nil: the artifact has no such column
	// lean: col was cached without its postings; a text search loads the
	// artifact again.
	lean  bool
	size  int64
	until time.Time // for a file without an artifact: look again after this
}

func newIndexCache(bucket objstore.Bucket, log *slog.Logger, limit int64, reg prometheus.Registerer) *indexCache {
	f := promauto.With(reg)
	return &indexCache{
		bucket: bucket, log: log, limit: limit, lru: list.New(), byKey: map[ixKey]*list.Element{},
		loads: f.NewCounter(prometheus.CounterOpts{Name: "openwit_index_artifact_loads_total",
			Help: "Index artifacts read from the object store by the coordinator."}),
		hits: f.NewCounter(prometheus.CounterOpts{Name: "openwit_index_artifact_cache_hits_total",
			Help: "Index artifact lookups served from the coordinator's cache."}),
		failures: f.NewCounter(prometheus.CounterOpts{Name: "openwit_index_artifact_failures_total",
			Help: "Index artifacts that could not be read or decoded (the file is not pruned)."}),
	}
}

// get returns the artifact of f restricted to the named columns (those a
// filter refers to; the others are simply absent, which prunes nothing),
// or nil when f has none or it is unusable (then the file is not pruned).
// postings says whether the filter can use token postings
// (exec.UsesPostings); without it the cached columns leave them out.
func (c *indexCache) get(ctx context.Context, f *catalog.File, cols []string, postings bool) *index.Index {
	if c == nil || c.bucket == nil || len(cols) == 0 {
		return nil
	}
	if ix, ok := c.lookup(f.ID, cols, postings); ok {
		c.hits.Inc()
		return ix
	}
	ix := c.load(ctx, f)
	c.mu.Lock()
	defer c.mu.Unlock()
	if ix == nil {
		c.putLocked(&ixEntry{key: ixKey{f.ID, ""}, size: 64, until: time.Now().Add(missingRetry)})
		return nil
	}
	out := &index.Index{RowGroups: ix.RowGroups}
	seen := map[string]bool{}
	for _, name := range cols {
		if seen[name] {
			continue
		}
		seen[name] = true
		e := &ixEntry{key: ixKey{f.ID, name}, rows: ix.RowGroups, size: 64}
		if col := ix.Column(name); col != nil {
			cc := *col
			if postings {
				cc = cc.Own()
			} else if cc.Postings != nil {
				cc.Postings, e.lean = nil, true
			}
			e.col, e.size = &cc, cc.Bytes()
			out.Columns = append(out.Columns, cc)
		}
		c.putLocked(e)
	}
	return out
}

// lookup assembles the artifact of file id from cached columns; ok is
// false unless every named column is cached (with its postings when
// postings) or the file is known to have no artifact (nil, true).
func (c *indexCache) lookup(id string, cols []string, postings bool) (*index.Index, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[ixKey{id, ""}]; ok {
		if time.Now().Before(el.Value.(*ixEntry).until) {
			c.lru.MoveToFront(el)
			return nil, true
		}
		c.removeLocked(el)
	}
	els := make([]*list.Element, 0, len(cols))
	for _, name := range cols {
		el, ok := c.byKey[ixKey{id, name}]
		if !ok || (postings && el.Value.(*ixEntry).lean) {
			return nil, false
		}
		els = append(els, el)
	}
	out := &index.Index{RowGroups: els[0].Value.(*ixEntry).rows}
	seen := map[string]bool{}
	for _, el := range els {
		c.lru.MoveToFront(el)
		if e := el.Value.(*ixEntry); e.col != nil && !seen[e.key.col] {
			seen[e.key.col] = true
			out.Columns = append(out.Columns, *e.col)
		}
	}
	return out, true
}

func (c *indexCache) putLocked(e *ixEntry) {
	if el, ok := c.byKey[e.key]; ok { // loaded concurrently
		c.removeLocked(el)
	}
	c.byKey[e.key] = c.lru.PushFront(e)
	c.bytes += e.size
	for c.bytes > c.limit && c.lru.Len() > 1 {
		c.removeLocked(c.lru.Back())
	}
}

func (c *indexCache) removeLocked(el *list.Element) {
	e := el.Value.(*ixEntry)
	c.lru.Remove(el)
	delete(c.byKey, e.key)
	c.bytes -= e.size
}

// load reads and decodes f's artifact: the linked one, else the one at
// the conventional key (built by an indexer after this node listed f).
func (c *indexCache) load(ctx context.Context, f *catalog.File) *index.Index {
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
		return nil
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err == nil {
		var ix *index.Index
		if ix, err = index.Decode(b); err == nil {
			if len(ix.RowGroups) == 0 || sum(ix.RowGroups) != f.Rows {
				err = errors.New("row counts differ from the file's")
			} else {
				return ix
			}
		}
	}
	c.failures.Inc()
	c.log.Warn("index artifact unusable, file not pruned", "file", f.ID, "key", key, "err", err)
	return nil
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}
