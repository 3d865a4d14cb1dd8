package pqfile_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// TestWriteMemoryOrStream: Write goes straight into a *bytes.Buffer and
// through its own buffer into any other writer; the files are identical
// and the byte counts match.
func TestWriteMemoryOrStream(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 5000, 700)
	defer release(batches)
	opts := pqfile.WriterOptions{RowGroupRows: 2048, Allocator: mem}
	var direct, streamed bytes.Buffer
	_, n1, err := pqfile.Write(&direct, schema, batches, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, n2, err := pqfile.Write(struct{ io.Writer }{&streamed}, schema, batches, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n1 != int64(direct.Len()) || n2 != int64(streamed.Len()) {
		t.Fatalf("counted %d and %d bytes, wrote %d and %d", n1, n2, direct.Len(), streamed.Len())
	}
	if !bytes.Equal(direct.Bytes(), streamed.Bytes()) {
		t.Fatalf("files differ: %d bytes in memory, %d streamed", direct.Len(), streamed.Len())
	}
	openReader(t, direct.Bytes(), mem)
}
