package exec

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/pgerror"
)

// refDivScale is select_div_scale written over big rationals, apart from
// the kernel's 128-bit digit counting: the weight and first digit of a
// non-zero value in base 10000.
func refDivScale(x *big.Int, s1 int32, y *big.Int, s2 int32) int32 {
	first := func(v *big.Int, s int32) (int32, *big.Int) {
		a := new(big.Int).Abs(v)
		e := int32(len(a.String())) - 1 - s // exponent of the leading digit
		w := e / 4
		if e < 0 && e%4 != 0 {
			w--
		}
		// floor(|v|·10^-s / 10000^w)
		q := new(big.Rat).Quo(ratOf(a, s), new(big.Rat).SetFrac(pow10Big(4*max(w, 0)), pow10Big(4*max(-w, 0))))
		return w, new(big.Int).Quo(q.Num(), q.Denom())
	}
	w1, f1 := int32(0), big.NewInt(0)
	if x.Sign() != 0 {
		w1, f1 = first(x, s1)
	}
	w2, f2 := first(y, s2)
	qw := w1 - w2
	if f1.Cmp(f2) <= 0 {
		qw--
	}
	return min(max(16-4*qw, s1, s2, 0), 1000)
}

func pow10Big(n int32) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// refDiv is x/y (scales s1, s2) rounded half away from zero at
// refDivScale, unscaled at that scale.
func refDiv(x *big.Int, s1 int32, y *big.Int, s2 int32) (*big.Int, int32) {
	rs := refDivScale(x, s1, y, s2)
	q := new(big.Rat).Quo(ratOf(x, s1), ratOf(y, s2))
	q.Mul(q, new(big.Rat).SetInt(pow10Big(rs)))
	n, d := new(big.Int).Abs(q.Num()), q.Denom()
	quo, rem := new(big.Int).QuoRem(n, d, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(d) >= 0 {
		quo.Add(quo, big.NewInt(1))
	}
	if q.Sign() < 0 {
		quo.Neg(quo)
	}
	return quo, rs
}

// divOperand is one side of a drawn division: a column or a constant.
type divOperand struct {
	e    *Expr
	p, s int32
	vals func(row int) *big.Int // unscaled, nil: NULL
}

// TestNumericDivision: x / y over numeric columns of random precisions and
// scales, an int4 column and integer and numeric constants, with NULLs,
// zeros, extremes and random batch sizes, gives for every row the value of
// PostgreSQL's numeric_div (select_div_scale's scale, half away from
// zero) held at the kernel's common scale; a shape whose quotients might
// pass 38 digits at that scale is refused, never computed. The value as a
// filter operand agrees too.
func TestNumericDivision(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 96))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	computed, refused, rows := 0, 0, 0
	for _, size := range randomSizes(r, 4000) {
		var p, s [2]int32
		dec := [2][]*big.Int{make([]*big.Int, size), make([]*big.Int, size)}
		ints := make([]*big.Int, size)
		for k := range 2 {
			p[k] = int32(1 + r.IntN([]int{6, 12, 18, 38}[r.IntN(4)]))
			s[k] = int32(r.IntN(int(p[k]) + 1))
		}
		for i := range size {
			for k := range 2 {
				if r.IntN(8) == 0 {
					continue // NULL
				}
				lim := pow10Big(p[k])
				switch r.IntN(6) {
				case 0: // extremes: ±1 unit, ±(10^p - 1), 10^(p-1)
					v := []*big.Int{big.NewInt(1), new(big.Int).Sub(lim, big.NewInt(1)), pow10Big(p[k] - 1)}[r.IntN(3)]
					dec[k][i] = new(big.Int).Set(v)
					if r.IntN(2) == 0 {
						dec[k][i].Neg(dec[k][i])
					}
				case 1:
					dec[k][i] = big.NewInt(0)
				default:
					dec[k][i] = drawBounded(r, p[k])
				}
			}
			if r.IntN(8) > 0 {
				ints[i] = big.NewInt([]int64{r.Int64N(2001) - 1000, 1<<31 - 1, -1 << 31, 0}[r.IntN(4)])
			}
		}
		ib := array.NewInt32Builder(mem)
		for _, x := range ints {
			if x == nil {
				ib.AppendNull()
			} else {
				ib.Append(int32(x.Int64()))
			}
		}
		cols := []arrow.Array{decArray(mem, p[0], s[0], dec[0]), decArray(mem, p[1], s[1], dec[1]), ib.NewArray()}
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
		names := []string{"a", "b", "i"}
		draw := func() divOperand {
			switch k := r.IntN(5); k {
			case 0, 1:
				vals := dec[k]
				return divOperand{e: Col(k), p: p[k], s: s[k], vals: func(i int) *big.Int { return vals[i] }}
			case 2:
				return divOperand{e: Col(2), p: 10, vals: func(i int) *big.Int { return ints[i] }}
			case 3:
				c := []int64{3, -7, 1, 100, 12345}[r.IntN(5)]
				return divOperand{e: Int(c), p: int32(len(fmt.Sprint(max(c, -c)))), vals: func(int) *big.Int { return big.NewInt(c) }}
			}
			text := []string{"2.50", "0.003", "-1.5", "7", "1000.0001"}[r.IntN(5)]
			v, cs, err := parseDecimal(text)
			if err != nil {
				t.Fatal(err)
			}
			return divOperand{e: Decimal(text), p: max(digits(v), cs), s: cs, vals: func(int) *big.Int { return v.BigInt() }}
		}
		for range 10 {
			x, y := draw(), draw()
			if x.e.Op == OpLit && y.e.Op == OpLit {
				continue
			}
			e := Call(OpNumDiv, x.e, y.e)
			name := fmt.Sprintf("seed %d: %s over a numeric(%d,%d), b numeric(%d,%d)", seed, e.Format(names), p[0], s[0], p[1], s[1])
			v, err := compileValue(e, schema)
			if err != nil {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("%s: %v", name, err)
				}
				refused++
				continue
			}
			dt := v.typ().(*arrow.Decimal128Type)
			// Rows with a zero divisor raise 22012: test on the others.
			open := make([]bool, size)
			zeros := 0
			for i := range size {
				yv := y.vals(i)
				open[i] = yv == nil || yv.Sign() != 0
				if !open[i] && x.vals(i) != nil {
					zeros++
				}
			}
			if zeros > 0 {
				_, err := v.eval(mem, rec)
				if pgerror.Code(err) != pgerror.DivisionByZero || err.Error() != "division by zero" {
					t.Fatalf("%s: a zero divisor gave %v, want 22012 division by zero", name, err)
				}
			}
			sub, err := selectRows(mem, rec, open)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.eval(mem, sub)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			d := got.(*array.Decimal128)
			lim := pow10Big(dt.Precision)
			j := 0
			for i := range size {
				if !open[i] {
					continue
				}
				xv, yv := x.vals(i), y.vals(i)
				if xv == nil || yv == nil {
					if d.IsValid(j) {
						t.Fatalf("%s: row %d is %s, want NULL", name, i, d.Value(j).ToString(dt.Scale))
					}
					j++
					continue
				}
				q, rs := refDiv(xv, x.s, yv, y.s)
				if rs > dt.Scale {
					t.Fatalf("%s: row %d: scale %d above the common scale %d", name, i, rs, dt.Scale)
				}
				want := new(big.Int).Mul(q, pow10Big(dt.Scale-rs))
				if new(big.Int).Abs(want).Cmp(lim) >= 0 {
					t.Fatalf("%s: row %d: %s beyond the precision bound %d", name, i, want, dt.Precision)
				}
				if d.IsNull(j) || d.Value(j).BigInt().Cmp(want) != 0 {
					t.Fatalf("%s: row %d (%s / %s) is %s, want %s", name, i, decText(xv, x.s), decText(yv, y.s),
						d.Value(j).ToString(dt.Scale), decText(want, dt.Scale))
				}
				rows++
				j++
			}
			got.Release()
			// As a filter operand, behind a test of the divisor that
			// keeps zero divisors from being divided by (AND is lazy).
			c := []string{"0", "1", "-0.5", "123.456"}[r.IntN(4)]
			pe := Call(OpGt, e, Decimal(c))
			if y.e.Op != OpLit {
				pe = Call(OpAnd, Call(OpNe, y.e, Int(0)), pe)
			}
			res := runPred(t, mem, rec, pe)
			cr, _ := new(big.Rat).SetString(c)
			for i := range size {
				xv, yv := x.vals(i), y.vals(i)
				exp := byte('N')
				switch {
				case yv != nil && yv.Sign() == 0:
					exp = 'F'
				case xv != nil && yv != nil:
					q, rs := refDiv(xv, x.s, yv, y.s)
					exp = tfn(ratOf(q, rs).Cmp(cr) > 0, false)
				}
				if res[i] != exp {
					t.Fatalf("%s: %s row %d: %c, want %c", name, pe.Format(names), i, res[i], exp)
				}
			}
			sub.Release()
			computed++
		}
		rec.Release()
	}
	t.Logf("seed %d: %d divisions computed (%d rows), %d refused", seed, computed, rows, refused)
	if computed == 0 || refused == 0 || rows == 0 {
		t.Fatalf("seed %d: %d divisions computed (%d rows), %d refused: the draw misses a side", seed, computed, rows, refused)
	}
}

