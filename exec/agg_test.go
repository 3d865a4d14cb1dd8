package exec

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// aggSchema is the table of the aggregation tests.
var aggSchema = schemaOf(
	field("k_i", arrow.PrimitiveTypes.Int64),     // 0
	field("k_s", arrow.BinaryTypes.String),       // 1
	field("k_f", arrow.PrimitiveTypes.Float64),   // 2
	field("k_b", arrow.FixedWidthTypes.Boolean),  // 3
	field("k_ts", tsType),                        // 4
	field("v_i64", arrow.PrimitiveTypes.Int64),   // 5
	field("v_i32", arrow.PrimitiveTypes.Int32),   // 6
	field("v_i16", arrow.PrimitiveTypes.Int16),   // 7
	field("v_i8", arrow.PrimitiveTypes.Int8),     // 8
	field("v_f64", arrow.PrimitiveTypes.Float64), // 9
	field("v_f32", arrow.PrimitiveTypes.Float32), // 10
	field("v_s", arrow.BinaryTypes.String),       // 11
	field("v_ts", tsType),                        // 12
	field("v_b", arrow.FixedWidthTypes.Boolean),  // 13
	field("v_d", dtDate),                         // 14
	field("k_f32", arrow.PrimitiveTypes.Float32), // 15
)

// aggRows returns n deterministic rows with NULLs, -0, NaN and extreme
// values spread over the columns.
func aggRows(n int) [][]any {
	kf := []any{0.0, negZero, nan, 1.5, nil, -2.25, math.Float64frombits(0x7ff8000000000abc), math.Copysign(nan, -1)}
	ks := []any{"a", "b", "", nil, "é", "ab", "a\x00"}
	f64 := []any{1.25, -0.5, nan, nil, 1e300, -1e300, inf, 0.0, negZero, 3.0}
	f32 := []any{1.25, -0.5, nan, nil, 65504.0, 0.0, negZero}
	strs := []any{"x", "", "yy", nil, "z", "é", "Z", "xx"}
	i64 := []any{int64(math.MaxInt64), int64(math.MinInt64), int64(1), int64(-1), nil, int64(0), int64(1 << 40), int64(-7)}
	rows := make([][]any, n)
	for i := range rows {
		var ki any = int64(i % 5)
		if i%13 == 4 {
			ki = nil
		}
		var kb any = i%3 == 0
		if i%7 == 5 {
			kb = nil
		}
		var kts any = int64(i%4) * 3_600_000_000
		if i%11 == 10 {
			kts = nil
		}
		var vb any = i%4 < 2
		if i%5 == 2 {
			vb = nil
		}
		var vi32 any = int64(math.MaxInt32 - i%3)
		if i%6 == 1 {
			vi32 = int64(math.MinInt32 + i%2)
		}
		if i%9 == 8 {
			vi32 = nil
		}
		var vi16 any = int64(i%200 - 100)
		if i%10 == 3 {
			vi16 = nil
		}
		var vi8 any = int64(int8(i * 37))
		if i%8 == 7 {
			vi8 = nil
		}
		var vts any = int64(i)*1_000_003 - 50_000_000
		if i%12 == 6 {
			vts = nil
		}
		var vd any = int64(i%40 - 20)
		if i%15 == 14 {
			vd = nil
		}
		rows[i] = []any{ki, ks[i%len(ks)], kf[i%len(kf)], kb, kts, i64[i%len(i64)], vi32, vi16, vi8, f64[i%len(f64)], f32[(i/2)%len(f32)], strs[(i/3)%len(strs)], vts, vb, vd, f32[i%len(f32)]}
	}
	return rows
}

