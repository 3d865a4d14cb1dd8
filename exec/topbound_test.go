package exec

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestTopKBoundPrunesRowGroups: ORDER BY ts [DESC] LIMIT k over files in
// time order reads the row groups that can reach the top k and skips the
// others after their footers, with the answer of the same top-k over
// in-memory batches (no statistics, nothing skipped).
func TestTopKBoundPrunesRowGroups(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("ts", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}), field("v", arrow.PrimitiveTypes.Float64))
	bucket := newBucket(t)
	var files, mems []Source
	var all []arrow.RecordBatch
	defer func() { releaseAll(all) }()
	for f := 0; f < 8; f++ {
		rows := make([][]any, 400)
		for i := range rows {
			rows[i] = []any{int64(f*400+i) * 1e6, float64((f*37 + i*11) % 101)}
		}
		bs := mkBatches(t, mem, schema, rows, 400)
		all = append(all, bs...)
		mems = append(mems, Source{Batches: bs})
		files = append(files, Source{File: writeParquet(t, bucket, fmt.Sprintf("f%d.parquet", f), schema, bs, 100)})
	}
	newest := make([]Source, len(files))
	for i := range files {
		newest[i] = files[len(files)-1-i]
	}
	for _, c := range []struct {
		name   string
		srcs   []Source
		key    SortKey
		prunes bool
	}{
		{"ts desc, newest first", newest, SortKey{Col: 0, Desc: true, NullsFirst: true}, true},
		{"ts asc, oldest first", files, SortKey{Col: 0}, true},
		{"v asc", files, SortKey{Col: 1}, false},                                // values spread over every row group
		{"v desc", files, SortKey{Col: 1, Desc: true, NullsFirst: true}, false}, // the same
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := TopKSpec{K: 5, Keys: []SortKey{c.key, {Col: 0}}}
			run := func(srcs []Source) ([][]any, Stats) {
				sp := spec
				f := &Fragment{Schema: schema, Columns: names(schema), Sources: srcs, TopK: &sp}
				return runFragment(t, t.Context(), Params{Mem: mem, Bucket: bucket, Parallelism: 1}, f)
			}
			got, st := run(c.srcs)
			want, _ := run(mems)
			sameRows(t, got, want)
			if c.prunes && st.RowGroupsPruned < st.RowGroups {
				t.Errorf("pruned %d row groups, read %d: want most skipped", st.RowGroupsPruned, st.RowGroups)
			}
		})
	}
}

// TestTopKBoundKeepsNaN: statistics leave NaN out, and NaN ranks first in
// DESC order; a later file holding NaN must still win over files whose
// statistics look better.
func TestTopKBoundKeepsNaN(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("v", arrow.PrimitiveTypes.Float64))
	bucket := newBucket(t)
	a := mkBatches(t, mem, schema, [][]any{{100.0}, {99.0}, {98.0}}, 3)
	b := mkBatches(t, mem, schema, [][]any{{1.0}, {math.NaN()}, {2.0}}, 3)
	defer releaseAll(a)
	defer releaseAll(b)
	srcs := []Source{
		{File: writeParquet(t, bucket, "a.parquet", schema, a, 3)},
		{File: writeParquet(t, bucket, "b.parquet", schema, b, 3)},
	}
	f := &Fragment{Schema: schema, Columns: []string{"v"}, Sources: srcs, TopK: &TopKSpec{K: 1, Keys: []SortKey{{Col: 0, Desc: true, NullsFirst: true}}}}
	got, _ := runFragment(t, t.Context(), Params{Mem: mem, Bucket: bucket, Parallelism: 1}, f)
	if len(got) != 1 || !math.IsNaN(got[0][0].(float64)) {
		t.Fatalf("top-1 DESC = %v, want NaN", got)
	}
}