// TestNumericDivisionScale pins select_div_scale on PostgreSQL 15's
// answers (SELECT x / y, scale(x / y)) and the kernel's value on them.
func TestNumericDivisionScale(t *testing.T) {
	for _, tc := range []struct {
		x, y, want string
	}{
		{"1", "3", "0.33333333333333333333"},
		{"10", "3", "3.3333333333333333"},
		{"1.00", "4", "0.25000000000000000000"},
		{"0.00", "2", "0.00000000000000000000"},
		{"2", "3.0", "0.66666666666666666667"},
		{"-2", "3", "-0.66666666666666666667"},
		{"99999999.99", "0.01", "9999999999.00000000"},
		{"0.01", "99999999.99", "0.0000000001000000000100000000"},
		{"12345", "1", "12345.0000000000000000"},
		{"9999", "10000", "0.99990000000000000000"},
		{"10000", "9999", "1.0001000100010001"},
		{"5", "2", "2.5000000000000000"},
		{"0.0000000000000000000000000001", "3", "0.000000000000000000000000000033333333333333333333"},
	} {
		x, s1, _ := parseDecimal(tc.x)
		y, s2, _ := parseDecimal(tc.y)
		q, rs, err := NumDivide(x, s1, y, s2)
		if err != nil {
			t.Fatalf("%s / %s: %v", tc.x, tc.y, err)
		}
		if got := decText(q.BigInt(), rs); got != tc.want {
			t.Errorf("%s / %s = %s, want %s", tc.x, tc.y, got, tc.want)
		}
	}
	if _, _, err := NumDivide(decimal128.FromI64(1), 0, decimal128.Num{}, 2); pgerror.Code(err) != pgerror.DivisionByZero {
		t.Errorf("1 / 0.00: %v, want 22012", err)
	}
}

