package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Differential tests: random tables with NULLs, cut into batches of random
// sizes, through the executor and through the reference implementation of
// reference_test.go.

var randSchema = schemaOf(
	field("k_i", arrow.PrimitiveTypes.Int64),     // 0
	field("k_s", arrow.BinaryTypes.String),       // 1
	field("k_f", arrow.PrimitiveTypes.Float64),   // 2
	field("b", arrow.FixedWidthTypes.Boolean),    // 3
	field("ts", tsType),                          // 4
	field("i64", arrow.PrimitiveTypes.Int64),     // 5
	field("i32", arrow.PrimitiveTypes.Int32),     // 6
	field("i16", arrow.PrimitiveTypes.Int16),     // 7
	field("f64", arrow.PrimitiveTypes.Float64),   // 8
	field("f32", arrow.PrimitiveTypes.Float32),   // 9
	field("msg", arrow.BinaryTypes.String),       // 10
	field("i8", arrow.PrimitiveTypes.Int8),       // 11
	field("d", dtDate),                           // 12
	field("id", arrow.PrimitiveTypes.Int64),      // 13: row number
	field("k_s2", arrow.BinaryTypes.String),      // 14
	field("f64b", arrow.PrimitiveTypes.Float64),  // 15
	field("b2", arrow.FixedWidthTypes.Boolean),   // 16
	field("i64b", arrow.PrimitiveTypes.Int64),    // 17
	field("ts2", tsType),                         // 18
	field("f32b", arrow.PrimitiveTypes.Float32),  // 19
	field("i32b", arrow.PrimitiveTypes.Int32),    // 20
	field("i16b", arrow.PrimitiveTypes.Int16),    // 21
	field("msg2", arrow.BinaryTypes.String),      // 22
	field("i8b", arrow.PrimitiveTypes.Int8),      // 23
	field("tsb", tsType),                         // 24
	field("k_f32", arrow.PrimitiveTypes.Float32), // 25
)

var (
	randStrings = []string{"", "a", "A", "ab", "abc", "b", "é", "日本", "a%b", "a_b", `a\b`, "a.b", "(x)", "zz", "ä", "\x00"}
	randWords   = []string{"connection", "timeout", "error", "ok", "retry", "é", "50%", "a_b", "x.y", "(1)", "TIMEOUT", "time", "out", "日本", ""}
	randFloats  = []float64{0, negZero, 1.5, -1, -2.5, 3, nan, inf, -inf, 0.1, 1e300, -1e300, 2, 0.5}
)

// randTable returns n random rows of randSchema.
func randTable(r *rand.Rand, n int) [][]any {
	nullP := r.Float64() * 0.4 // each table has its own share of NULLs
	pick := func(v any) any {
		if r.Float64() < nullP {
			return nil
		}
		return v
	}
	f32 := func() float64 { return float64(float32(randFloats[r.IntN(len(randFloats))])) }
	intOf := func(bits uint) int64 {
		switch r.IntN(10) {
		case 0:
			return -(int64(1) << (bits - 1))
		case 1:
			return int64(1)<<(bits-1) - 1
		case 2, 3:
			return int64(r.IntN(7) - 3)
		}
		return int64(r.Uint64()) >> (64 - bits) // uniform over the type
	}
	msg := func() string {
		k := r.IntN(4)
		parts := make([]string, k)
		for i := range parts {
			parts[i] = randWords[r.IntN(len(randWords))]
		}
		return strings.Join(parts, " ")
	}
	ts := func() int64 { return int64(r.IntN(200)-100)*7_000_000_000 + int64(r.IntN(3))*1_000_000 }
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{
			pick(int64(r.IntN(10))),
			pick(randStrings[r.IntN(len(randStrings))]),
			pick(randFloats[r.IntN(6)]),
			pick(r.IntN(2) == 0),
			pick(ts()),
			pick(intOf(64)),
			pick(intOf(32)),
			pick(intOf(16)),
			pick(randFloats[r.IntN(len(randFloats))]),
			pick(f32()),
			pick(msg()),
			pick(intOf(8)),
			pick(int64(r.IntN(100) - 50)),
			int64(i),
			pick(randStrings[r.IntN(len(randStrings))]),
			pick(randFloats[r.IntN(len(randFloats))]),
			pick(r.IntN(2) == 0),
			pick(int64(r.IntN(10))),
			pick(ts()),
			pick(f32()),
			pick(intOf(32)),
			pick(intOf(16)),
			pick(msg()),
			pick(intOf(8)),
			pick(ts()),
			pick(float64(float32(randFloats[r.IntN(6)]))),
		}
	}
	return rows
}

