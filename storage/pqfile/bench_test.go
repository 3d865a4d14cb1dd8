package pqfile_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

const (
	benchRows      = 1 << 20
	benchBatchRows = 1 << 16
)

func logSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: false},
		{Name: "service", Type: arrow.BinaryTypes.String, Nullable: false},
		{Name: "level", Type: arrow.BinaryTypes.String, Nullable: false},
		{Name: "status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "latency", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
}

// logBatches makes benchRows rows of log-like data in batches of
// benchBatchRows, as ingestion would hand them over.
func logBatches(b *testing.B, mem memory.Allocator) []arrow.RecordBatch {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	services := make([]string, 20)
	for i := range services {
		services[i] = fmt.Sprintf("svc-%02d-%s", i, []string{"api", "auth", "billing", "search"}[i%4])
	}
	levels := []string{"debug", "info", "info", "info", "warn", "error"}
	statuses := []int32{200, 200, 200, 200, 201, 204, 301, 400, 404, 500, 503}
	templates := []string{
		"GET /api/v1/items/%d completed",
		"user %d logged in from 10.0.%d.%d",
		"cache miss for key item:%d",
		"slow query took %dms on shard %d",
		"retrying request %d after %d ms",
	}
	ts := int64(1_700_000_000_000_000)
	rb := array.NewRecordBuilder(mem, logSchema())
	defer rb.Release()
	var out []arrow.RecordBatch
	for row := range benchRows {
		ts += int64(rng.IntN(2000))
		rb.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
		rb.Field(1).(*array.StringBuilder).Append(services[rng.IntN(len(services))])
		rb.Field(2).(*array.StringBuilder).Append(levels[rng.IntN(len(levels))])
		if rng.IntN(50) == 0 {
			rb.Field(3).AppendNull()
			rb.Field(4).AppendNull()
		} else {
			rb.Field(3).(*array.Int32Builder).Append(statuses[rng.IntN(len(statuses))])
			rb.Field(4).(*array.Float64Builder).Append(rng.ExpFloat64() * 25)
		}
		tmpl := templates[rng.IntN(len(templates))]
		rb.Field(5).(*array.StringBuilder).Append(fmt.Sprintf(tmpl, rng.IntN(1_000_000), rng.IntN(256), rng.IntN(256)))
		if (row+1)%benchBatchRows == 0 {
			out = append(out, rb.NewRecordBatch())
		}
	}
	return out
}

// arrowBytes is the size of the Arrow buffers of the named columns (nil:
// all), the logical volume a benchmark moves.
func arrowBytes(batches []arrow.RecordBatch, columns ...string) int64 {
	var n int64
	for _, b := range batches {
		for i, f := range b.Schema().Fields() {
			if columns == nil || slices.Contains(columns, f.Name) {
				n += dataSize(b.Column(i).Data())
			}
		}
	}
	return n
}

func dataSize(d arrow.ArrayData) int64 {
	var n int64
	for _, buf := range d.Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataSize(c)
	}
	return n
}

func BenchmarkWrite(b *testing.B) {
	mem := memory.DefaultAllocator
	batches := logBatches(b, mem)
	defer release(batches)
	b.SetBytes(arrowBytes(batches))
	b.ReportAllocs()
	var fileBytes int64
	for b.Loop() {
		_, n, err := pqfile.Write(io.Discard, batches[0].Schema(), batches, pqfile.WriterOptions{Allocator: mem})
		if err != nil {
			b.Fatal(err)
		}
		fileBytes = n
	}
	b.ReportMetric(float64(fileBytes)/(1<<20), "file-MiB")
	b.ReportMetric(float64(fileBytes)/benchRows, "file-B/row")
}

func BenchmarkRead(b *testing.B) {
	mem := memory.DefaultAllocator
	batches := logBatches(b, mem)
	defer release(batches)
	var buf bytes.Buffer
	if _, _, err := pqfile.Write(&buf, batches[0].Schema(), batches, pqfile.WriterOptions{Allocator: mem}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for _, bc := range []struct {
		name    string
		columns []string
	}{
		{"all", nil},
		{"ts+level", []string{"ts", "level"}},
		{"message", []string{"message"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(arrowBytes(batches, bc.columns...))
			b.ReportAllocs()
			for b.Loop() {
				r, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), mem)
				if err != nil {
					b.Fatal(err)
				}
				rr, err := r.Read(context.Background(), bc.columns, nil, benchBatchRows)
				if err != nil {
					b.Fatal(err)
				}
				var rows int64
				for rr.Next() {
					rows += rr.RecordBatch().NumRows()
				}
				if err := rr.Err(); err != nil {
					b.Fatal(err)
				}
				rr.Release()
				_ = r.Close()
				if rows != benchRows {
					b.Fatalf("read %d rows, want %d", rows, benchRows)
				}
			}
		})
	}
}