// allAggs returns every aggregate that applies to each value column.
func allAggs() []Agg {
	aggs := []Agg{{Func: AggCountStar}}
	for c := 0; c < aggSchema.NumFields(); c++ {
		dt := aggSchema.Field(c).Type
		arg := Col(c)
		aggs = append(aggs, Agg{Func: AggCount, Arg: arg}, Agg{Func: AggMin, Arg: arg}, Agg{Func: AggMax, Arg: arg},
			Agg{Func: AggFirst, Arg: arg}, Agg{Func: AggCountDistinct, Arg: arg})
		switch dt.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64:
			aggs = append(aggs, Agg{Func: AggSum, Arg: arg}, Agg{Func: AggList, Arg: arg})
		}
	}
	return aggs
}

// runHashAgg aggregates bs with a HashAgg over a scan.
func runHashAgg(tb testing.TB, p Params, schema *arrow.Schema, bs []arrow.RecordBatch, spec *AggSpec) [][]any {
	tb.Helper()
	h, err := NewHashAgg(p, memScan(tb, p, schema, bs), spec)
	if err != nil {
		tb.Fatal(err)
	}
	return drain(tb, tb.Context(), h)
}

func TestHashAgg(t *testing.T) {
	rows := aggRows(300)
	nrows := normRows(rows)
	keySets := map[string][]*Expr{
		"no keys":         nil,
		"int key":         {Col(0)},
		"string key":      {Col(1)},
		"float key":       {Col(2)},
		"float32 key":     {Col(15)},
		"bool key":        {Col(3)},
		"timestamp key":   {Col(4)},
		"date key":        {Col(14)},
		"int16 key":       {Col(7)},
		"string,int keys": {Col(1), Col(0)},
		"float,bool keys": {Col(2), Col(3)},
		"three keys":      {Col(3), Col(1), Col(4)},
		"date_trunc key":  {&Expr{Op: OpDateTrunc, Str: "minute", Args: []*Expr{Col(12)}}},
	}
	for name, keys := range keySets {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			bs := mkBatches(t, mem, aggSchema, rows, 1, 99, 0, 57, 100)
			defer releaseAll(bs)
			spec := &AggSpec{Keys: keys, Aggs: allAggs()}
			got := runHashAgg(t, p, aggSchema, bs, spec)
			// Groups come out in order of first appearance, like the
			// reference.
			sameRows(t, got, refAgg(spec, nrows))
		})
	}
}

func TestHashAggSchema(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem}
	spec := &AggSpec{Keys: []*Expr{Col(1)}, Aggs: []Agg{
		{Func: AggCountStar}, {Func: AggCount, Arg: Col(11)}, {Func: AggSum, Arg: Col(5)}, {Func: AggSum, Arg: Col(8)},
		{Func: AggSum, Arg: Col(10)}, {Func: AggMin, Arg: Col(12)}, {Func: AggMax, Arg: Col(10)}, {Func: AggFirst, Arg: Col(14)},
		{Func: AggCountDistinct, Arg: Col(11)}, {Func: AggList, Arg: Col(7)},
	}}
	h, err := NewHashAgg(p, memScan(t, p, aggSchema, nil), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	want := []arrow.DataType{
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, SumIntType, SumIntType,
		arrow.PrimitiveTypes.Float64, tsType, arrow.PrimitiveTypes.Float32, dtDate,
		arrow.PrimitiveTypes.Int64, ListType,
	}
	if h.Schema().NumFields() != len(want) {
		t.Fatalf("schema %s", h.Schema())
	}
	for i, dt := range want {
		if f := h.Schema().Field(i); !arrow.TypeEqual(f.Type, dt) || !f.Nullable {
			t.Errorf("field %d: %s, want nullable %s", i, f, dt)
		}
	}
}

func bigSum(vs ...int64) dec {
	s := new(big.Int)
	for _, v := range vs {
		s.Add(s, big.NewInt(v))
	}
	return decOf(s)
}

