package exec

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// arithCase is a random arithmetic expression with its expected values
// (nil: NULL) and result type (fits false: refused, beyond 38 digits).
type arithCase struct {
	e    *Expr
	want func(row int) *big.Rat
	p, s int32
	fits bool
}

// arithLeaves are the columns of TestNumericArithmetic's batches.
type arithLeaves struct {
	p, s [2]int32
	dec  [2][]*big.Int // two numeric columns
	ints []*int64      // an int64 column
}

// drawBounded is drawUnscaled kept below 10^p in magnitude, as every
// value of a numeric(p,s) column is.
func drawBounded(r *rand.Rand, p int32) *big.Int {
	v := drawUnscaled(r, p)
	lim := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	return v.Rem(v, lim)
}

func drawArith(r *rand.Rand, lv *arithLeaves, depth int) arithCase {
	if depth == 0 || r.IntN(3) == 0 {
		switch k := r.IntN(6); k {
		case 0, 1:
			p, s, vals := lv.p[k], lv.s[k], lv.dec[k]
			return arithCase{e: Col(k), p: p, s: s, fits: true, want: func(i int) *big.Rat {
				if vals[i] == nil {
					return nil
				}
				return ratOf(vals[i], s)
			}}
		case 2:
			return arithCase{e: Col(2), p: 19, fits: true, want: func(i int) *big.Rat {
				if lv.ints[i] == nil {
					return nil
				}
				return new(big.Rat).SetInt64(*lv.ints[i])
			}}
		case 3:
			c := r.Int64N(2001) - 1000
			if r.IntN(8) == 0 {
				c = []int64{1<<63 - 1, -1 << 63}[r.IntN(2)]
			}
			p := int32(len(strings.TrimPrefix(fmt.Sprint(c), "-")))
			return arithCase{e: Int(c), p: p, fits: true, want: func(int) *big.Rat { return new(big.Rat).SetInt64(c) }}
		default:
			// A numeric constant such as -12.50 or 0.005 (trailing zeros
			// count in its scale, as in PostgreSQL).
			ip := fmt.Sprint(r.IntN([]int{1, 100, 100000}[r.IntN(3)]))
			fs := r.IntN(6)
			var fb strings.Builder
			for range fs {
				fb.WriteByte(byte('0' + r.IntN(10)))
			}
			text := ip
			if fs > 0 || r.IntN(2) == 0 {
				text += "." + fb.String()
			}
			if r.IntN(2) == 0 {
				text = "-" + text
			}
			v, s, err := parseDecimal(text)
			if err != nil {
				panic(err)
			}
			d := digits(v)
			rat := ratOf(v.BigInt(), s)
			return arithCase{e: Decimal(text), p: max(d, s), s: s, fits: true, want: func(int) *big.Rat { return rat }}
		}
	}
	ops := []Op{OpNumAdd, OpNumSub, OpNumMul, OpNumNeg, OpNumAbs}
	op := ops[r.IntN(len(ops))]
	a := drawArith(r, lv, depth-1)
	if op == OpNumNeg || op == OpNumAbs {
		if a.e.Op == OpLit {
			return a
		}
		dt, ok := NumArithType(op, a.p, a.s, 0, 0)
		c := arithCase{e: Call(op, a.e), fits: a.fits && ok, want: func(i int) *big.Rat {
			x := a.want(i)
			if x == nil {
				return nil
			}
			if op == OpNumNeg {
				return new(big.Rat).Neg(x)
			}
			return new(big.Rat).Abs(x)
		}}
		if ok {
			c.p, c.s = dt.Precision, dt.Scale
		}
		return c
	}
	b := drawArith(r, lv, depth-1)
	if a.e.Op == OpLit && b.e.Op == OpLit {
		return a
	}
	if r.IntN(2) == 0 {
		a, b = b, a
	}
	dt, ok := NumArithType(op, a.p, a.s, b.p, b.s)
	c := arithCase{e: Call(op, a.e, b.e), fits: a.fits && b.fits && ok, want: func(i int) *big.Rat {
		x, y := a.want(i), b.want(i)
		if x == nil || y == nil {
			return nil
		}
		switch op {
		case OpNumAdd:
			return new(big.Rat).Add(x, y)
		case OpNumSub:
			return new(big.Rat).Sub(x, y)
		}
		return new(big.Rat).Mul(x, y)
	}}
	if ok {
		c.p, c.s = dt.Precision, dt.Scale
	}
	return c
}

