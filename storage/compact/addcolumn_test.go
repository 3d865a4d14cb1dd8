package compact

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/catalog"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// TestCompactMergesFilesAcrossAddedColumn: files written before a column
// was added (catalog.AddColumns) merge with newer ones; the merged file
// has the column, NULL for the older rows.
func TestCompactMergesFilesAcrossAddedColumn(t *testing.T) {
	cat, err := catalog.Open(t.Context(), "sqlite:"+t.TempDir()+"/cat.db")
	if err != nil {
		t.Fatal(err)
	}
	b, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, cat, b)
	rnd := rand.New(rand.NewPCG(3, 4))
	tbl := r.createTable(t, "grow", nil)
	r.publish(t, tbl, base, 100, 1, rnd)
	r.publish(t, tbl, base, 120, 2, rnd)
	if _, err := cat.AddColumns(t.Context(), "grow", []catalog.Column{{Name: "extra", Type: "text"}}); err != nil {
		t.Fatal(err)
	}
	if err := r.jobs.Compact(t.Context()); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	files := r.files(t, tbl)
	if len(files) != 1 || files[0].Rows != 220 {
		t.Fatalf("files after compaction: %+v", files)
	}
	ra, err := objstore.NewReaderAt(t.Context(), b, files[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := pqfile.NewReader(ra, ra.Size(), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := rd.Read(t.Context(), []string{"extra"}, nil, 1<<16)
	if err != nil {
		t.Fatalf("the merged file lacks the added column: %v", err)
	}
	defer rr.Release()
	var rows, nulls int
	for rr.Next() {
		c := rr.RecordBatch().Column(0).(*array.String)
		rows += c.Len()
		nulls += c.NullN()
	}
	if rows != 220 || nulls != 220 {
		t.Errorf("extra: %d rows, %d NULL; want 220 NULL", rows, nulls)
	}
}
