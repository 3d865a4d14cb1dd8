package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/objstore"
)

// fragSources cuts rows into nsrc in-memory sources of batches of up to
// 23 rows. The caller releases the batches.
func fragSources(tb testing.TB, mem memory.Allocator, schema *arrow.Schema, rows [][]any, nsrc int) ([]Source, []arrow.RecordBatch) {
	tb.Helper()
	var srcs []Source
	var all []arrow.RecordBatch
	per := (len(rows) + nsrc - 1) / max(nsrc, 1)
	for s := 0; s < nsrc; s++ {
		lo, hi := min(s*per, len(rows)), min((s+1)*per, len(rows))
		var sizes []int
		for n := lo; n < hi; n += 23 {
			sizes = append(sizes, 23)
		}
		bs := mkBatches(tb, mem, schema, rows[lo:hi], sizes...)
		all = append(all, bs...)
		srcs = append(srcs, Source{Batches: bs})
	}
	return srcs, all
}

// fileSources writes rows as nfiles Parquet files with row groups of 40
// rows.
func fileSources(tb testing.TB, bucket objstore.Bucket, schema *arrow.Schema, rows [][]any, nfiles int) []Source {
	tb.Helper()
	mem := memory.NewGoAllocator()
	var srcs []Source
	per := (len(rows) + nfiles - 1) / nfiles
	for f := 0; f < nfiles; f++ {
		lo, hi := min(f*per, len(rows)), min((f+1)*per, len(rows))
		bs := mkBatches(tb, mem, schema, rows[lo:hi], 64)
		srcs = append(srcs, Source{File: writeParquet(tb, bucket, fmt.Sprintf("t/f%02d.parquet", f), schema, bs, 40)})
		releaseAll(bs)
	}
	return srcs
}

// runFragment runs f and returns its rows.
func runFragment(tb testing.TB, ctx context.Context, p Params, f *Fragment) ([][]any, Stats) {
	tb.Helper()
	op, err := Run(ctx, p, f)
	if err != nil {
		tb.Fatal(err)
	}
	rows := drain(tb, ctx, op)
	return rows, op.(*runner).Stats()
}

// fragCases are fragments over topSchema (without Schema and Sources) and
// whether their output order is deterministic at any parallelism.
func fragCases() []struct {
	name    string
	f       Fragment
	ordered bool
} {
	cols := names(topSchema)
	narrow := []string{"id", "f", "s", "i"} // f, s, i, id at 1, 2, 3, 0
	return []struct {
		name    string
		f       Fragment
		ordered bool
	}{
		{"scan", Fragment{Columns: cols}, false},
		{"filter", Fragment{Columns: cols, Filter: Call(OpOr, cmpE(OpGt, Col(2), Float(1)), likeE(Col(1), "a%", ""))}, false},
		{"narrow filter", Fragment{Columns: narrow, Filter: cmpE(OpLt, Col(0), Int(100))}, false},
		{"agg no keys", Fragment{Columns: cols, Filter: Call(OpIsNotNull, Col(0)), Agg: &AggSpec{Aggs: []Agg{
			{Func: AggCountStar}, {Func: AggCount, Arg: Col(1)}, {Func: AggSum, Arg: Col(0)}, {Func: AggMin, Arg: Col(2)},
			{Func: AggMax, Arg: Col(1)}, {Func: AggCountDistinct, Arg: Col(1)}, {Func: AggMax, Arg: Col(4)},
		}}}, true},
		{"agg by string", Fragment{Columns: cols, Agg: &AggSpec{Keys: []*Expr{Col(1)}, Aggs: []Agg{
			{Func: AggFirst, Arg: Col(1)}, {Func: AggCountStar}, {Func: AggSum, Arg: Col(8)}, {Func: AggMin, Arg: Col(2)},
			{Func: AggMax, Arg: Col(2)}, {Func: AggCountDistinct, Arg: Col(0)},
		}}}, false},
		{"agg by two keys", Fragment{Columns: cols, Filter: cmpE(OpNe, Col(0), Int(3)), Agg: &AggSpec{Keys: []*Expr{Col(3), Col(2)}, Aggs: []Agg{
			{Func: AggCountStar}, {Func: AggSum, Arg: Col(6)}, {Func: AggMax, Arg: Col(8)},
		}}}, false},
		{"count(*) no columns", Fragment{Columns: []string{}, Agg: &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}}, true},
		{"top-k", Fragment{Columns: cols, TopK: &TopKSpec{K: 17, Keys: []SortKey{{Col: 2, Desc: true}, {Col: 8}}}}, true},
		{"top-k filtered", Fragment{Columns: narrow, Filter: likeE(Col(2), "%a%", ""), TopK: &TopKSpec{K: 9, Keys: []SortKey{{Col: 1}, {Col: 0, Desc: true}}}}, true},
		{"top-k big k", Fragment{Columns: cols, TopK: &TopKSpec{K: 5000, Keys: []SortKey{{Col: 1, NullsFirst: true}, {Col: 8}}}}, true},
	}
}

