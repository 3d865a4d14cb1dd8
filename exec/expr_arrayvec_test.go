package exec

import (
	"cmp"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// arrayKind is an element type under test: how to draw an element, the
// Arrow type, and how its values compare (PostgreSQL's rules).
type arrayKind struct {
	name string
	dt   arrow.DataType
	dict bool // elements as a dictionary of strings
	draw func(r *rand.Rand) any
	lit  func(v any) *Lit
	cmp  func(a, b any) int
}

var dayUS = int64(86400_000_000)

var arrayKinds = []arrayKind{
	{name: "text", dt: arrow.BinaryTypes.String, draw: func(r *rand.Rand) any { return []string{"a", "b", "prod", "", "A", "é"}[r.IntN(6)] },
		lit: func(v any) *Lit { return &Lit{Kind: LitString, S: v.(string)} }, cmp: func(a, b any) int { return strings.Compare(a.(string), b.(string)) }},
	{name: "text dict", dt: arrow.BinaryTypes.String, dict: true, draw: func(r *rand.Rand) any { return []string{"a", "b", "prod", "", "A", "é"}[r.IntN(6)] },
		lit: func(v any) *Lit { return &Lit{Kind: LitString, S: v.(string)} }, cmp: func(a, b any) int { return strings.Compare(a.(string), b.(string)) }},
	{name: "int4", dt: arrow.PrimitiveTypes.Int32, draw: func(r *rand.Rand) any { return int64(r.IntN(7) - 3) },
		lit: func(v any) *Lit { return &Lit{Kind: LitInt, I: v.(int64)} }, cmp: func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) }},
	{name: "int2", dt: arrow.PrimitiveTypes.Int16, draw: func(r *rand.Rand) any { return int64(r.IntN(5)) },
		lit: func(v any) *Lit { return &Lit{Kind: LitInt, I: v.(int64)} }, cmp: func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) }},
	{name: "int8", dt: arrow.PrimitiveTypes.Int64, draw: func(r *rand.Rand) any { return int64(r.IntN(5)) << 40 },
		lit: func(v any) *Lit { return &Lit{Kind: LitInt, I: v.(int64)} }, cmp: func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) }},
	{name: "float8", dt: arrow.PrimitiveTypes.Float64, draw: func(r *rand.Rand) any {
		return []float64{0, math.Copysign(0, -1), 1.5, -2, math.NaN(), math.Inf(1), math.Inf(-1)}[r.IntN(7)]
	}, lit: func(v any) *Lit { return &Lit{Kind: LitFloat, F: v.(float64)} }, cmp: func(a, b any) int { return CompareFloat(a.(float64), b.(float64)) }},
	{name: "bool", dt: arrow.FixedWidthTypes.Boolean, draw: func(r *rand.Rand) any { return r.IntN(2) == 0 },
		lit: func(v any) *Lit { return &Lit{Kind: LitBool, B: v.(bool)} }, cmp: func(a, b any) int { return cmpBools(a.(bool), b.(bool)) }},
	{name: "date", dt: arrow.FixedWidthTypes.Date32, draw: func(r *rand.Rand) any { return int64(19700 + r.IntN(4)) },
		lit: func(v any) *Lit { return &Lit{Kind: LitTimestamp, I: v.(int64) * dayUS} }, cmp: func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) }},
}

// drawArrays draws n arrays: NULL, empty, or up to 4 elements, some NULL.
func drawArrays(r *rand.Rand, k arrayKind, n int) [][]any {
	out := make([][]any, n)
	for i := range out {
		switch r.IntN(12) {
		case 0:
			out[i] = nil // NULL array
			continue
		case 1:
			out[i] = []any{}
			continue
		}
		a := make([]any, 1+r.IntN(4))
		for j := range a {
			if r.IntN(8) > 0 {
				a[j] = k.draw(r)
			}
		}
		out[i] = a
	}
	return out
}

