package bench

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/index"
	"openwit/storage/pqfile"
)

// BenchmarkIndexColumns builds the index artifact of one hourly file of
// the bench's rows (27,778 rows: 2M rows over 72 hours) with the filters
// of one text column at a time, and of all of them as a table gets by
// default, so that the ingest CPU each column's Bloom filter, trigram
// filter and postings cost shows per row.
func BenchmarkIndexColumns(b *testing.B) {
	const rows = 27_778
	g, err := NewGenerator(GenConfig{Rows: rows, Seed: 1, Days: 1, BatchSize: 4096})
	if err != nil {
		b.Fatal(err)
	}
	var recs []arrow.RecordBatch
	for i := 0; int64(i)*4096 < rows; i++ {
		recs = append(recs, g.Batch(memory.DefaultAllocator, i))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var buf bytes.Buffer
	_, _, dicts, err := pqfile.WriteDictionaries(&buf, Schema, recs, pqfile.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer dicts.Release()
	for _, c := range []struct {
		name string
		opt  index.Options
	}{
		{"all", index.Options{TimeColumn: "ts"}},
		{"service", index.Options{BloomColumns: []string{"service"}, GramColumns: []string{"service"}}},
		{"host", index.Options{BloomColumns: []string{"host"}, GramColumns: []string{"host"}}},
		{"level", index.Options{BloomColumns: []string{"level"}, GramColumns: []string{"level"}}},
		{"trace_id", index.Options{BloomColumns: []string{"trace_id"}, GramColumns: []string{"trace_id"}}},
		{"message", index.Options{BloomColumns: []string{"message"}, GramColumns: []string{"message"}}},
		{"none", index.Options{BloomColumns: []string{}, GramColumns: []string{}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), memory.DefaultAllocator)
			if err != nil {
				b.Fatal(err)
			}
			defer rd.Close()
			opt := c.opt
			opt.Dictionaries = dicts
			for b.Loop() {
				if _, err := index.BuildFromBatches(b.Context(), rd, recs, opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}