// TestAggSumExact checks that integer sums are exact past int64.
func TestAggSumExact(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	pointOne, pointTwo := 0.1, 0.2 // added at run time, as the executor does
	schema := schemaOf(field("k", arrow.BinaryTypes.String), field("v", arrow.PrimitiveTypes.Int64),
		field("v32", arrow.PrimitiveTypes.Int32), field("v8", arrow.PrimitiveTypes.Int8), field("f", arrow.PrimitiveTypes.Float64))
	rows := [][]any{
		{"over", int64(maxI), int64(math.MaxInt32), int64(127), 1.5},
		{"over", int64(maxI), int64(math.MaxInt32), int64(127), 2.5},
		{"over", int64(1), int64(math.MaxInt32), nil, nil},
		{"under", int64(minI), int64(math.MinInt32), int64(-128), -1.0},
		{"under", int64(minI), int64(math.MinInt32), int64(-128), -1e308},
		{"under", int64(minI), nil, int64(-128), -1e308},
		{"mixed", int64(maxI), int64(-5), int64(5), 0.1},
		{"mixed", int64(minI), int64(3), int64(-6), 0.2},
		{"mixed", int64(-1), nil, nil, nil},
		{"back", int64(maxI), int64(0), int64(0), inf},
		{"back", int64(maxI), int64(0), int64(0), -inf},
		{"back", int64(minI), int64(0), int64(0), 1},
		{"back", int64(minI), int64(0), int64(0), 1},
		{"nulls", nil, nil, nil, nil},
		{"nan", int64(0), int64(0), int64(0), nan},
		{"nan", int64(0), int64(0), int64(0), 1},
	}
	tests := []struct {
		name  string
		sizes []int
	}{{"one batch", nil}, {"batches of 1", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}, {"batches of 2 and 3", []int{2, 3, 2, 3, 2, 3}}}
	want := [][]any{
		{"over", bigSum(maxI, maxI, 1), bigSum(math.MaxInt32, math.MaxInt32, math.MaxInt32), dec("254"), 4.0, int64(3)},
		{"under", bigSum(minI, minI, minI), bigSum(math.MinInt32, math.MinInt32), dec("-384"), -inf, int64(3)},
		{"mixed", dec("-2"), dec("-2"), dec("-1"), pointOne + pointTwo, int64(3)},
		{"back", dec("-2"), dec("0"), dec("0"), nan, int64(4)},
		{"nulls", nil, nil, nil, nil, int64(1)},
		{"nan", dec("0"), dec("0"), dec("0"), nan, int64(2)},
	}
	if want[0][1] != dec("18446744073709551615") || want[1][1] != dec("-27670116110564327424") {
		t.Fatalf("test arithmetic: %v %v", want[0][1], want[1][1])
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			bs := mkBatches(t, mem, schema, rows, tc.sizes...)
			defer releaseAll(bs)
			spec := &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{
				{Func: AggFirst, Arg: Col(0)}, {Func: AggSum, Arg: Col(1)}, {Func: AggSum, Arg: Col(2)},
				{Func: AggSum, Arg: Col(3)}, {Func: AggSum, Arg: Col(4)}, {Func: AggCountStar},
			}}
			got := runHashAgg(t, p, schema, bs, spec)
			sameRows(t, got, want)
		})
	}
}

