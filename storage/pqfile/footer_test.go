package pqfile_test

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// TestNewReaderFooter reads a file through a second reader built from the
// first one's footer: same schema, row groups and rows, nothing parsed.
func TestNewReaderFooter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 1000, 300)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{RowGroupRows: 256})

	first := openReader(t, data, mem)
	ft := first.Footer()
	if ft.Size() != int64(len(data)) {
		t.Fatalf("footer size %d, file %d", ft.Size(), len(data))
	}
	second, err := pqfile.NewReaderFooter(bytes.NewReader(data), int64(len(data)), mem, ft)
	if err != nil {
		t.Fatal(err)
	}
	assertSchema(t, second.Schema(), first.Schema())
	if second.NumRowGroups() != first.NumRowGroups() || second.NumRows() != first.NumRows() {
		t.Fatalf("second reader: %d row groups, %d rows; first: %d, %d",
			second.NumRowGroups(), second.NumRows(), first.NumRowGroups(), first.NumRows())
	}
	rs, got := readAll(t, second, nil, []int{3, 0}, 100)
	defer release(got)
	_, want := readAll(t, first, nil, []int{3, 0}, 100)
	defer release(want)
	g, w := concat(t, mem, rs, got), concat(t, mem, rs, want)
	defer g.Release()
	defer w.Release()
	assertBatchEqual(t, g, w)

	// Another size is another file: the footer is refused.
	if _, err := pqfile.NewReaderFooter(bytes.NewReader(data), int64(len(data))+1, mem, ft); err == nil {
		t.Fatal("NewReaderFooter accepted a footer read from a file of another size")
	}
}