// randSizes returns random batch sizes (1..1000) covering n rows.
func randSizes(r *rand.Rand, n int) []int {
	var sizes []int
	for n > 0 {
		s := 1 + r.IntN(1000)
		if r.IntN(3) == 0 {
			s = 1 + r.IntN(20)
		}
		sizes = append(sizes, s)
		n -= s
	}
	return sizes
}

// columns of randSchema by comparison class.
func randColumns(class cmpClass) []int {
	var out []int
	for c := 0; c < randSchema.NumFields(); c++ {
		if k, ok := classOf(randSchema.Field(c).Type); ok && k == class {
			out = append(out, c)
		}
	}
	return out
}

// randLit returns a literal to compare with a column of class.
func randLit(r *rand.Rand, class cmpClass) *Expr {
	switch class {
	case cmpInt:
		switch r.IntN(6) {
		case 0:
			return Float(float64(r.IntN(11)-5) + []float64{0, 0.5, -0.5, 0.25}[r.IntN(4)])
		case 1:
			return Float([]float64{nan, negZero, 1e18, -1e18, 2.5}[r.IntN(5)])
		case 2:
			return Int([]int64{math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt16, 127, -128, 1 << 40}[r.IntN(7)])
		}
		return Int(int64(r.IntN(13) - 3))
	case classFloat:
		if r.IntN(4) == 0 {
			return Int(int64(r.IntN(7) - 3))
		}
		return Float(randFloats[r.IntN(len(randFloats))])
	case cmpString:
		if r.IntN(2) == 0 {
			return Str(randWords[r.IntN(len(randWords))])
		}
		return Str(randStrings[r.IntN(len(randStrings))])
	case cmpBool:
		return Bool(r.IntN(2) == 0)
	case cmpTimestamp:
		return ts(int64(r.IntN(200)-100) * 7_000_000_000)
	}
	panic("randLit")
}