// TestAggFloatKeys checks that -0 and 0 are one group, and all NaNs
// (whatever their sign and payload) another, as in PostgreSQL.
func TestAggFloatKeys(t *testing.T) {
	nan2 := math.Float64frombits(0x7ff8000000000002)
	negNaN := math.Copysign(nan, -1)
	schema := schemaOf(field("f", arrow.PrimitiveTypes.Float64), field("g", arrow.PrimitiveTypes.Float32), field("n", arrow.PrimitiveTypes.Int64))
	rows := [][]any{
		{0.0, 0.0, 1}, {negZero, negZero, 2}, {nan, nan, 3}, {nan2, nan2, 4}, {1.5, 1.5, 5},
		{nil, nil, 6}, {negZero, negZero, 7}, {nil, nil, 8}, {negNaN, negNaN, 9},
	}
	for c, name := range []string{"float64", "float32"} {
		for _, keys := range [][]*Expr{{Col(c)}, {Col(c), Col(c)}} {
			t.Run(fmt.Sprintf("%s/%d keys", name, len(keys)), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				p := Params{Mem: mem}
				bs := mkBatches(t, mem, schema, rows, 3, 3)
				defer releaseAll(bs)
				spec := &AggSpec{Keys: keys, Aggs: []Agg{{Func: AggCountStar}, {Func: AggMin, Arg: Col(2)}, {Func: AggMax, Arg: Col(2)}}}
				got := runHashAgg(t, p, schema, bs, spec)
				want := [][]any{
					{int64(3), int64(1), int64(7)}, // 0, -0, -0
					{int64(3), int64(3), int64(9)}, // NaNs
					{int64(1), int64(5), int64(5)}, // 1.5
					{int64(2), int64(6), int64(8)}, // NULL
				}
				sameRows(t, got, want)
			})
		}
	}
	t.Run("count_distinct, min, max", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(&Pool{Poison: true})
		defer mem.AssertSize(t, 0)
		p := Params{Mem: mem}
		bs := mkBatches(t, mem, schema, rows)
		defer releaseAll(bs)
		spec := &AggSpec{Aggs: []Agg{
			{Func: AggCountDistinct, Arg: Col(0)}, {Func: AggCountDistinct, Arg: Col(1)},
			{Func: AggMin, Arg: Col(0)}, {Func: AggMax, Arg: Col(0)}, {Func: AggMax, Arg: Col(1)},
		}}
		got := runHashAgg(t, p, schema, bs, spec)
		// 0 = -0, all NaNs equal: {0, NaN, 1.5}. min is 0 (the first
		// of the equal zeros), max is NaN.
		sameRows(t, got, [][]any{{int64(3), int64(3), 0.0, nan, nan}})
	})
}

