package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/ingest/wal"
	"openwit/storage"
	"openwit/storage/catalog"
)

// Publisher turns the buffered rows of one (table, shard) into a published
// file. It must be idempotent for the same (writer, table, shard, maxLSN),
// and raise the writer's checkpoint (catalog.File.Writer). The writer is
// the WAL's id (wal.WAL.ID).
type Publisher interface {
	Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, batches []arrow.RecordBatch, maxLSN uint64) (*catalog.File, error)
}

// Config configures an Ingester.
type Config struct {
	WAL        *wal.WAL
	Catalog    catalog.Catalog
	Publisher  Publisher
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Allocator  memory.Allocator

	// A shard's buffer is flushed when it holds FlushRows rows, FlushBytes
	// bytes, or its oldest row is FlushAge old.
	FlushRows  int64
	FlushBytes int64
	FlushAge   time.Duration
	// RefreshInterval, when positive, is how often the background loop
	// loads tables and files that other nodes (or Kafka consumers) put in a
	// shared catalog (see Refresh).
	RefreshInterval time.Duration

	// BufferLimit bounds the bytes of rows held in memory (buffered, not
	// yet published); WALSizeLimit bounds the bytes of the WAL. A batch
	// that would take either past its limit is refused with ErrOverloaded
	// (unless nothing is buffered: a batch larger than the limit alone
	// still gets in), and reaching half of either flushes every buffer.
	BufferLimit  int64
	WALSizeLimit int64
	// FlushParallelism is how many files one flush writes at once
	// (default GOMAXPROCS).
	FlushParallelism int
	// KeepColdShards turns off flushing cold shards early (a shard that
	// received no rows since a later shard of its table started: see
	// cold.go); shards are then flushed only by the rules above.
	KeepColdShards bool

	// NodeID names this node in batch ids (NODE:LSN); default the host
	// name. It must stay the same across restarts of one WAL.
	NodeID string
	// When the catalog implements catalog.BatchLog, batch progress is
	// written to it every BatchLogInterval (default 1s); stored batches
	// older than BatchLogRetention (1h) or beyond the BatchLogKeep
	// (100000) newest are pruned.
	BatchLogInterval  time.Duration
	BatchLogRetention time.Duration
	BatchLogKeep      int
}

// Defaults of the memory and WAL limits (--ingest-buffer-limit,
// --wal-size-limit).
const (
	DefaultBufferLimit  = 1 << 30
	DefaultWALSizeLimit = 4 << 30
)

// DefaultConfig returns the flush thresholds used by `openwit serve`.
func DefaultConfig() Config {
	return Config{FlushRows: 1 << 20, FlushBytes: 128 << 20, FlushAge: 30 * time.Second,
		BufferLimit: DefaultBufferLimit, WALSizeLimit: DefaultWALSizeLimit, FlushParallelism: runtime.GOMAXPROCS(0)}
}

// ErrOverloaded is returned (wrapped) by Append and Insert when the memory
// buffers or the WAL are over their limits. Nothing was written; the
// producer should retry later (the gateways map it to SQLSTATE 53000 and
// gRPC ResourceExhausted).
var ErrOverloaded = errors.New("ingest: over limit")

// Ingester owns the write path of one node. Safe for concurrent use.
type Ingester struct {
	cfg Config
	log *slog.Logger
	mem memory.Allocator

	mu       sync.Mutex
	tables   map[int64]*tableState
	buffered int64              // bytes of every chunk, active and frozen
	streams  map[*Stream]uint64 // open streams: LSN of their first record

	flushMu sync.Mutex // one flush pass at a time

	batches *batchTracker // nil when the catalog keeps no batch log

	stop    chan struct{}
	done    chan struct{}
	kick    chan struct{} // wakes the flusher early; capacity 1
	started bool

	rowsIn         prometheus.Counter
	bytesIn        prometheus.Counter
	bufferedRow    prometheus.Gauge
	dropped        prometheus.Counter // replayed rows a late hand-off already published
	retiredDropped prometheus.Counter // files a refresh found swapped out during its read
	// replayedUpTo is the highest LSN replayed from the WAL at start.
	replayedUpTo uint64
	bufferedB    prometheus.Gauge
	flushes      *prometheus.CounterVec
	rejected     *prometheus.CounterVec
}

type chunk struct {
	lsn  uint64
	from uint64 // lowest LSN of the WAL records replay needs for it (a stream's first record)
	rec  arrow.RecordBatch
	size int64
}

type shardBuf struct {
	active []chunk
	frozen []chunk // being published
	rows   int64
	bytes  int64
	oldest time.Time
	// frozenOldest is oldest of the frozen chunks (when they were active).
	frozenOldest time.Time
	flushing     bool
	// lastLSN is the LSN of the last record that appended to active.
	lastLSN uint64
}

type tableState struct {
	id      int64          // table.ID, readable without in.mu
	table   *catalog.Table // replaced by UpdateTable: read under in.mu
	schema  *arrow.Schema
	files   []*catalog.File
	fileIDs map[string]bool // ids of files, and of files a swap removed (never listed again)
	// replayed: chunks replayed from the WAL may still be buffered; a
	// hand-off committed after the crash may hold them (dropRepublished).
	replayed bool
	shards   map[int64]*shardBuf
	// swappedEarly holds IDs a catalog swap removed before this
	// ingester's publish of them listed them (ReplaceFiles raced publish):
	// publish must not list them afterwards.
	swappedEarly map[string]bool
	// publishing counts this ingester's publishes of the table between
	// their start and the listing of their file (publish).
	publishing int
	cold       coldState
}