// TestTopKBoundSeed: the bound is seeded from the row groups' statistics
// before any row is read, and the files are visited best first, so that
// whatever order the sources come in, a top-k over many row groups reads
// only the few that can hold its rows; with a filter (rows the filter
// drops would not back the seed) and over a file that does not record its
// NaN columns (a NaN might rank first) the answer stays the same.
func TestTopKBoundSeed(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("v", arrow.PrimitiveTypes.Float64), field("id", arrow.PrimitiveTypes.Int64), field("s", arrow.BinaryTypes.String))
	bucket := newBucket(t)
	var files, mems []Source
	var all []arrow.RecordBatch
	defer func() { releaseAll(all) }()
	// 16 files of 4 row groups; row group g of file f holds values below
	// f*4+g+1 and one value f*4+g+0.5: the best row groups are the last.
	for f := 0; f < 16; f++ {
		rows := make([][]any, 200)
		for i := range rows {
			g := i / 50
			v := float64(f*4+g) + float64(i%50)/100
			if i%50 == 7 {
				v = float64(f*4+g) + 0.5
			}
			rows[i] = []any{v, int64(f*1000 + i), fmt.Sprintf("s%d", i%3)}
		}
		bs := mkBatches(t, mem, schema, rows, 200)
		all = append(all, bs...)
		mems = append(mems, Source{Batches: bs})
		files = append(files, Source{File: writeParquet(t, bucket, fmt.Sprintf("f%d.parquet", f), schema, bs, 50)})
	}
	run := func(srcs []Source, spec TopKSpec, filter *Expr, par int) ([][]any, Stats) {
		f := &Fragment{Schema: schema, Columns: names(schema), Sources: srcs, TopK: &spec, Filter: filter}
		return runFragment(t, t.Context(), Params{Mem: mem, Bucket: bucket, Parallelism: par}, f)
	}
	desc := TopKSpec{K: 3, Keys: []SortKey{{Col: 0, Desc: true, NullsFirst: true}, {Col: 1}}}
	asc := TopKSpec{K: 3, Keys: []SortKey{{Col: 0}, {Col: 1}}}
	for _, par := range []int{1, 2} {
		for _, c := range []struct {
			name    string
			spec    TopKSpec
			filter  *Expr
			maxRead int
		}{
			// Seeded with the third best row-group maximum: 3 row groups
			// can hold rows ranking at least as well.
			{"desc", desc, nil, 3},
			{"asc", asc, nil, 3},
			{"desc with a filter", desc, cmpE(OpLt, Col(1), Int(5000)), 64},
		} {
			t.Run(fmt.Sprintf("%s/parallelism=%d", c.name, par), func(t *testing.T) {
				got, st := run(files, c.spec, c.filter, par)
				want, _ := run(mems, c.spec, c.filter, par)
				sameRows(t, got, want)
				if st.RowGroups > c.maxRead {
					t.Errorf("read %d row groups (pruned %d), want at most %d", st.RowGroups, st.RowGroupsPruned, c.maxRead)
				}
			})
		}
	}
	t.Run("file without a NaN record", func(t *testing.T) {
		// A file another writer made, holding a NaN its statistics do
		// not show: it must be read, and its NaN ranks first.
		b := mkBatches(t, mem, schema, [][]any{{1.0, int64(-1), "x"}, {math.NaN(), int64(-2), "y"}}, 2)
		defer releaseAll(b)
		var buf bytes.Buffer
		tbl := array.NewTableFromRecords(schema, b)
		err := pqarrow.WriteTable(tbl, &buf, 2, nil, pqarrow.DefaultWriterProps())
		tbl.Release()
		if err != nil {
			t.Fatal(err)
		}
		if err := bucket.Put(t.Context(), "foreign.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
			t.Fatal(err)
		}
		srcs := append(slices.Clone(files), Source{File: &FileSource{ID: "foreign", Path: "foreign.parquet", Rows: 2}})
		got, _ := run(srcs, desc, nil, 2)
		if len(got) != 3 || !math.IsNaN(got[0][0].(float64)) || got[1][0].(float64) != 63.5 {
			t.Fatalf("top-3 DESC = %v, want NaN first, then 63.5", got)
		}
	})
}
