package storage

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"openwit/storage/catalog"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// Publisher writes buffered rows as Parquet files to the object store and
// publishes them in the catalog. It implements ingest.Publisher.
type Publisher struct {
	Bucket  objstore.Bucket
	Catalog catalog.Catalog
	Writer  pqfile.WriterOptions
}

// FileKey is the object store key of a data file.
func FileKey(tableID, shard int64, fileID string) string {
	return fmt.Sprintf("tables/%d/shard=%d/%s.parquet", tableID, shard, fileID)
}

// Publish writes one file for (t, shard) holding batches and publishes it.
// The file id is derived from (table, shard, maxLSN), so a retried publish of
// the same rows is idempotent in the catalog.
func (p *Publisher) Publish(ctx context.Context, t *catalog.Table, shard int64, batches []arrow.RecordBatch, maxLSN uint64) (*catalog.File, error) {
	if len(batches) == 0 {
		return nil, nil
	}
	schema := batches[0].Schema()
	var buf bytes.Buffer
	rows, _, err := pqfile.Write(&buf, schema, batches, p.Writer)
	if err != nil {
		return nil, fmt.Errorf("write parquet: %w", err)
	}
	minT, maxT := TimeRange(t, batches)
	id := fmt.Sprintf("t%d-s%d-l%d", t.ID, shard, maxLSN)
	f := &catalog.File{
		ID: id, TableID: t.ID, Shard: shard, Path: FileKey(t.ID, shard, id),
		MinTime: minT, MaxTime: maxT, Rows: rows, Bytes: int64(buf.Len()), MaxLSN: maxLSN,
	}
	if err := p.Bucket.Put(ctx, f.Path, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		return nil, fmt.Errorf("upload %s: %w", f.Path, err)
	}
	if err := p.Catalog.PublishFile(ctx, f); err != nil {
		return nil, fmt.Errorf("publish %s: %w", f.ID, err)
	}
	return f, nil
}

// TimeRange returns the min and max of the table's time column (Unix µs)
// over batches; (0, 0) when the table has no time column or no values.
func TimeRange(t *catalog.Table, batches []arrow.RecordBatch) (int64, int64) {
	minT, maxT := int64(math.MaxInt64), int64(math.MinInt64)
	for _, b := range batches {
		idx := b.Schema().FieldIndices(t.TimeColumn)
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
