package storage

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

func TestOrphanCollector(t *testing.T) {
	ctx := t.Context()
	bucket, err := objstore.NewLocal(filepath.Join(t.TempDir(), "objects"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	tbl, err := cat.CreateTable(ctx, &catalog.Table{Name: "logs", TimeColumn: "ts", ShardDuration: time.Hour,
		Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}}})
	if err != nil {
		t.Fatal(err)
	}
	schema, err := ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewTimestampBuilder(memory.DefaultAllocator, schema.Field(0).Type.(*arrow.TimestampType))
	b.Append(arrow.Timestamp(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()))
	col := b.NewArray()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 1)
	defer rec.Release()
	defer col.Release()
	pub := &Publisher{Bucket: bucket, Catalog: cat}
	kept, err := pub.Publish(ctx, tbl, 0, []arrow.RecordBatch{rec}, 7)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string) {
		if err := bucket.Put(ctx, key, strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	orphan := FileKey(tbl.ID, 0, "t1-s0-l99") // uploaded, never published
	dropped := FileKey(999, 0, "t999-s0-l1")  // a dropped table's file
	put(orphan)
	put(dropped)
	put("other/not-ours")

	gc := &OrphanCollector{Bucket: bucket, Catalog: cat, Grace: time.Hour}
	ok := func(context.Context) error { return nil }
	t0 := time.Now()
	if n, err := gc.Collect(ctx, t0, ok); err != nil || n != 0 || gc.Pending() != 2 {
		t.Fatalf("first pass: %d deleted, %v, %d pending; want 0 deleted (grace), 2 pending", n, err, gc.Pending())
	}
	if n, err := gc.Collect(ctx, t0.Add(59*time.Minute), ok); err != nil || n != 0 {
		t.Fatalf("inside the grace period: %d deleted, %v", n, err)
	}
	// A failed fencing check deletes nothing.
	stale := errors.New("stale token")
	if n, err := gc.Collect(ctx, t0.Add(time.Hour), func(context.Context) error { return stale }); !errors.Is(err, stale) || n != 0 {
		t.Fatalf("with a failed check: %d deleted, %v", n, err)
	}
	if n, err := gc.Collect(ctx, t0.Add(time.Hour), ok); err != nil || n != 2 {
		t.Fatalf("after the grace period: %d deleted, %v; want 2", n, err)
	}
	for key, want := range map[string]bool{kept.Path: true, orphan: false, dropped: false, "other/not-ours": true} {
		_, err := bucket.Size(ctx, key)
		if exists := err == nil; exists != want {
			t.Errorf("%s exists=%v, want %v (%v)", key, exists, want, err)
		}
	}
	// An object that becomes referenced during its grace is forgotten.
	late := FileKey(tbl.ID, 0, "t1-s0-l8")
	put(late)
	gc.Collect(ctx, t0, ok)
	if err := cat.PublishFile(ctx, &catalog.File{ID: "t1-s0-l8", TableID: tbl.ID, Path: late, Rows: 1, Bytes: 1, MaxLSN: 8}); err != nil {
		t.Fatal(err)
	}
	if n, err := gc.Collect(ctx, t0.Add(2*time.Hour), ok); err != nil || n != 0 || gc.Pending() != 0 {
		t.Fatalf("published during grace: %d deleted, %v, %d pending", n, err, gc.Pending())
	}
}
