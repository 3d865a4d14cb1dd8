package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// Indexer is the indexer role: it takes files off the catalog's index
// queue (a lease per file, so one builder works on a file at a time and a
// file whose builder died is leased again once the lease expires), builds
// their index artifacts, uploads them and links them in the catalog.
type Indexer struct {
	cfg IndexerConfig

	built, failed prometheus.Counter
}

// IndexerConfig configures an Indexer.
type IndexerConfig struct {
	Catalog catalog.Catalog
	Bucket  objstore.Bucket
	// Owner names this builder in the queue (host and pid, say).
	Owner string
	// Lease is how long a file stays leased to this builder; a build
	// must finish within it. 0 means one minute.
	Lease time.Duration
	// Poll is the wait between looks at an empty queue; 0 means a second.
	Poll time.Duration
	// Logger may be nil; Registerer may be nil.
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Failpoint, when set (crash tests), is called with
	// "index-after-upload" between the upload of an artifact and its link
	// in the catalog.
	Failpoint func(ctx context.Context, point string)
	// beforeBuild, when set (tests), runs after a file is leased.
	beforeBuild func(f *catalog.File)
}

// NewIndexer returns an indexer; Run starts it.
func NewIndexer(cfg IndexerConfig) (*Indexer, error) {
	if cfg.Catalog == nil || cfg.Bucket == nil || cfg.Owner == "" {
		return nil, errors.New("indexer: catalog, bucket and owner are required")
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := promauto.With(cfg.Registerer)
	ix := &Indexer{cfg: cfg,
		built: f.NewCounter(prometheus.CounterOpts{Name: "openwit_indexer_artifacts_built_total",
			Help: "Index artifacts built and linked by the indexer role."}),
		failed: f.NewCounter(prometheus.CounterOpts{Name: "openwit_indexer_failures_total",
			Help: "Index builds that failed (the file is leased again after its lease expires)."}),
	}
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "openwit_index_queue_depth",
		Help: "Files waiting for an index artifact (catalog index queue)."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := cfg.Catalog.IndexQueueDepth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	return ix, nil
}

// Run builds artifacts until ctx ends; it returns ctx's error.
func (ix *Indexer) Run(ctx context.Context) error {
	for {
		did, err := ix.Step(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			ix.failed.Inc()
			ix.cfg.Logger.Warn("index build failed", "err", err)
		}
		if !did || err != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(ix.cfg.Poll):
			}
		}
	}
}

// Step leases one queued file and indexes it; did is false when the queue
// had nothing ready.
func (ix *Indexer) Step(ctx context.Context) (did bool, err error) {
	job, err := ix.cfg.Catalog.LeaseIndexJob(ctx, ix.cfg.Owner, ix.cfg.Lease)
	if err != nil || job == nil {
		return false, err
	}
	f := job.File
	if ix.cfg.beforeBuild != nil {
		ix.cfg.beforeBuild(f)
	}
	bctx, cancel := context.WithTimeout(ctx, ix.cfg.Lease)
	defer cancel()
	t, err := ix.table(bctx, f.TableID)
	if err != nil {
		return true, err
	}
	r, err := objstore.NewReaderAt(bctx, ix.cfg.Bucket, f.Path)
	if err != nil {
		return true, fmt.Errorf("open %s: %w", f.Path, err)
	}
	a, err := BuildIndex(bctx, ix.cfg.Bucket, t, f.Path, r, r.Size())
	if err != nil {
		return true, err
	}
	if ix.cfg.Failpoint != nil {
		ix.cfg.Failpoint(bctx, "index-after-upload")
	}
	if err := ix.cfg.Catalog.LinkIndex(bctx, f.ID, a); err != nil {
		return true, err
	}
	ix.built.Inc()
	ix.cfg.Logger.Info("index artifact built", "file", f.ID, "bytes", a.Bytes, "attempt", job.Attempts)
	return true, nil
}

// table finds a table by id.
func (ix *Indexer) table(ctx context.Context, id int64) (*catalog.Table, error) {
	ts, err := ix.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("table id %d: %w", id, catalog.ErrNotFound)
}