// refFragment computes f over rows of topSchema.
func refFragment(f *Fragment, rows [][]any) [][]any {
	idx := make([]int, len(f.Columns))
	for i, c := range f.Columns {
		idx[i] = topSchema.FieldIndices(c)[0]
	}
	in := refFilter(f.Filter, refProject(rows, idx))
	switch {
	case f.Agg != nil:
		return refAgg(f.Agg, in)
	case f.TopK != nil:
		return refTopK(in, f.TopK)
	}
	return in
}

func TestRunParallelism(t *testing.T) {
	rows := normRows(topRows(700))
	bucket := newBucket(t)
	files := fileSources(t, bucket, topSchema, rows, 6)
	for _, tc := range fragCases() {
		for _, kind := range []string{"memory", "parquet"} {
			var results [][][]any
			for _, par := range []int{1, 4} {
				t.Run(fmt.Sprintf("%s/%s/p%d", tc.name, kind, par), func(t *testing.T) {
					mem := memory.NewCheckedAllocator(&Pool{Poison: true})
					defer mem.AssertSize(t, 0)
					p := Params{Mem: mem, Bucket: bucket, Parallelism: par, BatchRows: 50}
					f := tc.f
					f.Schema = topSchema
					if kind == "memory" {
						srcs, bs := fragSources(t, mem, topSchema, rows, 5)
						defer releaseAll(bs)
						f.Sources = srcs
					} else {
						f.Sources = files
					}
					got, st := runFragment(t, t.Context(), p, &f)
					want := refFragment(&f, rows)
					if tc.ordered || (par == 1 && f.Agg == nil) {
						sameRows(t, got, want)
					} else {
						sameRowSet(t, got, want)
					}
					if st.Sources != len(f.Sources) {
						t.Errorf("stats: %d sources, want %d", st.Sources, len(f.Sources))
					}
					results = append(results, got)
				})
			}
			if len(results) == 2 {
				sameRowSet(t, results[0], results[1])
			}
		}
	}
}

// TestRunPruningStats checks the row-group counters of a run over files.
func TestRunPruningStats(t *testing.T) {
	rows := normRows(topRows(400)) // id = row number; 4 files of 100 rows, row groups of 40
	bucket := newBucket(t)
	files := fileSources(t, bucket, topSchema, rows, 4)
	for _, par := range []int{1, 3} {
		t.Run(fmt.Sprintf("p%d", par), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem, Bucket: bucket, Parallelism: par}
			f := &Fragment{Schema: topSchema, Columns: []string{"id", "s"}, Sources: files,
				Filter: cmpE(OpGe, Col(0), Int(390))}
			got, st := runFragment(t, t.Context(), p, f)
			if len(got) != 10 {
				t.Errorf("%d rows, want 10", len(got))
			}
			// Each file has 3 row groups (40+40+20); only the last
			// group of the last file can hold id >= 390.
			if st.RowGroups != 1 || st.RowGroupsPruned != 11 || st.Sources != 4 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestRunLimit(t *testing.T) {
	rows := normRows(topRows(500))
	for _, par := range []int{1, 4} {
		for _, limit := range []int64{1, 5, 23, 24, 100, 499, 500, 501, 10000} {
			t.Run(fmt.Sprintf("p%d/limit%d", par, limit), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				p := Params{Mem: mem, Parallelism: par}
				srcs, bs := fragSources(t, mem, topSchema, rows, 8)
				defer releaseAll(bs)
				f := &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs, Limit: limit}
				got, _ := runFragment(t, t.Context(), p, f)
				if want := min(limit, int64(len(rows))); int64(len(got)) != want {
					t.Errorf("%d rows, want %d", len(got), want)
				}
				// Every row is a distinct input row.
				seen := map[int64]bool{}
				for _, r := range got {
					id := r[8].(int64)
					if seen[id] {
						t.Fatalf("row %d twice", id)
					}
					seen[id] = true
				}
			})
		}
	}
	t.Run("filter and limit", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(&Pool{Poison: true})
		defer mem.AssertSize(t, 0)
		p := Params{Mem: mem, Parallelism: 3}
		srcs, bs := fragSources(t, mem, topSchema, rows, 8)
		defer releaseAll(bs)
		e := cmpE(OpEq, Col(1), Str("a"))
		f := &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs, Limit: 30, Filter: e}
		got, _ := runFragment(t, t.Context(), p, f)
		if len(got) != 30 {
			t.Errorf("%d rows", len(got))
		}
		for _, r := range got {
			if r[1] != "a" {
				t.Errorf("row %v does not pass the filter", r)
			}
		}
	})
}

