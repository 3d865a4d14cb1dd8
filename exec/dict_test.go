package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestDictionaryAggregation: aggregation fragments over Parquet read
// low-cardinality strings as dictionaries; every string kernel (=, <, LIKE,
// GROUP BY on one and several keys, min/max/first, count DISTINCT) must give
// the answers of the same fragment over plain in-memory strings.
func TestDictionaryAggregation(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("svc", arrow.BinaryTypes.String), field("lvl", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	rng := rand.New(rand.NewPCG(3, 4))
	svcs := []any{"api", "web", "db", "queue", "auth", "ünïcode", "", nil}
	lvls := []any{"debug", "info", "warn", "error", nil}
	rows := make([][]any, 5000)
	for i := range rows {
		rows[i] = []any{svcs[rng.IntN(len(svcs))], lvls[rng.IntN(len(lvls))], int64(rng.IntN(100))}
	}
	bs := mkBatches(t, mem, schema, rows, 700)
	defer releaseAll(bs)
	bucket := newBucket(t)
	var files []Source
	for i := 0; i < 3; i++ {
		files = append(files, Source{File: writeParquet(t, bucket, fmt.Sprintf("f%d.parquet", i), schema, bs, 1000)})
	}
	var mems []Source
	for i := 0; i < 3; i++ {
		mems = append(mems, Source{Batches: bs})
	}
	// The scan reads svc and lvl as dictionaries.
	probe, err := NewScan(Params{Mem: mem, Bucket: bucket}, files[0], schema, []string{"svc", "lvl"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	probe.dict = true
	if err := probe.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec, err := probe.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.Column(0).(*array.Dictionary); !ok {
		t.Errorf("svc read as %s, want a dictionary", rec.Column(0).DataType())
	}
	probe.Close()

	cases := []struct {
		name   string
		filter *Expr
		agg    AggSpec
	}{
		{"group by one key", nil, AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggFirst, Arg: Col(0)}, {Func: AggMin, Arg: Col(1)}, {Func: AggMax, Arg: Col(1)}, {Func: AggCount, Arg: Col(1)}}}},
		{"group by two keys", nil, AggSpec{Keys: []*Expr{Col(1), Col(0)}, Aggs: []Agg{{Func: AggFirst, Arg: Col(1)}, {Func: AggFirst, Arg: Col(0)}, {Func: AggSum, Arg: Col(2)}}}},
		{"count distinct", nil, AggSpec{Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(0)}, {Func: AggCountDistinct, Arg: Col(1)}}}},
		{"count distinct per group", nil, AggSpec{Keys: []*Expr{Col(1)}, Aggs: []Agg{{Func: AggFirst, Arg: Col(1)}, {Func: AggCountDistinct, Arg: Col(0)}}}},
		{"filter =", Call(OpEq, Col(1), Str("error")), AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggFirst, Arg: Col(0)}, {Func: AggCountStar}}}},
		{"filter <", Call(OpLt, Col(0), Str("db")), AggSpec{Aggs: []Agg{{Func: AggCountStar}, {Func: AggMin, Arg: Col(0)}}}},
		{"filter LIKE", &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%u%"}, AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggFirst, Arg: Col(0)}, {Func: AggCountStar}}}},
		{"filter col = col", Call(OpOr, Call(OpEq, Col(0), Col(1)), Call(OpIsNull, Col(0))), AggSpec{Aggs: []Agg{{Func: AggCountStar}}}},
	}
	for _, c := range cases {
		for _, par := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/p%d", c.name, par), func(t *testing.T) {
				run := func(srcs []Source) [][]any {
					agg := c.agg
					f := &Fragment{Schema: schema, Columns: names(schema), Sources: srcs, Filter: c.filter, Agg: &agg}
					got, _ := runFragment(t, t.Context(), Params{Mem: mem, Bucket: bucket, Parallelism: par}, f)
					return got
				}
				sameRowSet(t, run(files), run(mems))
			})
		}
	}
}

// TestDictionaryNullIndices: a NULL row of a dictionary column has an
// arbitrary index, past the end of the dictionary when a batch holds only
// NULLs (its dictionary is empty). The per-dictionary-value kernels (=,
// LIKE, inet operators) must not read it.
func TestDictionaryNullIndices(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	build := func(vals []string, idx []int32, valid []bool) arrow.Array {
		vb := array.NewStringBuilder(mem)
		defer vb.Release()
		vb.AppendValues(vals, nil)
		dict := vb.NewArray()
		defer dict.Release()
		ib := array.NewInt32Builder(mem)
		defer ib.Release()
		ib.AppendValues(idx, valid)
		ix := ib.NewArray()
		defer ix.Release()
		return array.NewDictionaryArray(dt, ix, dict)
	}
	cases := []struct {
		name string
		col  arrow.Array
		want string
	}{
		// Only NULLs: an empty dictionary, index 0 in every row.
		{"all NULL", build(nil, []int32{0, 0, 0}, []bool{false, false, false}), "NNN"},
		// NULL rows whose indices point past the dictionary.
		{"NULL past the end", build([]string{"10.0.0.1", "x"}, []int32{0, 7, 1, -3}, []bool{true, false, true, false}), "TNFN"},
	}
	preds := []*Expr{
		{Op: OpEq, Args: []*Expr{Col(0), Str("10.0.0.1")}},
		{Op: OpLike, Args: []*Expr{Col(0)}, Str: "10.%"},
		{Op: OpInetCmp, Str: "<<=", Args: []*Expr{Col(0), Str("10.0.0.0/8")}},
	}
	for _, c := range cases {
		for _, e := range preds {
			if e.Op == OpInetCmp && c.name != "all NULL" {
				continue // "x" is not an inet: an error, tested elsewhere
			}
			// Predicates compile against the table's schema (text); the
			// scan hands them dictionaries.
			p, err := compilePredicate(e, arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true}}, nil))
			if err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "a", Type: dt, Nullable: true}}, nil), []arrow.Array{c.col}, int64(c.col.Len()))
			out, null := make([]bool, c.col.Len()), make([]bool, c.col.Len())
			for i := range out {
				out[i] = true // a kernel that skips a row leaves this
			}
			err = p.test(mem, rec, out, null)
			rec.Release()
			if err != nil {
				t.Fatalf("%s, %s: %v", c.name, e, err)
			}
			got := make([]byte, len(out))
			for i := range out {
				got[i] = tfn(out[i], null[i])
			}
			if string(got) != c.want {
				t.Errorf("%s, %s: got %s, want %s", c.name, e, got, c.want)
			}
		}
		c.col.Release()
	}
}
