package kafka

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/storage/catalog"
)

// BenchmarkConsume measures rows/s from Kafka (kfake in process, 6
// partitions, records already produced) to published Parquet files and
// offsets in the catalog (SQLite, local object store): the clock starts
// when the first record is read and stops when the catalog's offsets cover
// every record. Rows are shaped like gateway/flightsql's BenchmarkBulkIngest
// (timestamptz, three texts, int4, float8). OPENWIT_BENCH_KAFKA_ROWS sets
// the rows per run (default 200k).
//
//	go test ./ingest/kafka -run '^$' -bench Consume -benchtime 3x
func BenchmarkConsume(b *testing.B) { benchmarkConsume(b, false) }

// BenchmarkConsumeThroughStorage is BenchmarkConsume with the files staged
// and published by a storage service (storage/handoff) on loopback, as on
// a Kafka ingest node with --storage-nodes.
func BenchmarkConsumeThroughStorage(b *testing.B) { benchmarkConsume(b, true) }

func benchmarkConsume(b *testing.B, viaStorage bool) {
	total := 200_000
	if v := os.Getenv("OPENWIT_BENCH_KAFKA_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("OPENWIT_BENCH_KAFKA_ROWS=%q", v)
		}
		total = n
	}
	services := []string{"api", "web", "auth", "billing", "search"}
	levels := []string{"debug", "info", "warn", "error"}
	values := make([][]byte, total)
	var bytes int64
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := range values {
		values[i] = fmt.Appendf(nil, `{"ts":%d,"service":%q,"level":%q,"status":%d,"latency_ms":%g,"msg":"request %d handled by worker %d"}`,
			base+int64(i)*10, services[i%len(services)], levels[i%len(levels)], []int{200, 201, 404, 500}[i%4], float64(i%1000)/10, i, i%64)
		bytes += int64(len(values[i]))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, 6, "logs")
		if _, err := e.cat.CreateTable(context.Background(), &catalog.Table{Name: "logs", TimeColumn: "ts", ShardDuration: time.Hour,
			Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}, {Name: "service", Type: "text"}, {Name: "level", Type: "text"},
				{Name: "status", Type: "int4"}, {Name: "latency_ms", Type: "float8"}, {Name: "msg", Type: "text"}}}); err != nil {
			b.Fatal(err)
		}
		e.produce("logs", values)
		if viaStorage {
			// Index artifacts are built on both paths (the storage
			// node's publisher, the consumer's own in process).
			e.viaStorage(false)
		}
		reg := prometheus.NewRegistry()
		c := e.consumer("bench", reg, Topic{Name: "logs"})
		c.cfg.CommitInterval = time.Second
		b.StartTimer()
		stop := run(b, c)
		for counterValue(b, reg, "openwit_kafka_records_total") == 0 {
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		e.waitOffsets("bench", "logs", int64(total))
		elapsed += time.Since(start)
		b.StopTimer()
		stop()
		if got := counterValue(b, reg, "openwit_kafka_rows_published_total"); got != float64(total) {
			b.Fatalf("published %v rows, want %d", got, total)
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/elapsed.Seconds(), "rows/s")
}
