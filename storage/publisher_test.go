package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/catalog"
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
// reading the uploaded file, with row groups that straddle batches; four
// publishes at once (sharing recycled file buffers) each upload their own
// rows.
func TestPublishIndexFromBatches(t *testing.T) {
	ctx := t.Context()
	cat, bucket, tbl, schema := indexFixture(t)
	pub := &Publisher{Bucket: bucket, Catalog: cat, Writer: pqfile.WriterOptions{RowGroupRows: 7}}
	const shards = 4
	files := make([]*catalog.File, shards)
	errs := make([]error, shards)
	var wg sync.WaitGroup
	for shard := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var recs []arrow.RecordBatch
			for n := range 6 + shard {
				b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
				for i := range n * 5 {
					b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(n*1000 + i))
					if i%4 == 3 {
						b.Field(1).AppendNull()
					} else {
						b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("Id-%d-%d-%d ÄÖ", shard, n, i%(n+1)))
					}
				}
				recs = append(recs, b.NewRecordBatch())
				b.Release()
			}
			files[shard], errs[shard] = pub.Publish(ctx, "w1", tbl, int64(shard), recs, 3)
			for _, r := range recs {
				r.Release()
			}
		}()
	}
	wg.Wait()
	for shard, f := range files {
		if errs[shard] != nil {
			t.Fatal(errs[shard])
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
		want, err := encodeIndex(ctx, tbl, f.Path, r, r.Size(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("shard %d: artifact built at publish (%d bytes) differs from the one built from the file (%d bytes)", shard, len(got), len(want))
		}
		rows := int64(5 * (5 + shard) * (6 + shard) / 2)
		ix, err := index.Decode(got)
		if err != nil || f.Rows != rows || len(ix.RowGroups) != int((rows+6)/7) || ix.Column("id").Grams == nil {
			t.Fatalf("shard %d: %d rows, artifact of %d row groups, %v", shard, f.Rows, len(ix.RowGroups), err)
		}
		rd, err := pqfile.NewReader(r, r.Size(), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := rd.Read(ctx, []string{"id"}, nil, 1<<10)
		if err != nil {
			t.Fatal(err)
		}
		for rr.Next() {
			col := rr.RecordBatch().Column(0).(*array.String)
			for i := range col.Len() {
				if col.IsValid(i) && !strings.HasPrefix(col.Value(i), fmt.Sprintf("Id-%d-", shard)) {
					t.Fatalf("shard %d's file holds %q", shard, col.Value(i))
				}
			}
		}
		rr.Release()
	}
}
