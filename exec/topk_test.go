package exec

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var topSchema = schemaOf(
	field("i", arrow.PrimitiveTypes.Int64),     // 0
	field("s", arrow.BinaryTypes.String),       // 1
	field("f", arrow.PrimitiveTypes.Float64),   // 2
	field("b", arrow.FixedWidthTypes.Boolean),  // 3
	field("ts", tsType),                        // 4
	field("d", dtDate),                         // 5
	field("i16", arrow.PrimitiveTypes.Int16),   // 6
	field("f32", arrow.PrimitiveTypes.Float32), // 7
	field("id", arrow.PrimitiveTypes.Int64),    // 8: row number
	field("i32", arrow.PrimitiveTypes.Int32),   // 9
	field("i8", arrow.PrimitiveTypes.Int8),     // 10
)

// topRows returns rows with many ties, NULLs, NaN and -0.
func topRows(n int) [][]any {
	fs := []any{1.5, nan, negZero, 0.0, nil, -inf, inf, -2.5, 1.5}
	ss := []any{"b", "a", "", nil, "é", "B", "ab", "a"}
	rows := make([][]any, n)
	for i := range rows {
		var iv any = int64((i * 7) % 11)
		if i%10 == 9 {
			iv = nil
		}
		var b any = i%3 == 1
		if i%8 == 0 {
			b = nil
		}
		var tsv any = int64(i%6) * 1000
		if i%9 == 4 {
			tsv = nil
		}
		var d any = int64(i % 4)
		if i%7 == 3 {
			d = nil
		}
		var i16 any = int64(i%5 - 2)
		if i%11 == 0 {
			i16 = nil
		}
		var i32 any = int64(i % 3)
		if i%13 == 2 {
			i32 = nil
		}
		rows[i] = []any{iv, ss[i%len(ss)], fs[i%len(fs)], b, tsv, d, i16, fs[(i+3)%len(fs)], int64(i), i32, int64(i%3 - 1)}
	}
	return rows
}

func runTopK(tb testing.TB, mem memory.Allocator, schema *arrow.Schema, bs []arrow.RecordBatch, spec *TopKSpec) [][]any {
	tb.Helper()
	tk, err := newTopK(spec, schema)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range bs {
		if err := tk.consume(b); err != nil {
			tb.Fatal(err)
		}
	}
	rec, err := tk.result(mem, schema)
	if err != nil {
		tb.Fatal(err)
	}
	defer rec.Release()
	return rowsOf(rec)
}

func topSpecs() map[string]*TopKSpec {
	return map[string]*TopKSpec{
		"int asc":                    {K: 10, Keys: []SortKey{{Col: 0}}},
		"int desc":                   {K: 10, Keys: []SortKey{{Col: 0, Desc: true}}},
		"int asc nulls first":        {K: 10, Keys: []SortKey{{Col: 0, NullsFirst: true}}},
		"int desc nulls first":       {K: 25, Keys: []SortKey{{Col: 0, Desc: true, NullsFirst: true}}},
		"int desc nulls last, big k": {K: 180, Keys: []SortKey{{Col: 0, Desc: true}}},
		"string asc":                 {K: 30, Keys: []SortKey{{Col: 1}}},
		"string desc nulls first":    {K: 30, Keys: []SortKey{{Col: 1, Desc: true, NullsFirst: true}}},
		"float asc":                  {K: 40, Keys: []SortKey{{Col: 2}}},
		"float desc (NaN first)":     {K: 40, Keys: []SortKey{{Col: 2, Desc: true}}},
		"float desc nulls first":     {K: 40, Keys: []SortKey{{Col: 2, Desc: true, NullsFirst: true}}},
		"float32 asc":                {K: 33, Keys: []SortKey{{Col: 7}}},
		"bool asc":                   {K: 20, Keys: []SortKey{{Col: 3}}},
		"bool desc":                  {K: 20, Keys: []SortKey{{Col: 3, Desc: true}}},
		"timestamp desc":             {K: 15, Keys: []SortKey{{Col: 4, Desc: true}}},
		"date asc":                   {K: 15, Keys: []SortKey{{Col: 5}}},
		"int16 asc":                  {K: 15, Keys: []SortKey{{Col: 6}}},
		"int32 desc":                 {K: 15, Keys: []SortKey{{Col: 9, Desc: true}}},
		"int8 asc":                   {K: 15, Keys: []SortKey{{Col: 10}}},
		"two keys":                   {K: 25, Keys: []SortKey{{Col: 1}, {Col: 0, Desc: true}}},
		"three keys":                 {K: 25, Keys: []SortKey{{Col: 3, NullsFirst: true}, {Col: 2}, {Col: 4, Desc: true, NullsFirst: true}}},
		"ties only (i32 then order)": {K: 50, Keys: []SortKey{{Col: 9}}},
		"unique key":                 {K: 7, Keys: []SortKey{{Col: 8, Desc: true}}},
		"k=1":                        {K: 1, Keys: []SortKey{{Col: 2}}},
		"k=0":                        {K: 0, Keys: []SortKey{{Col: 2}}},
		"k larger than input":        {K: 1000, Keys: []SortKey{{Col: 1}, {Col: 2, Desc: true}}},
		"k = MaxTopK":                {K: MaxTopK, Keys: []SortKey{{Col: 0}}},
	}
}

