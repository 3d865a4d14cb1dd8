package storage

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"openwit/internal/testlocal"
	"openwit/storage/catalog"
	"openwit/storage/index"
	"openwit/storage/objstore"
)

// TestIndexerLeaseExpiry: a file published with DeferIndex is queued; a
// builder that dies after leasing it leaves it queued; once the lease has
// expired another builder builds it, exactly once, and links it.
func TestIndexerLeaseExpiry(t *testing.T) {
	ctx := t.Context()
	cat, bucket, tbl, schema := indexFixture(t)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	for i := range 100 {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("id-%d", i))
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	pub := &Publisher{Bucket: bucket, Catalog: cat, DeferIndex: true}
	f, err := pub.Publish(ctx, "w1", tbl, 0, []arrow.RecordBatch{rec}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := cat.IndexQueueDepth(ctx); n != 1 {
		t.Fatalf("queue depth %d after a deferred publish, want 1", n)
	}

	// Builder A leases the file and dies before building (its context
	// ends); its lease expires at once.
	dead, stop := context.WithCancel(ctx)
	a, err := NewIndexer(IndexerConfig{Catalog: cat, Bucket: bucket, Owner: "a", Lease: time.Nanosecond,
		beforeBuild: func(*catalog.File) { stop() }})
	if err != nil {
		t.Fatal(err)
	}
	if did, err := a.Step(dead); !did || err == nil {
		t.Fatalf("dying builder: did %v, err %v", did, err)
	}
	if _, err := bucket.Size(ctx, IndexKey(f.Path)); err == nil {
		t.Fatal("the dead builder left an artifact")
	}

	reg := prometheus.NewRegistry()
	builds := 0
	bb, err := NewIndexer(IndexerConfig{Catalog: cat, Bucket: bucket, Owner: "b", Registerer: reg,
		beforeBuild: func(*catalog.File) { builds++ }})
	if err != nil {
		t.Fatal(err)
	}
	if did, err := bb.Step(ctx); !did || err != nil {
		t.Fatalf("second builder: did %v, err %v", did, err)
	}
	if did, err := bb.Step(ctx); did || err != nil {
		t.Fatalf("queue not empty after the build: did %v, err %v", did, err)
	}
	if builds != 1 {
		t.Errorf("built %d times, want once", builds)
	}
	if n := testutil.ToFloat64(bb.built); n != 1 {
		t.Errorf("built counter %v", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader("# HELP openwit_index_queue_depth Files waiting for an index artifact (catalog index queue).\n# TYPE openwit_index_queue_depth gauge\nopenwit_index_queue_depth 0\n"), "openwit_index_queue_depth"); err != nil {
		t.Error(err)
	}
	files, err := cat.ListFiles(ctx, tbl.ID)
	if err != nil || len(files) != 1 || files[0].Index == nil {
		t.Fatalf("linked file: %+v, %v", files, err)
	}
	r, err := bucket.Get(ctx, files[0].Index.Path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r)
	r.Close()
	ix, err := index.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if c := ix.Column("id"); c == nil || c.Blooms == nil || !c.Blooms[0].HasHash(index.HashString("id-42")) {
		t.Errorf("artifact lacks the id Bloom filter")
	}
}

// TestPublisherDeferIndexFromNow: a publisher builds artifacts until
// DeferIndexFromNow (a node shutting down), then queues its files.
func TestPublisherDeferIndexFromNow(t *testing.T) {
	ctx := t.Context()
	cat, bucket, tbl, schema := indexFixture(t)
	pub := &Publisher{Bucket: bucket, Catalog: cat}
	publish := func(lsn uint64) *catalog.File {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(lsn))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprint("id-", lsn))
		rec := b.NewRecordBatch()
		defer rec.Release()
		f, err := pub.Publish(ctx, "w1", tbl, 0, []arrow.RecordBatch{rec}, lsn)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f1 := publish(1)
	if _, err := bucket.Size(ctx, IndexKey(f1.Path)); err != nil {
		t.Fatalf("no artifact for a normal publish: %v", err)
	}
	pub.DeferIndexFromNow()
	f2 := publish(2)
	if _, err := bucket.Size(ctx, IndexKey(f2.Path)); err == nil {
		t.Fatal("an artifact was built after DeferIndexFromNow")
	}
	if n, _ := cat.IndexQueueDepth(ctx); n != 1 {
		t.Fatalf("queue depth %d, want 1 (the deferred file)", n)
	}
}

// indexFixture is a SQLite catalog, a local object store and a table t
// (ts timestamptz, id text) with its Arrow schema.
func indexFixture(t *testing.T) (catalog.Catalog, objstore.Bucket, *catalog.Table, *arrow.Schema) {
	ctx := t.Context()
	dir := t.TempDir()
	cat, bucket := testlocal.Store(t, dir)
	tbl, err := cat.CreateTable(ctx, &catalog.Table{Name: "t", TimeColumn: "ts",
		Columns: []catalog.Column{{Name: "ts", Type: TypeTimestampTZ}, {Name: "id", Type: TypeText}}})
	if err != nil {
		t.Fatal(err)
	}
	schema, err := ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	return cat, bucket, tbl, schema
}
