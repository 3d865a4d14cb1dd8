package storage

import (
	"bytes"
	"testing"

	"openwit/storage/pqfile"
)

// BenchmarkWriteFileRows writes the same 448k rows of the bench's log shape
// as 16 hourly files of 28k rows (what a flush of `openwit bench ingest`
// writes) and as one file (what its "encode only" line writes), to tell the
// per-file costs of the Parquet writer from its per-row costs (design 061).
// Each op writes all the rows; cpu-ns/row is comparable across the two.
func BenchmarkWriteFileRows(b *testing.B) {
	schema, err := ArrowSchema(benchTable())
	if err != nil {
		b.Fatal(err)
	}
	const files, perFile, batchRows = 16, 28_000, 4_000
	recs := logBatches(b, schema, files*perFile, batchRows)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	per := perFile / batchRows
	for _, c := range []struct {
		name  string
		files int
	}{{"hourly", files}, {"one", 1}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			var size int64
			cpu0 := processCPU(b)
			for b.Loop() {
				size = 0
				step := len(recs) / c.files
				if c.files == files {
					step = per
				}
				for i := 0; i < len(recs); i += step {
					buf.Reset()
					_, n, err := pqfile.Write(&buf, schema, recs[i:min(i+step, len(recs))], pqfile.WriterOptions{})
					if err != nil {
						b.Fatal(err)
					}
					size += n
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N)/float64(files*perFile), "cpu-ns/row")
			b.ReportMetric(float64(size), "file-bytes")
		})
	}
}

// BenchmarkIndexFromBatches builds and encodes the index artifact of one
// hourly file of the bench's log shape from its batches, the index half of
// BenchmarkPublish without the Parquet encoding and the uploads.
func BenchmarkIndexFromBatches(b *testing.B) {
	tbl := benchTable()
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
	var buf bytes.Buffer
	_, _, dicts, err := pqfile.WriteDictionaries(&buf, schema, recs, pqfile.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer dicts.Release()
	b.ReportAllocs()
	var size int
	cpu0 := processCPU(b)
	for b.Loop() {
		ix, err := encodeIndex(b.Context(), tbl, "f", bytes.NewReader(buf.Bytes()), int64(buf.Len()), recs, dicts)
		if err != nil {
			b.Fatal(err)
		}
		size = len(ix)
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(size), "artifact-bytes")
}
