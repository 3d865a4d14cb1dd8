package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/catalog"
	"openwit/storage/index"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// Publisher writes buffered rows as Parquet files to the object store and
// publishes them in the catalog. It implements ingest.Publisher.
type Publisher struct {
	Bucket  objstore.Bucket
	Catalog catalog.Catalog
	Writer  pqfile.WriterOptions
	// DeferIndex leaves building the index artifact to the indexer role:
	// files are published without one and queued. By default Publish
	// builds it from the batches it just wrote and the new file's footer
	// (index.BuildFromBatches), while the file uploads; a failure there is
	// logged and the file is queued instead.
	DeferIndex bool
	// Logger may be nil (no logs).
	Logger *slog.Logger
	// Failpoint, when set, is called with "publish-after-upload" between
	// the upload and the catalog publish (crash tests; see
	// internal/node's failpoint).
	Failpoint func(ctx context.Context, point string)
	// MaxUploadAge, when positive, is the longest an upload may wait for
	// its catalog publish: older, garbage collection may already take it
	// for an orphan (an object no catalog row names, older than the
	// garbage grace) and delete it. Publish then deletes the upload and
	// fails, and the caller's retry uploads it again. A node sets half of
	// --garbage-grace, as compaction does.
	MaxUploadAge time.Duration

	deferAll atomic.Bool // set by DeferIndexFromNow
}

// DeferIndexFromNow makes every later Publish queue its file for the
// indexer instead of building the artifact: a node shutting down publishes
// its buffers as fast as it can and the indexer role catches up. Safe to call concurrently with Publish.
func (p *Publisher) DeferIndexFromNow() { p.deferAll.Store(true) }

// FileID is the id of the file holding the rows of WAL writer's records up
// to maxLSN for (table, shard). An empty writer gives the ids of before
// per-writer checkpoints.
func FileID(writer string, tableID, shard int64, maxLSN uint64) string {
	if writer == "" {
		return fmt.Sprintf("t%d-s%d-l%d", tableID, shard, maxLSN)
	}
	return fmt.Sprintf("t%d-s%d-w%s-l%d", tableID, shard, writer, maxLSN)
}

// FileKey is the object store key of a data file.
func FileKey(tableID, shard int64, fileID string) string {
	return fmt.Sprintf("tables/%d/shard=%d/%s.parquet", tableID, shard, fileID)
}

// IndexKey is the object store key of a data file's index artifact.
func IndexKey(fileKey string) string { return fileKey + ".idx" }

// BuildIndex builds the index artifact of the Parquet file held in data,
// for table t, uploads it next to the file and returns its record.
func BuildIndex(ctx context.Context, bucket objstore.Bucket, t *catalog.Table, fileKey string, data io.ReaderAt, size int64) (*catalog.IndexArtifact, error) {
	b, err := encodeIndex(ctx, t, fileKey, data, size, nil, nil)
	if err != nil {
		return nil, err
	}
	return putIndex(ctx, bucket, fileKey, b)
}

// encodeIndex builds and encodes the index artifact of the Parquet file
// held in data. With batches (those pqfile.Write wrote the file from), it
// reads only the file's footer and takes the values from the batches, and
// those of the columns written with a dictionary from dicts (nil: none).
func encodeIndex(ctx context.Context, t *catalog.Table, fileKey string, data io.ReaderAt, size int64, batches []arrow.RecordBatch, dicts *pqfile.Dictionaries) ([]byte, error) {
	rd, err := pqfile.NewReader(data, size, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", fileKey, err)
	}
	var ix *index.Index
	opt := index.OptionsFromTable(t.Options)
	opt.TimeColumn = t.TimeField()
	if batches != nil {
		opt.Dictionaries = dicts
		ix, err = index.BuildFromBatches(ctx, rd, batches, opt)
	} else {
		ix, err = index.Build(ctx, rd, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", fileKey, err)
	}
	return ix.Encode(), nil
}

// putIndex uploads the encoded artifact b of fileKey.
func putIndex(ctx context.Context, bucket objstore.Bucket, fileKey string, b []byte) (*catalog.IndexArtifact, error) {
	key := IndexKey(fileKey)
	if err := bucket.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
		return nil, fmt.Errorf("upload %s: %w", key, err)
	}
	return &catalog.IndexArtifact{Path: key, Bytes: int64(len(b)), Version: index.Version}, nil
}