// addFile appends f unless it is known. The caller holds in.mu.
func (ts *tableState) addFile(f *catalog.File) {
	if ts.fileIDs[f.ID] {
		return
	}
	ts.fileIDs[f.ID] = true
	ts.files = append(ts.files, f)
}

// New loads the tables from the catalog and replays the WAL into buffers.
func New(ctx context.Context, cfg Config) (*Ingester, error) {
	d := DefaultConfig()
	if cfg.FlushRows <= 0 {
		cfg.FlushRows = d.FlushRows
	}
	if cfg.FlushBytes <= 0 {
		cfg.FlushBytes = d.FlushBytes
	}
	if cfg.FlushAge <= 0 {
		cfg.FlushAge = d.FlushAge
	}
	if cfg.BufferLimit <= 0 {
		cfg.BufferLimit = d.BufferLimit
	}
	if cfg.WALSizeLimit <= 0 {
		cfg.WALSizeLimit = d.WALSizeLimit
	}
	if cfg.FlushParallelism <= 0 {
		cfg.FlushParallelism = d.FlushParallelism
	}
	if cfg.NodeID == "" {
		cfg.NodeID, _ = os.Hostname()
	}
	if cfg.BatchLogInterval <= 0 {
		cfg.BatchLogInterval = DefaultBatchLogInterval
	}
	if cfg.BatchLogRetention <= 0 {
		cfg.BatchLogRetention = DefaultBatchLogRetention
	}
	if cfg.BatchLogKeep <= 0 {
		cfg.BatchLogKeep = DefaultBatchLogKeep
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	in := &Ingester{
		cfg:     cfg,
		log:     cfg.Logger,
		mem:     cfg.Allocator,
		tables:  map[int64]*tableState{},
		streams: map[*Stream]uint64{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		kick:    make(chan struct{}, 1),
		rowsIn:  f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_rows_total", Help: "Rows acknowledged by ingest."}),
		bytesIn: f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_bytes_total",
			Help: "Bytes of WAL payload acknowledged by ingest."}),
		bufferedRow: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_ingest_buffered_rows",
			Help: "Rows held in memory buffers, not yet in published files."}),
		bufferedB: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_ingest_buffered_bytes",
			Help: "Bytes of rows held in memory buffers, not yet in published files."}),
		flushes: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_ingest_flushes_total",
			Help: "Buffer flushes to published files."}, []string{"result"}),
		dropped: f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_republish_skipped_rows_total",
			Help: "Rows replayed from the WAL that a file of this WAL already held (a hand-off committed after the crash): dropped from the buffers instead of published twice."}),
		retiredDropped: f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_refresh_retired_files_total",
			Help: "Files published here while a catalog refresh read the file list, which another node swapped out before the read (dropped so their replacement is not counted twice)."}),
		rejected: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_ingest_rejected_total",
			Help: "Batches refused because ingest was over a limit (reason buffer_limit or wal_size_limit)."}, []string{"reason"}),
	}
	if bl, err := catalog.AsBatchLog(cfg.Catalog); err == nil {
		in.batches = newBatchTracker(cfg.NodeID, bl, in.log, f, cfg)
	}
	tables, err := cfg.Catalog.ListTables(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	for _, t := range tables {
		if err := in.addTable(ctx, t); err != nil {
			return nil, err
		}
	}
	if err := in.replay(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *Ingester) addTable(ctx context.Context, t *catalog.Table) error {
	schema, err := storage.ArrowSchema(t)
	if err != nil {
		return err
	}
	files, err := in.cfg.Catalog.ListFiles(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("list files of %s: %w", t.Name, err)
	}
	ts := &tableState{id: t.ID, table: t, schema: schema, fileIDs: map[string]bool{}, shards: map[int64]*shardBuf{}}
	for _, f := range files {
		ts.addFile(f)
	}
	in.mu.Lock()
	if in.tables[t.ID] == nil { // known ones keep their buffers
		in.tables[t.ID] = ts
	}
	in.mu.Unlock()
	return nil
}

// AddTable makes a newly created table known to the ingester. For a table
// it knows already, a definition with more columns (columns added since)
// replaces the one it has (UpdateTable); anything else is left as it is.
func (in *Ingester) AddTable(ctx context.Context, t *catalog.Table) error {
	in.mu.Lock()
	known := in.tables[t.ID] != nil
	in.mu.Unlock()
	if known {
		return in.UpdateTable(t)
	}
	return in.addTable(ctx, t)
}

// UpdateTable takes the definition of a known table whose columns grew
// (catalog.AddColumns; or were dropped: catalog.Table.Generation):
// buffered rows are widened with NULLs (or missing values) for the new
// columns and lose dropped ones, and snapshots from now on have the new
// schema. A definition no newer (catalog.Table.Generation) than the
// current one, or of an unknown table, is ignored.
func (in *Ingester) UpdateTable(t *catalog.Table) error { return in.redefine(t, false) }

// redefine replaces a known table's definition and conforms its active
// chunks to the new schema (storage.Conform); unless force, only when t
// is newer (catalog.Table.Generation) than the current definition.
func (in *Ingester) redefine(t *catalog.Table, force bool) error {
	schema, err := storage.ArrowSchema(t)
	if err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[t.ID]
	if ts == nil || !force && t.Generation() <= ts.table.Generation() {
		return nil
	}
	// Widen first, then swap: a failure changes nothing.
	widened := map[*shardBuf][]chunk{}
	for _, sb := range ts.shards {
		cs := make([]chunk, len(sb.active))
		for i, c := range sb.active {
			w, err := storage.Conform(in.mem, c.rec, schema)
			if err != nil {
				for _, d := range cs[:i] {
					d.rec.Release()
				}
				for _, done := range widened {
					for _, d := range done {
						d.rec.Release()
					}
				}
				return fmt.Errorf("table %s: %w", t.Name, err)
			}
			cs[i] = chunk{lsn: c.lsn, from: c.from, rec: w, size: recordSize(w)}
		}
		widened[sb] = cs
	}
	for sb, cs := range widened {
		for i, c := range sb.active {
			in.buffered += cs[i].size - c.size
			sb.bytes += cs[i].size - c.size
			c.rec.Release()
		}
		sb.active = cs
	}
	in.bufferedB.Set(float64(in.buffered))
	// Frozen chunks (being published) keep their schema: their file lacks
	// the new columns, which read as NULL; Snapshot widens them.
	ts.table, ts.schema = t, schema
	return nil
}

// Table returns the ingester's current definition of a table, or nil.
func (in *Ingester) Table(id int64) *catalog.Table {
	in.mu.Lock()
	defer in.mu.Unlock()
	if ts := in.tables[id]; ts != nil {
		return ts.table
	}
	return nil
}

// AddFiles makes files published by someone else (a Kafka consumer of
// this node) visible to queries at once. Files already known and tables
// not known are skipped.
func (in *Ingester) AddFiles(tableID int64, files []*catalog.File) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[tableID]
	if ts == nil {
		return
	}
	for _, f := range files {
		ts.addFile(f)
	}
}

