package compact

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// TestMergeMatchesOneShotSort: the external merge (spilled sorted runs, a
// heap, streamed output) gives the rows, in the very order, of sorting the
// whole group at once, ties included (few distinct times, so most rows tie
// and group order then row order decide), across run and output batch
// boundaries; and it leaks no Arrow memory.
func TestMergeMatchesOneShotSort(t *testing.T) {
	cat, err := catalog.Open(t.Context(), "sqlite:"+t.TempDir()+"/cat.db")
	if err != nil {
		t.Fatal(err)
	}
	b, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, cat, b)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r.jobs.mem = mem
	tbl := r.createTable(t, "m", nil)
	rnd := rand.New(rand.NewPCG(11, 12))
	var group []*catalog.File
	for i, n := range []int{1, 9000, 30000, 17, 20000, 25000} {
		group = append(group, r.publishTies(t, tbl, n, uint64(i+1), rnd))
	}
	schema, err := storage.ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.jobs.readSorted(t.Context(), tbl, schema, group)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()

	m, err := r.jobs.writeMerged(t.Context(), tbl, schema, group, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.f.Close()
	data, err := io.ReadAll(m.f)
	if err != nil {
		t.Fatal(err)
	}
	if m.rows != want.NumRows() || m.bytes != int64(len(data)) {
		t.Fatalf("merged %d rows in %d bytes (file %d bytes), want %d rows", m.rows, m.bytes, len(data), want.NumRows())
	}
	if lo, hi := storage.TimeRange(tbl, []arrow.RecordBatch{want}); m.minT != lo || m.maxT != hi {
		t.Errorf("time range %d..%d, want %d..%d", m.minT, m.maxT, lo, hi)
	}
	rd, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), mem)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := rd.Read(t.Context(), nil, nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var got []arrow.RecordBatch
	for rr.Next() {
		b := rr.RecordBatch()
		b.Retain()
		got = append(got, b)
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	var off int64
	for _, g := range got {
		w := want.NewSlice(off, off+g.NumRows())
		if !array.RecordEqual(g, w) {
			t.Errorf("rows %d..%d differ from the one-shot sort", off, off+g.NumRows())
		}
		w.Release()
		off += g.NumRows()
		g.Release()
	}
	if off != want.NumRows() {
		t.Errorf("read back %d rows, want %d", off, want.NumRows())
	}
}

// publishTies writes one file of n rows in shard 0 whose times take only a
// few values, in random order.
func (r *rig) publishTies(t *testing.T, tbl *catalog.Table, n int, lsn uint64, rnd *rand.Rand) *catalog.File {
	t.Helper()
	schema, err := storage.ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base + rnd.Int64N(40)))
		b.Field(1).(*array.StringBuilder).Append(string(rune('a' + rnd.IntN(26))))
		b.Field(2).(*array.Int64Builder).Append(int64(lsn)<<32 | int64(i)) // identifies the row
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	p := &storage.Publisher{Bucket: r.bucket, Catalog: r.cat}
	f, err := p.Publish(t.Context(), "w1", tbl, base, []arrow.RecordBatch{rec}, lsn)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