// TestNumericDivisionRefused: shapes the kernel refuses (the plan stays in
// the row engine) or runs with a NULL divisor.
func TestNumericDivisionRefused(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "b", Type: &arrow.Decimal128Type{Precision: 12, Scale: 4}, Nullable: true},
		{Name: "c", Type: &arrow.Decimal128Type{Precision: 38, Scale: 0}, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	for _, tc := range []struct {
		e    *Expr
		fits bool
	}{
		{Call(OpNumDiv, Col(0), Int(3)), true},
		{Call(OpNumDiv, Col(1), Col(0)), true},        // (12,4)/(10,2): 28 + 10 digits
		{Call(OpNumDiv, Col(0), Col(1)), false},       // 28 + 12
		{Call(OpNumDiv, Col(0), Col(3)), false},       // an int4 divisor up to 10 digits: 32 + 8
		{Call(OpNumDiv, Col(2), Int(2)), false},       // 38 integer digits
		{Call(OpNumDiv, Col(0), Int(0)), false},       // by the constant 0
		{Call(OpNumDiv, Int(1), Decimal("2")), false}, // two constants
	} {
		_, err := compileValue(tc.e, schema)
		if tc.fits != (err == nil) || (err != nil && !errors.Is(err, ErrUnsupported)) {
			t.Errorf("%s: %v, want fits %v", tc.e.Format([]string{"a", "b", "c", "i"}), err, tc.fits)
		}
	}
	// A CASE that divides in a later condition would test it on rows an
	// earlier one took.
	ce := &Expr{Op: OpCase, Str: "int64", Args: []*Expr{
		Call(OpEq, Col(0), Int(0)), Int(0),
		Call(OpGt, Call(OpNumDiv, Col(1), Col(0)), Int(1)), Int(1),
	}}
	if _, err := compileValue(ce, schema); !errors.Is(err, ErrUnsupported) {
		t.Errorf("CASE dividing in its second condition: %v, want unsupported", err)
	}
}
