package exec

import (
	"container/list"
	"sync"

	"openwit/storage/pqfile"
)

// FooterCache keeps the parsed footers of recently scanned Parquet files,
// by object path, so that a scan opens a file without reading, decoding
// and checking its footer again (files are immutable: a path always names
// the same bytes). It holds at most a fixed number of footers, dropping
// the least recently used. A FooterCache is safe for concurrent use; the
// zero value is not usable, use NewFooterCache.
type FooterCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element // of *footerEntry
	lru   list.List                // front: most recent
}

type footerEntry struct {
	path string
	f    *pqfile.Footer
}

// NewFooterCache returns a cache of at most max footers (a footer of a
// file with a few row groups takes a few KiB).
func NewFooterCache(max int) *FooterCache {
	return &FooterCache{max: max, items: map[string]*list.Element{}}
}

func (c *FooterCache) get(path string) *pqfile.Footer {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[path]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(e)
	return e.Value.(*footerEntry).f
}

func (c *FooterCache) put(path string, f *pqfile.Footer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[path]; ok {
		e.Value.(*footerEntry).f = f
		c.lru.MoveToFront(e)
		return
	}
	c.items[path] = c.lru.PushFront(&footerEntry{path: path, f: f})
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.items, old.Value.(*footerEntry).path)
	}
}

// Len returns the number of cached footers.
func (c *FooterCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// lookup returns the footer of the file at path when it is cached for a
// file of that size (nil cache: none).
func (c *FooterCache) lookup(path string, size int64) *pqfile.Footer {
	if c == nil {
		return nil
	}
	if f := c.get(path); f != nil && f.Size() == size {
		return f
	}
	return nil
}