// TestRunCloseEarly closes runs while their workers still produce.
func TestRunCloseEarly(t *testing.T) {
	rows := normRows(topRows(2000))
	for _, par := range []int{1, 2, 8} {
		for _, reads := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("p%d/reads%d", par, reads), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				p := Params{Mem: mem, Parallelism: par}
				srcs, bs := fragSources(t, mem, topSchema, rows, 40)
				defer releaseAll(bs)
				f := &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs, Limit: 10,
					Filter: cmpE(OpGe, Col(8), Int(0))}
				op, err := Run(t.Context(), p, f)
				if err != nil {
					t.Fatal(err)
				}
				if err := op.Open(t.Context()); err != nil {
					t.Fatal(err)
				}
				for range reads {
					if _, err := op.Next(t.Context()); err != nil && err != io.EOF {
						t.Fatal(err)
					}
				}
				done := make(chan error)
				go func() { done <- op.Close() }()
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("Close did not return")
				}
				if err := op.Close(); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	t.Run("close without open", func(t *testing.T) {
		op, err := Run(t.Context(), Params{}, &Fragment{Schema: topSchema, Columns: names(topSchema)})
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("blocking, close after open", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(&Pool{Poison: true})
		defer mem.AssertSize(t, 0)
		p := Params{Mem: mem, Parallelism: 2}
		srcs, bs := fragSources(t, mem, topSchema, rows, 4)
		defer releaseAll(bs)
		f := &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs, TopK: &TopKSpec{K: 3, Keys: []SortKey{{Col: 8}}}}
		op, err := Run(t.Context(), p, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRunContextCanceled(t *testing.T) {
	rows := normRows(topRows(2000))
	frags := map[string]func(srcs []Source) *Fragment{
		"stream": func(srcs []Source) *Fragment {
			return &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs}
		},
		"agg": func(srcs []Source) *Fragment {
			return &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs, Agg: &AggSpec{Keys: []*Expr{Col(1)}, Aggs: []Agg{{Func: AggCountStar}}}}
		},
		"top-k": func(srcs []Source) *Fragment {
			return &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs, TopK: &TopKSpec{K: 5, Keys: []SortKey{{Col: 8}}}}
		},
	}
	for name, mk := range frags {
		for _, par := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/p%d/before open", name, par), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				p := Params{Mem: mem, Parallelism: par}
				srcs, bs := fragSources(t, mem, topSchema, rows, 20)
				defer releaseAll(bs)
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				op, err := Run(ctx, p, mk(srcs))
				if err != nil {
					t.Fatal(err)
				}
				_, err = tryDrain(ctx, op)
				if !errors.Is(err, context.Canceled) {
					t.Errorf("run with a canceled context: %v", err)
				}
			})
		}
	}
	for _, par := range []int{1, 4} {
		t.Run(fmt.Sprintf("stream/p%d/while reading", par), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem, Parallelism: par}
			srcs, bs := fragSources(t, mem, topSchema, rows, 40)
			defer releaseAll(bs)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			op, err := Run(ctx, p, frags["stream"](srcs))
			if err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			if err := op.Open(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := op.Next(ctx); err != nil {
				t.Fatal(err)
			}
			cancel()
			var n int
			for {
				_, err := op.Next(ctx)
				if err == nil {
					n++
					if n > len(rows) {
						t.Fatal("Next keeps returning batches after cancel")
					}
					continue
				}
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Next after cancel: %v, want context.Canceled", err)
				}
				break
			}
		})
	}
}