// Refresh loads what other nodes sharing the catalog created: tables this
// ingester does not know, and files of known tables it has not seen; and
// it drops the files another node swapped out (compaction, retention),
// in the same step as it adds their replacements, so a query never sees
// both. Tables dropped elsewhere stay until this node is told (DropTable).
func (in *Ingester) Refresh(ctx context.Context) error {
	tables, err := in.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return fmt.Errorf("refresh: list tables: %w", err)
	}
	for _, t := range tables {
		in.mu.Lock()
		known := in.tables[t.ID] != nil
		in.mu.Unlock()
		if !known {
			if err := in.addTable(ctx, t); err != nil {
				return fmt.Errorf("refresh: %w", err)
			}
			continue
		}
		// Columns another node added (Kafka schema evolution).
		if err := in.UpdateTable(t); err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		// Files listed here before the catalog read were published (a
		// file joins the list only after its publish committed), so one
		// the read does not return was removed by a committed swap. A file
		// that joins during the read is left alone.
		in.mu.Lock()
		before := map[string]bool{}
		if ts := in.tables[t.ID]; ts != nil {
			for _, f := range ts.files {
				before[f.ID] = true
			}
		}
		in.mu.Unlock()
		files, err := in.cfg.Catalog.ListFiles(ctx, t.ID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		// A publish of this ingester in flight may have committed a file
		// the listing holds (directly, or merged by a swap) and not yet
		// dropped the buffered rows it holds; its commit raised this
		// writer's checkpoint, read after the listing. None in flight
		// now: none that started before the read is (cp stays nil).
		var cp map[int64]uint64
		if in.publishingNow(t.ID) {
			if cp, err = in.cfg.Catalog.Checkpoints(ctx, in.cfg.WAL.ID(), t.ID); err != nil {
				return fmt.Errorf("refresh: %w", err)
			}
		}
		if joined := in.syncFiles(t.ID, before, files, cp); len(joined) > 0 {
			if err := in.dropRetired(ctx, t.ID, joined); err != nil {
				return fmt.Errorf("refresh: %w", err)
			}
		}
		if err := in.dropRepublished(ctx, t.ID); err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
	}
	return nil
}

// syncFiles applies one catalog listing to a table's file list: files of
// before that the listing lacks leave (and stay known, so they never come
// back), files it adds join. One lock: no snapshot sees old and new. It
// returns the files that joined during the read and that the listing
// lacks: published after the read began, or published and swapped out
// before it (dropRetired tells which). cp, when not nil, are this
// writer's checkpoints read after the listing while a publish of the
// table was in flight: a listing that may hold a file whose rows are
// still buffered is not applied (the next refresh's is).
func (in *Ingester) syncFiles(tableID int64, before map[string]bool, listed []*catalog.File, cp map[int64]uint64) (joined []*catalog.File) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[tableID]
	if ts == nil {
		return nil
	}
	// A publish of this ingester (a DELETE's FlushTable runs in its own
	// goroutine) may have committed a file the listing holds, directly or
	// merged into another by a swap, and not yet dropped the buffered rows
	// the file holds: applied now, the listing would have queries read
	// them twice. The next refresh applies a later listing.
	if ts.publishing > 0 && cp != nil && ts.committedBuffered(cp) {
		return nil
	}
	inList := make(map[string]bool, len(listed))
	for _, f := range listed {
		inList[f.ID] = true
	}
	kept := make([]*catalog.File, 0, len(ts.files)+len(listed))
	for _, f := range ts.files {
		if !inList[f.ID] {
			if before[f.ID] {
				continue
			}
			joined = append(joined, f)
		}
		kept = append(kept, f)
	}
	ts.files = kept // a fresh slice: snapshots share no backing array with it
	for _, f := range listed {
		ts.addFile(f)
	}
	return joined
}

// publishingNow reports whether a publish of table id is in flight.
func (in *Ingester) publishingNow(id int64) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[id]
	return ts != nil && ts.publishing > 0
}