// Publish writes one file for (t, shard) holding batches, rows of the WAL
// writer up to maxLSN, and publishes it. The file id is derived from
// (table, shard, writer, maxLSN), so a retried publish of the same rows is
// idempotent in the catalog, and two nodes' WALs never name the same file.
func (p *Publisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, batches []arrow.RecordBatch, maxLSN uint64) (*catalog.File, error) {
	if len(batches) == 0 {
		return nil, nil
	}
	f, uploaded, err := p.write(ctx, t, shard, FileID(writer, t.ID, shard, maxLSN), batches)
	if err != nil {
		return nil, err
	}
	f.MaxLSN, f.Writer = maxLSN, writer
	if p.Failpoint != nil {
		p.Failpoint(ctx, "publish-after-upload")
	}
	if took := time.Since(uploaded); p.MaxUploadAge > 0 && took > p.MaxUploadAge {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = p.Bucket.Delete(dctx, f.Path) // what the orphan sweep would do; a failure leaves it to the sweep
		if f.Index != nil {
			_ = p.Bucket.Delete(dctx, f.Index.Path)
		}
		cancel()
		return nil, fmt.Errorf("publish %s: the upload is %v old, over %v (half the garbage grace): garbage collection may delete it as an orphan; not published, retried", f.ID, took.Round(time.Millisecond), p.MaxUploadAge)
	}
	if err := p.Catalog.PublishFile(ctx, f); err != nil {
		return nil, fmt.Errorf("publish %s: %w", f.ID, err)
	}
	return f, nil
}

// Stage writes one file for (t, shard) holding batches under the given id
// and uploads it (with its index artifact, as Publish does) WITHOUT
// publishing it: PublishAt publishes staged files later, with a Kafka
// partition's offset (docs/design/027-kafka-through-storage.md). The id
// names the rows (a Kafka record range), so staging it again writes the
// same object. A staged object that is never published is an orphan that
// garbage collection deletes after the grace period.
func (p *Publisher) Stage(ctx context.Context, t *catalog.Table, shard int64, id string, batches []arrow.RecordBatch) (*catalog.File, error) {
	if len(batches) == 0 {
		return nil, fmt.Errorf("stage %s: no rows: %w", id, catalog.ErrInvalid)
	}
	f, _, err := p.write(ctx, t, shard, id, batches)
	if err != nil {
		return nil, err
	}
	if p.Failpoint != nil {
		p.Failpoint(ctx, "stage-after-upload")
	}
	return f, nil
}

// ErrStaleUpload: a staged object given to PublishAt is gone or older than
// MaxUploadAge, so garbage collection may take it for an orphan. Nothing
// was published; stage the rows again.
var ErrStaleUpload = errors.New("storage: staged upload missing or too old")

// PublishAt publishes staged files (Stage) with the offset delta d in one
// catalog transaction (catalog.PublishFilesAt: ErrConflict when the stored
// offset is not d.From, nil when this very publish is repeated). Before
// that it checks every object is there and, with MaxUploadAge, younger
// than it (when the bucket tells modification times): otherwise it
// returns ErrStaleUpload and publishes nothing.
func (p *Publisher) PublishAt(ctx context.Context, files []*catalog.File, d catalog.OffsetDelta) error {
	if mt, ok := p.Bucket.(objstore.ModTimer); ok {
		for _, f := range files {
			at, err := mt.ModTime(ctx, f.Path)
			if errors.Is(err, objstore.ErrNotFound) {
				return fmt.Errorf("publish %s: the staged object is gone: %w", f.ID, ErrStaleUpload)
			}
			if err != nil {
				return fmt.Errorf("publish %s: %w", f.ID, err)
			}
			if age := time.Since(at); p.MaxUploadAge > 0 && age > p.MaxUploadAge {
				return fmt.Errorf("publish %s: staged %v ago, over %v (half the garbage grace): %w", f.ID, age.Round(time.Millisecond), p.MaxUploadAge, ErrStaleUpload)
			}
		}
	}
	return p.Catalog.PublishFilesAt(ctx, files, d)
}

