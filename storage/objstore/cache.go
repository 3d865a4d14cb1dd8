package objstore

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Defaults of [CacheConfig].
const (
	DefaultCacheBlockSize = 1 << 20
	// cacheMaxRun bounds the blocks one miss fetches with a single read.
	cacheMaxRun = 16
)

// CacheConfig configures a [Cache].
type CacheConfig struct {
	// Dir holds the cached blocks; it is created when missing. Only one
	// process may use a directory at a time.
	Dir string
	// MaxBytes bounds the bytes of cached blocks on disk.
	MaxBytes int64
	// BlockSize is the unit of caching (default DefaultCacheBlockSize).
	BlockSize int64
	// Registerer registers the cache metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Cache is a [Bucket] that keeps blocks of the objects read through its
// [FileOpener] capability in a size-limited LRU cache on local disk. The
// package documentation describes the layout and why it is safe.
type Cache struct {
	b   Bucket
	cfg CacheConfig
	m   *cacheMetrics

	mu       sync.Mutex
	lru      *list.List // of *cacheBlock, most recent first
	blocks   map[blockID]*list.Element
	objects  map[string]*cacheObject // by object id (hash of the key)
	inflight map[blockID]chan struct{}
	bytes    int64
}

var (
	_ Bucket     = (*Cache)(nil)
	_ FileOpener = (*Cache)(nil)
)

type blockID struct {
	obj  string // objectID: hash of the key
	size int64  // the object's size: part of its identity
	idx  int64
}

type cacheBlock struct {
	id   blockID
	len  int64
	crc  uint32
	path string
	// verified: the file's bytes matched crc once in this process (or
	// were written by it), so reads take only the bytes they want
	// instead of reading and checking the whole block (guarded by mu).
	verified bool
}

// cacheObject tracks one object with blocks in the cache or a fetch in
// flight; it is dropped when it has neither.
type cacheObject struct {
	size     int64 // -1 after invalidation, until a block is stored again
	blocks   int   // cached blocks of this size
	fetching int   // fetches in flight
	gen      uint64
}

type cacheMetrics struct {
	hits, misses, hitBytes, missBytes, evictions, corrupt prometheus.Counter
	bytes                                                 prometheus.Gauge
}

func newCacheMetrics(reg prometheus.Registerer) *cacheMetrics {
	f := promauto.With(reg)
	c := func(name, help string) prometheus.Counter {
		return f.NewCounter(prometheus.CounterOpts{Name: "openwit_objstore_cache_" + name, Help: help})
	}
	return &cacheMetrics{
		hits:      c("hits_total", "Cache blocks read from local disk."),
		misses:    c("misses_total", "Cache blocks fetched from the object store."),
		hitBytes:  c("hit_bytes_total", "Bytes served from cached blocks."),
		missBytes: c("miss_bytes_total", "Bytes fetched from the object store into the cache."),
		evictions: c("evictions_total", "Cache blocks evicted to stay within the size limit."),
		corrupt:   c("corrupt_total", "Cached blocks dropped because their checksum did not match."),
		bytes: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_objstore_cache_bytes",
			Help: "Bytes of cached blocks on local disk."}),
	}
}

// Cached wraps b with a read cache of at most maxBytes in dir; see
// [NewCache].
func Cached(b Bucket, dir string, maxBytes int64) (*Cache, error) {
	return NewCache(b, CacheConfig{Dir: dir, MaxBytes: maxBytes})
}

// NewCache wraps b with a read cache. Blocks left in cfg.Dir by an earlier
// run are kept (their order of use is taken from their modification
// times); unfinished temporary files are removed.
func NewCache(b Bucket, cfg CacheConfig) (*Cache, error) {
	if cfg.Dir == "" {
		return nil, errors.New("object cache: empty directory")
	}
	if cfg.MaxBytes <= 0 {
		return nil, fmt.Errorf("object cache: size limit %d is not positive", cfg.MaxBytes)
	}
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = DefaultCacheBlockSize
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("object cache: %w", err)
	}
	c := &Cache{b: b, cfg: cfg, m: newCacheMetrics(cfg.Registerer), lru: list.New(),
		blocks: map[blockID]*list.Element{}, objects: map[string]*cacheObject{}, inflight: map[blockID]chan struct{}{}}
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("object cache %s: %w", cfg.Dir, err)
	}
	return c, nil
}

