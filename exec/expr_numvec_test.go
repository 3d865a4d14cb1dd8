package exec

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// drawUnscaled draws an unscaled value of precision p: small values, values
// near the precision limit and a few zeros, either sign.
func drawUnscaled(r *rand.Rand, p int32) *big.Int {
	lim := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	var v *big.Int
	switch r.IntN(4) {
	case 0:
		v = big.NewInt(r.Int64N(2000))
	case 1:
		v = new(big.Int).Sub(lim, big.NewInt(1+r.Int64N(3))) // near ±(10^p - 1)
	case 2:
		v = big.NewInt(0)
	default:
		// Random digits, fewer than p of them.
		var sb strings.Builder
		sb.WriteByte('0')
		for i := r.IntN(int(p)); i > 0; i-- {
			sb.WriteByte(byte('0' + r.IntN(10)))
		}
		v, _ = new(big.Int).SetString(sb.String(), 10)
	}
	if r.IntN(2) == 0 {
		v.Neg(v)
	}
	return v
}

// decArray builds a Decimal128(p,s) array; nil entries are NULLs.
func decArray(mem memory.Allocator, p, s int32, vals []*big.Int) arrow.Array {
	b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: p, Scale: s})
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(decimal128.FromBigInt(v))
		}
	}
	return b.NewArray()
}

// ratOf is v·10^-s.
func ratOf(v *big.Int, s int32) *big.Rat {
	return new(big.Rat).SetFrac(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil))
}

// decText is v·10^-s as text.
func decText(v *big.Int, s int32) string {
	return ratOf(v, s).FloatString(int(s))
}

var numOps = []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe}

// runPred evaluates e over rec and returns T, F or N per row.
func runPred(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch, e *Expr) string {
	t.Helper()
	p, err := compilePredicate(e, rec.Schema())
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	n := int(rec.NumRows())
	out, null := make([]bool, n), make([]bool, n)
	if err := p.test(mem, rec, out, null); err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	var sb strings.Builder
	for i := range out {
		sb.WriteByte(tfn(out[i], null[i]))
	}
	return sb.String()
}