// committedBuffered reports whether a chunk being published holds rows a
// committed file holds too (its LSN at most the shard's checkpoint in
// cp): its publish committed and has not yet listed the file and dropped
// the chunk. The caller holds in.mu.
func (ts *tableState) committedBuffered(cp map[int64]uint64) bool {
	for shard, sb := range ts.shards {
		for _, c := range sb.frozen {
			if c.lsn <= cp[shard] {
				return true
			}
		}
	}
	return false
}

// dropRetired closes the window syncFiles leaves: a file this node
// published while a refresh read the catalog, which another node's
// compaction or retention swapped out before the read; the listing then
// holds its replacement, and keeping both would count its rows twice
// until the next refresh. The catalog records a swapped-out file's object
// as garbage in the swap's transaction, so a joined file whose object is
// garbage leaves (and stays known, so it never comes back).
func (in *Ingester) dropRetired(ctx context.Context, tableID int64, joined []*catalog.File) error {
	paths := make([]string, len(joined))
	for i, f := range joined {
		paths[i] = f.Path
	}
	retired, err := in.cfg.Catalog.Retired(ctx, paths)
	if err != nil || len(retired) == 0 {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[tableID]
	if ts == nil {
		return nil
	}
	gone := map[string]bool{}
	for _, f := range joined {
		if retired[f.Path] {
			gone[f.ID] = true
		}
	}
	kept := make([]*catalog.File, 0, len(ts.files))
	for _, f := range ts.files {
		if !gone[f.ID] {
			kept = append(kept, f)
		}
	}
	in.retiredDropped.Add(float64(len(ts.files) - len(kept)))
	ts.files = kept
	return nil
}

// dropRepublished drops the replayed active chunks of table id that a
// file of this ingester's WAL already holds (its checkpoint for the shard
// reached their LSN): a hand-off the storage node committed after this
// node crashed and replayed those rows from its WAL. Kept, they would be
// counted twice by queries until the next flush, and a flush of them with
// newer rows would publish them twice. Frozen chunks are left to their
// publish, which checks the checkpoint too. Once no replayed chunk is
// buffered, the table is not checked again.
func (in *Ingester) dropRepublished(ctx context.Context, id int64) error {
	in.mu.Lock()
	ts := in.tables[id]
	check := ts != nil && ts.replayed
	in.mu.Unlock()
	if !check {
		return nil
	}
	cp, err := in.cfg.Catalog.Checkpoints(ctx, in.cfg.WAL.ID(), id)
	if err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	replayed := false
	for shard, sb := range ts.shards {
		kept := sb.active[:0]
		for _, c := range sb.active {
			if c.lsn > cp[shard] {
				kept = append(kept, c)
				replayed = replayed || c.lsn <= in.replayedUpTo
				continue
			}
			in.buffered -= c.size
			sb.rows -= c.rec.NumRows()
			sb.bytes -= c.size
			in.bufferedRow.Sub(float64(c.rec.NumRows()))
			in.dropped.Add(float64(c.rec.NumRows()))
			c.rec.Release()
		}
		clear(sb.active[len(kept):])
		sb.active = kept
		for _, c := range sb.frozen {
			replayed = replayed || c.lsn <= in.replayedUpTo
		}
	}
	ts.replayed = replayed
	in.bufferedB.Set(float64(in.buffered))
	return nil
}

// ReplaceFiles makes the table's file list follow a committed catalog swap
// (compaction, retention): the files with IDs in removed leave it, added
// join it. Queries that already took a Snapshot keep their list; the
// objects they name stay readable for the garbage grace period.
//
// It waits for a flush pass in progress (flushMu): a publish commits its
// file and only then, under in.mu, lists it and drops the frozen rows it
// holds. A swap that merged or rewrote that file in between would add its
// replacement while those rows are still buffered, and a query would read
// them twice. The caller must not hold flushMu (no publish calls it).
func (in *Ingester) ReplaceFiles(tableID int64, removed []string, added []*catalog.File) {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[tableID]
	if ts == nil {
		return
	}
	gone := make(map[string]bool, len(removed))
	for _, id := range removed {
		gone[id] = true
	}
	files := make([]*catalog.File, 0, len(ts.files)+len(added))
	for _, f := range ts.files {
		if gone[f.ID] {
			delete(gone, f.ID)
			continue
		}
		files = append(files, f)
	}
	// The rest were published by a flush that has not listed them yet,
	// unless known: then a Refresh that read the catalog after the swap
	// committed dropped them already.
	for id := range gone {
		if ts.fileIDs[id] {
			continue
		}
		if ts.swappedEarly == nil {
			ts.swappedEarly = map[string]bool{}
		}
		ts.swappedEarly[id] = true
	}
	// Removed IDs stay known, so a Refresh that listed the catalog before
	// the swap cannot bring them back.
	for _, id := range removed {
		ts.fileIDs[id] = true
	}
	// A fresh slice: snapshots share no backing array with it.
	ts.files = files
	// An added file that is known was listed by such a Refresh already
	// (or removed by a later swap): adding it again would have queries
	// read its rows twice.
	for _, f := range added {
		ts.addFile(f)
	}
}

// DropTable forgets a dropped table and releases its buffers.
func (in *Ingester) DropTable(tableID int64) {
	in.mu.Lock()
	ts := in.tables[tableID]
	delete(in.tables, tableID)
	var drop []chunk
	if ts != nil {
		for _, sb := range ts.shards {
			// frozen chunks are released by the flush that owns them.
			drop = append(drop, sb.active...)
			sb.active = nil
		}
	}
	for _, c := range drop {
		in.buffered -= c.size
		in.bufferedRow.Sub(float64(c.rec.NumRows()))
	}
	in.bufferedB.Set(float64(in.buffered))
	in.mu.Unlock()
	in.batches.dropTable(tableID)
	for _, c := range drop {
		c.rec.Release()
	}
}

func (in *Ingester) replay(ctx context.Context) error {
	checkpoints := map[int64]map[int64]uint64{}
	for id := range in.tables {
		cp, err := in.cfg.Catalog.Checkpoints(ctx, in.cfg.WAL.ID(), id)
		if err != nil {
			return fmt.Errorf("read checkpoints: %w", err)
		}
		checkpoints[id] = cp
	}
	var records, rows int64
	dec := &replayDecoder{in: in, pending: map[uint64]provisional{}}
	defer dec.close()
	err := in.cfg.WAL.Replay(0, func(lsn uint64, payload []byte) error {
		tables, from, err := dec.decode(lsn, payload)
		if err != nil {
			return fmt.Errorf("decode wal record %d: %w", lsn, err)
		}
		// A transaction's record (several tables) is tracked as one batch,
		// under its first table, as Append tracks it.
		var kept int
		var keptRows, keptBytes int64
		for _, dt := range tables {
			tableID, parts := dt.tableID, dt.parts
			ts := in.tables[tableID]
			for _, p := range parts {
				if ts == nil || lsn <= checkpoints[tableID][p.shard] {
					p.rec.Release()
					continue
				}
				// Written before columns were added: they read as NULL (or their
				// missing value); columns dropped since are left out.
				w, err := storage.Conform(in.mem, p.rec, ts.schema)
				p.rec.Release()
				if err != nil {
					in.log.Warn("wal record does not fit its table; skipped", "lsn", lsn, "table", ts.table.Name, "err", err)
					continue
				}
				in.appendChunkFrom(ts, p.shard, lsn, from, w)
				ts.replayed = true
				in.replayedUpTo = max(in.replayedUpTo, lsn)
				kept++
				keptRows += w.NumRows()
				keptBytes += recordSize(w)
			}
		}
		if kept > 0 {
			in.batches.received(tables[0].tableID, lsn, keptRows, keptBytes, kept, time.Now(), true)
		}
		rows += keptRows
		records++
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay wal: %w", err)
	}
	in.log.Info("wal replayed", "records", records, "rows", rows, "uncommitted_records", dec.close())
	return nil
}

// ShardOf returns the shard start (Unix µs) of a time value (Unix µs).
func ShardOf(t *catalog.Table, micros int64) int64 { return t.ShardOf(micros) }

// Part is the rows of one batch that fall in one time shard.
type Part struct {
	Shard int64
	Rec   arrow.RecordBatch
}

// Insert makes parts (one table, one batch, split by shard) durable and
// visible. It returns after the WAL fsync. It does not take ownership of the
// records' references: callers release their own.
func (in *Ingester) Insert(ctx context.Context, tableID int64, parts []Part) error {
	lsn, err := in.Append(ctx, tableID, parts)
	if err != nil || lsn == 0 {
		return err
	}
	return in.Sync(ctx, lsn)
}

// Append writes parts (one table, one batch, split by shard) as one WAL
// record and buffers the rows, without waiting for the fsync: the rows
// become visible, and may be acknowledged, only once Sync(lsn) returns.
// A stream of batches appends each and syncs the last, so one fsync covers
// many batches while the next ones are read. Append returns LSN 0 for no
// parts. It does not take ownership of the records' references. An error
// wrapping ErrOverloaded means nothing was written.
func (in *Ingester) Append(_ context.Context, tableID int64, parts []Part) (uint64, error) {
	if len(parts) == 0 {
		return 0, nil
	}
	start := time.Now()
	buf := getPayloadBuffer()
	defer putPayloadBuffer(buf)
	payload, err := encodePayload(buf, tableID, parts)
	if err != nil {
		return 0, err
	}
	in.mu.Lock()
	ts := in.tables[tableID]
	if ts == nil {
		in.mu.Unlock()
		return 0, fmt.Errorf("table %d: %w", tableID, catalog.ErrNotFound)
	}
	var rows, size int64
	// A batch built before columns were added (a statement planned with
	// the older definition) is widened with NULLs; the WAL keeps it as
	// it came, and replay widens it again.
	recs := make([]arrow.RecordBatch, len(parts))
	release := func() {
		for _, r := range recs {
			if r != nil {
				r.Release()
			}
		}
	}
	for i, p := range parts {
		w, err := storage.Conform(in.mem, p.Rec, ts.schema)
		if err != nil {
			in.mu.Unlock()
			release()
			return 0, fmt.Errorf("batch schema %s does not match table %s: %w", p.Rec.Schema(), ts.table.Name, err)
		}
		recs[i] = w
		rows += p.Rec.NumRows()
		size += recordSize(w)
	}
	lsn, err := in.appendWALLocked(size, payload)
	if err != nil {
		in.mu.Unlock()
		release()
		return 0, err
	}
	for i, p := range parts {
		in.appendChunk(ts, p.Shard, lsn, recs[i])
	}
	in.batches.received(tableID, lsn, rows, size, len(parts), start, false)
	in.mu.Unlock()
	in.cfg.WAL.StartSync()
	in.rowsIn.Add(float64(rows))
	in.bytesIn.Add(float64(len(payload)))
	return lsn, nil
}

// Sync returns once every batch appended up to lsn is durable (and so
// visible). The fsync is not cancelled with the statement: once appended,
// the record becomes durable and visible anyway, and the client should
// learn that it was acknowledged whenever possible.
func (in *Ingester) Sync(ctx context.Context, lsn uint64) error {
	if err := in.cfg.WAL.Sync(context.WithoutCancel(ctx), lsn); err != nil {
		return fmt.Errorf("sync wal: %w", err)
	}
	in.batches.durable(lsn, time.Now())
	return nil
}

// DurableLSN returns the highest LSN known to be durable.
func (in *Ingester) DurableLSN() uint64 { return in.cfg.WAL.DurableLSN() }

// appendWALLocked admits size buffered bytes and the payload (admitLocked)
// and appends the payload to the WAL, returning its LSN (WAL.Sync makes
// it durable). The caller holds in.mu.
func (in *Ingester) appendWALLocked(size int64, payload []byte) (uint64, error) {
	if err := in.admitLocked(size, int64(len(payload))); err != nil {
		return 0, err
	}
	lsn, err := in.cfg.WAL.Append(payload)
	if err != nil {
		return 0, fmt.Errorf("append to wal: %w", err)
	}
	return lsn, nil
}

// admitLocked refuses a batch of size buffered bytes and walBytes of WAL
// payload when it would take the buffers or the WAL past their limits
// while something is buffered (publishing it is what frees both), and
// wakes the flusher when either is half full.
func (in *Ingester) admitLocked(size, walBytes int64) error {
	walSize := in.cfg.WAL.Size()
	if in.buffered >= in.cfg.BufferLimit/2 || walSize >= in.cfg.WALSizeLimit/2 {
		in.kickFlush()
	}
	if in.buffered == 0 {
		return nil
	}
	if in.buffered+size > in.cfg.BufferLimit {
		in.rejected.WithLabelValues("buffer_limit").Inc()
		return fmt.Errorf("%w: ingest buffers hold %d bytes not yet written to Parquet; this batch (%d bytes) would pass the limit of %d bytes (--ingest-buffer-limit); retry when the flush catches up",
			ErrOverloaded, in.buffered, size, in.cfg.BufferLimit)
	}
	if walSize+walBytes > in.cfg.WALSizeLimit {
		in.rejected.WithLabelValues("wal_size_limit").Inc()
		return fmt.Errorf("%w: the write-ahead log holds %d bytes not yet published; this batch (%d bytes) would pass the limit of %d bytes (--wal-size-limit); retry when the flush catches up",
			ErrOverloaded, walSize, walBytes, in.cfg.WALSizeLimit)
	}
	return nil
}

// Overloaded returns an error wrapping ErrOverloaded while the buffers
// or the WAL are at half their limit or more (the flusher is then
// publishing every buffer), else nil. Background writers (the Kafka
// consumer) pause on it, leaving the rest of the room to INSERT and COPY.
func (in *Ingester) Overloaded() error {
	in.mu.Lock()
	buffered := in.buffered
	in.mu.Unlock()
	wal := in.cfg.WAL.Size()
	switch {
	case buffered >= in.cfg.BufferLimit/2:
		return fmt.Errorf("%w: %d bytes buffered, limit %d", ErrOverloaded, buffered, in.cfg.BufferLimit)
	case wal >= in.cfg.WALSizeLimit/2:
		return fmt.Errorf("%w: wal holds %d bytes, limit %d", ErrOverloaded, wal, in.cfg.WALSizeLimit)
	}
	return nil
}

func (in *Ingester) kickFlush() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

func (in *Ingester) appendChunk(ts *tableState, shard int64, lsn uint64, rec arrow.RecordBatch) {
	in.appendChunkFrom(ts, shard, lsn, lsn, rec)
}

// appendChunkFrom buffers rec at lsn; replay needs the WAL records from
// LSN from on to rebuild it. The caller holds in.mu.
func (in *Ingester) appendChunkFrom(ts *tableState, shard int64, lsn, from uint64, rec arrow.RecordBatch) {
	sb := ts.shards[shard]
	if sb == nil {
		sb = &shardBuf{}
		ts.shards[shard] = sb
	}
	if len(sb.active) == 0 {
		sb.oldest = time.Now()
	}
	size := recordSize(rec)
	sb.lastLSN = lsn
	if in.noteShard(ts, shard, lsn) {
		in.kickFlush()
	}
	sb.active = append(sb.active, chunk{lsn: lsn, from: from, rec: rec, size: size})
	sb.rows += rec.NumRows()
	sb.bytes += size
	in.buffered += size
	in.bufferedRow.Add(float64(rec.NumRows()))
	in.bufferedB.Set(float64(in.buffered))
	// A full buffer is published now, not at the next tick (up to a
	// second later): that bounds memory and the size of files.
	if (in.cfg.FlushRows > 0 && sb.rows >= in.cfg.FlushRows) || (in.cfg.FlushBytes > 0 && sb.bytes >= in.cfg.FlushBytes) {
		in.kickFlush()
	}
}

// recordSize is the Arrow size of rec's rows: for a slice, the part of
// the buffers the slice covers, not the whole buffers it shares.
func recordSize(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += arraySize(c)
	}
	return n
}

func arraySize(a arrow.Array) int64 {
	l := int64(a.Len())
	n := (l + 7) / 8 // validity bitmap
	var offs []int32
	switch x := a.(type) {
	case *array.String:
		offs = x.ValueOffsets()
	case *array.Binary:
		offs = x.ValueOffsets()
	}
	if len(offs) > 0 {
		return n + 4*int64(len(offs)) + int64(offs[len(offs)-1]-offs[0])
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok {
		return n + (l*int64(fw.BitWidth())+7)/8
	}
	for _, b := range a.Data().Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	return n
}

// Snapshot is a consistent view of a table for one query: its published
// files and the durable buffered rows not yet in those files.
type Snapshot struct {
	Table   *catalog.Table
	Schema  *arrow.Schema
	Files   []*catalog.File
	Batches []arrow.RecordBatch // retained; released by Release
}

// Release releases the snapshot's batches.
func (s *Snapshot) Release() {
	for _, b := range s.Batches {
		b.Release()
	}
	s.Batches = nil
}

// Snapshot returns the table's current view. The caller must Release it.
func (in *Ingester) Snapshot(tableID int64) (*Snapshot, error) {
	durable := in.cfg.WAL.DurableLSN()
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[tableID]
	if ts == nil {
		return nil, fmt.Errorf("table %d: %w", tableID, catalog.ErrNotFound)
	}
	s := &Snapshot{Table: ts.table, Schema: ts.schema, Files: append([]*catalog.File(nil), ts.files...)}
	shards := make([]int64, 0, len(ts.shards))
	for k := range ts.shards {
		shards = append(shards, k)
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i] < shards[j] })
	for _, k := range shards {
		sb := ts.shards[k]
		for _, list := range [][]chunk{sb.frozen, sb.active} {
			for _, c := range list {
				if c.lsn > durable {
					break
				}
				// Frozen chunks may predate added or dropped columns.
				w, err := storage.Conform(in.mem, c.rec, ts.schema)
				if err != nil {
					s.Release()
					return nil, fmt.Errorf("table %s: %w", ts.table.Name, err)
				}
				s.Batches = append(s.Batches, w)
			}
		}
	}
	return s, nil
}