// TestAggNullKeys checks that NULL keys form their own group, distinct
// from the empty string and from 0.
func TestAggNullKeys(t *testing.T) {
	schema := schemaOf(field("s", arrow.BinaryTypes.String), field("i", arrow.PrimitiveTypes.Int64),
		field("s2", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	rows := [][]any{
		{"a", 0, "bc", 1},
		{nil, nil, "c", 2},
		{"", 0, "", 3},
		{"a", nil, "bc", 4},
		{nil, 0, nil, 5},
		{"", nil, nil, 6},
		{"ab", 1, "c", 7},
		{nil, nil, "", 8},
	}
	tests := []struct {
		name string
		keys []*Expr
		want [][]any // count(*), min(n), max(n)
	}{
		{"string", []*Expr{Col(0)}, [][]any{{2, 1, 4}, {3, 2, 8}, {2, 3, 6}, {1, 7, 7}}},
		{"int", []*Expr{Col(1)}, [][]any{{3, 1, 5}, {4, 2, 8}, {1, 7, 7}}},
		{"string,int", []*Expr{Col(0), Col(1)}, [][]any{{1, 1, 1}, {2, 2, 8}, {1, 3, 3}, {1, 4, 4}, {1, 5, 5}, {1, 6, 6}, {1, 7, 7}}},
		// ("a","bc") and ("ab","c") must not collide.
		{"string,string", []*Expr{Col(0), Col(2)}, [][]any{{2, 1, 4}, {1, 2, 2}, {1, 3, 3}, {1, 5, 5}, {1, 6, 6}, {1, 7, 7}, {1, 8, 8}}},
		{"int,string", []*Expr{Col(1), Col(2)}, [][]any{{1, 1, 1}, {1, 2, 2}, {1, 3, 3}, {1, 4, 4}, {1, 5, 5}, {1, 6, 6}, {1, 7, 7}, {1, 8, 8}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			bs := mkBatches(t, mem, schema, rows, 3)
			defer releaseAll(bs)
			spec := &AggSpec{Keys: tc.keys, Aggs: []Agg{{Func: AggCountStar}, {Func: AggMin, Arg: Col(3)}, {Func: AggMax, Arg: Col(3)}}}
			got := runHashAgg(t, p, schema, bs, spec)
			sameRows(t, got, normRows(tc.want))
		})
	}
}

// TestAggMinMaxTypes checks min, max and first on every supported type.
func TestAggMinMaxTypes(t *testing.T) {
	tests := []struct {
		dt       arrow.DataType
		vals     []any
		min, max any
	}{
		{arrow.PrimitiveTypes.Int8, []any{nil, 5, -128, 127, 0}, int64(-128), int64(127)},
		{arrow.PrimitiveTypes.Int16, []any{3, nil, -32768, 32767}, int64(-32768), int64(32767)},
		{arrow.PrimitiveTypes.Int32, []any{7, math.MinInt32, nil, math.MaxInt32}, int64(math.MinInt32), int64(math.MaxInt32)},
		{arrow.PrimitiveTypes.Int64, []any{int64(math.MaxInt64), int64(math.MinInt64), nil}, int64(math.MinInt64), int64(math.MaxInt64)},
		{arrow.PrimitiveTypes.Float32, []any{1.5, -inf, nil, 2.0}, -inf, 2.0},
		{arrow.PrimitiveTypes.Float64, []any{1.5, nan, -1e300, nil}, -1e300, nan},
		{arrow.PrimitiveTypes.Float64, []any{inf, -inf}, -inf, inf},
		{arrow.BinaryTypes.String, []any{"b", "a", nil, "é", "B", ""}, "", "é"},
		{arrow.BinaryTypes.String, []any{"ab", "a", "abc"}, "a", "abc"},
		{tsType, []any{int64(5), nil, int64(-5), int64(1e15)}, int64(-5), int64(1e15)},
		{dtDate, []any{int64(19000), int64(-1), nil}, int64(-1), int64(19000)},
		{arrow.FixedWidthTypes.Boolean, []any{true, nil, false}, false, true},
		{arrow.FixedWidthTypes.Boolean, []any{true, true}, true, true},
		{arrow.BinaryTypes.String, []any{nil, nil}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s%v", tc.dt, tc.vals), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			schema := schemaOf(field("v", tc.dt))
			rows := make([][]any, len(tc.vals))
			for i, v := range tc.vals {
				rows[i] = []any{v}
			}
			bs := mkBatches(t, mem, schema, rows, 1, 2)
			defer releaseAll(bs)
			spec := &AggSpec{Aggs: []Agg{{Func: AggMin, Arg: Col(0)}, {Func: AggMax, Arg: Col(0)}, {Func: AggFirst, Arg: Col(0)}}}
			got := runHashAgg(t, p, schema, bs, spec)
			sameRows(t, got, [][]any{{tc.min, tc.max, normRow(tc.vals[:1])[0]}})
		})
	}
}

// TestAggEmptyInput checks that an aggregation without keys returns one
// row over no rows, and a grouped one none.
func TestAggEmptyInput(t *testing.T) {
	aggs := []Agg{
		{Func: AggCountStar}, {Func: AggCount, Arg: Col(5)}, {Func: AggSum, Arg: Col(5)}, {Func: AggSum, Arg: Col(9)},
		{Func: AggMin, Arg: Col(11)}, {Func: AggMax, Arg: Col(9)}, {Func: AggFirst, Arg: Col(12)},
		{Func: AggCountDistinct, Arg: Col(1)}, {Func: AggList, Arg: Col(7)},
	}
	want := [][]any{{int64(0), int64(0), nil, nil, nil, nil, nil, int64(0), nil}}
	for _, tc := range []struct {
		name  string
		input func(memory.Allocator) []arrow.RecordBatch
	}{
		{"no batches", func(memory.Allocator) []arrow.RecordBatch { return nil }},
		{"empty batches", func(mem memory.Allocator) []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(t, mem, aggSchema, nil), mkBatch(t, mem, aggSchema, nil)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			bs := tc.input(mem)
			defer releaseAll(bs)
			got := runHashAgg(t, p, aggSchema, bs, &AggSpec{Aggs: aggs})
			sameRows(t, got, want)
			if got := runHashAgg(t, p, aggSchema, bs, &AggSpec{Keys: []*Expr{Col(1)}, Aggs: aggs}); len(got) != 0 {
				t.Errorf("grouped aggregation over no rows: %v", got)
			}
		})
	}
	t.Run("everything filtered out", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(&Pool{Poison: true})
		defer mem.AssertSize(t, 0)
		p := Params{Mem: mem}
		bs := mkBatches(t, mem, aggSchema, aggRows(50), 20)
		defer releaseAll(bs)
		f, err := NewFilter(p, memScan(t, p, aggSchema, bs), Bool(false))
		if err != nil {
			t.Fatal(err)
		}
		h, err := NewHashAgg(p, f, &AggSpec{Aggs: aggs})
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, drain(t, t.Context(), h), want)
	})
}