// TestNumericPredicates: a numeric column compared with integer, numeric
// and float constants and with numeric (other scales), integer and float
// columns, every operator, NULLs, values at the precision limit and random
// batch sizes, agrees with exact rational arithmetic (float operands: the
// numeric's correctly rounded float8, PostgreSQL's numeric_float8).
func TestNumericPredicates(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 87))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	for _, size := range randomSizes(r, 600) {
		p1 := int32(1 + r.IntN(38))
		s1 := int32(r.IntN(int(p1) + 1))
		p2 := int32(1 + r.IntN(38))
		s2 := int32(r.IntN(int(p2) + 1))
		av, bv, iv, fv := make([]*big.Int, size), make([]*big.Int, size), make([]*int64, size), make([]*float64, size)
		for i := 0; i < size; i++ {
			if r.IntN(8) > 0 {
				av[i] = drawUnscaled(r, p1)
			}
			if r.IntN(8) > 0 {
				bv[i] = drawUnscaled(r, p2)
				if r.IntN(3) == 0 && av[i] != nil && s1 <= s2 && p2-s2 >= p1-s1 {
					// The same number at the other scale.
					bv[i] = new(big.Int).Mul(av[i], new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s2-s1)), nil))
				}
			}
			if r.IntN(8) > 0 {
				x := r.Int64N(2001) - 1000
				if r.IntN(10) == 0 {
					x = []int64{1<<63 - 1, -1 << 63}[r.IntN(2)]
				}
				iv[i] = &x
			}
			if r.IntN(8) > 0 {
				x := float64(r.Int64N(20001)-10000) / 100
				fv[i] = &x
			}
		}
		a, b := decArray(mem, p1, s1, av), decArray(mem, p2, s2, bv)
		ib, fb := array.NewInt64Builder(mem), array.NewFloat64Builder(mem)
		for i := 0; i < size; i++ {
			if iv[i] == nil {
				ib.AppendNull()
			} else {
				ib.Append(*iv[i])
			}
			if fv[i] == nil {
				fb.AppendNull()
			} else {
				fb.Append(*fv[i])
			}
		}
		ia, fa := ib.NewArray(), fb.NewArray()
		ib.Release()
		fb.Release()
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "a", Type: a.DataType(), Nullable: true}, {Name: "b", Type: b.DataType(), Nullable: true},
			{Name: "i", Type: ia.DataType(), Nullable: true}, {Name: "f", Type: fa.DataType(), Nullable: true},
		}, nil)
		rec := array.NewRecordBatch(schema, []arrow.Array{a, b, ia, fa}, int64(size))
		a.Release()
		b.Release()
		ia.Release()
		fa.Release()

		// A constant of each kind: integer, numeric of a random scale
		// (sometimes beyond the column's range), float.
		ci := r.Int64N(201) - 100
		cs := int32(r.IntN(39))
		cv := drawUnscaled(r, 38-int32(r.IntN(int(38-cs)+1)))
		if len(cv.String()) > 38 {
			cv = big.NewInt(r.Int64N(1000))
		}
		if r.IntN(4) == 0 && len(av) > 0 && av[0] != nil {
			// A constant equal to a value, written at another scale.
			cs = s1 + int32(r.IntN(int(38-s1)+1))
			cv = new(big.Int).Mul(av[0], new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(cs-s1)), nil))
			if len(cv.String()) > 39 {
				cv, cs = av[0], s1
			}
		}
		cf := float64(r.Int64N(2001)-1000) / 8
		for _, op := range numOps {
			type operand struct {
				e   *Expr
				rat func(i int) *big.Rat // exact value, nil for NULL
				flt bool
			}
			colA := func(i int) *big.Rat {
				if av[i] == nil {
					return nil
				}
				return ratOf(av[i], s1)
			}
			others := []operand{
				{Int(ci), func(int) *big.Rat { return new(big.Rat).SetInt64(ci) }, false},
				{Decimal(decText(cv, cs)), func(int) *big.Rat { return ratOf(cv, cs) }, false},
				{Float(cf), func(int) *big.Rat { return new(big.Rat).SetFloat64(cf) }, true},
				{Col(1), func(i int) *big.Rat {
					if bv[i] == nil {
						return nil
					}
					return ratOf(bv[i], s2)
				}, false},
				{Col(2), func(i int) *big.Rat {
					if iv[i] == nil {
						return nil
					}
					return new(big.Rat).SetInt64(*iv[i])
				}, false},
				{Col(3), func(i int) *big.Rat {
					if fv[i] == nil {
						return nil
					}
					return new(big.Rat).SetFloat64(*fv[i])
				}, true},
			}
			for _, o := range others {
				for _, flip := range []bool{false, true} {
					e := Call(op, Col(0), o.e)
					if flip {
						e = Call(flipped[op], o.e, Col(0))
					}
					got := runPred(t, mem, rec, e)
					var want strings.Builder
					for i := 0; i < size; i++ {
						x, y := colA(i), o.rat(i)
						if x == nil || y == nil {
							want.WriteByte('N')
							continue
						}
						if o.flt {
							// float8 comparison: the numeric rounded to float8.
							f, _ := strconv.ParseFloat(decText(av[i], s1), 64)
							x = new(big.Rat).SetFloat64(f)
						}
						want.WriteByte(tfn(cmpResult(x.Cmp(y), op), false))
					}
					if got != want.String() {
						t.Fatalf("seed %d: %s with a numeric(%d,%d), b numeric(%d,%d):\n got %s\nwant %s", seed, e.Format([]string{"a", "b", "i", "f"}), p1, s1, p2, s2, got, want.String())
					}
				}
			}
		}
		// IS NULL, and a NULL constant.
		if got := runPred(t, mem, rec, Call(OpIsNull, Col(0))); strings.Count(got, "T") != countNil(av) {
			t.Fatalf("IS NULL: %s", got)
		}
		if got := runPred(t, mem, rec, Call(OpLt, Col(0), Null())); strings.Trim(got, "N") != "" {
			t.Fatalf("< NULL: %s", got)
		}
		rec.Release()
	}
}

func countNil(v []*big.Int) int {
	n := 0
	for _, x := range v {
		if x == nil {
			n++
		}
	}
	return n
}