// Unwrap returns the bucket the cache reads from.
func (c *Cache) Unwrap() Bucket { return c.b }

// Bytes returns the bytes of cached blocks.
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

func objectID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// blockName is "<object id>-<object size>-<block index>-<crc32c>".
func blockName(id blockID, crc uint32) string {
	return fmt.Sprintf("%s-%d-%d-%08x", id.obj, id.size, id.idx, crc)
}

func parseBlockName(name string) (blockID, uint32, bool) {
	f := strings.Split(name, "-")
	if len(f) != 4 || len(f[0]) != 32 {
		return blockID{}, 0, false
	}
	size, err1 := strconv.ParseInt(f[1], 10, 64)
	idx, err2 := strconv.ParseInt(f[2], 10, 64)
	crc, err3 := strconv.ParseUint(f[3], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil || size < 0 || idx < 0 {
		return blockID{}, 0, false
	}
	return blockID{obj: f[0], size: size, idx: idx}, uint32(crc), true
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// load indexes the blocks already in the directory.
func (c *Cache) load() error {
	type found struct {
		blk   *cacheBlock
		mtime time.Time
	}
	var all []found
	err := filepath.WalkDir(c.cfg.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Dir(p) == filepath.Clean(c.cfg.Dir) {
			return nil // top-level files (such as a LOCK) are not ours
		}
		id, crc, ok := parseBlockName(d.Name())
		info, ierr := d.Info()
		if !ok || ierr != nil || filepath.Dir(p) != c.subdir(id.obj) || info.Size() > c.cfg.BlockSize {
			// Temporary files of a crashed run, and anything else.
			_ = os.Remove(p)
			return nil
		}
		all = append(all, found{&cacheBlock{id: id, len: info.Size(), crc: crc, path: p}, info.ModTime()})
		return nil
	})
	if err != nil {
		return err
	}
	// Blocks of two sizes under one key: the key was overwritten; which
	// blocks are current is unknown, so drop them all.
	sizes := map[string]int64{}
	mixed := map[string]bool{}
	for _, f := range all {
		if s, ok := sizes[f.blk.id.obj]; ok && s != f.blk.id.size {
			mixed[f.blk.id.obj] = true
		}
		sizes[f.blk.id.obj] = f.blk.id.size
	}
	slices.SortFunc(all, func(a, b found) int { return b.mtime.Compare(a.mtime) })
	for _, f := range all {
		if mixed[f.blk.id.obj] {
			_ = os.Remove(f.blk.path)
			continue
		}
		c.insertLocked(f.blk)
		c.lru.MoveToBack(c.blocks[f.blk.id]) // oldest last
	}
	c.evictLocked()
	return nil
}

func (c *Cache) subdir(obj string) string { return filepath.Join(c.cfg.Dir, obj[:2]) }

// insertLocked adds blk at the front of the LRU list.
func (c *Cache) insertLocked(blk *cacheBlock) {
	if _, ok := c.blocks[blk.id]; ok {
		return
	}
	c.blocks[blk.id] = c.lru.PushFront(blk)
	o := c.objects[blk.id.obj]
	if o == nil {
		o = &cacheObject{size: blk.id.size}
		c.objects[blk.id.obj] = o
	}
	if o.size != blk.id.size {
		// The first block since an invalidation: blocks of another
		// size are no longer counted and age out.
		o.size, o.blocks = blk.id.size, 0
	}
	o.blocks++
	c.bytes += blk.len
	c.m.bytes.Set(float64(c.bytes))
}

func (c *Cache) removeLocked(e *list.Element) {
	blk := c.lru.Remove(e).(*cacheBlock)
	delete(c.blocks, blk.id)
	if o := c.objects[blk.id.obj]; o != nil && o.size == blk.id.size {
		o.blocks--
		c.dropIdleLocked(blk.id.obj, o)
	}
	c.bytes -= blk.len
	c.m.bytes.Set(float64(c.bytes))
	_ = os.Remove(blk.path)
}

func (c *Cache) dropIdleLocked(obj string, o *cacheObject) {
	if o.blocks <= 0 && o.fetching == 0 {
		delete(c.objects, obj)
	}
}

func (c *Cache) evictLocked() {
	for c.bytes > c.cfg.MaxBytes && c.lru.Len() > 0 {
		c.removeLocked(c.lru.Back())
		c.m.evictions.Inc()
	}
}

// invalidate drops every cached block of key: it was replaced or deleted
// through this cache.
func (c *Cache) invalidate(key string) {
	obj := objectID(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.lru.Front(); e != nil; {
		next := e.Next()
		if e.Value.(*cacheBlock).id.obj == obj {
			c.removeLocked(e)
		}
		e = next
	}
	if o := c.objects[obj]; o != nil {
		// Fetches in flight see the new generation and do not store.
		o.gen++
		o.size, o.blocks = -1, 0
		c.dropIdleLocked(obj, o)
	}
}

// Put implements [Bucket.Put] and forgets the cached blocks of key.
func (c *Cache) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	err := c.b.Put(ctx, key, r, size)
	if CheckKey(key) == nil {
		c.invalidate(key)
	}
	return err
}

// Delete implements [Bucket.Delete] and forgets the cached blocks of key.
func (c *Cache) Delete(ctx context.Context, key string) error {
	err := c.b.Delete(ctx, key)
	if CheckKey(key) == nil {
		c.invalidate(key)
	}
	return err
}

// Get implements [Bucket.Get]; whole-object reads are not cached.
func (c *Cache) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return c.b.Get(ctx, key)
}