// randPattern returns a random LIKE pattern and escape character.
func randPattern(r *rand.Rand) (string, string) {
	esc := ""
	if r.IntN(3) == 0 {
		esc = []string{`\`, "!", "é"}[r.IntN(3)]
	}
	pieces := []string{"%", "%", "_", "a", "b", "time", "out", "é", "日", ".", "(", ")", "*", " ", "o", "%", "50"}
	var sb strings.Builder
	for range r.IntN(5) {
		p := pieces[r.IntN(len(pieces))]
		if esc != "" {
			p = strings.ReplaceAll(p, esc, esc+esc)
		}
		if esc != "" && r.IntN(4) == 0 {
			sb.WriteString(esc)
			p = []string{"%", "_", esc, "a"}[r.IntN(4)]
		}
		sb.WriteString(p)
	}
	return sb.String(), esc
}

var truncs = []string{"microseconds", "milliseconds", "second", "minute", "hour", "day"}

// randPred returns a random predicate over randSchema.
func randPred(r *rand.Rand, depth int) *Expr {
	if depth > 0 && r.IntN(3) == 0 {
		switch r.IntN(5) {
		case 0:
			return Call(OpNot, randPred(r, depth-1))
		case 1, 2:
			args := make([]*Expr, 2+r.IntN(2))
			for i := range args {
				args[i] = randPred(r, depth-1)
			}
			return Call(OpAnd, args...)
		default:
			args := make([]*Expr, 2+r.IntN(2))
			for i := range args {
				args[i] = randPred(r, depth-1)
			}
			return Call(OpOr, args...)
		}
	}
	ops := []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe}
	op := ops[r.IntN(len(ops))]
	classes := []cmpClass{cmpInt, classFloat, cmpString, cmpBool, cmpTimestamp}
	class := classes[r.IntN(len(classes))]
	cols := randColumns(class)
	c := Col(cols[r.IntN(len(cols))])
	switch r.IntN(12) {
	case 0, 1, 2, 3:
		l := randLit(r, class)
		if r.IntN(4) == 0 {
			return cmpE(op, l, c)
		}
		return cmpE(op, c, l)
	case 4, 5:
		return cmpE(op, c, Col(cols[r.IntN(len(cols))]))
	case 6:
		if r.IntN(2) == 0 {
			return Call(OpIsNull, c)
		}
		return Call(OpIsNotNull, c)
	case 7, 8:
		p, esc := randPattern(r)
		s := []int{1, 10, 14, 22}[r.IntN(4)]
		return likeE(Col(s), p, esc)
	case 9:
		return Col([]int{3, 16}[r.IntN(2)])
	case 10:
		return cmpE(op, c, Null())
	default:
		tc := []int{4, 18, 24}[r.IntN(3)]
		dt := &Expr{Op: OpDateTrunc, Str: truncs[r.IntN(len(truncs))], Args: []*Expr{Col(tc)}}
		if r.IntN(2) == 0 {
			return cmpE(op, dt, Col(tc))
		}
		return cmpE(op, dt, randLit(r, cmpTimestamp))
	}
}

// randAggSpec returns a random aggregation; with parallel set, one whose
// result does not depend on the order in which partial results merge.
func randAggSpec(r *rand.Rand, parallel bool) *AggSpec {
	keyChoices := []*Expr{Col(0), Col(1), Col(2), Col(3), Col(4), Col(7), Col(12), Col(14), Col(25), Col(11),
		{Op: OpDateTrunc, Str: "hour", Args: []*Expr{Col(4)}}}
	spec := &AggSpec{}
	for range r.IntN(3) {
		spec.Keys = append(spec.Keys, keyChoices[r.IntN(len(keyChoices))])
	}
	// The keys, to identify the groups.
	for _, k := range spec.Keys {
		spec.Aggs = append(spec.Aggs, Agg{Func: AggFirst, Arg: k})
	}
	spec.Aggs = append(spec.Aggs, Agg{Func: AggCountStar})
	ints := []int{0, 5, 6, 7, 11, 17, 20, 21, 23}
	floats := []int{2, 8, 9, 15, 19, 25}
	for range 1 + r.IntN(6) {
		c := r.IntN(randSchema.NumFields())
		switch r.IntN(8) {
		case 0:
			spec.Aggs = append(spec.Aggs, Agg{Func: AggCount, Arg: Col(c)})
		case 1:
			spec.Aggs = append(spec.Aggs, Agg{Func: AggSum, Arg: Col(ints[r.IntN(len(ints))])})
		case 2:
			if parallel {
				continue // float sums depend on the order of additions
			}
			spec.Aggs = append(spec.Aggs, Agg{Func: AggSum, Arg: Col(floats[r.IntN(len(floats))])})
		case 3:
			spec.Aggs = append(spec.Aggs, Agg{Func: AggMin, Arg: Col(c)})
		case 4:
			spec.Aggs = append(spec.Aggs, Agg{Func: AggMax, Arg: Col(c)})
		case 5:
			spec.Aggs = append(spec.Aggs, Agg{Func: AggCountDistinct, Arg: Col(c)})
		case 6:
			if parallel {
				continue
			}
			spec.Aggs = append(spec.Aggs, Agg{Func: AggFirst, Arg: Col(c)})
		case 7:
			if parallel {
				continue
			}
			spec.Aggs = append(spec.Aggs, Agg{Func: AggList, Arg: Col(append(ints, floats...)[r.IntN(len(ints)+len(floats))])})
		}
	}
	return spec
}

// randTopK returns a random top-k; with unique set, ending with the unique
// id column so that no two rows tie.
func randTopK(r *rand.Rand, n int, unique bool) *TopKSpec {
	sortable := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17, 25}
	spec := &TopKSpec{}
	switch r.IntN(5) {
	case 0:
		spec.K = int64(r.IntN(3))
	case 1:
		spec.K = int64(n + r.IntN(10))
	default:
		spec.K = int64(r.IntN(60))
	}
	for range 1 + r.IntN(3) {
		spec.Keys = append(spec.Keys, SortKey{Col: sortable[r.IntN(len(sortable))], Desc: r.IntN(2) == 0, NullsFirst: r.IntN(2) == 0})
	}
	if unique {
		spec.Keys = append(spec.Keys, SortKey{Col: 13, Desc: r.IntN(2) == 0})
	}
	return spec
}

// normFloatZeros turns -0 into 0 in rows, for results where which of two
// equal zeros comes out depends on the order of merges.
func normFloatZeros(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = make([]any, len(r))
		for j, v := range r {
			if f, ok := v.(float64); ok && f == 0 {
				v = 0.0
			}
			out[i][j] = v
		}
	}
	return out
}

// seeds is how many random tables a differential test tries.
func seeds(n uint64) uint64 {
	switch {
	case testing.Short():
		return max(n/5, 1)
	case raceEnabled:
		return max(n/3, 1)
	}
	return n
}

func TestRandomFilter(t *testing.T) {
	for seed := range seeds(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 1))
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			rows := normRows(randTable(r, r.IntN(3000)))
			bs := mkBatches(t, mem, randSchema, rows, randSizes(r, len(rows))...)
			defer releaseAll(bs)
			for range 20 {
				e := randPred(r, 3)
				f, err := NewFilter(p, memScan(t, p, randSchema, bs), e)
				if err != nil {
					t.Fatalf("%s: %v", e.Format(names(randSchema)), err)
				}
				got, err := tryDrain(t.Context(), f)
				if err != nil {
					t.Fatalf("%s: %v", e.Format(names(randSchema)), err)
				}
				want := refFilter(e, rows)
				if !rowsEqual(got, want) {
					t.Errorf("filter %s: %d rows, want %d", e.Format(names(randSchema)), len(got), len(want))
					sameRows(t, got, want)
					return
				}
			}
		})
	}
}

func TestRandomAgg(t *testing.T) {
	for seed := range seeds(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 2))
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			rows := normRows(randTable(r, r.IntN(3000)))
			bs := mkBatches(t, mem, randSchema, rows, randSizes(r, len(rows))...)
			defer releaseAll(bs)
			for range 8 {
				spec := randAggSpec(r, false)
				var e *Expr
				var in Operator = memScan(t, p, randSchema, bs)
				if r.IntN(2) == 0 {
					e = randPred(r, 2)
					f, err := NewFilter(p, in, e)
					if err != nil {
						t.Fatal(err)
					}
					in = f
				}
				h, err := NewHashAgg(p, in, spec)
				if err != nil {
					t.Fatalf("%+v: %v", spec, err)
				}
				got, err := tryDrain(t.Context(), h)
				if err != nil {
					t.Fatal(err)
				}
				want := refAgg(spec, refFilter(e, rows))
				if !rowsEqual(got, want) {
					t.Errorf("aggregation %s where %s", fmtSpec(spec), e.Format(names(randSchema)))
					sameRows(t, got, want)
					return
				}
			}
		})
	}
}

func fmtSpec(spec *AggSpec) string {
	var sb strings.Builder
	sb.WriteString("keys [")
	for _, k := range spec.Keys {
		sb.WriteString(k.Format(names(randSchema)) + " ")
	}
	sb.WriteString("] aggs [")
	for _, a := range spec.Aggs {
		if a.Arg == nil {
			sb.WriteString(string(a.Func) + " ")
		} else {
			sb.WriteString(string(a.Func) + "(" + a.Arg.Format(names(randSchema)) + ") ")
		}
	}
	return sb.String() + "]"
}

func TestRandomTopK(t *testing.T) {
	for seed := range seeds(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 3))
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			rows := normRows(randTable(r, r.IntN(2000)))
			bs := mkBatches(t, mem, randSchema, rows, randSizes(r, len(rows))...)
			defer releaseAll(bs)
			for range 10 {
				spec := randTopK(r, len(rows), r.IntN(2) == 0)
				got := runTopK(t, mem, randSchema, bs, spec)
				want := refTopK(rows, spec)
				if !rowsEqual(got, want) {
					t.Errorf("top-k %+v", spec)
					sameRows(t, got, want)
					return
				}
			}
		})
	}
}

// TestRandomRun runs random fragments over in-memory and Parquet sources
// at several parallelisms.
func TestRandomRun(t *testing.T) {
	for seed := range seeds(10) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 4))
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			rows := normRows(randTable(r, r.IntN(1500)))
			nsrc := 1 + r.IntN(6)
			var srcs []Source
			per := (len(rows) + nsrc - 1) / nsrc
			bucket := newBucket(t)
			var files []Source
			for s := 0; s < nsrc; s++ {
				lo, hi := min(s*per, len(rows)), min((s+1)*per, len(rows))
				bs := mkBatches(t, mem, randSchema, rows[lo:hi], randSizes(r, hi-lo)...)
				defer releaseAll(bs)
				srcs = append(srcs, Source{Batches: bs})
				files = append(files, Source{File: writeParquet(t, bucket, fmt.Sprintf("r/%d.parquet", s), randSchema, bs, int64(20+r.IntN(400)))})
			}
			for i := range 9 {
				f := &Fragment{Schema: randSchema, Columns: names(randSchema)}
				if r.IntN(4) != 0 {
					f.Filter = randPred(r, 2)
				}
				ordered := false
				switch i % 3 {
				case 0:
					f.Agg = randAggSpec(r, true)
				case 1:
					f.TopK = randTopK(r, len(rows), true)
					ordered = true
				default:
					if r.IntN(2) == 0 {
						f.Limit = int64(1 + r.IntN(len(rows)+1))
					}
				}
				want := refFilter(f.Filter, rows)
				switch {
				case f.Agg != nil:
					want = refAgg(f.Agg, want)
				case f.TopK != nil:
					want = refTopK(want, f.TopK)
				}
				for _, kind := range []string{"memory", "parquet"} {
					f.Sources = srcs
					if kind == "parquet" {
						f.Sources = files
					}
					for _, par := range []int{1, 3} {
						p := Params{Mem: mem, Bucket: bucket, Parallelism: par, BatchRows: int64(1 + r.IntN(2000))}
						op, err := Run(t.Context(), p, f)
						if err != nil {
							t.Fatal(err)
						}
						got, err := tryDrain(t.Context(), op)
						if err != nil {
							t.Fatal(err)
						}
						what := fmt.Sprintf("%s p%d: filter %s agg %v top-k %+v limit %d", kind, par, f.Filter.Format(names(randSchema)), f.Agg != nil, f.TopK, f.Limit)
						switch {
						case f.Limit > 0:
							if int64(len(got)) != min(f.Limit, int64(len(want))) {
								t.Errorf("%s: %d rows, want %d", what, len(got), min(f.Limit, int64(len(want))))
							}
							// Every row passes the filter, once.
							ids := map[int64]bool{}
							for _, g := range got {
								if v, _ := refEval(orTrue(f.Filter), g); !v || ids[g[13].(int64)] {
									t.Errorf("%s: row %v", what, g)
								}
								ids[g[13].(int64)] = true
							}
						case ordered:
							sameRows(t, got, want)
						case f.Agg != nil:
							sameRowSet(t, normFloatZeros(got), normFloatZeros(want))
						default:
							sameRowSet(t, got, want)
						}
						if t.Failed() {
							t.Fatal(what)
						}
					}
				}
			}
		})
	}
}

func orTrue(e *Expr) *Expr {
	if e == nil {
		return Bool(true)
	}
	return e
}
