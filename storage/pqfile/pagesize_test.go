package pqfile_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// logBatch returns n log-like rows: a timestamp and a message of about 80
// bytes with a random hex id (text that compresses about as well as real
// log lines).
func logBatch(t testing.TB, mem memory.Allocator, n int) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64},
		{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rng := rand.New(rand.NewPCG(4, 38))
	ts := array.NewInt64Builder(mem)
	defer ts.Release()
	msg := array.NewStringBuilder(mem)
	defer msg.Release()
	words := []string{"GET", "POST", "/api/orders", "/api/users", "took", "ms", "user", "cache miss", "retry", "ok"}
	for i := range n {
		ts.Append(1_700_000_000_000_000 + int64(i)*1000 + rng.Int64N(1000))
		msg.Append(fmt.Sprintf("row %d %s %s %016x %s %d %s", i, words[rng.IntN(len(words))], words[rng.IntN(len(words))],
			rng.Uint64(), words[rng.IntN(len(words))], rng.IntN(5000), words[rng.IntN(len(words))]))
	}
	a, b := ts.NewArray(), msg.NewArray()
	defer a.Release()
	defer b.Release()
	return array.NewRecordBatch(schema, []arrow.Array{a, b}, int64(n))
}

// TestDefaultPageSizeReadsLess: on log-like rows written with the default
// data page size, reading three rows of the text column (candidate rows,
// ScanBytesRows) and the first 1,000 rows of every column (a LIMIT, small
// batches through Read) read a small part of what they read from the same
// rows written with 1 MiB pages (the default before design 038) — the
// pages they decode, not the column chunks.
func TestDefaultPageSizeReadsLess(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 150_000
	rec := logBatch(t, mem, rows)
	defer rec.Release()
	want := rec.Column(1).(*array.String)
	cand := []uint32{1_000, 70_000, 140_000}

	type reads struct{ cand, limit, file int64 }
	measure := func(opts pqfile.WriterOptions) reads {
		opts.Allocator, opts.RowGroupRows = mem, rows
		data := writeFile(t, rec.Schema(), []arrow.RecordBatch{rec}, opts)
		c := &countingReaderAt{r: bytes.NewReader(data)}
		r, err := pqfile.NewReader(c, int64(len(data)), mem)
		if err != nil {
			t.Fatal(err)
		}
		if !r.HasPageIndex(0, []string{"ts", "msg"}) {
			t.Fatal("no page index")
		}
		c.n = 0
		var got []uint32
		err = r.ScanBytesRows(ctx, 0, "msg", cand, func(row uint32, v []byte, null bool) error {
			if null || string(v) != want.Value(int(row)) {
				t.Errorf("row %d: %q, want %q", row, v, want.Value(int(row)))
			}
			got = append(got, row)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(cand) {
			t.Fatalf("read rows %v, want %v", got, cand)
		}
		out := reads{cand: c.n, file: int64(len(data))}
		c.n = 0
		rr, err := r.Read(ctx, nil, []int{0}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if !rr.Next() {
			t.Fatalf("no batch: %v", rr.Err())
		}
		b := rr.RecordBatch()
		if b.NumRows() != 1000 || b.Column(1).(*array.String).Value(999) != want.Value(999) {
			t.Errorf("first batch: %d rows, last %q", b.NumRows(), b.Column(1).(*array.String).Value(int(b.NumRows()-1)))
		}
		rr.Release()
		out.limit = c.n
		return out
	}
	small := measure(pqfile.WriterOptions{})
	large := measure(pqfile.WriterOptions{DataPageSize: 1 << 20})
	t.Logf("file %d bytes (1 MiB pages: %d); 3 candidate rows read %d bytes (%d); first 1000 rows %d bytes (%d)",
		small.file, large.file, small.cand, large.cand, small.limit, large.limit)
	if small.cand*4 > large.cand {
		t.Errorf("3 candidate rows read %d bytes with the default pages, %d with 1 MiB pages", small.cand, large.cand)
	}
	if small.limit*4 > large.limit {
		t.Errorf("the first 1000 rows read %d bytes with the default pages, %d with 1 MiB pages", small.limit, large.limit)
	}
	// The file's compression costs little: at most an eighth more bytes.
	if small.file*8 > large.file*9 {
		t.Errorf("default pages: %d bytes, 1 MiB pages: %d", small.file, large.file)
	}
}
