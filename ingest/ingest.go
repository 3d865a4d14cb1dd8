package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/ingest/wal"
	"openwit/storage"
	"openwit/storage/catalog"
)

// Publisher turns the buffered rows of one (table, shard) into a published
// file. It must be idempotent for the same (table, shard, maxLSN).
type Publisher interface {
	Publish(ctx context.Context, t *catalog.Table, shard int64, batches []arrow.RecordBatch, maxLSN uint64) (*catalog.File, error)
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
}

// DefaultConfig returns the flush thresholds used by `openwit serve`.
func DefaultConfig() Config {
	return Config{FlushRows: 1 << 20, FlushBytes: 128 << 20, FlushAge: 30 * time.Second}
}

// Ingester owns the write path of one node. Safe for concurrent use.
type Ingester struct {
	cfg Config
	log *slog.Logger
	mem memory.Allocator

	mu     sync.Mutex
	tables map[int64]*tableState

	flushMu sync.Mutex // one flush pass at a time

	stop    chan struct{}
	done    chan struct{}
	started bool

	rowsIn      prometheus.Counter
	bytesIn     prometheus.Counter
	bufferedRow prometheus.Gauge
	flushes     *prometheus.CounterVec
}

type chunk struct {
	lsn  uint64
	rec  arrow.RecordBatch
	size int64
}

type shardBuf struct {
	active   []chunk
	frozen   []chunk // being published
	rows     int64
	bytes    int64
	oldest   time.Time
	flushing bool
}

type tableState struct {
	table  *catalog.Table
	schema *arrow.Schema
	files  []*catalog.File
	shards map[int64]*shardBuf
	// swappedEarly holds IDs a catalog swap removed before this
	// ingester's publish of them listed them (ReplaceFiles raced publish):
	// publish must not list them afterwards.
	swappedEarly map[string]bool
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
		cfg:    cfg,
		log:    cfg.Logger,
		mem:    cfg.Allocator,
		tables: map[int64]*tableState{},
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		rowsIn: f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_rows_total", Help: "Rows acknowledged by ingest."}),
		bytesIn: f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_bytes_total",
			Help: "Bytes of WAL payload acknowledged by ingest."}),
		bufferedRow: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_ingest_buffered_rows",
			Help: "Rows held in memory buffers, not yet in published files."}),
		flushes: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_ingest_flushes_total",
			Help: "Buffer flushes to published files."}, []string{"result"}),
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
	in.mu.Lock()
	in.tables[t.ID] = &tableState{table: t, schema: schema, files: files, shards: map[int64]*shardBuf{}}
	in.mu.Unlock()
	return nil
}

// AddTable makes a newly created table known to the ingester.
func (in *Ingester) AddTable(ctx context.Context, t *catalog.Table) error { return in.addTable(ctx, t) }

// ReplaceFiles makes the table's file list follow a committed catalog swap
// (compaction, retention): the files with IDs in removed leave it, added
// join it. Queries that already took a Snapshot keep their list; the
// objects they name stay readable for the garbage grace period.
func (in *Ingester) ReplaceFiles(tableID int64, removed []string, added []*catalog.File) {
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
	// The rest were published by a flush that has not listed them yet.
	for id := range gone {
		if ts.swappedEarly == nil {
			ts.swappedEarly = map[string]bool{}
		}
		ts.swappedEarly[id] = true
	}
	// A fresh slice: snapshots share no backing array with it.
	ts.files = append(files, added...)
}

// DropTable forgets a dropped table and releases its buffers.
func (in *Ingester) DropTable(tableID int64) {
	in.mu.Lock()
	ts := in.tables[tableID]
	delete(in.tables, tableID)
	in.mu.Unlock()
	if ts == nil {
		return
	}
	for _, sb := range ts.shards {
		for _, c := range sb.active {
			c.rec.Release()
		}
		// frozen chunks are released by the flush that owns them.
	}
}