func TestTopK(t *testing.T) {
	rows := topRows(200)
	for name, spec := range topSpecs() {
		for _, sizes := range [][]int{{200}, {1, 17, 0, 82}, {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}} {
			t.Run(fmt.Sprintf("%s/%v", name, sizes), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				bs := mkBatches(t, mem, topSchema, rows, sizes...)
				defer releaseAll(bs)
				got := runTopK(t, mem, topSchema, bs, spec)
				// Ties keep their arrival order.
				sameRows(t, got, refTopK(normRows(rows), spec))
			})
		}
	}
}

// TestTopKExplicit spells out a few orders by hand.
func TestTopKExplicit(t *testing.T) {
	schema := schemaOf(field("f", arrow.PrimitiveTypes.Float64), field("n", arrow.PrimitiveTypes.Int64))
	rows := [][]any{{1.0, 1}, {nan, 2}, {nil, 3}, {negZero, 4}, {-inf, 5}, {0.0, 6}, {inf, 7}, {nan, 8}, {-1.0, 9}}
	tests := []struct {
		key  SortKey
		k    int64
		want []int64 // n in order
	}{
		{SortKey{Col: 0}, 9, []int64{5, 9, 4, 6, 1, 7, 2, 8, 3}},
		{SortKey{Col: 0, NullsFirst: true}, 9, []int64{3, 5, 9, 4, 6, 1, 7, 2, 8}},
		{SortKey{Col: 0, Desc: true}, 9, []int64{2, 8, 7, 1, 4, 6, 9, 5, 3}},
		{SortKey{Col: 0, Desc: true, NullsFirst: true}, 9, []int64{3, 2, 8, 7, 1, 4, 6, 9, 5}},
		{SortKey{Col: 0, Desc: true, NullsFirst: true}, 3, []int64{3, 2, 8}},
		{SortKey{Col: 0}, 4, []int64{5, 9, 4, 6}},
		{SortKey{Col: 1, Desc: true}, 2, []int64{9, 8}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v/k%d", tc.key, tc.k), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			bs := mkBatches(t, mem, schema, rows, 2, 2, 2)
			defer releaseAll(bs)
			got := runTopK(t, mem, schema, bs, &TopKSpec{K: tc.k, Keys: []SortKey{tc.key}})
			var ns []int64
			for _, r := range got {
				ns = append(ns, r[1].(int64))
			}
			if fmt.Sprint(ns) != fmt.Sprint(tc.want) {
				t.Errorf("order %v, want %v", ns, tc.want)
			}
		})
	}
}

// TestTopKMerge checks that merging two top-k states equals one over all
// the input, ties included (the first state's rows arrived first).
func TestTopKMerge(t *testing.T) {
	rows := topRows(150)
	for name, spec := range topSpecs() {
		for _, split := range []int{0, 1, 70, 150} {
			t.Run(fmt.Sprintf("%s/split%d", name, split), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				left := mkBatches(t, mem, topSchema, rows[:split], 30)
				right := mkBatches(t, mem, topSchema, rows[split:], 30)
				defer releaseAll(left)
				defer releaseAll(right)
				a, err := newTopK(spec, topSchema)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := newTopK(spec, topSchema)
				for _, r := range left {
					if err := a.consume(r); err != nil {
						t.Fatal(err)
					}
				}
				for _, r := range right {
					if err := b.consume(r); err != nil {
						t.Fatal(err)
					}
				}
				a.merge(b)
				b.release()
				rec, err := a.result(mem, topSchema)
				if err != nil {
					t.Fatal(err)
				}
				defer rec.Release()
				sameRows(t, rowsOf(rec), refTopK(normRows(rows), spec))
			})
		}
	}
}

// TestTopKRelease checks that a top-k abandoned before its result
// releases the batches it holds.
func TestTopKRelease(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	bs := mkBatches(t, mem, topSchema, topRows(100), 10)
	tk, err := newTopK(&TopKSpec{K: 5, Keys: []SortKey{{Col: 8, Desc: true}}}, topSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if err := tk.consume(b); err != nil {
			t.Fatal(err)
		}
	}
	releaseAll(bs)
	tk.release()
}

func TestTopKErrors(t *testing.T) {
	dec := &arrow.Decimal128Type{Precision: 10, Scale: 2}
	schema := schemaOf(field("i", arrow.PrimitiveTypes.Int64), field("d", dec), field("l", ListType))
	tests := []struct {
		name        string
		spec        TopKSpec
		unsupported bool
	}{
		{"negative k", TopKSpec{K: -1, Keys: []SortKey{{Col: 0}}}, true},
		{"k over MaxTopK", TopKSpec{K: MaxTopK + 1, Keys: []SortKey{{Col: 0}}}, true},
		{"list key", TopKSpec{K: 1, Keys: []SortKey{{Col: 2}}}, true},
		{"column out of range", TopKSpec{K: 1, Keys: []SortKey{{Col: 3}}}, false},
		{"negative column", TopKSpec{K: 1, Keys: []SortKey{{Col: -1}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newTopK(&tc.spec, schema)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
				t.Errorf("%v: unsupported=%v, want %v", err, got, tc.unsupported)
			}
		})
	}
}
