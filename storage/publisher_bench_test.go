package storage

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/testlocal"
	"openwit/storage/catalog"
)

// logBatches returns rows of the benchmark logs table (bench.Schema's
// columns) in batches of batchRows: a few services, hosts and levels, a
// unique 32-hex-digit trace id and a templated message per row.
func logBatches(tb testing.TB, schema *arrow.Schema, rows, batchRows int) []arrow.RecordBatch {
	tb.Helper()
	r := rand.New(rand.NewPCG(9, 9))
	services := []string{"frontend", "api-gateway", "checkout", "search", "auth", "cart", "catalog", "payments"}
	levels := []string{"info", "info", "info", "warn", "error", "debug"}
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for row := 0; row < rows; {
		for i := 0; i < batchRows && row < rows; i++ {
			s := r.IntN(len(services))
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(row)*128_000))
			b.Field(1).(*array.StringBuilder).Append(services[s])
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("%s-%d", services[s], r.IntN(10)))
			b.Field(3).(*array.StringBuilder).Append(levels[r.IntN(len(levels))])
			b.Field(4).(*array.Int32Builder).Append(int32(200 + 100*r.IntN(4)))
			b.Field(5).(*array.Float64Builder).Append(r.ExpFloat64() * 40)
			b.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()))
			b.Field(7).(*array.StringBuilder).Append(fmt.Sprintf("GET /api/v1/orders/%d completed in %dms for user %d", r.IntN(100000), r.IntN(900), r.IntN(5000)))
			row++
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

// BenchmarkPublish publishes the ~28k rows `openwit bench ingest` puts in
// one hourly file (2M rows over 72 hours) to a local bucket, with the
// index artifact, as the flush does.
func BenchmarkPublish(b *testing.B) {
	ctx := b.Context()
	cat, bucket := testlocal.Store(b, b.TempDir())
	tbl, err := cat.CreateTable(ctx, &catalog.Table{Name: "logs", TimeColumn: "ts", Columns: []catalog.Column{
		{Name: "ts", Type: TypeTimestampTZ}, {Name: "service", Type: TypeText}, {Name: "host", Type: TypeText},
		{Name: "level", Type: TypeText}, {Name: "status", Type: TypeInt4}, {Name: "latency_ms", Type: TypeFloat8},
		{Name: "trace_id", Type: TypeText}, {Name: "message", Type: TypeText}}})
	if err != nil {
		b.Fatal(err)
	}
	schema, err := ArrowSchema(tbl)
	if err != nil {
		b.Fatal(err)
	}
	recs := logBatches(b, schema, 28_000, 4_000)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var size int64
	for _, r := range recs {
		for _, c := range r.Columns() {
			for _, buf := range c.Data().Buffers() {
				if buf != nil {
					size += int64(buf.Len())
				}
			}
		}
	}
	pub := &Publisher{Bucket: bucket, Catalog: cat}
	b.ReportAllocs()
	b.SetBytes(size)
	lsn, fileBytes := uint64(0), int64(0)
	cpu0 := processCPU(b)
	for b.Loop() {
		lsn++
		f, err := pub.Publish(ctx, "w1", tbl, 0, recs, lsn)
		if err != nil {
			b.Fatal(err)
		}
		fileBytes = f.Bytes
	}
	// Wall time includes the fsyncs of the upload and the catalog; CPU
	// time is the cost this benchmark tracks.
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(fileBytes), "file-bytes")
}

// processCPU is the process's user + system CPU time in nanoseconds.
func processCPU(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