// UnpublishedAge is how long the oldest acknowledged row this ingester
// still buffers (not yet in a published file, or handed to a storage
// node) has waited; 0 when nothing is buffered. It is the upload lag
// operators watch: it stays under the flush age unless publishing falls
// behind or fails.
func (in *Ingester) UnpublishedAge() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	var oldest time.Time
	for _, ts := range in.tables {
		for _, sb := range ts.shards {
			for _, c := range []struct {
				n  int
				at time.Time
			}{{len(sb.frozen), sb.frozenOldest}, {len(sb.active), sb.oldest}} {
				if c.n > 0 && (oldest.IsZero() || c.at.Before(oldest)) {
					oldest = c.at
				}
			}
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return time.Since(oldest)
}

// Start runs the background flusher until Close.
func (in *Ingester) Start() {
	in.started = true
	if in.batches != nil {
		go in.batches.run(in.cfg.WAL.DurableLSN)
	}
	go func() {
		defer close(in.done)
		tick := time.NewTicker(flushTick(in.cfg.FlushAge))
		defer tick.Stop()
		var refresh <-chan time.Time
		if in.cfg.RefreshInterval > 0 {
			rt := time.NewTicker(in.cfg.RefreshInterval)
			defer rt.Stop()
			refresh = rt.C
		}
		for {
			select {
			case <-in.stop:
				return
			case <-refresh:
				if err := in.Refresh(context.Background()); err != nil {
					in.log.Warn("catalog refresh failed; will retry", "err", err)
				}
			case <-tick.C:
			case <-in.kick:
			}
			if err := in.flush(context.Background(), false); err != nil {
				in.log.Warn("flush failed; will retry", "err", err)
			}
		}
	}()
}

func flushTick(age time.Duration) time.Duration {
	t := age / 4
	if t > time.Second {
		t = time.Second
	}
	if t < 10*time.Millisecond {
		t = 10 * time.Millisecond
	}
	return t
}

// Flush publishes every buffered row (used at shutdown and by tests).
func (in *Ingester) Flush(ctx context.Context) error { return in.flush(ctx, true) }

type flushJob struct {
	ts    *tableState
	shard int64
	sb    *shardBuf
	max   uint64
}

func (in *Ingester) flush(ctx context.Context, all bool) error { return in.flushTable(ctx, all, 0) }

// flushTable is flush restricted to the table with id only (0: every
// table).
func (in *Ingester) flushTable(ctx context.Context, all bool, only int64) error {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()
	now := time.Now()
	var jobs []flushJob
	in.mu.Lock()
	// Past half of a limit, publish everything: that is what frees both
	// the memory and the WAL.
	if in.buffered >= in.cfg.BufferLimit/2 || in.cfg.WAL.Size() >= in.cfg.WALSizeLimit/2 {
		all = true
	}
	for _, ts := range in.tables {
		if only != 0 && ts.id != only {
			continue
		}
		for shard, sb := range ts.shards {
			if len(sb.frozen) > 0 {
				// A previous publish failed: retry it before taking more.
				jobs = append(jobs, flushJob{ts, shard, sb, sb.frozen[len(sb.frozen)-1].lsn})
				continue
			}
			if len(sb.active) == 0 {
				continue
			}
			if all || sb.rows >= in.cfg.FlushRows || sb.bytes >= in.cfg.FlushBytes || now.Sub(sb.oldest) >= in.cfg.FlushAge ||
				in.takeCold(ts, shard, sb) {
				sb.frozen, sb.active = sb.active, nil
				sb.frozenOldest = sb.oldest
				sb.rows, sb.bytes = 0, 0
				jobs = append(jobs, flushJob{ts, shard, sb, sb.frozen[len(sb.frozen)-1].lsn})
			}
		}
	}
	in.mu.Unlock()
	// Shards are published in parallel: encoding Parquet is the costly
	// part and one file uses one core.
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(in.cfg.FlushParallelism, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				if err := in.publish(ctx, j); err != nil {
					in.flushes.WithLabelValues("error").Inc()
					errs[i] = fmt.Errorf("publish table %d shard %d: %w", j.ts.id, j.shard, err)
					continue
				}
				in.flushes.WithLabelValues("ok").Inc()
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(jobs) > 0 {
		if err := in.truncateWAL(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (in *Ingester) publish(ctx context.Context, j flushJob) error {
	if err := in.cfg.WAL.Sync(ctx, j.max); err != nil {
		return err
	}
	// Chunks a file of this WAL already holds (a hand-off committed after
	// a crash whose rows were replayed) are not published again.
	cp, err := in.cfg.Catalog.Checkpoints(ctx, in.cfg.WAL.ID(), j.ts.table.ID)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	if done := cp[j.shard]; done > 0 && j.sb.frozen[0].lsn <= done {
		in.mu.Lock()
		kept := j.sb.frozen[:0]
		var gone []chunk
		for _, c := range j.sb.frozen {
			if c.lsn > done {
				kept = append(kept, c)
			} else {
				gone = append(gone, c)
			}
		}
		j.sb.frozen = kept
		for _, c := range gone {
			in.buffered -= c.size
			in.bufferedRow.Sub(float64(c.rec.NumRows()))
			in.dropped.Add(float64(c.rec.NumRows()))
			c.rec.Release()
		}
		in.bufferedB.Set(float64(in.buffered))
		empty := len(j.sb.frozen) == 0
		in.mu.Unlock()
		if empty {
			return nil
		}
	}
	// The table's current definition: chunks frozen before columns were
	// added are widened, so the file (and a storage node's check against
	// the catalog) has the table's schema.
	in.mu.Lock()
	table, schema := j.ts.table, j.ts.schema
	in.mu.Unlock()
	recs := make([]arrow.RecordBatch, 0, len(j.sb.frozen))
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var rows int64
	for _, c := range j.sb.frozen {
		w, err := storage.Conform(in.mem, c.rec, schema)
		if err != nil {
			return fmt.Errorf("table %s: %w", table.Name, err)
		}
		recs = append(recs, w)
		rows += c.rec.NumRows()
	}
	// From here until the file is listed and the frozen rows dropped (one
	// in.mu section below), a catalog listing may hold the file while its
	// rows are still buffered: refreshes do not apply such a listing.
	in.mu.Lock()
	j.ts.publishing++
	in.mu.Unlock()
	f, err := in.cfg.Publisher.Publish(ctx, in.cfg.WAL.ID(), table, j.shard, recs, j.max)
	if errors.Is(err, catalog.ErrNotFound) {
		f, err = nil, nil // dropped meanwhile: nothing to publish
	}
	if err != nil {
		in.mu.Lock()
		j.ts.publishing--
		in.mu.Unlock()
		return err
	}
	in.mu.Lock()
	j.ts.publishing--
	if f != nil && !j.ts.swappedEarly[f.ID] {
		j.ts.addFile(f)
	}
	if f != nil {
		delete(j.ts.swappedEarly, f.ID)
	}
	frozen := j.sb.frozen
	j.sb.frozen = nil
	lsns := make([]uint64, len(frozen))
	for i, c := range frozen {
		in.buffered -= c.size
		lsns[i] = c.lsn
	}
	in.bufferedB.Set(float64(in.buffered))
	if len(j.sb.active) == 0 && in.tables[j.ts.table.ID] == j.ts {
		delete(j.ts.shards, j.shard)
	}
	in.mu.Unlock()
	in.batches.stored(lsns, time.Now())
	for _, c := range frozen {
		c.rec.Release()
	}
	in.bufferedRow.Sub(float64(rows))
	return nil
}

// truncateWAL drops WAL records below the oldest one a buffered chunk or
// an open stream needs.
func (in *Ingester) truncateWAL() error {
	in.mu.Lock()
	upTo := in.cfg.WAL.LastLSN()
	for _, ts := range in.tables {
		for _, sb := range ts.shards {
			for _, list := range [][]chunk{sb.frozen, sb.active} {
				// A stream's chunks need records older than their
				// LSN: look at every chunk, not only the first.
				for _, c := range list {
					upTo = min(upTo, c.from-1)
				}
			}
		}
	}
	for _, first := range in.streams {
		upTo = min(upTo, first-1)
	}
	in.mu.Unlock()
	if err := in.cfg.WAL.Truncate(upTo); err != nil {
		return fmt.Errorf("truncate wal to %d: %w", upTo, err)
	}
	return nil
}

// Close stops the flusher and publishes everything still buffered.
func (in *Ingester) Close(ctx context.Context) error {
	select {
	case <-in.stop:
		return nil
	default:
	}
	close(in.stop)
	if in.started {
		<-in.done
	}
	err := in.Flush(ctx)
	if in.started && in.batches != nil {
		in.batches.close() // writes the last changes
	}
	in.mu.Lock()
	for _, ts := range in.tables {
		for _, sb := range ts.shards {
			for _, c := range sb.active {
				c.rec.Release()
			}
			sb.active = nil
		}
	}
	in.mu.Unlock()
	return err
}