// GetRange implements [Bucket.GetRange]; it is not cached (only OpenFile
// is, where the object's identity is fixed for the reads).
func (c *Cache) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	return c.b.GetRange(ctx, key, off, length)
}

// Size implements [Bucket.Size].
func (c *Cache) Size(ctx context.Context, key string) (int64, error) { return c.b.Size(ctx, key) }

// List implements [Bucket.List].
func (c *Cache) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	return c.b.List(ctx, prefix, fn)
}

// OpenFile implements [FileOpener]. An object with blocks in the cache
// opens without a request; reads of blocks not in the cache fetch them
// (runs of missing blocks in one read) and store them.
func (c *Cache) OpenFile(ctx context.Context, key string) (File, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %q: %w", key, err)
	}
	f := &cacheFile{ctx: ctx, c: c, key: key, obj: objectID(key), size: -1}
	c.mu.Lock()
	if o := c.objects[f.obj]; o != nil && o.blocks > 0 && o.size >= 0 {
		f.size = o.size
		c.mu.Unlock()
		return f, nil
	}
	c.mu.Unlock()
	if err := f.openSource(); err != nil {
		return nil, err
	}
	f.size = f.src.Size()
	return f, nil
}

// cacheFile is an object opened through the cache.
type cacheFile struct {
	ctx  context.Context
	c    *Cache
	key  string
	obj  string
	size int64 // -1 until known

	srcMu sync.Mutex
	src   File // the object in the underlying bucket, opened on first miss
	// blocks are the block files this file has read, kept open for its
	// later reads (at most maxOpenBlocks; closed by Close). A block's
	// bytes never change under its name, so a handle stays right even when
	// the block is evicted meanwhile (the open file outlives its name).
	blocks map[string]*os.File
}

// maxOpenBlocks bounds the block files one cacheFile keeps open.
const maxOpenBlocks = 32

func (f *cacheFile) Size() int64 { return f.size }

func (f *cacheFile) Close() error {
	f.srcMu.Lock()
	defer f.srcMu.Unlock()
	for path, bf := range f.blocks {
		_ = bf.Close()
		delete(f.blocks, path)
	}
	if f.src == nil {
		return nil
	}
	err := f.src.Close()
	f.src = nil
	return err
}

func (f *cacheFile) openSource() error {
	f.srcMu.Lock()
	defer f.srcMu.Unlock()
	if f.src != nil {
		return nil
	}
	var src File
	if fo, ok := f.c.b.(FileOpener); ok {
		s, err := fo.OpenFile(f.ctx, f.key)
		if err != nil {
			return err
		}
		src = s
	} else {
		ra, err := NewReaderAt(f.ctx, f.c.b, f.key)
		if err != nil {
			return err
		}
		src = readerAtFile{ra}
	}
	if f.size >= 0 && src.Size() != f.size {
		_ = src.Close()
		f.c.invalidate(f.key)
		return fmt.Errorf("read %q: object changed size from %d to %d while cached", f.key, f.size, src.Size())
	}
	f.src = src
	return nil
}

type readerAtFile struct{ *ReaderAt }

func (readerAtFile) Close() error { return nil }

