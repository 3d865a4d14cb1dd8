package exec

import (
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
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
		{"v asc", files, SortKey{Col: 1}, false}, // values spread over every row group
		{"v desc is never pruned (NaN)", files, SortKey{Col: 1, Desc: true, NullsFirst: true}, false},
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
			if !c.prunes && c.key.Desc && st.RowGroupsPruned != 0 {
				t.Errorf("pruned %d row groups for a float DESC key", st.RowGroupsPruned)
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
