package pqfile_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"

	"openwit/storage/pqfile"
)

// TestFreeTextCodec: by default a plain string column of free text (log
// messages) is written with LZ4_RAW and every other column with zstd
// (identifiers, dictionary-encoded strings, numbers);
// UniformCompression and a codec other than zstd write every column
// with that codec. Every file reads back the rows written, whole and
// through ScanBytesRows.
func TestFreeTextCodec(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64},
		{Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "trace_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "service", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "spaced_few", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	const rows = 6_000
	rng := rand.New(rand.NewPCG(5, 4))
	ts := array.NewInt64Builder(mem)
	defer ts.Release()
	bs := []*array.StringBuilder{array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewStringBuilder(mem)}
	for _, b := range bs {
		defer b.Release()
	}
	for i := range rows {
		ts.Append(int64(i))
		if i%17 == 0 {
			bs[0].AppendNull()
		} else {
			bs[0].Append(fmt.Sprintf("Timeout waiting for lock on orders after %d ms", rng.IntN(1_000_000)))
		}
		bs[1].Append(fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))
		bs[2].Append([]string{"api", "db", "web"}[rng.IntN(3)])
		// Mostly distinct but mostly without a space: not free text.
		if i%3 == 0 {
			bs[3].Append(fmt.Sprintf("k %d", i))
		} else {
			bs[3].Append(fmt.Sprintf("k-%d", i))
		}
	}
	arrs := []arrow.Array{ts.NewArray(), bs[0].NewArray(), bs[1].NewArray(), bs[2].NewArray(), bs[3].NewArray()}
	rec := array.NewRecordBatch(schema, arrs, rows)
	for _, a := range arrs {
		a.Release()
	}
	defer rec.Release()
	zstd, lz4 := compress.Codecs.Zstd, compress.Codecs.Lz4Raw
	for _, tc := range []struct {
		name string
		opts pqfile.WriterOptions
		want []compress.Compression // per column
	}{
		{"default", pqfile.WriterOptions{}, []compress.Compression{zstd, lz4, zstd, zstd, zstd}},
		{"uniform", pqfile.WriterOptions{UniformCompression: true}, []compress.Compression{zstd, zstd, zstd, zstd, zstd}},
		{"snappy", pqfile.WriterOptions{Compression: pqfile.CompressionSnappy}, []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Snappy, compress.Codecs.Snappy, compress.Codecs.Snappy, compress.Codecs.Snappy}},
		{"lz4 everywhere", pqfile.WriterOptions{Compression: pqfile.CompressionLZ4Raw}, []compress.Compression{lz4, lz4, lz4, lz4, lz4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Allocator, tc.opts.RowGroupRows = mem, 4_000
			data := writeFile(t, schema, []arrow.RecordBatch{rec}, tc.opts)
			pf, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			for g := range pf.NumRowGroups() {
				for c, want := range tc.want {
					cc, err := pf.MetaData().RowGroup(g).ColumnChunk(c)
					if err != nil {
						t.Fatal(err)
					}
					if got := cc.Compression(); got != want {
						t.Errorf("row group %d column %s: codec %s, want %s", g, schema.Field(c).Name, got, want)
					}
				}
			}
			r := openReader(t, data, mem)
			got, batches := readAll(t, r, nil, nil, 1_000)
			all := concat(t, mem, got, batches)
			release(batches)
			assertBatchEqual(t, all, rec)
			all.Release()
			// Candidate rows of the second row group, through the page index.
			msg := rec.Column(1).(*array.String)
			sel := []uint32{0, 17, 999, 1_500, 1_999}
			n := 0
			err = r.ScanBytesRows(ctx, 1, "message", sel, func(row uint32, v []byte, null bool) error {
				i := 4_000 + int(row)
				if null != msg.IsNull(i) || (!null && string(v) != msg.Value(i)) {
					t.Errorf("row %d: got %q (null %v), want %q", i, v, null, msg.Value(i))
				}
				n++
				return nil
			})
			if err != nil || n != len(sel) {
				t.Fatalf("ScanBytesRows: %d rows, %v", n, err)
			}
		})
	}
}