func (f *cacheFile) ReadAt(p []byte, off int64) (int, error) {
	want, done, err := readSpan(f.key, f.size, len(p), off)
	if done {
		return 0, err
	}
	bs := f.c.cfg.BlockSize
	last := (off + want - 1) / bs
	n := int64(0)
	for n < want {
		pos := off + n
		idx := pos / bs
		got, err := f.readFromBlocks(p[n:want], pos, idx, last)
		n += got
		if err != nil {
			return int(n), err
		}
	}
	if want < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// blockLen returns the length of block idx of the object.
func (f *cacheFile) blockLen(idx int64) int64 {
	bs := f.c.cfg.BlockSize
	return min(bs, f.size-idx*bs)
}

// readFromBlocks fills p (object bytes from pos, within block idx and up to
// block last) from a cached block or by fetching a run of missing blocks.
func (f *cacheFile) readFromBlocks(p []byte, pos, idx, last int64) (int64, error) {
	c := f.c
	bs := c.cfg.BlockSize
	id := blockID{obj: f.obj, size: f.size, idx: idx}
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		if e, ok := c.blocks[id]; ok {
			c.lru.MoveToFront(e)
			blk := e.Value.(*cacheBlock)
			c.mu.Unlock()
			n, err := f.readCached(blk, p, pos-idx*bs)
			if err == nil {
				c.m.hits.Inc()
				c.m.hitBytes.Add(float64(n))
				CountCacheRead(f.ctx, n)
				return n, nil
			}
			continue // corrupt or evicted meanwhile: fetch it
		}
		if wait, ok := c.inflight[id]; ok && attempt < 3 {
			c.mu.Unlock()
			select {
			case <-wait:
			case <-f.ctx.Done():
				return 0, fmt.Errorf("read %q: %w", f.key, f.ctx.Err())
			}
			continue
		}
		// Claim the run of missing blocks from idx on.
		run := []int64{idx}
		if _, ok := c.inflight[id]; ok {
			run = run[:0] // someone else's fetch keeps failing: fetch without claiming
		}
		for j := idx + 1; j <= last && j < idx+cacheMaxRun; j++ {
			jid := blockID{obj: f.obj, size: f.size, idx: j}
			if _, ok := c.blocks[jid]; ok {
				break
			}
			if _, ok := c.inflight[jid]; ok {
				break
			}
			run = append(run, j)
		}
		done := make(chan struct{})
		for _, j := range run {
			c.inflight[blockID{obj: f.obj, size: f.size, idx: j}] = done
		}
		o := c.objects[f.obj]
		if o == nil {
			o = &cacheObject{size: f.size}
			c.objects[f.obj] = o
		}
		o.fetching++
		gen := o.gen
		c.mu.Unlock()
		end := idx + 1
		if len(run) > 0 {
			end = run[len(run)-1] + 1
		}
		n, err := f.fetch(p, pos, idx, end, run, gen)
		c.mu.Lock()
		for _, j := range run {
			delete(c.inflight, blockID{obj: f.obj, size: f.size, idx: j})
		}
		o.fetching--
		if c.objects[f.obj] == o {
			c.dropIdleLocked(f.obj, o)
		}
		c.mu.Unlock()
		close(done)
		return n, err
	}
}

// readCached copies the block's bytes from boff on into p. The first read
// of a block in this process reads the whole file and checks its checksum
// (a block left by an earlier run may be torn or rotten); later reads take
// only the bytes wanted, so the many small reads of a Parquet reader (page
// headers, page index, 64 KiB buffers) cost what they read, not a block.
// A block that fails the check or is gone (evicted meanwhile) is dropped
// and the caller fetches it again.
func (f *cacheFile) readCached(blk *cacheBlock, p []byte, boff int64) (int64, error) {
	f.c.mu.Lock()
	verified := blk.verified
	f.c.mu.Unlock()
	var (
		n   int64
		err error
	)
	if verified {
		n, err = f.readBlockPart(blk.path, p[:min(int64(len(p)), blk.len-boff)], boff)
	} else {
		var data []byte
		data, err = os.ReadFile(blk.path)
		if err == nil && (int64(len(data)) != blk.len || crc32.Checksum(data, castagnoli) != blk.crc) {
			f.c.m.corrupt.Inc()
			err = errors.New("checksum mismatch")
		}
		if err == nil {
			n = int64(copy(p, data[boff:]))
			f.c.mu.Lock()
			blk.verified = true
			f.c.mu.Unlock()
		}
	}
	if err != nil {
		f.c.mu.Lock()
		if e, ok := f.c.blocks[blk.id]; ok && e.Value.(*cacheBlock) == blk {
			f.c.removeLocked(e)
		}
		f.c.mu.Unlock()
		return 0, err
	}
	return n, nil
}