// TestNumericArithmetic: + - * unary minus and abs over numeric columns
// of random precisions and scales, an int64 column and integer and
// numeric constants, nested, with NULLs and random batch sizes, agree
// with exact rational arithmetic; the result has PostgreSQL's scale (the
// larger for + and -, the sum for *), and an expression that might exceed
// 38 digits is refused as unsupported, never computed.
func TestNumericArithmetic(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 91))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	computed, refused := 0, 0
	// A draw whose expressions all landed on one side (computed or
	// refused) draws more batches, so that both are always checked.
	sizes := randomSizes(r, 3000)
	more := func(j int) bool {
		if j < len(sizes) {
			return true
		}
		if computed > 0 && refused > 0 || len(sizes) >= 200 {
			return false
		}
		sizes = append(sizes, randomSizes(r, 3000)...)
		return true
	}
	for j := 0; more(j); j++ {
		size := sizes[j]
		lv := &arithLeaves{}
		for k := range 2 {
			lv.p[k] = int32(1 + r.IntN([]int{6, 18, 38}[r.IntN(3)]))
			lv.s[k] = int32(r.IntN(int(lv.p[k]) + 1))
			lv.dec[k] = make([]*big.Int, size)
		}
		lv.ints = make([]*int64, size)
		for i := range size {
			for k := range 2 {
				if r.IntN(8) > 0 {
					lv.dec[k][i] = drawBounded(r, lv.p[k])
				}
			}
			if r.IntN(8) > 0 {
				x := r.Int64N(2001) - 1000
				if r.IntN(10) == 0 {
					x = []int64{1<<63 - 1, -1 << 63}[r.IntN(2)]
				}
				lv.ints[i] = &x
			}
		}
		ib := array.NewInt64Builder(mem)
		for _, x := range lv.ints {
			if x == nil {
				ib.AppendNull()
			} else {
				ib.Append(*x)
			}
		}
		cols := []arrow.Array{decArray(mem, lv.p[0], lv.s[0], lv.dec[0]), decArray(mem, lv.p[1], lv.s[1], lv.dec[1]), ib.NewArray()}
		ib.Release()
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "a", Type: cols[0].DataType(), Nullable: true},
			{Name: "b", Type: cols[1].DataType(), Nullable: true},
			{Name: "i", Type: cols[2].DataType(), Nullable: true},
		}, nil)
		rec := array.NewRecordBatch(schema, cols, int64(size))
		for _, c := range cols {
			c.Release()
		}
		for range 8 {
			c := drawArith(r, lv, 3)
			if c.e.Op == OpLit || c.e.Op == OpCol {
				continue
			}
			name := fmt.Sprintf("seed %d: %s over a numeric(%d,%d), b numeric(%d,%d)", seed, c.e.Format([]string{"a", "b", "i"}), lv.p[0], lv.s[0], lv.p[1], lv.s[1])
			v, err := compileValue(c.e, schema)
			if !c.fits {
				if err == nil || !errors.Is(err, ErrUnsupported) {
					t.Fatalf("%s: compiled (%v), want unsupported beyond 38 digits", name, err)
				}
				refused++
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := &arrow.Decimal128Type{Precision: c.p, Scale: c.s}
			if !arrow.TypeEqual(v.typ(), want) {
				t.Fatalf("%s: type %s, want %s", name, v.typ(), want)
			}
			got, err := v.eval(mem, rec)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			d := got.(*array.Decimal128)
			scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.s)), nil))
			lim := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.p)), nil)
			for i := range size {
				w := c.want(i)
				if w == nil {
					if d.IsValid(i) {
						t.Fatalf("%s: row %d is %s, want NULL", name, i, d.Value(i).ToString(c.s))
					}
					continue
				}
				wu := new(big.Rat).Mul(w, scale)
				if !wu.IsInt() {
					t.Fatalf("%s: row %d: %s is not at scale %d", name, i, w.FloatString(40), c.s)
				}
				if new(big.Int).Abs(wu.Num()).Cmp(lim) >= 0 {
					t.Fatalf("%s: row %d: %s beyond the precision bound %d", name, i, w.FloatString(int(c.s)), c.p)
				}
				if d.IsNull(i) || d.Value(i).BigInt().Cmp(wu.Num()) != 0 {
					t.Fatalf("%s: row %d is %s, want %s", name, i, d.Value(i).ToString(c.s), w.FloatString(int(c.s)))
				}
			}
			got.Release()
			// The value as a filter operand: expr > b, expr = i.
			for _, op := range []Op{OpGt, OpEq} {
				other := 1 + r.IntN(2)
				pe := Call(op, c.e, Col(other))
				res := runPred(t, mem, rec, pe)
				for i := range size {
					x := c.want(i)
					var y *big.Rat
					if other == 1 {
						if lv.dec[1][i] != nil {
							y = ratOf(lv.dec[1][i], lv.s[1])
						}
					} else if lv.ints[i] != nil {
						y = new(big.Rat).SetInt64(*lv.ints[i])
					}
					exp := byte('N')
					if x != nil && y != nil {
						exp = tfn(cmpResult(x.Cmp(y), op), false)
					}
					if res[i] != exp {
						t.Fatalf("%s: %s row %d: %c, want %c", name, pe.Format([]string{"a", "b", "i"}), i, res[i], exp)
					}
				}
			}
			computed++
		}
		rec.Release()
	}
	t.Logf("seed %d: %d expressions computed, %d refused", seed, computed, refused)
	if computed == 0 || refused == 0 {
		t.Fatalf("seed %d: %d expressions computed, %d refused: the draw misses a side", seed, computed, refused)
	}
}

