package exec

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Regression tests for bugs found while writing the executor's tests; all
// are fixed. Each comment describes the bug as it was.

// TestRegressionRunStatsRows: Stats.Rows is never incremented by the runner (no
// code writes r.stats.Rows), so it is 0 whatever the run read.
func TestRegressionRunStatsRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	rows := normRows(topRows(100))
	for _, par := range []int{1, 3} {
		for _, mode := range []string{"stream", "agg"} {
			t.Run(fmt.Sprintf("%s/p%d", mode, par), func(t *testing.T) {
				srcs, bs := fragSources(t, mem, topSchema, rows, 4)
				defer releaseAll(bs)
				f := &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs}
				if mode == "agg" {
					f.Agg = &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}
				}
				_, st := runFragment(t, t.Context(), Params{Mem: mem, Parallelism: par}, f)
				if st.Rows != int64(len(rows)) {
					t.Errorf("Stats.Rows = %d after reading %d rows", st.Rows, len(rows))
				}
			})
		}
	}
}

// TestRegressionFragmentEncodeNonFiniteFloat: Lit.F is encoded with
// encoding/json, which cannot encode NaN or ±Inf, so Fragment.Encode
// fails for a filter such as f = 'NaN'::float8 or f < 'Infinity', which
// compile and run fine locally. Such a fragment cannot be sent to a search
// worker.
func TestRegressionFragmentEncodeNonFiniteFloat(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			f := &Fragment{Table: "t", Columns: []string{"f"}, Sources: []Source{{File: &FileSource{Path: "a.parquet"}}},
				Filter: cmpE(OpLt, Col(0), Float(v))}
			b, err := f.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			g, err := DecodeFragment(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := g.Filter.Args[1].Lit.F; !(got == v || (math.IsNaN(got) && math.IsNaN(v))) {
				t.Errorf("literal %v came back as %v", v, got)
			}
		})
	}
}

// TestRegressionTopKWithoutKeys: a TopKSpec without keys (LIMIT k with no ORDER
// BY) passes newTopK and Fragment.Validate, then topK.consume indexes
// t.spec.Keys[0] and panics; in Run the panic is recovered into
// "exec: panic: runtime error: index out of range [0] with length 0".
// Either reject it up front (newTopK / Validate) or keep the first K rows
// in arrival order.
func TestRegressionTopKWithoutKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	rows := normRows(topRows(50))
	srcs, bs := fragSources(t, mem, topSchema, rows, 2)
	defer releaseAll(bs)
	f := &Fragment{Schema: topSchema, Columns: names(topSchema), Sources: srcs, TopK: &TopKSpec{K: 3}}
	p := Params{Mem: mem}
	if err := f.Validate(p); err != nil {
		return // rejected cleanly
	}
	op, err := Run(t.Context(), p, f)
	if err != nil {
		return
	}
	got, err := tryDrain(t.Context(), op)
	if err != nil {
		t.Fatalf("Validate accepts a top-k without keys, but running it fails: %v", err)
	}
	if len(got) != 3 {
		t.Errorf("%d rows, want 3", len(got))
	}
}

// TestRegressionValidateNilSchema: DecodeFragment returns a fragment without
// Schema (it travels separately); Validate and Run on it dereference the
// nil *arrow.Schema in NewScan (tableSchema.FieldIndices) and panic
// instead of returning an error.
func TestRegressionValidateNilSchema(t *testing.T) {
	b, err := (&Fragment{Table: "t", Columns: []string{"a"}, Sources: []Source{{File: &FileSource{Path: "x"}}}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFragment(b)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"Validate": func() error { return f.Validate(Params{}) },
		"Run": func() error {
			op, err := Run(t.Context(), Params{}, f)
			if err == nil {
				op.Close()
			}
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("%s of a fragment without schema panics: %v", name, v)
				}
			}()
			if err := call(); err == nil {
				t.Errorf("%s accepted a fragment without schema", name)
			}
		})
	}
}

// TestRegressionOpenErrorNotSticky: Open marks the operator opened before it can
// fail, so after a failed Open a second Open returns nil and Next reports a
// clean, empty end of stream (io.EOF): the error is lost. This holds for
// Scan (file sources) and for the operator Run returns (an aggregation or
// top-k whose sources fail: r.result stays nil and Next returns io.EOF),
// whose Next opens it implicitly. A failed Open should be remembered and
// returned again (or Next should fail).
func TestRegressionOpenErrorNotSticky(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem, Bucket: newBucket(t)}
	missing := Source{File: &FileSource{Path: "missing.parquet"}}
	t.Run("scan", func(t *testing.T) {
		s, err := NewScan(p, missing, pqSchema, []string{"id"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Open(t.Context()); err == nil {
			t.Fatal("Open of a missing file succeeded")
		}
		err = s.Open(t.Context())
		_, nerr := s.Next(t.Context())
		if err == nil && errors.Is(nerr, io.EOF) {
			t.Errorf("after a failed Open, Open returns nil and Next returns io.EOF: the scan looks empty")
		}
	})
	t.Run("run", func(t *testing.T) {
		f := &Fragment{Schema: pqSchema, Columns: []string{"id"}, Sources: []Source{missing},
			Agg: &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}}
		op, err := Run(t.Context(), p, f)
		if err != nil {
			t.Fatal(err)
		}
		defer op.Close()
		if _, err := op.Next(t.Context()); err == nil {
			t.Fatal("first Next succeeded")
		}
		if _, err := op.Next(t.Context()); errors.Is(err, io.EOF) {
			t.Errorf("after a failed run, Next returns io.EOF: the aggregation looks empty")
		}
	})
}

// countingAllocator counts the allocations made through it.
type countingAllocator struct {
	memory.Allocator
	n atomic.Int64
}

func (c *countingAllocator) Allocate(size int) []byte {
	c.n.Add(1)
	return c.Allocator.Allocate(size)
}

func (c *countingAllocator) Reallocate(size int, b []byte) []byte {
	c.n.Add(1)
	return c.Allocator.Reallocate(size, b)
}

// TestRegressionPredicateAllocatesOutsideParamsMem: the package documentation
// says all Arrow memory comes from Params.Mem, but predicates evaluate
// their operands with memory.DefaultAllocator (cmpScalar, cmpArrays,
// isNull, like and nullAware call eval(memory.DefaultAllocator, rec)), so
// a computed operand such as date_trunc in a WHERE clause allocates outside
// Params.Mem, where neither leak checks nor memory accounting see it. The
// predicate should get the allocator (e.g. compilePredicate(e, schema,
// mem) or test(mem, rec, out, null)).
func TestRegressionPredicateAllocatesOutsideParamsMem(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	def := &countingAllocator{Allocator: memory.NewGoAllocator()}
	old := memory.DefaultAllocator
	memory.DefaultAllocator = def
	defer func() { memory.DefaultAllocator = old }()

	p := Params{Mem: mem}
	bs := mkBatches(t, mem, filterSchema, filterRows(100), 50)
	defer releaseAll(bs)
	trunc := &Expr{Op: OpDateTrunc, Str: "minute", Args: []*Expr{Col(4)}}
	for _, e := range []*Expr{
		cmpE(OpGe, trunc, ts(60_000_000)),
		cmpE(OpEq, trunc, Col(4)),
		Call(OpIsNull, trunc),
	} {
		def.n.Store(0)
		f, err := NewFilter(p, memScan(t, p, filterSchema, bs), e)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, t.Context(), f)
		if n := def.n.Load(); n != 0 {
			t.Errorf("filter %s: %d allocations from memory.DefaultAllocator instead of Params.Mem", e, n)
		}
	}
}
