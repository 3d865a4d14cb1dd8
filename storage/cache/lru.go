package cache

import (
	"container/list"
	"context"
	"sync"
)

// entryKey names one cached item: block idx of the object key of the
// given size, or the object's size itself (idx sizeEntry).
type entryKey struct {
	key  string
	size int64
	idx  int64
}

// sizeEntry is the idx of an object's size entry.
const sizeEntry = -1

// entryOverhead is what an entry costs besides its bytes and key: the map
// slot, the list element and the entry struct, rounded up.
const entryOverhead = 160

type entry struct {
	k    entryKey
	data []byte // a block's bytes (nil for a size entry)
	size int64  // an object's size (size entries)
	cost int64
}

// lru is a size-limited map of blocks and object sizes with least
// recently used eviction, and single-flight loading: concurrent gets of a
// missing entry run one load. It is safe for concurrent use.
type lru struct {
	max     int64
	onEvict func()

	mu      sync.Mutex
	bytes   int64
	ll      *list.List // of *entry, most recent first
	items   map[entryKey]*list.Element
	flights map[entryKey]*flight
	epoch   uint64 // bumped by forget: loads started before do not store
}

type flight struct {
	done chan struct{}
	e    *entry
	err  error
}

func newLRU(max int64, onEvict func()) *lru {
	return &lru{max: max, onEvict: onEvict, ll: list.New(),
		items: map[entryKey]*list.Element{}, flights: map[entryKey]*flight{}}
}

// get returns the entry under k, loading it with load when missing.
// loaded reports whether this call ran the load (a miss); a caller that
// found the entry or waited for another caller's load did not. Callers of the same missing k wait for
// one load; the load runs under ctx of the first caller made independent
// of its cancellation (see loadContext), and a waiter whose ctx ends
// stops waiting.
func (c *lru) get(ctx context.Context, k entryKey, load func(context.Context) (*entry, error)) (e *entry, loaded bool, err error) {
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*entry), false, nil
	}
	if f, ok := c.flights[k]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.e, false, f.err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[k] = f
	epoch := c.epoch
	c.mu.Unlock()

	lctx, cancel := loadContext(ctx)
	f.e, f.err = load(lctx)
	cancel()
	c.mu.Lock()
	delete(c.flights, k)
	if f.err == nil && c.epoch == epoch {
		f.e.k = k
		f.e.cost = int64(len(f.e.data)) + int64(len(k.key)) + entryOverhead
		c.insertLocked(f.e)
	}
	c.mu.Unlock()
	close(f.done)
	return f.e, true, f.err
}

func (c *lru) insertLocked(e *entry) {
	if e.cost > c.max {
		return // larger than the whole cache: served, not kept
	}
	if _, ok := c.items[e.k]; ok {
		return
	}
	c.items[e.k] = c.ll.PushFront(e)
	c.bytes += e.cost
	for c.bytes > c.max {
		old := c.ll.Remove(c.ll.Back()).(*entry)
		delete(c.items, old.k)
		c.bytes -= old.cost
		if c.onEvict != nil {
			c.onEvict()
		}
	}
}

// forget drops every entry of key and keeps loads in flight from storing
// what they read (it may be the replaced object).
func (c *lru) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for el := c.ll.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*entry); e.k.key == key {
			c.ll.Remove(el)
			delete(c.items, e.k)
			c.bytes -= e.cost
		}
		el = next
	}
}

// usage returns the bytes charged for the cached entries and their count.
func (c *lru) usage() (bytes int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, c.ll.Len()
}