// TestNumericArithmeticTypes pins PostgreSQL's result scales and the
// 38-digit bound on declared types.
func TestNumericArithmeticTypes(t *testing.T) {
	for _, c := range []struct {
		op             Op
		p1, s1, p2, s2 int32
		wantP, wantS   int32
		fits           bool
	}{
		{OpNumAdd, 10, 2, 12, 4, 13, 4, true},  // 8 integer digits + 1, scale 4
		{OpNumSub, 10, 2, 19, 0, 22, 2, true},  // numeric(10,2) - bigint
		{OpNumMul, 10, 2, 10, 4, 20, 6, true},  // scales add
		{OpNumMul, 20, 2, 19, 0, 39, 0, false}, // numeric(20,2) * bigint may need 39 digits
		{OpNumMul, 19, 2, 19, 0, 38, 2, true},  // exactly 38
		{OpNumAdd, 38, 0, 1, 0, 39, 0, false},  // a sum may carry into digit 39
		{OpNumNeg, 38, 10, 0, 0, 38, 10, true}, // unary keeps the type
		{OpNumAbs, 5, 5, 0, 0, 5, 5, true},
	} {
		dt, ok := NumArithType(c.op, c.p1, c.s1, c.p2, c.s2)
		if ok != c.fits || (ok && (dt.Precision != c.wantP || dt.Scale != c.wantS)) {
			t.Errorf("%s (%d,%d) (%d,%d): %v %v, want (%d,%d) %v", c.op, c.p1, c.s1, c.p2, c.s2, dt, ok, c.wantP, c.wantS, c.fits)
		}
	}
}