// TestAggListOrder checks that list keeps every value in input order,
// NULLs included, as float8.
func TestAggListOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem}
	schema := schemaOf(field("k", arrow.PrimitiveTypes.Int64), field("v", arrow.PrimitiveTypes.Int32), field("f", arrow.PrimitiveTypes.Float32))
	rows := [][]any{{1, 10, 0.5}, {2, nil, nil}, {1, nil, 1.5}, {1, -3, nil}, {2, 7, 2.5}, {3, nil, nil}}
	bs := mkBatches(t, mem, schema, rows, 2, 2)
	defer releaseAll(bs)
	got := runHashAgg(t, p, schema, bs, &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggList, Arg: Col(1)}, {Func: AggList, Arg: Col(2)}}})
	sameRows(t, got, [][]any{
		{[]any{10.0, nil, -3.0}, []any{0.5, 1.5, nil}},
		{[]any{nil, 7.0}, []any{nil, 2.5}},
		{[]any{nil}, []any{nil}},
	})
}

// TestAggMerge checks that merging two tables equals one table over all
// the input, whatever the split.
func TestAggMerge(t *testing.T) {
	rows := aggRows(200)
	// Float sums are compared exactly, so keep to values whose sums do not
	// depend on the order of additions.
	for _, r := range rows {
		if f, ok := r[9].(float64); ok && (math.Abs(f) > 1e10 && !math.IsInf(f, 0)) {
			r[9] = 2.0
		}
	}
	specs := map[string]*AggSpec{
		"no keys":     {Aggs: allAggs()},
		"int key":     {Keys: []*Expr{Col(0)}, Aggs: allAggs()},
		"string key":  {Keys: []*Expr{Col(1)}, Aggs: allAggs()},
		"float key":   {Keys: []*Expr{Col(2)}, Aggs: allAggs()},
		"two keys":    {Keys: []*Expr{Col(1), Col(3)}, Aggs: allAggs()},
		"bool key":    {Keys: []*Expr{Col(3)}, Aggs: allAggs()},
		"only counts": {Keys: []*Expr{Col(4)}, Aggs: []Agg{{Func: AggCountStar}}},
	}
	for name, spec := range specs {
		for _, split := range []int{0, 1, 77, 199, 200} {
			t.Run(fmt.Sprintf("%s/split%d", name, split), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				p := Params{Mem: mem}
				left := mkBatches(t, mem, aggSchema, rows[:split], 50)
				right := mkBatches(t, mem, aggSchema, rows[split:], 50)
				defer releaseAll(left)
				defer releaseAll(right)
				one := newTable(t, p, spec, append(append([]arrow.RecordBatch{}, left...), right...))
				a := newTable(t, p, spec, left)
				b := newTable(t, p, spec, right)
				if err := a.merge(b); err != nil {
					t.Fatal(err)
				}
				want := tableRows(t, one)
				got := tableRows(t, a)
				sameRows(t, got, want)
				sameRows(t, got, refAgg(spec, normRows(rows)))
			})
		}
	}
}

func newTable(tb testing.TB, p Params, spec *AggSpec, bs []arrow.RecordBatch) *aggTable {
	tb.Helper()
	t, err := newAggTable(p, spec, aggSchema)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range bs {
		if err := t.consume(b); err != nil {
			tb.Fatal(err)
		}
	}
	return t
}