// TestRunSourceError checks that a failing source fails the run, at any
// parallelism, without leaking what the other workers hold.
func TestRunSourceError(t *testing.T) {
	rows := normRows(topRows(600))
	bucket := newBucket(t)
	files := fileSources(t, bucket, topSchema, rows, 3)
	for _, mode := range []string{"stream", "agg", "top-k"} {
		for _, par := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/p%d", mode, par), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				p := Params{Mem: mem, Bucket: bucket, Parallelism: par, BatchRows: 16}
				srcs, bs := fragSources(t, mem, topSchema, rows, 10)
				defer releaseAll(bs)
				srcs = append(srcs, files...)
				srcs = append(srcs[:5:5], append([]Source{{File: &FileSource{Path: "t/missing.parquet"}}}, srcs[5:]...)...)
				f := &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs}
				switch mode {
				case "agg":
					f.Agg = &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}
				case "top-k":
					f.TopK = &TopKSpec{K: 5, Keys: []SortKey{{Col: 8}}}
				}
				op, err := Run(t.Context(), p, f)
				if err != nil {
					t.Fatal(err)
				}
				_, err = tryDrain(t.Context(), op)
				if !errors.Is(err, objstore.ErrNotFound) {
					t.Errorf("run with a missing file: %v, want ErrNotFound", err)
				}
			})
		}
	}
}

func TestRunNoSources(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem, Parallelism: 4}
	rows, _ := runFragment(t, t.Context(), p, &Fragment{Schema: topSchema, Columns: names(topSchema)})
	if len(rows) != 0 {
		t.Errorf("scan of nothing: %v", rows)
	}
	rows, _ = runFragment(t, t.Context(), p, &Fragment{Schema: topSchema, Columns: names(topSchema),
		Agg: &AggSpec{Aggs: []Agg{{Func: AggCountStar}, {Func: AggSum, Arg: Col(0)}, {Func: AggMax, Arg: Col(1)}}}})
	sameRows(t, rows, [][]any{{int64(0), nil, nil}})
	rows, _ = runFragment(t, t.Context(), p, &Fragment{Schema: topSchema, Columns: names(topSchema),
		Agg: &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}}}})
	if len(rows) != 0 {
		t.Errorf("grouped aggregation of nothing: %v", rows)
	}
	rows, _ = runFragment(t, t.Context(), p, &Fragment{Schema: topSchema, Columns: names(topSchema), TopK: &TopKSpec{K: 3, Keys: []SortKey{{Col: 0}}}})
	if len(rows) != 0 {
		t.Errorf("top-k of nothing: %v", rows)
	}
}

func TestFragmentValidate(t *testing.T) {
	cols := names(topSchema)
	tests := []struct {
		name        string
		f           Fragment
		unsupported bool
	}{
		{"agg and top-k", Fragment{Columns: cols, Agg: &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}, TopK: &TopKSpec{K: 1, Keys: []SortKey{{Col: 0}}}}, false},
		{"unknown column", Fragment{Columns: []string{"nope"}}, false},
		{"filter column out of range", Fragment{Columns: []string{"i"}, Filter: cmpE(OpEq, Col(1), Int(1))}, false},
		{"unsupported filter", Fragment{Columns: cols, Filter: cmpE(OpEq, Col(1), Int(1))}, true},
		{"unsupported aggregate", Fragment{Columns: cols, Agg: &AggSpec{Aggs: []Agg{{Func: AggSum, Arg: Col(1)}}}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.Schema = topSchema
			err := f.Validate(Params{})
			if err == nil {
				t.Fatal("valid")
			}
			if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
				t.Errorf("%v: unsupported=%v, want %v", err, got, tc.unsupported)
			}
			if _, err := Run(t.Context(), Params{}, &f); err == nil {
				t.Error("Run accepted an invalid fragment")
			}
		})
	}
}

