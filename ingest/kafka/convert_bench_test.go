package kafka

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/catalog"
)

// benchLogsTable is the table of `openwit bench ingest` (bench/gen.go).
func benchLogsTable() *catalog.Table {
	return &catalog.Table{ID: 1, Name: "logs", TimeColumn: "ts", ShardDuration: time.Hour,
		Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}, {Name: "service", Type: "text"},
			{Name: "host", Type: "text"}, {Name: "level", Type: "text"}, {Name: "status", Type: "int4"},
			{Name: "latency_ms", Type: "float8"}, {Name: "trace_id", Type: "text"}, {Name: "message", Type: "text"}}}
}

// benchLogsRecords renders n records as bench/ingest_kafka.go's
// kafkaRecords does (epoch microseconds, flat members, one null in eight
// messages).
func benchLogsRecords(n int) [][]byte {
	services := []string{"api", "web", "auth", "billing", "search"}
	levels := []string{"debug", "info", "warn", "error"}
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	out := make([][]byte, n)
	for i := range out {
		msg := fmt.Sprintf(`"GET /api/v1/items/%d returned in %d ms"`, i*7919%100_000, i%977)
		if i%8 == 7 {
			msg = "null"
		}
		out[i] = fmt.Appendf(nil, `{"ts":%d,"service":%q,"host":"host-%03d","level":%q,"status":%d,"latency_ms":%g,"trace_id":"%016x%016x","message":%s}`,
			base+int64(i)*3_000, services[i%len(services)], i%200, levels[i%len(levels)], []int{200, 201, 404, 500}[i%4],
			float64(i%10_000)/7, uint64(i)*0x9e3779b97f4a7c15, uint64(i)*0xc2b2ae3d27d4eb4f, msg)
	}
	return out
}

// BenchmarkConvert measures the consumer's per-record work: scanning a
// JSON record, converting its values and appending the row to Arrow
// builders (the batch is cut every 64Ki rows).
//
//	go test ./ingest/kafka -run '^$' -bench Convert -count 6
func BenchmarkConvert(b *testing.B) {
	recs := benchLogsRecords(64 << 10)
	var size int64
	for _, r := range recs {
		size += int64(len(r))
	}
	c, err := newConverter(benchLogsTable(), PolicyReject)
	if err != nil {
		b.Fatal(err)
	}
	bld := array.NewRecordBuilder(memory.DefaultAllocator, c.schema)
	defer bld.Release()
	b.SetBytes(size / int64(len(recs)))
	b.ReportAllocs()
	cpu := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		if i%len(recs) == 0 && i > 0 {
			bld.NewRecordBatch().Release()
		}
		if _, err := c.convert(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		c.appendRow(bld)
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's CPU time (user and system). On this shared,
// loaded machine a benchmark's wall time per op moves with the load;
// its CPU time per op much less.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start (cpuTime) as
// cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}