// buildLists builds a list column of arrays (List or LargeList); the
// result is a slice of a larger array half of the time, so offsets do not
// start at 0.
func buildLists(t testing.TB, r *rand.Rand, mem memory.Allocator, k arrayKind, rows [][]any) arrow.Array {
	et := k.dt
	if k.dict {
		et = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	}
	var lt arrow.DataType = arrow.ListOfField(arrow.Field{Name: "element", Type: et, Nullable: true})
	if r.IntN(2) == 0 {
		lt = arrow.LargeListOfField(arrow.Field{Name: "element", Type: et, Nullable: true})
	}
	pad := 0
	if r.IntN(2) == 0 {
		pad = 1 + r.IntN(3)
	}
	b := array.NewBuilder(mem, lt)
	defer b.Release()
	lb := b.(array.ListLikeBuilder)
	vb := lb.ValueBuilder()
	add := func(a []any, null bool) {
		if null {
			lb.AppendNull()
			return
		}
		lb.Append(true)
		for _, v := range a {
			if v == nil {
				vb.AppendNull()
				continue
			}
			if k.dict {
				if err := vb.(*array.BinaryDictionaryBuilder).AppendString(v.(string)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			appendValue(t, vb, v)
		}
	}
	for range pad {
		add([]any{k.draw(r), nil}, false)
	}
	for _, a := range rows {
		add(a, a == nil)
	}
	for range pad {
		add([]any{k.draw(r)}, false)
	}
	full := b.NewArray()
	if pad == 0 {
		return full
	}
	defer full.Release()
	return array.NewSlice(full, int64(pad), int64(pad+len(rows)))
}

// tfn is three-valued truth as evalPred prints it.
func tfn(v bool, null bool) byte {
	switch {
	case null:
		return 'N'
	case v:
		return 'T'
	}
	return 'F'
}

// refAny is PostgreSQL's x op ANY/ALL (arr).
func refAny(k arrayKind, x any, op Op, all bool, arr []any, isNull bool) byte {
	if isNull {
		return 'N'
	}
	if len(arr) == 0 {
		return tfn(all, false)
	}
	sawNull := x == nil
	for _, e := range arr {
		if e == nil || x == nil {
			sawNull = true
			continue
		}
		if cmpResult(k.cmp(x, e), op) != all {
			return tfn(!all, false)
		}
	}
	if sawNull {
		return 'N'
	}
	return tfn(all, false)
}

// refSet is arr @> c, arr <@ c or arr && c.
func refSet(k arrayKind, op Op, arr []any, isNull bool, c []any) byte {
	if isNull {
		return 'N'
	}
	in := func(v any, set []any) bool {
		if v == nil {
			return false
		}
		for _, s := range set {
			if s != nil && k.cmp(v, s) == 0 {
				return true
			}
		}
		return false
	}
	switch op {
	case OpArrayContains:
		for _, v := range c {
			if !in(v, arr) {
				return 'F'
			}
		}
		return 'T'
	case OpArrayContained:
		for _, v := range arr {
			if !in(v, c) {
				return 'F'
			}
		}
		return 'T'
	}
	for _, v := range arr {
		if in(v, c) {
			return 'T'
		}
	}
	return 'F'
}

// testPred evaluates e over col (as column 0) with a checked allocator and
// returns T/F/N per row, checking that the NULL buffer does not change
// the TRUE rows.
func testPred(t *testing.T, mem memory.Allocator, col arrow.Array, e *Expr) string {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: col.DataType(), Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	p, err := compilePredicate(e, schema)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	n := col.Len()
	out, null, out2 := make([]bool, n), make([]bool, n), make([]bool, n)
	for i := range out {
		out[i], null[i], out2[i] = i%2 == 0, i%3 == 0, i%2 == 1
	}
	if err := p.test(mem, rec, out, null); err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	if err := p.test(mem, rec, out2, nil); err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	var sb strings.Builder
	for i := range out {
		if out[i] != out2[i] || (out[i] && null[i]) {
			t.Fatalf("%s: row %d: out %v/%v null %v", e, i, out[i], out2[i], null[i])
		}
		sb.WriteByte(tfn(out[i], null[i]))
	}
	return sb.String()
}

// TestArrayPredicates: ANY/ALL with every operator, @>, <@ and &&, over
// random arrays of every element type (NULL arrays, NULL elements, empty
// arrays, dictionary elements, sliced lists, random batch sizes) against
// PostgreSQL's rules written out directly.
func TestArrayPredicates(t *testing.T) {
	seed := testSeed(t)
	for _, k := range arrayKinds {
		t.Run(k.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 9))
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			for _, size := range randomSizes(r, 600) {
				rows := drawArrays(r, k, size)
				col := buildLists(t, r, mem, k, rows)
				for _, op := range []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe} {
					for _, all := range []bool{false, true} {
						var x any = k.draw(r)
						xe := &Expr{Op: OpLit, Lit: k.lit(x)}
						if r.IntN(10) == 0 {
							x, xe = nil, Null()
						}
						e := &Expr{Op: OpArrayAny, Str: map[Op]string{OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}[op], All: all, Args: []*Expr{Col(0), xe}}
						got := testPred(t, mem, col, e)
						for i, a := range rows {
							if w := refAny(k, x, op, all, a, a == nil); got[i] != w {
								t.Fatalf("seed %d: %s on %v: %c, want %c", seed, e, a, got[i], w)
							}
						}
					}
				}
				for _, op := range []Op{OpArrayContains, OpArrayContained, OpArrayOverlap} {
					c := make([]any, r.IntN(4))
					lits := make([]*Lit, len(c))
					for j := range c {
						c[j] = k.draw(r)
						lits[j] = k.lit(c[j])
						if r.IntN(12) == 0 {
							c[j], lits[j] = nil, &Lit{Kind: LitNull}
						}
					}
					e := &Expr{Op: op, Args: []*Expr{Col(0)}, Elems: lits}
					got := testPred(t, mem, col, e)
					for i, a := range rows {
						if w := refSet(k, op, a, a == nil, c); got[i] != w {
							t.Fatalf("seed %d: %s on %v: %c, want %c", seed, e, a, got[i], w)
						}
					}
					// NOT and IS NULL compose as for any other predicate.
					if got2 := testPred(t, mem, col, Call(OpNot, e)); len(got2) != len(got) {
						t.Fatal("NOT changed the row count")
					} else {
						for i := range got {
							if w := map[byte]byte{'T': 'F', 'F': 'T', 'N': 'N'}[got[i]]; got2[i] != w {
								t.Fatalf("seed %d: NOT %s row %d: %c, want %c", seed, e, i, got2[i], w)
							}
						}
					}
				}
				isNull := testPred(t, mem, col, Call(OpIsNull, Col(0)))
				for i, a := range rows {
					if w := tfn(a == nil, false); isNull[i] != w {
						t.Fatalf("IS NULL row %d: %c", i, isNull[i])
					}
				}
				col.Release()
			}
		})
	}
}

