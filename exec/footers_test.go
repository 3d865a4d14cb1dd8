package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestFooterCache runs the fragment cases over files whose footers come
// from a cache (smaller than the file count, so entries are evicted and
// read again) and checks the results against the reference.
func TestFooterCache(t *testing.T) {
	rows := normRows(topRows(500))
	bucket := newBucket(t)
	files := fileSources(t, bucket, topSchema, rows, 5)
	for _, size := range []int{3, 100} {
		cache := NewFooterCache(size)
		for _, tc := range fragCases() {
			for run := range 2 {
				t.Run(fmt.Sprintf("cache%d/%s/run%d", size, tc.name, run), func(t *testing.T) {
					mem := memory.NewCheckedAllocator(&Pool{Poison: true})
					defer mem.AssertSize(t, 0)
					p := Params{Mem: mem, Bucket: bucket, Parallelism: 2, BatchRows: 50, Footers: cache}
					f := tc.f
					f.Schema, f.Sources = topSchema, files
					got, _ := runFragment(t, t.Context(), p, &f)
					sameRowSet(t, got, refFragment(&f, rows))
				})
			}
		}
		if want := min(size, len(files)); cache.Len() != want {
			t.Errorf("cache of %d: %d footers, want %d", size, cache.Len(), want)
		}
	}
}

// TestFooterCacheOtherSize checks that a cached footer is not used for an
// object of another size at the same path.
func TestFooterCacheOtherSize(t *testing.T) {
	bucket := newBucket(t)
	cache := NewFooterCache(10)
	count := func(want int64) {
		t.Helper()
		mem := memory.NewCheckedAllocator(&Pool{Poison: true})
		defer mem.AssertSize(t, 0)
		src := fileSources(t, bucket, topSchema, normRows(topRows(int(want))), 1)
		p := Params{Mem: mem, Bucket: bucket, Footers: cache}
		f := &Fragment{Schema: topSchema, Columns: []string{"id"}, Sources: src,
			Agg: &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}}
		got, _ := runFragment(t, t.Context(), p, f)
		if len(got) != 1 || fmt.Sprint(got[0][0]) != fmt.Sprint(want) {
			t.Fatalf("count = %v, want %d", got, want)
		}
	}
	count(120) // caches t/f00.parquet's footer
	count(300) // the same path, rewritten with more rows
}
