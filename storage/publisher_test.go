package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/index"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// TestPublishRefusesAnOldUpload: an upload that waited longer than
// MaxUploadAge for its catalog publish may already have been taken for an
// orphan by garbage collection, so Publish deletes it and fails (the
// caller retries) instead of publishing a file that may be gone; a retry
// in time publishes it.
func TestPublishRefusesAnOldUpload(t *testing.T) {
	ctx := t.Context()
	cat, bucket, tbl, schema := indexFixture(t)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	for i := range 10 {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(i))
		b.Field(1).(*array.StringBuilder).Append("x")
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	slow := func(ctx context.Context, point string) { time.Sleep(50 * time.Millisecond) }
	pub := &Publisher{Bucket: bucket, Catalog: cat, MaxUploadAge: 10 * time.Millisecond, Failpoint: slow}
	_, err := pub.Publish(ctx, "w1", tbl, 0, []arrow.RecordBatch{rec}, 7)
	if err == nil || !strings.Contains(err.Error(), "garbage grace") {
		t.Fatalf("publish after a slow upload: %v, want the upload-age error", err)
	}
	key := FileKey(tbl.ID, 0, FileID("w1", tbl.ID, 0, 7))
	if _, err := bucket.Size(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("the refused upload is still in the store: %v", err)
	}
	if _, err := bucket.Size(ctx, IndexKey(key)); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("the refused upload's index artifact is still in the store: %v", err)
	}
	if fs, _ := cat.ListFiles(ctx, tbl.ID); len(fs) != 0 {
		t.Fatalf("refused upload published: %+v", fs)
	}
	pub.Failpoint, pub.MaxUploadAge = nil, time.Minute // building the index alone can take more than 10ms
	f, err := pub.Publish(ctx, "w1", tbl, 0, []arrow.RecordBatch{rec}, 7)
	if err != nil || f.Path != key || f.Rows != 10 {
		t.Fatalf("retry: %+v, %v", f, err)
	}
	if _, err := bucket.Size(ctx, key); err != nil {
		t.Fatalf("published file missing: %v", err)
	}
}

// TestPublishIndexFromBatches: the artifact Publish builds from the
// batches it writes is byte for byte the one the indexer role builds by
// reading the uploaded file, with row groups that straddle batches.
func TestPublishIndexFromBatches(t *testing.T) {
	ctx := t.Context()
	cat, bucket, tbl, schema := indexFixture(t)
	var recs []arrow.RecordBatch
	for n := range 6 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := range n * 5 {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(n*1000 + i))
			if i%4 == 3 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("Id-%d-%d ÄÖ", n, i%(n+1)))
			}
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	pub := &Publisher{Bucket: bucket, Catalog: cat, Writer: pqfile.WriterOptions{RowGroupRows: 7}}
	f, err := pub.Publish(ctx, "w1", tbl, 0, recs, 3)
	if err != nil {
		t.Fatal(err)
	}
	if f.Index == nil {
		t.Fatal("published without an index artifact")
	}
	rc, err := bucket.Get(ctx, f.Index.Path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	r, err := objstore.NewReaderAt(ctx, bucket, f.Path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := encodeIndex(ctx, tbl, f.Path, r, r.Size(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("artifact built at publish (%d bytes) differs from the one built from the file (%d bytes)", len(got), len(want))
	}
	ix, err := index.Decode(got)
	if err != nil || len(ix.RowGroups) != 11 || ix.Column("id").Grams == nil {
		t.Fatalf("artifact: %d row groups, %v", len(ix.RowGroups), err)
	}
}
