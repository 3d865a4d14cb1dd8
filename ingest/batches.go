package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/storage/catalog"
)

// Defaults of the batch tracking in Config.
const (
	DefaultBatchLogInterval  = time.Second
	DefaultBatchLogRetention = time.Hour
	DefaultBatchLogKeep      = 100_000
)

// maxDirtyBatches bounds the batch updates held while the catalog is
// unreachable; past it the oldest updates are dropped (the log is for
// observability; the data path does not depend on it).
const maxDirtyBatches = 1_000_000

// tracked is one batch not yet stored.
type tracked struct {
	b     catalog.Batch
	parts int // parts (shards) not yet in a published file
}

// batchTracker follows every batch through its stages in memory, on the
// ingest hot path (a map insert under a mutex), and writes the changes to
// the catalog's BatchLog from its own goroutine every interval, in one
// transaction, then prunes old rows. See doc.go.
type batchTracker struct {
	node      string
	log       catalog.BatchLog
	logger    *slog.Logger
	interval  time.Duration
	retention time.Duration
	keep      int

	mu         sync.Mutex
	live       map[uint64]*tracked // by LSN, until stored
	notDurable []*tracked          // LSN order; front popped when durable
	dirty      map[uint64]catalog.Batch
	order      []uint64 // dirty LSNs in the order they became dirty

	stop chan struct{}
	done chan struct{}

	transitions *prometheus.CounterVec
	current     *prometheus.GaugeVec
	writeErrors prometheus.Counter
}

func newBatchTracker(node string, bl catalog.BatchLog, logger *slog.Logger, f promauto.Factory, cfg Config) *batchTracker {
	return &batchTracker{
		node: node, log: bl, logger: logger,
		interval: cfg.BatchLogInterval, retention: cfg.BatchLogRetention, keep: cfg.BatchLogKeep,
		live: map[uint64]*tracked{}, dirty: map[uint64]catalog.Batch{},
		stop: make(chan struct{}), done: make(chan struct{}),
		transitions: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_ingest_batches_total",
			Help: "Ingest batches that reached each stage (received, wal_written, stored)."}, []string{"stage"}),
		current: f.NewGaugeVec(prometheus.GaugeOpts{Name: "openwit_ingest_batches",
			Help: "Ingest batches in memory whose last stage is received or wal_written (not yet stored)."}, []string{"stage"}),
		writeErrors: f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_batch_log_errors_total",
			Help: "Failed writes of batch progress to the catalog (retried)."}),
	}
}

// markLocked queues b's current state for the catalog.
func (t *batchTracker) markLocked(b catalog.Batch) {
	if _, ok := t.dirty[b.LSN]; !ok {
		t.order = append(t.order, b.LSN)
	}
	t.dirty[b.LSN] = b
	for len(t.order) > maxDirtyBatches {
		delete(t.dirty, t.order[0])
		t.order = t.order[1:]
	}
}

// received records a batch whose WAL record lsn was just appended; LSNs
// arrive in order (the caller holds the ingester's lock).
func (t *batchTracker) received(tableID int64, lsn uint64, rows, bytes int64, parts int, at time.Time, durable bool) {
	if t == nil {
		return
	}
	tb := &tracked{b: catalog.Batch{ID: fmt.Sprintf("%s:%d", t.node, lsn), Node: t.node, TableID: tableID, LSN: lsn,
		Rows: rows, Bytes: bytes, ReceivedAt: at}, parts: parts}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.live[lsn] = tb
	t.transitions.WithLabelValues(catalog.StageReceived).Inc()
	if durable {
		tb.b.WALWrittenAt = at
		t.transitions.WithLabelValues(catalog.StageWALWritten).Inc()
	} else {
		t.notDurable = append(t.notDurable, tb)
	}
	t.markLocked(tb.b)
}

// durable records that every batch up to lsn is fsynced.
func (t *batchTracker) durable(lsn uint64, at time.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.notDurable) > 0 && t.notDurable[0].b.LSN <= lsn {
		tb := t.notDurable[0]
		t.notDurable[0] = nil
		t.notDurable = t.notDurable[1:]
		if tb.b.WALWrittenAt.IsZero() {
			tb.b.WALWrittenAt = at
			t.transitions.WithLabelValues(catalog.StageWALWritten).Inc()
			t.markLocked(tb.b)
		}
	}
}

// stored records that the parts with these LSNs are in a published file.
func (t *batchTracker) stored(lsns []uint64, at time.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, lsn := range lsns {
		tb := t.live[lsn]
		if tb == nil {
			continue
		}
		if tb.parts--; tb.parts > 0 {
			continue
		}
		delete(t.live, lsn)
		if tb.b.WALWrittenAt.IsZero() { // published implies fsynced
			tb.b.WALWrittenAt = at
			t.transitions.WithLabelValues(catalog.StageWALWritten).Inc()
		}
		tb.b.StoredAt = at
		t.transitions.WithLabelValues(catalog.StageStored).Inc()
		t.markLocked(tb.b)
	}
}

// dropTable forgets the live batches of a dropped table (the catalog
// deletes their rows with the table).
func (t *batchTracker) dropTable(tableID int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for lsn, tb := range t.live {
		if tb.b.TableID == tableID {
			delete(t.live, lsn)
			delete(t.dirty, lsn)
		}
	}
}

// run writes the changes every interval until close; durableLSN catches
// up batches whose fsync nobody reported.
func (t *batchTracker) run(durableLSN func() uint64) {
	defer close(t.done)
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			t.durable(durableLSN(), time.Now())
			t.write(context.Background())
			return
		case <-tick.C:
			t.durable(durableLSN(), time.Now())
			t.write(context.Background())
		}
	}
}

// write sends the queued changes in one transaction and prunes old rows.
func (t *batchTracker) write(ctx context.Context) {
	t.mu.Lock()
	var recv, wal float64
	for _, tb := range t.live {
		if tb.b.WALWrittenAt.IsZero() {
			recv++
		} else {
			wal++
		}
	}
	t.current.WithLabelValues(catalog.StageReceived).Set(recv)
	t.current.WithLabelValues(catalog.StageWALWritten).Set(wal)
	if len(t.order) == 0 {
		t.mu.Unlock()
		return
	}
	bs := make([]catalog.Batch, 0, len(t.order))
	for _, lsn := range t.order {
		if b, ok := t.dirty[lsn]; ok {
			bs = append(bs, b)
		}
	}
	t.dirty, t.order = map[uint64]catalog.Batch{}, nil
	t.mu.Unlock()

	if err := t.log.RecordBatches(ctx, bs); err != nil {
		t.writeErrors.Inc()
		t.logger.Warn("record ingest batches failed; will retry", "batches", len(bs), "err", err)
		t.mu.Lock()
		// Newer states of the same batches win over the failed ones.
		old := t.order
		t.order = nil
		redo := map[uint64]catalog.Batch{}
		for _, b := range bs {
			redo[b.LSN] = b
			t.order = append(t.order, b.LSN)
		}
		for _, lsn := range old {
			if _, ok := redo[lsn]; !ok {
				t.order = append(t.order, lsn)
			}
			redo[lsn] = t.dirty[lsn]
		}
		t.dirty = redo
		t.mu.Unlock()
		return
	}
	if _, err := t.log.PruneBatches(ctx, time.Now().Add(-t.retention), t.keep); err != nil {
		t.logger.Warn("prune ingest batches failed", "err", err)
	}
}

func (t *batchTracker) close() {
	close(t.stop)
	<-t.done
}