// write encodes batches as the Parquet file id of (t, shard), uploads it
// and builds its index artifact unless deferred: from the batches, while
// the file uploads (the upload mostly waits for I/O), and uploaded once the
// file is. It returns the file and when the upload started.
func (p *Publisher) write(ctx context.Context, t *catalog.Table, shard int64, id string, batches []arrow.RecordBatch) (*catalog.File, time.Time, error) {
	buf := getFileBuffer()
	defer putFileBuffer(buf) // after the upload and the index build, which read it
	rows, _, dicts, err := pqfile.WriteDictionaries(buf, batches[0].Schema(), batches, p.Writer)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("write parquet: %w", err)
	}
	defer dicts.Release()
	minT, maxT := TimeRange(t, batches)
	f := &catalog.File{
		ID: id, TableID: t.ID, Shard: shard, Path: FileKey(t.ID, shard, id),
		MinTime: minT, MaxTime: maxT, Rows: rows, Bytes: int64(buf.Len()),
	}
	uploaded := time.Now()
	put := make(chan error, 1)
	go func() { put <- p.Bucket.Put(ctx, f.Path, bytes.NewReader(buf.Bytes()), int64(buf.Len())) }()
	var (
		ixBytes []byte
		ixErr   error
	)
	withIndex := !p.DeferIndex && !p.deferAll.Load()
	if withIndex {
		ixBytes, ixErr = encodeIndex(ctx, t, f.Path, bytes.NewReader(buf.Bytes()), int64(buf.Len()), batches, dicts)
	}
	if err := <-put; err != nil {
		return nil, time.Time{}, fmt.Errorf("upload %s: %w", f.Path, err)
	}
	if withIndex {
		if ixErr == nil {
			f.Index, ixErr = putIndex(ctx, p.Bucket, f.Path, ixBytes)
		}
		if ixErr != nil && p.Logger != nil {
			p.Logger.Warn("index build failed, file queued for the indexer", "file", f.ID, "err", ixErr)
		}
	}
	return f, uploaded, nil
}

// fileBuffers recycles the buffers Publish writes files into: a flush
// writes one file per shard, and a fresh buffer per file grows by doubling
// (copying and zeroing as it goes) to the file's size. A bounded free
// list, as ingest's payload buffers: a sync.Pool would be emptied by the
// GC cycles that large flushes trigger.
var fileBuffers = make(chan *bytes.Buffer, 4)

// maxPooledFile is the largest file buffer kept for reuse.
const maxPooledFile = 128 << 20

func getFileBuffer() *bytes.Buffer {
	select {
	case b := <-fileBuffers:
		return b
	default:
		return new(bytes.Buffer)
	}
}

func putFileBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledFile {
		return
	}
	b.Reset()
	select {
	case fileBuffers <- b:
	default: // enough kept
	}
}

// TimeRange returns the min and max of the table's time column (Unix µs)
// over batches; (0, 0) when the table has no time column or no values.
func TimeRange(t *catalog.Table, batches []arrow.RecordBatch) (int64, int64) {
	minT, maxT := int64(math.MaxInt64), int64(math.MinInt64)
	for _, b := range batches {
		idx := b.Schema().FieldIndices(t.TimeField())
		if len(idx) == 0 {
			continue
		}
		col, ok := b.Column(idx[0]).(*array.Timestamp)
		if !ok {
			continue
		}
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				continue
			}
			v := int64(col.Value(i))
			minT = min(minT, v)
			maxT = max(maxT, v)
		}
	}
	if minT > maxT {
		return 0, 0
	}
	return minT, maxT
}
