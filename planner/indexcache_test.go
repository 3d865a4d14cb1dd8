package planner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/index"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// putArtifact writes a Parquet file of n rows (unique trace ids, log-like
// messages) under key, builds its index artifact and stores it next to the
// file, and returns the artifact's size.
func putArtifact(t *testing.T, b objstore.Bucket, key string, n int) int64 {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "trace_id", Type: arrow.BinaryTypes.String},
		{Name: "message", Type: arrow.BinaryTypes.String},
	}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	words := []string{"timeout", "connect", "refused", "lock", "orders", "payment", "retry", "cache", "miss", "user"}
	for i := range n {
		rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%s-%032x", key, i*7919))
		rb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%s %s after %d ms for %s%d", words[i%10], words[(i/10)%10], i%997, words[(i/100)%10], i%50))
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	if _, _, err := pqfile.Write(&buf, schema, []arrow.RecordBatch{rec}, pqfile.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Build(t.Context(), rd, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !ix.HasPostings() || ix.Column("trace_id").Blooms == nil {
		t.Fatalf("artifact has no postings or no trace_id Bloom filter")
	}
	art := ix.Encode()
	if err := b.Put(t.Context(), storage.IndexKey(key), bytes.NewReader(art), int64(len(art))); err != nil {
		t.Fatal(err)
	}
	return int64(len(art))
}

// TestIndexCacheKeepsWhatFiltersUse: the cache keeps the artifact columns
// a filter names, without postings unless it is a text search, so a cache
// far too small for the whole artifacts of a table holds the trace-id
// Bloom filters of all its files and a second equality lookup over every
// file loads none (before, every lookup re-read every artifact: the
// 100M-row needle). A text search loads the postings, which then serve
// both kinds of filter.
func TestIndexCacheKeepsWhatFiltersUse(t *testing.T) {
	ctx := context.Background()
	bucket, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const files, rows = 4, 20000
	var fs []*catalog.File
	var whole int64
	for i := range files {
		key := fmt.Sprintf("tables/1/shard=0/f%d.parquet", i)
		whole += putArtifact(t, bucket, key, rows)
		fs = append(fs, &catalog.File{ID: fmt.Sprintf("f%d", i), Path: key, Rows: rows})
	}
	// Room for two whole artifacts, not four.
	c := newIndexCache(bucket, slog.New(slog.DiscardHandler), whole/2, prometheus.NewRegistry())
	trace := []string{"trace_id"}
	for pass := range 2 {
		for _, f := range fs {
			ix := c.get(ctx, f, trace, false)
			if ix == nil || len(ix.Columns) != 1 || ix.Column("trace_id").Blooms == nil || len(ix.RowGroups) == 0 {
				t.Fatalf("pass %d, %s: %+v", pass, f.ID, ix)
			}
		}
	}
	if got := testutil.ToFloat64(c.loads); got != files {
		t.Errorf("two passes of equality lookups loaded %v artifacts, want %d (each once)", got, files)
	}
	if c.bytes*4 > whole {
		t.Errorf("cache holds %d bytes for the trace_id columns of artifacts of %d bytes in all", c.bytes, whole)
	}

	// message without postings (a filter such as message = 'x'), then a
	// text search: the postings are loaded, and serve both from then on.
	msg := []string{"message"}
	if ix := c.get(ctx, fs[0], msg, false); ix == nil || ix.HasPostings() {
		t.Fatalf("message without postings: %+v", ix)
	}
	ix := c.get(ctx, fs[0], msg, true)
	if ix == nil || !ix.HasPostings() {
		t.Fatalf("text search got no postings: %+v", ix)
	}
	if got := testutil.ToFloat64(c.loads); got != files+2 {
		t.Errorf("loads after the message lookups: %v, want %d", got, files+2)
	}
	for _, postings := range []bool{false, true} {
		ix := c.get(ctx, fs[0], []string{"message", "trace_id", "message"}, postings)
		if ix == nil || !ix.HasPostings() || len(ix.Columns) != 2 {
			t.Errorf("cached columns, postings %v: %+v", postings, ix)
		}
	}
	if got := testutil.ToFloat64(c.loads); got != files+2 {
		t.Errorf("loads after hits: %v, want %d", got, files+2)
	}
	// A column the artifact lacks is remembered as absent.
	if ix := c.get(ctx, fs[1], []string{"no_such"}, false); ix == nil || len(ix.Columns) != 0 {
		t.Errorf("absent column: %+v", ix)
	}
	if ix := c.get(ctx, fs[1], []string{"no_such"}, false); ix == nil || testutil.ToFloat64(c.loads) != files+3 {
		t.Errorf("absent column again: %+v, %v loads", ix, testutil.ToFloat64(c.loads))
	}
}

// TestColumnOwnKeepsPostings: a column copied out of its artifact's bytes
// answers like the decoded one after the bytes are overwritten.
func TestColumnOwnKeepsPostings(t *testing.T) {
	bucket, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	putArtifact(t, bucket, "f.parquet", 5000)
	r, err := bucket.Get(t.Context(), storage.IndexKey("f.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	ix, err := index.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	own := ix.Column("message").Own()
	want := ix.Column("message").Postings[0]
	var before []uint64
	for i := range want.Terms {
		bm, err := want.Bitmap(i)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, bm.GetCardinality())
	}
	clear(b)
	for i := range own.Postings[0].Terms {
		bm, err := own.Postings[0].Bitmap(i)
		if err != nil || bm.GetCardinality() != before[i] || before[i] == 0 {
			t.Fatalf("term %q: %v rows (%v), want %d", own.Postings[0].Terms[i], bm, err, before[i])
		}
	}
}
