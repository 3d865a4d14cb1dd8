package storage

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// OrphanCollector deletes data objects that no catalog file row references:
// uploads whose publish never happened (a crash between the object store
// PUT and the catalog transaction) and the files of dropped tables. The
// Bucket interface has no object ages, so the collector remembers when it
// first saw each unreferenced key and deletes it only after it stayed
// unreferenced for Grace; a publish in flight is never that slow. The memory
// is per process: a new control leader starts the grace over, which only
// delays deletion. One catalog owns the "tables/" prefix of the bucket.
type OrphanCollector struct {
	Bucket  objstore.Bucket
	Catalog catalog.Catalog
	Grace   time.Duration
	Logger  *slog.Logger

	mu   sync.Mutex
	seen map[string]time.Time // unreferenced key -> first seen
}

// Collect runs one pass at time now. check is called once before the
// first delete (the caller's fencing check); when it fails nothing is
// deleted. It returns the number of objects deleted.
func (c *OrphanCollector) Collect(ctx context.Context, now time.Time, check func(context.Context) error) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	// List the objects before reading the catalog: an object published
	// in between is then seen referenced.
	var keys []string
	if err := c.Bucket.List(ctx, "tables/", func(key string, _ int64) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("list objects: %w", err)
	}
	refs := map[string]bool{}
	tables, err := c.Catalog.ListTables(ctx)
	if err != nil {
		return 0, fmt.Errorf("list tables: %w", err)
	}
	for _, t := range tables {
		files, err := c.Catalog.ListFiles(ctx, t.ID)
		if err != nil {
			return 0, fmt.Errorf("list files of %s: %w", t.Name, err)
		}
		for _, f := range files {
			refs[f.Path] = true
		}
	}
	var due []string
	orphans := map[string]bool{}
	for _, k := range keys {
		if refs[k] || !strings.HasPrefix(k, "tables/") {
			continue
		}
		orphans[k] = true
		first, ok := c.seen[k]
		if !ok {
			c.seen[k] = now
			continue
		}
		if now.Sub(first) >= c.Grace {
			due = append(due, k)
		}
	}
	for k := range c.seen {
		if !orphans[k] {
			delete(c.seen, k)
		}
	}
	if len(due) == 0 {
		return 0, nil
	}
	if err := check(ctx); err != nil {
		return 0, err
	}
	n := 0
	for _, k := range due {
		if err := c.Bucket.Delete(ctx, k); err != nil {
			return n, fmt.Errorf("delete %s: %w", k, err)
		}
		delete(c.seen, k)
		n++
		if c.Logger != nil {
			c.Logger.Info("deleted orphan object", "file", k)
		}
	}
	return n, nil
}

// Pending returns how many unreferenced objects wait for their grace period.
func (c *OrphanCollector) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