func tableRows(tb testing.TB, t *aggTable) [][]any {
	tb.Helper()
	rec, err := t.result(t.schema())
	if err != nil {
		tb.Fatal(err)
	}
	defer rec.Release()
	return rowsOf(rec)
}

func TestAggMemoryLimit(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("k", arrow.PrimitiveTypes.Int64), field("s", arrow.BinaryTypes.String))
	rows := make([][]any, 5000)
	for i := range rows {
		rows[i] = []any{int64(i), fmt.Sprint(i)}
	}
	bs := mkBatches(t, mem, schema, rows, 1000)
	defer releaseAll(bs)
	for _, key := range []int{0, 1} {
		p := Params{Mem: mem, MemoryLimit: 10_000}
		h, err := NewHashAgg(p, memScan(t, p, schema, bs), &AggSpec{Keys: []*Expr{Col(key)}, Aggs: []Agg{{Func: AggCountStar}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tryDrain(t.Context(), h); !errors.Is(err, ErrMemoryLimit) {
			t.Errorf("key %d: %v, want ErrMemoryLimit", key, err)
		}
		// Within the limit.
		p.MemoryLimit = 100 << 20
		h, err = NewHashAgg(p, memScan(t, p, schema, bs), &AggSpec{Keys: []*Expr{Col(key)}, Aggs: []Agg{{Func: AggCountStar}}})
		if err != nil {
			t.Fatal(err)
		}
		if rows, err := tryDrain(t.Context(), h); err != nil || len(rows) != 5000 {
			t.Errorf("key %d: %d rows, %v", key, len(rows), err)
		}
	}
}

func TestAggErrors(t *testing.T) {
	dec := &arrow.Decimal128Type{Precision: 10, Scale: 2}
	schema := schemaOf(field("s", arrow.BinaryTypes.String), field("d", dec), field("i", arrow.PrimitiveTypes.Int64), field("b", arrow.FixedWidthTypes.Boolean),
		field("l", arrow.ListOf(arrow.PrimitiveTypes.Int64)))
	tests := []struct {
		name        string
		spec        AggSpec
		unsupported bool
	}{
		{"sum of string", AggSpec{Aggs: []Agg{{Func: AggSum, Arg: Col(0)}}}, true},
		{"sum of bool", AggSpec{Aggs: []Agg{{Func: AggSum, Arg: Col(3)}}}, true},
		{"list of string", AggSpec{Aggs: []Agg{{Func: AggList, Arg: Col(0)}}}, true},
		{"count distinct of list", AggSpec{Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(4)}}}, true}, // decimal: agg_numdistinct_test.go
		{"unknown aggregate", AggSpec{Aggs: []Agg{{Func: "median", Arg: Col(2)}}}, true},
		{"key expression", AggSpec{Keys: []*Expr{cmpE(OpEq, Col(2), Int(1))}, Aggs: []Agg{{Func: AggCountStar}}}, true},
		{"missing argument", AggSpec{Aggs: []Agg{{Func: AggSum}}}, false},
		{"column out of range", AggSpec{Aggs: []Agg{{Func: AggCount, Arg: Col(9)}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHashAgg(Params{}, memScan(t, Params{}, schema, nil), &tc.spec)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
				t.Errorf("%v: unsupported=%v, want %v", err, got, tc.unsupported)
			}
		})
	}
}

// TestHashAggOperatorContract checks Next after the result and
// idempotent Open and Close.
func TestHashAggOperatorContract(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem}
	bs := mkBatches(t, mem, aggSchema, aggRows(20), 7)
	defer releaseAll(bs)
	h, err := NewHashAgg(p, memScan(t, p, aggSchema, bs), &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 2 {
		if err := h.Open(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := h.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec.NumRows() != 6 {
		t.Errorf("%d groups, want 6", rec.NumRows())
	}
	for range 2 {
		if _, err := h.Next(ctx); err != io.EOF {
			t.Errorf("Next after the result: %v", err)
		}
	}
	for range 2 {
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
