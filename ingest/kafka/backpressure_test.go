package kafka

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/storage"
	"openwit/storage/catalog"
)

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBackpressureIngestLimit: while the node's ingester is over its
// buffer limit (rows of INSERT/COPY not yet flushed), Kafka consumption
// pauses and takes nothing; once the ingester flushes, it resumes and
// every record lands exactly once.
func TestBackpressureIngestLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, "logs")
	e.createLogs("logs")
	ctx := context.Background()
	w, err := wal.Open(wal.Options{Dir: filepath.Join(t.TempDir(), "wal")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	// A tiny limit and no background flusher: one INSERT keeps the
	// ingester over half its limit until Flush.
	ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: e.cat, Publisher: &storage.Publisher{Bucket: e.bucket, Catalog: e.cat},
		FlushAge: time.Hour, BufferLimit: 64})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.cat.CreateTable(ctx, &catalog.Table{Name: "other", Columns: []catalog.Column{{Name: "s", Type: "text"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ing.AddTable(ctx, other); err != nil {
		t.Fatal(err)
	}
	schema, _ := storage.ArrowSchema(other)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	for range 10 {
		b.Field(0).(*array.StringBuilder).Append("a row of an insert that fills the buffer")
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	if err := ing.Insert(ctx, other.ID, []ingest.Part{{Rec: rec}}); err != nil {
		t.Fatal(err)
	}
	if ing.Overloaded() == nil {
		t.Fatal("the ingester is not overloaded")
	}

	const n = 2000
	var values [][]byte
	for k := range n {
		values = append(values, logRecord(k))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g", reg, Topic{Name: "logs"})
	c.cfg.Pressure = ing.Overloaded
	c.cfg.Sink = ing
	run(t, c)
	waitFor(t, "the pause", c.Paused)
	if got := counterValue(t, reg, "openwit_kafka_paused"); got != 1 {
		t.Errorf("openwit_kafka_paused = %v, want 1", got)
	}
	if got := counterValue(t, reg, "openwit_kafka_pauses_total"); got != 1 {
		t.Errorf("openwit_kafka_pauses_total = %v, want 1", got)
	}
	// Paused from the start: nothing was taken from Kafka.
	if got := counterValue(t, reg, "openwit_kafka_records_total"); got != 0 {
		t.Errorf("%v records consumed while paused", got)
	}
	if err := ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resume", func() bool { return !c.Paused() })
	e.waitOffsets("g", "logs", n)
	checkKeys(t, e, "logs", n)
	if got := counterValue(t, reg, "openwit_kafka_paused"); got != 0 {
		t.Errorf("openwit_kafka_paused = %v after the resume, want 0", got)
	}
}

// TestBackpressureBufferLimit: with a buffer limit far below what is
// produced and no time- or count-based commit due, the consumer publishes
// whenever its buffers reach the limit; while those publishes fail (the
// table's directory in the object store is blocked by a file) it pauses
// instead of reading on; once they work again it resumes, and every
// record lands exactly once.
func TestBackpressureBufferLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, "logs")
	tbl := e.createLogs("logs")
	const n = 6000
	var values [][]byte
	var total int
	for k := range n {
		values = append(values, logRecord(k))
		total += len(values[k])
	}
	// A regular file where the table's objects go: uploads fail.
	block := filepath.Join(e.dir, "objects", "tables", fmt.Sprint(tbl.ID))
	if err := os.MkdirAll(filepath.Dir(block), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(block, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g", reg, Topic{Name: "logs"})
	c.cfg.CommitInterval, c.cfg.CommitRecords = time.Hour, 1<<30
	c.cfg.BufferLimit = int64(total / 10)
	stop := run(t, c)
	waitFor(t, "the pause", c.Paused)
	if got := counterValue(t, reg, "openwit_kafka_pauses_total"); got != 1 {
		t.Errorf("openwit_kafka_pauses_total = %v, want 1", got)
	}
	if got := counterValue(t, reg, "openwit_kafka_publishes_total"); got == 0 {
		t.Error("no failed publish counted")
	}
	t.Logf("paused with %v records (%v bytes) buffered; limit %d bytes", counterValue(t, reg, "openwit_kafka_records_total"),
		counterValue(t, reg, "openwit_kafka_buffered_bytes"), c.cfg.BufferLimit)
	if got := counterValue(t, reg, "openwit_kafka_buffered_bytes"); got > 2*float64(c.cfg.BufferLimit) {
		t.Errorf("%v bytes buffered at the pause, limit %d", got, c.cfg.BufferLimit)
	}
	// Paused: the buffers stop growing (one poll past the limit at most).
	if got := counterValue(t, reg, "openwit_kafka_records_total"); got >= n {
		t.Errorf("%v records buffered while the limit is %d bytes of %d", got, c.cfg.BufferLimit, total)
	}
	if err := os.Remove(block); err != nil {
		t.Fatal(err)
	}
	// Everything is read; what is under the limit is published at stop
	// (the commit interval is an hour).
	waitFor(t, "every record read", func() bool { return counterValue(t, reg, "openwit_kafka_records_total") == n })
	if c.Paused() {
		t.Error("still paused")
	}
	stop()
	e.waitOffsets("g", "logs", n)
	checkKeys(t, e, "logs", n)
	if got := counterValue(t, reg, "openwit_kafka_rows_published_total"); got != n {
		t.Errorf("openwit_kafka_rows_published_total = %v, want %d", got, n)
	}
	if got := counterValue(t, reg, "openwit_kafka_publishes_total"); got < 10 {
		t.Errorf("%v publishes, want at least 10 (one per buffer limit)", got)
	}
}
