package exec

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestBudgetSharedAcrossWorkers runs aggregations with two workers, each
// over its own sources, and checks that the limit bounds the run as a
// whole, that count DISTINCT sets are charged (they grow without new
// groups), and that a finished run gives every byte back.
func TestBudgetSharedAcrossWorkers(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("k", arrow.PrimitiveTypes.Int64), field("s", arrow.BinaryTypes.String))
	var srcs []Source
	for part := range 4 {
		rows := make([][]any, 20_000)
		for i := range rows {
			v := int64(part*len(rows) + i)
			rows[i] = []any{v, fmt.Sprint("value-", v)}
		}
		bs := mkBatches(t, mem, schema, rows, 4096)
		defer releaseAll(bs)
		srcs = append(srcs, Source{Batches: bs})
	}
	specs := map[string]*AggSpec{
		"group by k":        {Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}}},
		"count distinct s":  {Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(1)}}},
		"group by s":        {Keys: []*Expr{Col(1)}, Aggs: []Agg{{Func: AggCount, Arg: Col(0)}}},
		"list per k % none": {Aggs: []Agg{{Func: AggList, Arg: Col(0)}}},
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			run := func(limit int64) (*runner, int, error) {
				p := Params{Mem: mem, Parallelism: 2, MemoryLimit: limit}
				f := &Fragment{Schema: schema, Columns: names(schema), Sources: srcs, Agg: spec}
				op, err := Run(t.Context(), p, f)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := tryDrain(t.Context(), op)
				return op.(*runner), len(rows), err
			}
			r, n, err := run(1 << 40)
			if err != nil || n == 0 {
				t.Fatalf("unlimited: %d rows, %v", n, err)
			}
			peak := r.p.budget.peak.Load()
			if peak < 80_000*8 {
				t.Fatalf("peak charge %d bytes for 80,000 values: not counted", peak)
			}
			if used := r.p.budget.used.Load(); used != 0 {
				t.Errorf("%d bytes still charged after the run", used)
			}
			// The peak depends on how the sources fell to the workers (the
			// merge holds both tables for a moment): within 2× either way.
			if _, _, err := run(peak / 3); !errors.Is(err, ErrMemoryLimit) {
				t.Errorf("limit of a third of the peak (%d): %v, want ErrMemoryLimit", peak/3, err)
			}
			if r, n2, err := run(3 * peak); err != nil || n2 != n {
				t.Errorf("limit above the peak: %d rows (want %d), %v", n2, n, err)
			} else if used := r.p.budget.used.Load(); used != 0 {
				t.Errorf("%d bytes still charged after the run", used)
			}
		})
	}
}

func TestBudgetReserve(t *testing.T) {
	b := &memBudget{limit: 100}
	if err := b.reserve(60); err != nil {
		t.Fatal(err)
	}
	if err := b.reserve(50); !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("110 of 100: %v", err)
	}
	if got := b.used.Load(); got != 60 {
		t.Fatalf("a failed reservation charged: used %d", got)
	}
	if err := b.reserve(-60); err != nil || b.used.Load() != 0 {
		t.Fatalf("release: %v, used %d", err, b.used.Load())
	}
	if b.peak.Load() != 60 {
		t.Fatalf("peak %d, want 60", b.peak.Load())
	}
	var nilBudget *memBudget
	if err := nilBudget.reserve(1 << 40); err != nil {
		t.Fatal(err)
	}
}