// TestArrayValues: subscripts and lengths compared as values.
func TestArrayValues(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 10))
	for _, k := range arrayKinds {
		if k.name == "date" || k.name == "text dict" {
			continue // the comparison kernels take no date32 or dictionary element columns
		}
		t.Run(k.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			for _, size := range randomSizes(r, 400) {
				rows := drawArrays(r, k, size)
				col := buildLists(t, r, mem, k, rows)
				idx := int64(r.IntN(6) - 1)
				x := k.draw(r)
				e := cmpE(OpLe, &Expr{Op: OpArrayElem, Args: []*Expr{Col(0)}, Index: idx}, &Expr{Op: OpLit, Lit: k.lit(x)})
				got := testPred(t, mem, col, e)
				for i, a := range rows {
					w := byte('N')
					if a != nil && idx >= 1 && idx <= int64(len(a)) && a[idx-1] != nil {
						w = tfn(k.cmp(a[idx-1], x) <= 0, false)
					}
					if got[i] != w {
						t.Fatalf("seed %d: %s on %v: %c, want %c", seed, e, a, got[i], w)
					}
				}
				for _, fn := range []string{"cardinality", "array_length"} {
					n := int64(r.IntN(4))
					e := cmpE(OpGe, &Expr{Op: OpArrayLength, Str: fn, Args: []*Expr{Col(0)}}, Int(n))
					got := testPred(t, mem, col, e)
					for i, a := range rows {
						w := byte('N')
						if a != nil && (fn == "cardinality" || len(a) > 0) {
							w = tfn(int64(len(a)) >= n, false)
						}
						if got[i] != w {
							t.Fatalf("seed %d: %s on %v: %c, want %c", seed, e, a, got[i], w)
						}
					}
				}
				col.Release()
			}
		})
	}
}

// TestArrayExprEncoding: the new fields travel in the fragment encoding
// and EXPLAIN prints the expressions in SQL.
func TestArrayExprEncoding(t *testing.T) {
	e := Call(OpAnd,
		&Expr{Op: OpArrayAny, Str: "<>", All: true, Args: []*Expr{Col(0), Str("prod")}},
		&Expr{Op: OpArrayContains, Args: []*Expr{Col(0)}, Elems: []*Lit{{Kind: LitString, S: "a"}, {Kind: LitNull}}},
		cmpE(OpEq, &Expr{Op: OpArrayElem, Args: []*Expr{Col(1)}, Index: 2}, Int(5)),
		cmpE(OpGt, &Expr{Op: OpArrayLength, Str: "cardinality", Args: []*Expr{Col(1)}}, Int(1)),
		&Expr{Op: OpInetCmp, Str: "<<", Args: []*Expr{Col(2), Str("10.0.0.0/8")}},
		cmpE(OpEq, &Expr{Op: OpInetFunc, Str: "family", Args: []*Expr{Col(2)}}, Int(4)),
	)
	want := `('prod' <> ALL(tags) AND tags @> ARRAY['a', NULL] AND codes[2] = 5 AND cardinality(codes) > 1 AND ip << '10.0.0.0/8' AND family(ip) = 4)`
	if got := e.Format([]string{"tags", "codes", "ip"}); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	f := &Fragment{Table: "t", Columns: []string{"tags"}, Filter: e}
	b, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	g, err := DecodeFragment(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Filter.Format([]string{"tags", "codes", "ip"}); got != want {
		t.Fatalf("decoded: %s", got)
	}
}