// TestNumericLiteralEncoding: EXPLAIN prints a numeric constant as written,
// it survives the fragment's JSON, and a constant beyond 38 digits is not
// supported (the planner keeps such a plan in the row engine).
func TestNumericLiteralEncoding(t *testing.T) {
	e := Call(OpGe, Col(0), Decimal("-12.50"))
	if got := e.Format([]string{"amount"}); got != "amount >= -12.50" {
		t.Fatalf("format: %q", got)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true}}, nil)
	if _, err := compilePredicate(Call(OpEq, Col(0), Decimal("123456789012345678901234567890123456789")), schema); err == nil {
		t.Fatal("a 39-digit constant compiled")
	}
	if _, err := compilePredicate(Call(OpEq, Col(0), Decimal("1.2.3")), schema); err == nil {
		t.Fatal("a malformed constant compiled")
	}
	f := &Fragment{Version: FragmentVersion, Table: "t", Schema: schema, Columns: []string{"a"}, Filter: e}
	b, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	g, err := DecodeFragment(b)
	if err != nil {
		t.Fatal(err)
	}
	if g.Filter.Args[1].Lit.Kind != LitDecimal || g.Filter.Args[1].Lit.S != "-12.50" {
		t.Fatalf("round trip: %s", b)
	}
}

// TestNumericAggregates: sum, min, max and count over numeric arguments,
// grouped by a numeric key (NULL key included), complete and as partial
// aggregations over disjoint inputs merged by a final one, agree with
// exact arithmetic; sum keeps the column's scale and does not overflow
// where 128 bits would.
func TestNumericAggregates(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 88))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	const p, s = 38, 3
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: &arrow.Decimal128Type{Precision: 5, Scale: 1}, Nullable: true},
		{Name: "v", Type: &arrow.Decimal128Type{Precision: p, Scale: s}, Nullable: true},
	}, nil)
	keys := []*big.Int{nil, big.NewInt(15), big.NewInt(-15), big.NewInt(0), big.NewInt(99999)}
	type acc struct {
		sum      *big.Int
		min, max *big.Int
		n, rows  int64
	}
	want := map[string]*acc{}
	var batches []arrow.RecordBatch
	for _, size := range randomSizes(r, 900) {
		kv, vv := make([]*big.Int, size), make([]*big.Int, size)
		for i := range kv {
			kv[i] = keys[r.IntN(len(keys))]
			if r.IntN(6) > 0 {
				vv[i] = drawUnscaled(r, p)
			}
			name := "NULL"
			if kv[i] != nil {
				name = decText(kv[i], 1)
			}
			a := want[name]
			if a == nil {
				a = &acc{sum: new(big.Int)}
				want[name] = a
			}
			a.rows++
			if v := vv[i]; v != nil {
				a.sum.Add(a.sum, v)
				a.n++
				if a.min == nil || v.Cmp(a.min) < 0 {
					a.min = v
				}
				if a.max == nil || v.Cmp(a.max) > 0 {
					a.max = v
				}
			}
		}
		ka, va := decArray(mem, 5, 1, kv), decArray(mem, p, s, vv)
		batches = append(batches, array.NewRecordBatch(schema, []arrow.Array{ka, va}, int64(size)))
		ka.Release()
		va.Release()
	}
	defer releaseAll(batches)
	aggs := []Agg{{Func: AggSum, Arg: Col(1)}, {Func: AggMin, Arg: Col(1)}, {Func: AggMax, Arg: Col(1)},
		{Func: AggCount, Arg: Col(1)}, {Func: AggCountStar}, {Func: AggFirst, Arg: Col(0)}}
	format := func(rows [][]any) []string {
		var out []string
		for _, row := range rows {
			out = append(out, fmt.Sprint(row...))
		}
		slices.Sort(out)
		return out
	}
	var exp [][]any
	for name, a := range want {
		row := []any{name, "NULL", "NULL", "NULL", a.n, a.rows}
		if a.n > 0 {
			row[1], row[2], row[3] = decText(a.sum, s), decText(a.min, s), decText(a.max, s)
		}
		exp = append(exp, row)
	}
	run := func(op Operator) [][]any {
		if err := op.Open(ctx); err != nil {
			t.Fatal(err)
		}
		defer op.Close()
		var rows [][]any
		for {
			rec, err := op.Next(ctx)
			if err != nil {
				break
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				row := make([]any, 0, 6)
				key := "NULL"
				if c := rec.Column(5).(*array.Decimal128); c.IsValid(i) {
					key = c.Value(i).ToString(1)
				}
				row = append(row, key)
				sum := rec.Column(0).(*array.Decimal256)
				if sum.DataType().(*arrow.Decimal256Type).Scale != s {
					t.Fatalf("sum type %s", sum.DataType())
				}
				for c := 0; c < 3; c++ {
					switch x := rec.Column(c).(type) {
					case *array.Decimal256:
						if x.IsNull(i) {
							row = append(row, "NULL")
						} else {
							row = append(row, x.Value(i).ToString(s))
						}
					case *array.Decimal128:
						if x.IsNull(i) {
							row = append(row, "NULL")
						} else {
							row = append(row, x.Value(i).ToString(s))
						}
					}
				}
				row = append(row, rec.Column(3).(*array.Int64).Value(i), rec.Column(4).(*array.Int64).Value(i))
				rows = append(rows, row)
			}
		}
		return rows
	}
	pr := Params{Mem: mem}
	complete, err := NewHashAgg(pr, memScan(t, pr, schema, batches), &AggSpec{Keys: []*Expr{Col(0)}, Aggs: aggs})
	if err != nil {
		t.Fatal(err)
	}
	if got, w := format(run(complete)), format(exp); !slices.Equal(got, w) {
		t.Fatalf("seed %d: complete:\n got %v\nwant %v", seed, got, w)
	}
	// Two partial aggregations over halves, merged by a final one.
	half := len(batches) / 2
	var parts []arrow.RecordBatch
	var partSchema *arrow.Schema
	for _, in := range [][]arrow.RecordBatch{batches[:half], batches[half:]} {
		op, err := NewHashAgg(pr, memScan(t, pr, schema, in), &AggSpec{Keys: []*Expr{Col(0)}, Aggs: aggs, Mode: AggPartial})
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(ctx); err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := op.Next(ctx)
			if err != nil {
				break
			}
			rec.Retain()
			parts = append(parts, rec)
			partSchema = rec.Schema()
		}
		op.Close()
	}
	defer releaseAll(parts)
	final, err := NewHashAgg(pr, memScan(t, pr, partSchema, parts), &AggSpec{Keys: []*Expr{Col(0)}, Aggs: aggs, Mode: AggFinal})
	if err != nil {
		t.Fatal(err)
	}
	if got, w := format(run(final)), format(exp); !slices.Equal(got, w) {
		t.Fatalf("seed %d: partial+final:\n got %v\nwant %v", seed, got, w)
	}
}

