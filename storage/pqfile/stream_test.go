package pqfile_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// TestStreamWriter writes batches of random sizes one at a time: the file
// has row groups of exactly RowGroupRows (the last one shorter), the same
// rows as Write makes of the same batches, and no Arrow memory is leaked.
func TestStreamWriter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	rng := rand.New(rand.NewPCG(7, 7))
	const rows, groupN = 2500, 300
	var batches []arrow.RecordBatch
	for from := 0; from < rows; {
		to := min(rows, from+rng.IntN(700)) // empty batches too
		batches = append(batches, buildBatch(t, mem, schema, cols, from, to))
		from = to
	}
	defer release(batches)

	var buf bytes.Buffer
	sw, err := pqfile.NewStreamWriter(&buf, schema, pqfile.WriterOptions{Allocator: mem, RowGroupRows: groupN})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := sw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	n, size, err := sw.Close()
	if err != nil || n != rows || size != int64(buf.Len()) {
		t.Fatalf("Close = %d rows, %d bytes, %v; want %d rows, %d bytes", n, size, err, rows, buf.Len())
	}
	if _, _, err := sw.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if err := sw.Write(batches[0]); err == nil {
		t.Error("Write after Close succeeded")
	}

	r := openReader(t, buf.Bytes(), mem)
	if r.NumRows() != rows || r.NumRowGroups() != (rows+groupN-1)/groupN {
		t.Fatalf("%d rows in %d row groups", r.NumRows(), r.NumRowGroups())
	}
	for rg := range r.NumRowGroups() {
		want := int64(groupN)
		if rg == r.NumRowGroups()-1 {
			want = rows % groupN
		}
		if got := r.RowGroupRows(rg); got != want {
			t.Errorf("row group %d: %d rows, want %d", rg, got, want)
		}
	}
	gotSchema, got := readAll(t, r, nil, nil, 256)
	defer release(got)
	gotAll := concat(t, mem, gotSchema, got)
	defer gotAll.Release()
	wantAll := concat(t, mem, schema, batches)
	defer wantAll.Release()
	assertBatchEqual(t, gotAll, wantAll)

	// A batch of another schema is refused and the writer stays usable.
	sw2, err := pqfile.NewStreamWriter(&bytes.Buffer{}, schema, pqfile.WriterOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	other := schemaOf(cols[:1])
	ob := buildBatch(t, mem, other, cols[:1], 0, 5)
	defer ob.Release()
	if err := sw2.Write(ob); err == nil {
		t.Error("a batch of another schema was accepted")
	}
	if err := sw2.Write(batches[1]); err != nil {
		t.Error(err)
	}
	if _, _, err := sw2.Close(); err != nil {
		t.Error(err)
	}
}
