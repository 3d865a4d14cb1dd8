package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dictCountSchema: k and f are low-cardinality strings with NULLs (read
// as dictionaries), u is unique per row in some files (no dictionary).
var dictCountSchema = schemaOf(
	field("k", arrow.BinaryTypes.String),
	field("f", arrow.BinaryTypes.String),
	field("u", arrow.BinaryTypes.String),
	field("n", arrow.PrimitiveTypes.Int64),
)

// TestDictCount: filtered and grouped counts over dictionary columns
// (the mask and dense-count paths, agg_dict.go) agree with the reference
// evaluator, complete and as partial and final aggregations, with NULL
// keys, NULLs in the filtered column, dictionaries that differ between
// files and row groups, and files where the key column is not
// dictionary-encoded.
func TestDictCount(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 6))
	bucket := newBucket(t)
	var all [][]any
	var files []Source
	for fi := range 5 {
		n := 300 + r.IntN(3000)
		rows := make([][]any, n)
		for i := range rows {
			var k, f any
			switch {
			case fi == 3:
				k = fmt.Sprintf("key-%06d", r.IntN(1<<20)) // ~unique: plain pages
			case r.IntN(9) == 0:
				k = nil
			default:
				k = fmt.Sprintf("k%d", (fi+r.IntN(6))%9) // each file its own subset
			}
			if r.IntN(7) != 0 {
				f = []string{"error", "info", "warn"}[r.IntN(3)]
			}
			if fi == 4 {
				f = nil // every filtered value NULL
			}
			rows[i] = []any{k, f, fmt.Sprintf("u%d-%d", fi, i), int64(i)}
		}
		bs := mkBatches(t, mem, dictCountSchema, rows, randSizes(r, n)...)
		files = append(files, Source{File: writeParquet(t, bucket, fmt.Sprintf("d/%d.parquet", fi), dictCountSchema, bs, int64(100+r.IntN(900)))})
		releaseAll(bs)
		all = append(all, normRows(rows)...)
	}
	isError := cmpE(OpEq, Col(1), Str("error"))
	specs := []struct {
		name   string
		filter *Expr
		spec   AggSpec
	}{
		{"count where", isError, AggSpec{Aggs: []Agg{{Func: AggCountStar}}}},
		{"count where nothing", cmpE(OpEq, Col(1), Str("fatal")), AggSpec{Aggs: []Agg{{Func: AggCountStar}}}},
		{"group", nil, AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}}}},
		{"group where", isError, AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggCountStar}}}},
		{"group where not", Call(OpNot, isError), AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}}}},
		{"group unique where", isError, AggSpec{Keys: []*Expr{Col(2)}, Aggs: []Agg{{Func: AggCountStar}}}},
		{"group where, other aggregates", isError, AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggCount, Arg: Col(1)}, {Func: AggSum, Arg: Col(3)}}}},
		{"group where, first of the key", isError, AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggFirst, Arg: Col(0)}}}},
		{"group, first of the key", nil, AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggFirst, Arg: Col(0)}, {Func: AggCountStar}}}},
		{"group where, first of another column", Call(OpNot, isError), AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggMin, Arg: Col(1)}}}},
		{"distinct where", isError, AggSpec{Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(0)}}}},
		{"two keys where", isError, AggSpec{Keys: []*Expr{Col(1), Col(0)}, Aggs: []Agg{{Func: AggCountStar}}}},
	}
	for _, c := range specs {
		t.Run(c.name, func(t *testing.T) {
			spec := c.spec
			want := refAgg(&spec, refFilter(c.filter, all))
			for _, par := range []int{1, 2} {
				p := Params{Mem: mem, Bucket: bucket, Parallelism: par, BatchRows: 700}
				f := &Fragment{Schema: dictCountSchema, Columns: names(dictCountSchema), Sources: files, Filter: c.filter, Agg: &spec}
				got, _ := runFragment(t, t.Context(), p, f)
				sameRowSet(t, got, want)

				// Partial per file, final over the partial states.
				pspec := spec
				pspec.Mode = AggPartial
				var states []Source
				var sch *arrow.Schema
				for _, src := range files {
					pf := &Fragment{Schema: dictCountSchema, Columns: f.Columns, Sources: []Source{src}, Filter: c.filter, Agg: &pspec}
					op, err := Run(t.Context(), p, pf)
					if err != nil {
						t.Fatal(err)
					}
					if err := op.Open(t.Context()); err != nil {
						t.Fatal(err)
					}
					rec, err := op.Next(t.Context())
					if err != nil {
						t.Fatal(err)
					}
					rec.Retain()
					defer rec.Release()
					op.Close()
					sch = rec.Schema()
					states = append(states, Source{Batches: []arrow.RecordBatch{rec}})
				}
				fspec := spec
				fspec.Mode = AggFinal
				cols := names(sch)
				ff := &Fragment{Schema: sch, Columns: cols, Sources: states, Agg: &fspec}
				got, _ = runFragment(t, t.Context(), p, ff)
				sameRowSet(t, got, want)
				if t.Failed() {
					t.Fatalf("parallelism %d", par)
				}
			}
		})
	}
}
