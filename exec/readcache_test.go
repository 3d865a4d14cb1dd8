package exec

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadCacheLimit: a plain LIMIT over files answers the same rows, in
// the same order, with the read cache cold, warm and without it; warm
// runs take the first batch from the cache (also when more rows than it
// holds are asked for); no query memory stays in the cache.
func TestReadCacheLimit(t *testing.T) {
	rows := normRows(topRows(500))
	bucket := newBucket(t)
	files := fileSources(t, bucket, topSchema, rows, 4) // row groups of 40
	cache := NewReadCache(1 << 20)
	for _, limit := range []int64{1, 23, 40, 41, 100, 125, 126, 300, 500, 501} {
		for _, cols := range [][]string{names(topSchema), {"s", "id"}} {
			t.Run(fmt.Sprintf("limit%d/%s", limit, strings.Join(cols, ",")), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				run := func(reads *ReadCache) [][]any {
					p := Params{Mem: mem, Bucket: bucket, Parallelism: 2, Reads: reads}
					f := &Fragment{Schema: topSchema, Columns: cols, Sources: files, Limit: limit}
					got, _ := runFragment(t, t.Context(), p, f)
					return got
				}
				want := run(nil)
				if n := min(limit, int64(len(rows))); int64(len(want)) != n {
					t.Fatalf("%d rows, want %d", len(want), n)
				}
				hits, _, _, _ := cache.Stats()
				for range 3 {
					sameRows(t, run(cache), want)
				}
				if h, _, _, _ := cache.Stats(); h < hits+2 {
					t.Errorf("warm runs made %d cache hits, want at least 2", h-hits)
				}
			})
		}
	}
	_, _, entries, size := cache.Stats()
	if entries == 0 || size <= 0 || size > 1<<20 {
		t.Errorf("cache holds %d entries of %d bytes", entries, size)
	}
}

// TestReadCacheCandidateRows: a filter whose candidate rows are read
// through the page index answers the same rows with the read cache, cold
// and warm, as without it, and warm runs hit the cache.
func TestReadCacheCandidateRows(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("msg", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	cols := names(schema)
	rng := rand.New(rand.NewPCG(7, 33))
	rows := make([][]any, 5000)
	for i := range rows {
		rows[i] = []any{candidateMessage(rng), int64(i)}
	}
	rows[1234][0] = "needle in the haystack"
	rows[4321][0] = "another needle here"
	bucket := newBucket(t)
	src, ix := candidateFile(t, bucket, schema, rows, 1000)
	e := likeE(Col(0), "%needle%", "")
	withCand := *src
	for g := range ix.RowGroups {
		rs, ok := CandidateRows(e, cols, ix, g)
		if !ok {
			continue
		}
		c, err := NewRowCandidates(g, rs)
		if err != nil {
			t.Fatal(err)
		}
		withCand.Candidates = append(withCand.Candidates, c)
	}
	if len(withCand.Candidates) == 0 {
		t.Fatal("no candidate rows")
	}
	cache := NewReadCache(1 << 20)
	run := func(reads *ReadCache) [][]any {
		p := Params{Mem: mem, Bucket: bucket, Reads: reads}
		f := &Fragment{Schema: schema, Columns: cols, Filter: e, Sources: []Source{{File: &withCand}}}
		got, _ := runFragment(t, ctx, p, f)
		return got
	}
	want := run(nil)
	if len(want) != 2 {
		t.Fatalf("%d rows, want 2", len(want))
	}
	for range 3 {
		sameRowSet(t, run(cache), want)
	}
	if hits, misses, _, _ := cache.Stats(); hits == 0 || misses == 0 {
		t.Errorf("%d hits, %d misses: want both", hits, misses)
	}
}

// TestReadCacheBounds: the cache holds at most its size, keeps no read
// above its entry limit, and evicts the least recently used entry.
func TestReadCacheBounds(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := schemaOf(field("s", arrow.BinaryTypes.String))
	mk := func(n, width int) arrow.RecordBatch {
		r := make([][]any, n)
		for i := range r {
			r[i] = []any{strings.Repeat("x", width)}
		}
		return mkBatch(t, mem, schema, r)
	}
	c := NewReadCache(256 << 10) // entries up to 64 KiB
	big := mk(100, 1000)
	defer big.Release()
	c.put("big", big)
	if rec := c.get("big"); rec != nil {
		rec.Release()
		t.Error("a read above the entry limit was kept")
	}
	small := mk(100, 100) // about 10 KiB
	defer small.Release()
	for i := range 40 {
		c.put(fmt.Sprint(i), small)
		if i == 0 {
			if rec := c.get("0"); rec == nil {
				t.Fatal("entry 0 not kept")
			} else {
				rec.Release()
			}
		}
	}
	_, _, entries, size := c.Stats()
	if size > 256<<10 || entries >= 40 {
		t.Errorf("%d entries of %d bytes, want at most 256 KiB", entries, size)
	}
	if rec := c.get("1"); rec != nil {
		rec.Release()
		t.Error("the oldest entry was not evicted")
	}
	rec := c.get("39")
	if rec == nil {
		t.Fatal("the newest entry was evicted")
	}
	defer rec.Release()
	if rec.NumRows() != 100 || fmtRows(rowsOf(rec))[0] != fmtRows(rowsOf(small))[0] {
		t.Error("the cached copy differs from what was put")
	}
}
