package exec

import (
	"container/list"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/arrowsize"
)

// ReadCache keeps copies of small decoded reads of Parquet files: the
// first batch of a scan under a LIMIT without a filter, and the rows a
// row selection read (the candidate rows of a LIKE). Such reads decode
// whole pages for a few rows — most of their cost is decompression — and
// a query run again reads the same rows of the same files. Files are
// immutable (a path always names the same bytes), so an entry never goes
// stale; a key also names the columns, their Arrow types and the rows.
//
// Entries are compact copies in the cache's own memory (never slices of a
// query's buffers); reads above maxEntry bytes are not kept. It holds at
// most max bytes, dropping the least recently used. A ReadCache is safe
// for concurrent use; the zero value is not usable, use NewReadCache.
type ReadCache struct {
	mu       sync.Mutex
	max      int64
	maxEntry int64
	size     int64
	items    map[string]*list.Element // of *readEntry
	lru      list.List                // front: most recent
	mem      memory.Allocator

	hits, misses int64
}

// DefaultReadCacheBytes is the size of the read cache of a planner
// engine and of a search server: 64 MiB.
const DefaultReadCacheBytes = 64 << 20

type readEntry struct {
	key  string
	rec  arrow.RecordBatch
	size int64
}

// NewReadCache returns a cache of at most maxBytes bytes that keeps reads
// of at most maxBytes/64 bytes (and at least 64 KiB).
func NewReadCache(maxBytes int64) *ReadCache {
	return &ReadCache{max: maxBytes, maxEntry: max(maxBytes/64, 64<<10), items: map[string]*list.Element{}, mem: memory.DefaultAllocator}
}

// get returns the cached batch of key, retained for the caller, or nil.
func (c *ReadCache) get(key string) arrow.RecordBatch {
	if c == nil || key == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		c.misses++
		return nil
	}
	c.hits++
	c.lru.MoveToFront(e)
	rec := e.Value.(*readEntry).rec
	rec.Retain()
	return rec
}

// put keeps a copy of rec under key when it is small enough.
func (c *ReadCache) put(key string, rec arrow.RecordBatch) {
	if c == nil || key == "" || rec == nil {
		return
	}
	size := arrowsize.Record(rec)
	if size > c.maxEntry {
		return
	}
	cp, err := compactCopy(c.mem, rec)
	if err != nil {
		return // not cached: the read itself is fine
	}
	size = arrowsize.Record(cp)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		cp.Release()
		return
	}
	c.items[key] = c.lru.PushFront(&readEntry{key: key, rec: cp, size: size})
	c.size += size
	for c.size > c.max && c.lru.Len() > 0 {
		old := c.lru.Back()
		c.lru.Remove(old)
		ent := old.Value.(*readEntry)
		delete(c.items, ent.key)
		c.size -= ent.size
		ent.rec.Release()
	}
}

// Stats returns the cache's hits, misses, entries and bytes held.
func (c *ReadCache) Stats() (hits, misses int64, entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, c.lru.Len(), c.size
}

// compactCopy copies rec's columns into fresh buffers of mem, holding
// only rec's rows.
func compactCopy(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, col := range rec.Columns() {
		cp, err := array.Concatenate([]arrow.Array{col}, mem)
		if err != nil {
			return nil, err
		}
		cols[i] = cp
	}
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows()), nil
}

// readKey names a read of path: its kind, the output schema (columns and
// Arrow types) and what was read (row groups, rows, batch size).
func readKey(kind, path string, schema *arrow.Schema, what string, rows []int64) string {
	var b strings.Builder
	b.WriteString(kind)
	b.WriteByte(0)
	b.WriteString(path)
	b.WriteByte(0)
	for _, f := range schema.Fields() {
		b.WriteString(f.Name)
		b.WriteByte(1)
		b.WriteString(f.Type.String())
		b.WriteByte(0)
	}
	b.WriteString(what)
	b.WriteByte(0)
	var buf [binary.MaxVarintLen64]byte
	for _, r := range rows {
		b.Write(buf[:binary.PutVarint(buf[:], r)])
	}
	return b.String()
}

// headKey names the first batch of s under a plain LIMIT, or "" when s
// is not such a scan or that batch was taken.
func (s *Scan) headKey() string {
	if !s.p.heads || s.p.Reads == nil || s.headTaken || !s.reading || s.src.File == nil || s.rr != nil ||
		s.text != nil || s.cand != nil || len(s.parts) == 0 || !s.parts[0].whole || s.parts[0].top {
		return ""
	}
	return readKey("head", s.src.File.Path, s.schema,
		fmt.Sprintf("%v/%v/%d", s.parts[0].groups, s.dictCols, s.p.batchRows()), nil)
}

// Next returns the scan's next batch (see Operator). The first batch of a
// plain LIMIT's scan comes from p.Reads when it holds it; the file is then
// only opened for reading if more rows are asked for, and its first batch
// is skipped.
func (s *Scan) Next(ctx context.Context) (arrow.RecordBatch, error) {
	key := s.headKey()
	if key == "" {
		return s.next(ctx)
	}
	s.headTaken = true
	if rec := s.p.Reads.get(key); rec != nil {
		rec = s.withSchema(rec)
		if s.cur != nil {
			s.cur.Release()
		}
		s.cur, s.skipHead = rec, true
		s.Rows += rec.NumRows()
		return rec, nil
	}
	rec, err := s.next(ctx)
	if err == nil {
		s.p.Reads.put(key, rec)
	}
	return rec, err
}

// readRowsCached is readRows through p.Reads for small selections.
func (s *Scan) readRowsCached(ctx context.Context, part scanPart) (arrow.RecordBatch, error) {
	if s.p.Reads == nil || len(part.rows) > maxCachedRows {
		return s.readRows(ctx, part)
	}
	key := readKey("rows", s.src.File.Path, s.schema, strconv.Itoa(part.group), part.rows)
	if rec := s.p.Reads.get(key); rec != nil {
		return s.withSchema(rec), nil
	}
	rec, err := s.readRows(ctx, part)
	if err == nil {
		s.p.Reads.put(key, rec)
	}
	return rec, err
}

// maxCachedRows bounds the row selections ReadCache keeps.
const maxCachedRows = 4096

// withSchema returns rec (whose reference it takes) labelled with the
// scan's schema: a cached batch has the types the key names, but the
// field metadata of the scan that read it.
func (s *Scan) withSchema(rec arrow.RecordBatch) arrow.RecordBatch {
	if rec.Schema() == s.schema {
		return rec
	}
	out := array.NewRecordBatch(s.schema, rec.Columns(), rec.NumRows())
	rec.Release()
	return out
}