func (in *Ingester) replay(ctx context.Context) error {
	checkpoints := map[int64]map[int64]uint64{}
	for id := range in.tables {
		cp, err := in.cfg.Catalog.Checkpoints(ctx, id)
		if err != nil {
			return fmt.Errorf("read checkpoints: %w", err)
		}
		checkpoints[id] = cp
	}
	var records, rows int64
	err := in.cfg.WAL.Replay(0, func(lsn uint64, payload []byte) error {
		tableID, parts, err := decodePayload(payload, in.mem)
		if err != nil {
			return fmt.Errorf("decode wal record %d: %w", lsn, err)
		}
		ts := in.tables[tableID]
		for _, p := range parts {
			if ts == nil || lsn <= checkpoints[tableID][p.shard] || !p.rec.Schema().Equal(ts.schema) {
				p.rec.Release()
				continue
			}
			in.appendChunk(ts, p.shard, lsn, p.rec)
			rows += p.rec.NumRows()
		}
		records++
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay wal: %w", err)
	}
	in.log.Info("wal replayed", "records", records, "rows", rows)
	return nil
}

// ShardOf returns the shard start (Unix µs) of a time value (Unix µs).
func ShardOf(t *catalog.Table, micros int64) int64 {
	d := t.ShardDuration.Microseconds()
	if d <= 0 {
		return 0
	}
	s := micros / d * d
	if micros < 0 && micros%d != 0 {
		s -= d
	}
	return s
}

// Part is the rows of one batch that fall in one time shard.
type Part struct {
	Shard int64
	Rec   arrow.RecordBatch
}

// Insert makes parts (one table, one batch, split by shard) durable and
// visible. It returns after the WAL fsync. It does not take ownership of the
// records' references: callers release their own.
func (in *Ingester) Insert(ctx context.Context, tableID int64, parts []Part) error {
	if len(parts) == 0 {
		return nil
	}
	payload, err := encodePayload(tableID, parts)
	if err != nil {
		return err
	}
	in.mu.Lock()
	ts := in.tables[tableID]
	if ts == nil {
		in.mu.Unlock()
		return fmt.Errorf("table %d: %w", tableID, catalog.ErrNotFound)
	}
	for _, p := range parts {
		if !p.Rec.Schema().Equal(ts.schema) {
			in.mu.Unlock()
			return fmt.Errorf("batch schema %s does not match table %s", p.Rec.Schema(), ts.table.Name)
		}
	}
	lsn, err := in.cfg.WAL.Append(payload)
	if err != nil {
		in.mu.Unlock()
		return fmt.Errorf("append to wal: %w", err)
	}
	var rows int64
	for _, p := range parts {
		p.Rec.Retain()
		in.appendChunk(ts, p.Shard, lsn, p.Rec)
		rows += p.Rec.NumRows()
	}
	in.mu.Unlock()
	// The fsync is not cancelled with the statement: once appended, the
	// record becomes durable and visible anyway, and the client should learn
	// that it was acknowledged whenever possible.
	if err := in.cfg.WAL.Sync(context.WithoutCancel(ctx), lsn); err != nil {
		return fmt.Errorf("sync wal: %w", err)
	}
	in.rowsIn.Add(float64(rows))
	in.bytesIn.Add(float64(len(payload)))
	return nil
}

func (in *Ingester) appendChunk(ts *tableState, shard int64, lsn uint64, rec arrow.RecordBatch) {
	sb := ts.shards[shard]
	if sb == nil {
		sb = &shardBuf{}
		ts.shards[shard] = sb
	}
	if len(sb.active) == 0 {
		sb.oldest = time.Now()
	}
	size := recordSize(rec)
	sb.active = append(sb.active, chunk{lsn: lsn, rec: rec, size: size})
	sb.rows += rec.NumRows()
	sb.bytes += size
	in.bufferedRow.Add(float64(rec.NumRows()))
}

func recordSize(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		for _, b := range c.Data().Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
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
				c.rec.Retain()
				s.Batches = append(s.Batches, c.rec)
			}
		}
	}
	return s, nil
}

// Start runs the background flusher until Close.
func (in *Ingester) Start() {
	in.started = true
	go func() {
		defer close(in.done)
		tick := time.NewTicker(flushTick(in.cfg.FlushAge))
		defer tick.Stop()
		for {
			select {
			case <-in.stop:
				return
			case <-tick.C:
				if err := in.flush(context.Background(), false); err != nil {
					in.log.Warn("flush failed; will retry", "err", err)
				}
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

func (in *Ingester) flush(ctx context.Context, all bool) error {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()
	now := time.Now()
	var jobs []flushJob
	in.mu.Lock()
	for _, ts := range in.tables {
		for shard, sb := range ts.shards {
			if len(sb.frozen) > 0 {
				// A previous publish failed: retry it before taking more.
				jobs = append(jobs, flushJob{ts, shard, sb, sb.frozen[len(sb.frozen)-1].lsn})
				continue
			}
			if len(sb.active) == 0 {
				continue
			}
			if all || sb.rows >= in.cfg.FlushRows || sb.bytes >= in.cfg.FlushBytes || now.Sub(sb.oldest) >= in.cfg.FlushAge {
				sb.frozen, sb.active = sb.active, nil
				sb.rows, sb.bytes = 0, 0
				jobs = append(jobs, flushJob{ts, shard, sb, sb.frozen[len(sb.frozen)-1].lsn})
			}
		}
	}
	in.mu.Unlock()
	var errs []error
	for _, j := range jobs {
		if err := in.publish(ctx, j); err != nil {
			in.flushes.WithLabelValues("error").Inc()
			errs = append(errs, fmt.Errorf("publish %s shard %d: %w", j.ts.table.Name, j.shard, err))
			continue
		}
		in.flushes.WithLabelValues("ok").Inc()
	}
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
	recs := make([]arrow.RecordBatch, len(j.sb.frozen))
	var rows int64
	for i, c := range j.sb.frozen {
		recs[i] = c.rec
		rows += c.rec.NumRows()
	}
	f, err := in.cfg.Publisher.Publish(ctx, j.ts.table, j.shard, recs, j.max)
	if errors.Is(err, catalog.ErrNotFound) {
		f, err = nil, nil // dropped meanwhile: nothing to publish
	}
	if err != nil {
		return err
	}
	in.mu.Lock()
	if f != nil && !j.ts.swappedEarly[f.ID] {
		j.ts.files = append(j.ts.files, f)
	}
	if f != nil {
		delete(j.ts.swappedEarly, f.ID)
	}
	frozen := j.sb.frozen
	j.sb.frozen = nil
	if len(j.sb.active) == 0 && in.tables[j.ts.table.ID] == j.ts {
		delete(j.ts.shards, j.shard)
	}
	in.mu.Unlock()
	for _, c := range frozen {
		c.rec.Release()
	}
	in.bufferedRow.Sub(float64(rows))
	return nil
}

// truncateWAL drops WAL records below the oldest buffered LSN.
func (in *Ingester) truncateWAL() error {
	in.mu.Lock()
	upTo := in.cfg.WAL.LastLSN()
	for _, ts := range in.tables {
		for _, sb := range ts.shards {
			for _, list := range [][]chunk{sb.frozen, sb.active} {
				if len(list) > 0 && list[0].lsn-1 < upTo {
					upTo = list[0].lsn - 1
				}
			}
		}
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