func TestFragmentOutputSchema(t *testing.T) {
	f := &Fragment{Schema: topSchema, Columns: []string{"s", "i"}}
	sch, err := f.OutputSchema(Params{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names(sch)) != "[s i]" || sch.Field(0).Type.ID() != arrow.STRING {
		t.Errorf("schema %s", sch)
	}
	f.Agg = &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggSum, Arg: Col(1)}}}
	sch, err = f.OutputSchema(Params{})
	if err != nil {
		t.Fatal(err)
	}
	if sch.NumFields() != 2 || !arrow.TypeEqual(sch.Field(1).Type, SumIntType) {
		t.Errorf("schema %s", sch)
	}
}

func TestFragmentEncodeDecode(t *testing.T) {
	src := []Source{{File: &FileSource{ID: "f1", Path: "t/a.parquet", Rows: 100}}, {File: &FileSource{ID: "f2", Path: "t/b.parquet", Rows: 7}}}
	frags := map[string]*Fragment{
		"filter and limit": {Table: "logs", Columns: []string{"a", "b"}, Sources: src, Limit: 10,
			Filter: Call(OpAnd, cmpE(OpEq, Col(0), Int(0)), cmpE(OpNe, Col(1), Str("")), cmpE(OpLt, Col(0), Float(-0.5)),
				cmpE(OpGe, Col(2), ts(-1)), cmpE(OpEq, Col(3), Bool(false)), Call(OpNot, Call(OpIsNull, Col(0))),
				likeE(Col(1), `a\%%`, `\`), cmpE(OpEq, Col(0), Null()),
				cmpE(OpGe, &Expr{Op: OpDateTrunc, Str: "hour", Args: []*Expr{Col(2)}}, ts(3_600_000_000)))},
		"agg": {Table: "t", Columns: []string{"x"}, Sources: src, Agg: &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{
			{Func: AggCountStar}, {Func: AggSum, Arg: Col(0)}, {Func: AggCountDistinct, Arg: Col(0)}}}},
		"top-k": {Table: "t", Columns: []string{"x", "y"}, Sources: src, TopK: &TopKSpec{K: 5, Keys: []SortKey{
			{Col: 0}, {Col: 1, Desc: true, NullsFirst: true}}}},
		"no sources": {Table: "t", Columns: []string{}},
	}
	for name, f := range frags {
		t.Run(name, func(t *testing.T) {
			b, err := f.Encode()
			if err != nil {
				t.Fatal(err)
			}
			g, err := DecodeFragment(b)
			if err != nil {
				t.Fatal(err)
			}
			want := *f
			want.Version = FragmentVersion
			if !reflect.DeepEqual(g, &want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", g, &want)
			}
			if g.Filter.String() != f.Filter.String() {
				t.Errorf("filter %s, want %s", g.Filter, f.Filter)
			}
			// The encoding does not alter the fragment.
			if f.Version != 0 {
				t.Errorf("Encode set the version of its receiver")
			}
		})
	}
	t.Run("version mismatch", func(t *testing.T) {
		b, err := frags["agg"].Encode()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, v := range []any{FragmentVersionOrder + 1, 0, nil} {
			m["version"] = v
			b2, _ := json.Marshal(m)
			if _, err := DecodeFragment(b2); err == nil || !strings.Contains(err.Error(), "version") {
				t.Errorf("version %v: %v", v, err)
			}
		}
	})
	t.Run("garbage", func(t *testing.T) {
		for _, b := range []string{"", "{", "[]", `{"version":"1"}`, "null x"} {
			if _, err := DecodeFragment([]byte(b)); err == nil {
				t.Errorf("decoded %q", b)
			}
		}
	})
	t.Run("in-memory sources", func(t *testing.T) {
		f := &Fragment{Columns: []string{"a"}, Sources: []Source{{Batches: nil}}}
		if _, err := f.Encode(); err == nil {
			t.Error("encoded a fragment with in-memory sources")
		}
	})
}

// FuzzDecodeFragment checks that decoding never panics and that what it
// accepts encodes again.
func FuzzDecodeFragment(f *testing.F) {
	seed := &Fragment{Table: "t", Columns: []string{"a"}, Sources: []Source{{File: &FileSource{Path: "p"}}},
		Filter: cmpE(OpEq, Col(0), Int(1)), TopK: &TopKSpec{K: 1, Keys: []SortKey{{Col: 0}}}}
	b, _ := seed.Encode()
	f.Add(b)
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := DecodeFragment(b)
		if err != nil {
			return
		}
		hasMem := false
		for _, s := range g.Sources {
			hasMem = hasMem || s.File == nil
		}
		if _, err := g.Encode(); err != nil && !hasMem {
			t.Errorf("decoded fragment does not encode: %v", err)
		}
	})
}

// TestRunCountsBytes: a run counts the bytes it reads from data files and
// the part a cache served: the first time through a disk cache the first
// read of each file misses (its block is then cached for the next reads),
// the second time every byte is a hit; a plain scan counts the rows it
// returns.
func TestRunCountsBytes(t *testing.T) {
	rows := normRows(topRows(400))
	store := newBucket(t)
	files := fileSources(t, store, topSchema, rows, 4)
	cached, err := objstore.NewCache(store, objstore.CacheConfig{Dir: t.TempDir(), MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for i, wantCache := range []bool{false, true} {
		p := Params{Mem: mem, Bucket: cached, Parallelism: 2}
		f := &Fragment{Schema: topSchema, Columns: []string{"id", "s"}, Sources: files, Filter: cmpE(OpGe, Col(0), Int(390))}
		got, st := runFragment(t, t.Context(), p, f)
		if len(got) != 10 || st.RowsOut != 10 || st.Sources != 4 {
			t.Errorf("run %d: %d rows, stats %+v, want 10 rows out of 4 sources", i, len(got), st)
		}
		if st.BytesRead <= 0 || (wantCache && st.CacheBytes != st.BytesRead) || (!wantCache && st.CacheBytes >= st.BytesRead) {
			t.Errorf("run %d: %d bytes read, %d from the cache", i, st.BytesRead, st.CacheBytes)
		}
	}
}

// TestLimitReadsOneSource: a plain scan under a LIMIT without a filter
// reads its sources one at a time in batches no larger than the limit, so
// a limit the first file satisfies opens no other file and decodes little
// more than the rows it returns.
func TestLimitReadsOneSource(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("id", arrow.PrimitiveTypes.Int64), field("s", arrow.BinaryTypes.String))
	bucket := newBucket(t)
	var srcs []Source
	for f := 0; f < 6; f++ {
		rows := make([][]any, 5000)
		for i := range rows {
			rows[i] = []any{int64(f*5000 + i), fmt.Sprintf("row %d", i)}
		}
		bs := mkBatches(t, mem, schema, rows, 5000)
		srcs = append(srcs, Source{File: writeParquet(t, bucket, fmt.Sprintf("f%d.parquet", f), schema, bs, 5000)})
		releaseAll(bs)
	}
	for _, limit := range []int64{1, 100, 7000} {
		f := &Fragment{Schema: schema, Columns: names(schema), Sources: srcs, Limit: limit}
		got, st := runFragment(t, t.Context(), Params{Mem: mem, Bucket: bucket, Parallelism: 4}, f)
		if int64(len(got)) != limit {
			t.Fatalf("limit %d: %d rows", limit, len(got))
		}
		// The union reads at most two batches ahead (one waiting in its
		// channel, one in the worker's hand).
		batch := min(limit, 5000)
		wantSrc, wantRows := int((limit+4999)/5000)+2, (limit+batch-1)/batch*batch+2*batch
		if limit <= 5000 {
			wantSrc = 1 // the first file holds every row wanted
		}
		if st.Sources > wantSrc || st.Rows > wantRows {
			t.Errorf("limit %d: %d sources opened, %d rows scanned; want at most %d and %d", limit, st.Sources, st.Rows, wantSrc, wantRows)
		}
	}
}