// TestNumericTopK: ORDER BY a numeric column, both directions, NULLs
// where PostgreSQL puts them.
func TestNumericTopK(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	vals := []*big.Int{big.NewInt(150), nil, big.NewInt(-325), new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil), big.NewInt(1)), big.NewInt(10), big.NewInt(0)}
	a := decArray(mem, 38, 2, vals)
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: a.DataType(), Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{a}, int64(len(vals)))
	a.Release()
	defer rec.Release()
	pr := Params{Mem: mem}
	for _, tc := range []struct {
		key  SortKey
		want string
	}{
		{SortKey{Col: 0}, "-3.25 0.00 0.10"},
		{SortKey{Col: 0, Desc: true, NullsFirst: true}, "NULL 999999999999999999999999999999999999.99 1.50"},
	} {
		f := &Fragment{Version: FragmentVersion, Table: "t", Schema: schema, Columns: []string{"a"},
			Sources: []Source{{Batches: []arrow.RecordBatch{rec}}}, TopK: &TopKSpec{K: 3, Keys: []SortKey{tc.key}}}
		op, err := Run(ctx, pr, f)
		if err != nil {
			t.Fatal(err)
		}
		rows := drain(t, ctx, op)
		var got []string
		for _, row := range rows {
			if row[0] == nil {
				got = append(got, "NULL")
				continue
			}
			v, _ := new(big.Int).SetString(string(row[0].(dec)), 10)
			got = append(got, decText(v, 2))
		}
		op.Close()
		if strings.Join(got, " ") != tc.want {
			t.Fatalf("%+v: got %v, want %s", tc.key, got, tc.want)
		}
	}
}
