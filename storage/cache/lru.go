package cache

import (
	"container/list"
	"context"
	"errors"
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
	k         entryKey
	data      []byte // a block's bytes (nil for a size entry)
	size      int64  // an object's size (size entries)
	cost      int64
	protected bool // in the protected segment (hit again after its load)
}

// protectedShare is the part of the capacity the protected segment may
// fill; the rest is the probation segment new entries enter.
const protectedShare = 0.8

// lru is a size-limited map of blocks and object sizes with segmented
// least-recently-used eviction, and single-flight loading: concurrent gets
// of a missing entry run one load. It is safe for concurrent use.
//
// Segmented LRU makes the cache scan resistant: a loaded entry enters the
// probation segment, and only a later hit moves it to the protected one
// (up to protectedShare of the capacity; its least recent entries go
// back to probation). Eviction takes probation's least recent entry
// first, so one pass over a large file (read once) cycles through
// probation and leaves the hot set, read again and again, in place.
type lru struct {
	max     int64
	maxProt int64
	onEvict func()

	mu        sync.Mutex
	bytes     int64
	protBytes int64
	probation *list.List // of *entry, most recent first
	protected *list.List // of *entry, most recent first
	items     map[entryKey]*list.Element
	flights   map[entryKey]*flight
	epoch     uint64 // bumped by forget: loads started before do not store
}

type flight struct {
	done  chan struct{}
	e     *entry
	err   error
	epoch uint64
}

func newLRU(max int64, onEvict func()) *lru {
	return &lru{max: max, maxProt: int64(float64(max) * protectedShare), onEvict: onEvict,
		probation: list.New(), protected: list.New(),
		items: map[entryKey]*list.Element{}, flights: map[entryKey]*flight{}}
}

// get returns the entry under k, loading it with load when missing.
// loaded reports whether this call ran the load (a miss); a caller that
// found the entry or waited for another caller's load did not. Callers of
// the same missing k wait for one load; the load runs under ctx of the
// first caller made independent of its cancellation (see loadContext), and
// a waiter whose ctx ends stops waiting.
func (c *lru) get(ctx context.Context, k entryKey, load func(context.Context) (*entry, error)) (e *entry, loaded bool, err error) {
	c.mu.Lock()
	for {
		if e := c.hitLocked(k); e != nil {
			c.mu.Unlock()
			return e, false, nil
		}
		f, ok := c.flights[k]
		if !ok {
			break
		}
		c.mu.Unlock()
		select {
		case <-f.done:
			if !errors.Is(f.err, errAbandoned) {
				return f.e, false, f.err
			}
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		c.mu.Lock() // the loader gave up before loading: look again
	}
	f := c.claimLocked(k)
	c.mu.Unlock()

	lctx, cancel := loadContext(ctx)
	e, err = load(lctx)
	cancel()
	c.complete(k, f, e, err)
	return f.e, true, f.err
}

// errAbandoned completes a claimed flight whose load never ran (the
// request that claimed it ended first): its waiters look again.
var errAbandoned = errors.New("cache: load abandoned")

// claim registers this caller as the loader of each of keys that is
// neither cached nor being loaded, and returns those keys' flights (nil
// for the others). The caller must complete every flight it got.
func (c *lru) claim(keys []entryKey) []*flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*flight, len(keys))
	for i, k := range keys {
		if _, ok := c.items[k]; ok {
			continue
		}
		if _, ok := c.flights[k]; ok {
			continue
		}
		out[i] = c.claimLocked(k)
	}
	return out
}

func (c *lru) claimLocked(k entryKey) *flight {
	f := &flight{done: make(chan struct{}), epoch: c.epoch}
	c.flights[k] = f
	return f
}

// complete ends the load of k that claimed f: it stores e (unless the
// load failed or key was forgotten meanwhile) and wakes the waiters.
func (c *lru) complete(k entryKey, f *flight, e *entry, err error) {
	f.e, f.err = e, err
	c.mu.Lock()
	delete(c.flights, k)
	if err == nil && c.epoch == f.epoch {
		e.k = k
		e.cost = int64(len(e.data)) + int64(len(k.key)) + entryOverhead
		c.insertLocked(e)
	}
	c.mu.Unlock()
	close(f.done)
}

// hitLocked returns the cached entry under k (nil when missing) and
// records the hit: a probation entry is promoted.
func (c *lru) hitLocked(k entryKey) *entry {
	el, ok := c.items[k]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if e.protected {
		c.protected.MoveToFront(el)
		return e
	}
	c.probation.Remove(el)
	e.protected = true
	c.items[k] = c.protected.PushFront(e)
	c.protBytes += e.cost
	// The protected segment over its share: its least recent entries go
	// back to probation, as the most recent there.
	for c.protBytes > c.maxProt && c.protected.Len() > 1 {
		old := c.protected.Remove(c.protected.Back()).(*entry)
		old.protected = false
		c.protBytes -= old.cost
		c.items[old.k] = c.probation.PushFront(old)
	}
	return e
}

func (c *lru) insertLocked(e *entry) {
	if e.cost > c.max {
		return // larger than the whole cache: served, not kept
	}
	if _, ok := c.items[e.k]; ok {
		return
	}
	e.protected = false
	c.items[e.k] = c.probation.PushFront(e)
	c.bytes += e.cost
	for c.bytes > c.max {
		l := c.probation
		if l.Len() == 0 {
			l = c.protected
		}
		old := l.Remove(l.Back()).(*entry)
		delete(c.items, old.k)
		c.bytes -= old.cost
		if old.protected {
			c.protBytes -= old.cost
		}
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
	for _, l := range []*list.List{c.probation, c.protected} {
		for el := l.Front(); el != nil; {
			next := el.Next()
			if e := el.Value.(*entry); e.k.key == key {
				l.Remove(el)
				delete(c.items, e.k)
				c.bytes -= e.cost
				if e.protected {
					c.protBytes -= e.cost
				}
			}
			el = next
		}
	}
}

// usage returns the bytes charged for the cached entries and their count.
func (c *lru) usage() (bytes int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, len(c.items)
}