// readBlockPart reads len(p) bytes at off of the block file at path,
// through a handle kept open for the file's later reads.
func (f *cacheFile) readBlockPart(path string, p []byte, off int64) (int64, error) {
	f.srcMu.Lock()
	bf := f.blocks[path]
	f.srcMu.Unlock()
	keep := false
	if bf == nil {
		var err error
		if bf, err = os.Open(path); err != nil {
			return 0, err
		}
		f.srcMu.Lock()
		if f.blocks == nil {
			f.blocks = map[string]*os.File{}
		}
		if old := f.blocks[path]; old != nil {
			// Opened concurrently: use the kept one.
			_ = bf.Close()
			bf, keep = old, true
		} else if len(f.blocks) < maxOpenBlocks {
			f.blocks[path], keep = bf, true
		}
		f.srcMu.Unlock()
	} else {
		keep = true
	}
	n, err := bf.ReadAt(p, off)
	if !keep {
		_ = bf.Close()
	}
	if err != nil {
		// The block is shorter than its name says: a short read is an
		// error, never a partial answer.
		if keep {
			f.srcMu.Lock()
			if f.blocks[path] == bf {
				delete(f.blocks, path)
				_ = bf.Close()
			}
			f.srcMu.Unlock()
		}
		return 0, fmt.Errorf("read cached block %s: %w", filepath.Base(path), err)
	}
	return int64(n), nil
}

// fetch reads blocks [idx, end) from the source, stores the claimed ones
// (run) unless the key was invalidated since gen, and copies into p.
func (f *cacheFile) fetch(p []byte, pos, idx, end int64, run []int64, gen uint64) (int64, error) {
	if err := f.openSource(); err != nil {
		return 0, err
	}
	bs := f.c.cfg.BlockSize
	start := idx * bs
	buf := make([]byte, min(end*bs, f.size)-start)
	f.srcMu.Lock()
	src := f.src
	f.srcMu.Unlock()
	if src == nil {
		return 0, fmt.Errorf("read %q: file closed", f.key)
	}
	if n, err := src.ReadAt(buf, start); n != len(buf) || (err != nil && !errors.Is(err, io.EOF)) {
		if err == nil || errors.Is(err, io.EOF) {
			err = fmt.Errorf("read %q at %d: %w", f.key, start, io.ErrUnexpectedEOF)
		}
		return 0, err
	}
	f.c.m.misses.Add(float64(len(run)))
	f.c.m.missBytes.Add(float64(len(buf)))
	for _, j := range run {
		b := buf[(j-idx)*bs : (j-idx)*bs+f.blockLen(j)]
		if err := f.c.store(blockID{obj: f.obj, size: f.size, idx: j}, b, gen); err != nil {
			break // a cache that cannot write still serves the read
		}
	}
	return int64(copy(p, buf[pos-start:])), nil
}

// store writes a block with a temporary file and a rename, then indexes it.
// A crash leaves a temporary file (removed at the next start) or a whole
// block whose checksum is in its name, so a torn write is caught on read.
func (c *Cache) store(id blockID, data []byte, gen uint64) error {
	dir := c.subdir(id.obj)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	crc := crc32.Checksum(data, castagnoli)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	final := filepath.Join(dir, blockName(id, crc))
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.objects[id.obj]; o != nil && o.gen != gen {
		// Put or Delete went through meanwhile: the bytes may be stale.
		_ = os.Remove(final)
		return nil
	}
	if _, ok := c.blocks[id]; ok {
		return nil // same name, same bytes
	}
	// The bytes are the ones just fetched: no need to check them on read.
	c.insertLocked(&cacheBlock{id: id, len: int64(len(data)), crc: crc, path: final, verified: true})
	c.evictLocked()
	return nil
}

// Forget drops the cached blocks of key, as a Put or Delete through the
// cache does; the cache service calls it when a client reports a write
// that went to the object store directly.
func (c *Cache) Forget(key string) {
	if CheckKey(key) == nil {
		c.invalidate(key)
	}
}
