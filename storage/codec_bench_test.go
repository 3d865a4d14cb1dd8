package storage

import (
	"bytes"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/catalog"
	"openwit/storage/pqfile"
)

// BenchmarkCodec writes the ~28k rows of one hourly file of `openwit bench
// ingest` with each candidate codec (write: the Parquet encoding a flush
// pays; file-bytes: what it uploads and caches) and reads every column of
// the file back (read: what a full scan pays to decompress and decode).
// The codecs run interleaved within each -count round, so their CPU
// nanoseconds compare on a loaded machine.
func BenchmarkCodec(b *testing.B) {
	schema, err := ArrowSchema(benchTable())
	if err != nil {
		b.Fatal(err)
	}
	recs := logBatches(b, schema, 28_000, 4_000)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	codecs := []struct {
		name string
		opts pqfile.WriterOptions
	}{
		{"zstd1", pqfile.WriterOptions{Compression: pqfile.CompressionZstd, ZstdLevel: 1}},
		{"zstd3", pqfile.WriterOptions{Compression: pqfile.CompressionZstd, ZstdLevel: 3}},
		{"snappy", pqfile.WriterOptions{Compression: pqfile.CompressionSnappy}},
		{"lz4_raw", pqfile.WriterOptions{Compression: pqfile.CompressionLZ4Raw}},
		{"none", pqfile.WriterOptions{Compression: pqfile.CompressionNone}},
	}
	for _, c := range codecs {
		var buf bytes.Buffer
		b.Run(c.name+"/write", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for b.Loop() {
				buf.Reset()
				if _, _, err := pqfile.Write(&buf, schema, recs, c.opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(buf.Len()), "file-bytes")
		})
		if buf.Len() == 0 {
			if _, _, err := pqfile.Write(&buf, schema, recs, c.opts); err != nil {
				b.Fatal(err)
			}
		}
		data := buf.Bytes()
		b.Run(c.name+"/read", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for b.Loop() {
				if n := readAllRows(b, data); n != 28_000 {
					b.Fatalf("read %d rows, want 28000", n)
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// benchTable is the benchmark logs table (bench.Schema's columns).
func benchTable() *catalog.Table {
	return &catalog.Table{Name: "logs", TimeColumn: "ts", Columns: []catalog.Column{
		{Name: "ts", Type: TypeTimestampTZ}, {Name: "service", Type: TypeText}, {Name: "host", Type: TypeText},
		{Name: "level", Type: TypeText}, {Name: "status", Type: TypeInt4}, {Name: "latency_ms", Type: TypeFloat8},
		{Name: "trace_id", Type: TypeText}, {Name: "message", Type: TypeText}}}
}

// readAllRows reads every column of the file in data and returns its rows.
func readAllRows(tb testing.TB, data []byte) int64 {
	tb.Helper()
	rd, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), memory.DefaultAllocator)
	if err != nil {
		tb.Fatal(err)
	}
	defer rd.Close()
	rr, err := rd.Read(tb.Context(), nil, nil, 8192)
	if err != nil {
		tb.Fatal(err)
	}
	defer rr.Release()
	var n int64
	for {
		rec, err := rr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		n += rec.NumRows()
	}
	return n
}
