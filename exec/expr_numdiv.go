package exec

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/pgerror"
)

// Numeric division (docs/design/096-numeric-division.md).
//
// PostgreSQL's numeric_div rounds the quotient half away from zero at a
// scale chosen per row from the operands' values (select_div_scale): at
// least 16 significant digits (NUMERIC_MIN_SIG_DIGITS), estimated from
// the base-10000 weights and first digits of the operands, and no fewer
// decimals than either operand's display scale, within [0, 1000]. The
// kernel computes exactly that value for every row and holds all of them
// at one scale S, the largest any row can get, decided at compile time
// from the operands' precision bounds; a division whose quotients could
// need more than 38 digits at that scale is refused. The display scale of
// each row (which PostgreSQL prints) is not kept: the planner uses the
// value only where its scale cannot be seen, as an operand of a
// comparison.
//
// A zero divisor raises 22012 "division by zero"; a NULL operand gives
// NULL and no error. Evaluating can fail, so an AND or OR tests it only on
// the rows its earlier arguments leave open (mayFail), as the row engine
// does.
const OpNumDiv Op = "num_div" // Args[0] / Args[1]

// Bounds of select_div_scale (PostgreSQL's numeric.c).
const (
	numericMinSigDigits    = 16
	numericMaxDisplayScale = 1000
)

// DivRange is the decimal exponent range of the leading digit of an
// operand's non-zero values (10^Emin <= |v| < 10^(Emax+1)).
type DivRange struct{ Emin, Emax int32 }

// ColumnDivRange is the range of a numeric(p,s) column: [-s, p-s-1].
func ColumnDivRange(p, s int32) DivRange { return DivRange{-s, p - s - 1} }

// divRangeOf is the range of a compiled operand: a constant's own, or
// [-s, p-s-1] for values of precision bound p and scale s.
func divRangeOf(o numOperand) DivRange {
	if o.v == nil {
		e := digits(o.c) - 1 - o.s
		return DivRange{e, e}
	}
	return ColumnDivRange(o.p, o.s)
}

// floorDiv4 is floor(e/4): the base-10000 weight of decimal exponent e.
func floorDiv4(e int32) int32 {
	if e < 0 {
		return -((-e + 3) / 4)
	}
	return e / 4
}

// NumDivType is the type the kernel holds x / y in, for a dividend of
// scale s1 with non-zero values in the exponent range l and a divisor of
// scale s2 in range r (divisorConst: the divisor is a constant), and
// whether it fits a Decimal128. Its scale is the largest result scale of
// select_div_scale over such operands; its precision bounds the rounded
// quotient's integer digits on top.
func NumDivType(l DivRange, s1 int32, r DivRange, s2 int32, divisorConst bool) (*arrow.Decimal128Type, bool) {
	// The smallest quotient weight: the smallest dividend over the largest
	// divisor, first digits such that the estimate steps down once more. A
	// zero dividend's quotient is 0 at any scale.
	qmin := floorDiv4(l.Emin) - floorDiv4(r.Emax) - 1
	s := max(numericMinSigDigits-qmin*4, s1, s2, 0)
	if s > maxDecPrecision {
		return nil, false
	}
	// |x/y| < 10^(l.Emax+1) / 10^r.Emin. The rounded quotient stays below
	// that bound when it is a multiple of 10^-rscale (a column divisor, or
	// a constant below 10); otherwise rounding may reach it: one digit
	// more.
	q := l.Emax + 1 - r.Emin
	if divisorConst && r.Emin > 0 {
		q++
	}
	p := max(s+q, 1)
	if p > maxDecPrecision {
		return nil, false
	}
	return &arrow.Decimal128Type{Precision: p, Scale: s}, true
}

// numDiv is a compiled division.
type numDiv struct {
	l, r numOperand
	dt   *arrow.Decimal128Type
}

func compileNumDiv(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) != 2 {
		return nil, fmt.Errorf("exec: %s takes 2 arguments", e.Op)
	}
	l, err := compileNumOperand(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	r, err := compileNumOperand(e.Args[1], schema)
	if err != nil {
		return nil, err
	}
	switch {
	case l.v == nil && r.v == nil:
		return nil, unsupported("%s of two constants", e.Op)
	case r.v == nil && r.c.Sign() == 0:
		return nil, unsupported("numeric division by the constant 0")
	}
	if l.s < 0 || r.s < 0 {
		return nil, unsupported("numeric division of a negative scale")
	}
	dt, ok := NumDivType(divRangeOf(l), l.s, divRangeOf(r), r.s, r.v == nil)
	if !ok {
		return nil, unsupported("numeric division of (%d,%d) by (%d,%d) may exceed 38 digits", l.p, l.s, r.p, r.s)
	}
	return &numDiv{l: l, r: r, dt: dt}, nil
}

func (n *numDiv) typ() arrow.DataType { return n.dt }

func (n *numDiv) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	rows := int(rec.NumRows())
	lv, rv, arrs, err := evalNumOperands(mem, rec, n.l, n.r)
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	if err != nil {
		return nil, err
	}
	valid := validRows(arrs, rows)
	out := make([]decimal128.Num, rows)
	for i := range out {
		if valid != nil && !valid[i] {
			continue
		}
		x, y := n.l.c, n.r.c
		if lv != nil {
			x = lv[i]
		}
		if rv != nil {
			y = rv[i]
		}
		q, err := numDivide(x, n.l.s, y, n.r.s, n.dt.Scale)
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	b := array.NewDecimal128Builder(mem, n.dt)
	defer b.Release()
	b.AppendValues(out, valid)
	return b.NewArray(), nil
}

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

// bigInt returns a as a big integer.
func (a u128) bigInt() *big.Int {
	x := new(big.Int).SetUint64(a.hi)
	x.Lsh(x, 64)
	return x.Or(x, new(big.Int).SetUint64(a.lo))
}

func absU128(v decimal128.Num) u128 {
	a := v.Abs()
	return u128{uint64(a.HighBits()), a.LowBits()}
}

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }
func (a u128) isZero() bool     { return a.hi == 0 && a.lo == 0 }

// mul64 returns a·m and whether it overflowed 128 bits.
func (a u128) mul64(m uint64) (u128, bool) {
	h1, l := bits.Mul64(a.lo, m)
	h2, h := bits.Mul64(a.hi, m)
	h, c := bits.Add64(h, h1, 0)
	return u128{h, l}, h2 != 0 || c != 0
}

// mulPow10 returns a·10^k and whether it overflowed 128 bits.
func (a u128) mulPow10(k int32) (u128, bool) {
	for k > 0 {
		step := min(k, 19)
		var over bool
		if a, over = a.mul64(pow10u64[step]); over {
			return a, true
		}
		k -= step
	}
	return a, false
}

// divmod64 returns a / d and a % d.
func (a u128) divmod64(d uint64) (u128, uint64) {
	qh, r := a.hi/d, a.hi%d
	ql, r := bits.Div64(r, a.lo, d)
	return u128{qh, ql}, r
}

var pow10u64 = func() (t [20]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

var pow10u128 = func() (t [39]u128) {
	t[0] = u128{0, 1}
	for i := 1; i < len(t); i++ {
		t[i], _ = t[i-1].mul64(10)
	}
	return t
}()

// ndigits is the number of decimal digits of a > 0 (a < 10^38).
func (a u128) ndigits() int32 {
	var b int
	if a.hi != 0 {
		b = 64 + bits.Len64(a.hi)
	} else {
		b = bits.Len64(a.lo)
	}
	t := int32(b*1233) >> 12 // about log10(2^b)
	if t < int32(len(pow10u128)) && !a.less(pow10u128[t]) {
		t++
	}
	return max(t, 1)
}

// divFirst returns the weight and first digit (base 10000) of a non-zero
// value a·10^-s, as select_div_scale reads them.
func divFirst(a u128, s int32) (weight int32, first uint64) {
	e := a.ndigits() - 1 - s
	weight = floorDiv4(e)
	shift := s + 4*weight // first = floor(a / 10^shift)
	if shift <= 0 {
		// a has at most 4 digits here.
		return weight, a.lo * pow10u64[-shift]
	}
	for shift > 0 {
		step := min(shift, 19)
		a, _ = a.divmod64(pow10u64[step])
		shift -= step
	}
	return weight, a.lo
}

// DivScale is select_div_scale for the non-zero unscaled values x (scale
// s1) and y (scale s2): the result scale of x / y.
func DivScale(x decimal128.Num, s1 int32, y decimal128.Num, s2 int32) int32 {
	w1, f1 := int32(0), uint64(0)
	if x.Sign() != 0 {
		w1, f1 = divFirst(absU128(x), s1)
	}
	w2, f2 := divFirst(absU128(y), s2)
	qw := w1 - w2
	if f1 <= f2 {
		qw--
	}
	return min(max(numericMinSigDigits-qw*4, s1, s2, 0), numericMaxDisplayScale)
}

// numDivide returns x / y (scales s1, s2) rounded half away from zero at
// select_div_scale's scale and held at scale s (>= that scale, and the
// value fits: NumDivType).
func numDivide(x decimal128.Num, s1 int32, y decimal128.Num, s2 int32, s int32) (decimal128.Num, error) {
	q, rscale, err := divideU(x, s1, y, s2)
	if err != nil || q.isZero() {
		return decimal128.Num{}, err
	}
	if rscale > s {
		return decimal128.Num{}, fmt.Errorf("exec: division result scale %d above the bound %d", rscale, s)
	}
	q, over := q.mulPow10(s - rscale)
	if over || !q.less(pow10u128[maxDecPrecision]) {
		return decimal128.Num{}, fmt.Errorf("exec: division result beyond 38 digits")
	}
	return signed(q, x, y), nil
}

// signed is the magnitude q with the sign of x / y.
func signed(q u128, x, y decimal128.Num) decimal128.Num {
	v := decimal128.New(int64(q.hi), q.lo)
	if (x.Sign() < 0) != (y.Sign() < 0) {
		v = v.Negate()
	}
	return v
}

// NumDivide is PostgreSQL's numeric_div of the unscaled values x (scale
// s1) and y (scale s2): the quotient rounded half away from zero at the
// result scale rscale (select_div_scale), unscaled. A zero y is 22012
// "division by zero"; a quotient of more than 38 digits is an error.
func NumDivide(x decimal128.Num, s1 int32, y decimal128.Num, s2 int32) (q decimal128.Num, rscale int32, err error) {
	u, rscale, err := divideU(x, s1, y, s2)
	if err != nil {
		return q, 0, err
	}
	if !u.less(pow10u128[maxDecPrecision]) {
		return q, 0, fmt.Errorf("exec: division result beyond 38 digits")
	}
	return signed(u, x, y), rscale, nil
}

// divideU returns |x / y| unscaled at select_div_scale's scale rscale,
// rounded half away from zero (at most 128 bits of it).
func divideU(x decimal128.Num, s1 int32, y decimal128.Num, s2 int32) (q u128, rscale int32, err error) {
	if y.Sign() == 0 {
		return u128{}, 0, pgerror.New(pgerror.DivisionByZero, "division by zero")
	}
	rscale = DivScale(x, s1, y, s2)
	if x.Sign() == 0 {
		return u128{}, rscale, nil
	}
	// quotient·10^rscale = x·10^(rscale-s1+s2) / y
	k := rscale - s1 + s2
	num, den := absU128(x), absU128(y)
	var over bool
	if k >= 0 {
		num, over = num.mulPow10(k)
	} else {
		den, over = den.mulPow10(-k)
	}
	if !over && den.hi == 0 {
		var r uint64
		q, r = num.divmod64(den.lo)
		if r >= den.lo-r { // 2r >= den: half away from zero
			var c uint64
			q.lo, c = bits.Add64(q.lo, 1, 0)
			q.hi += c
		}
		return q, rscale, nil
	}
	return bigDivRound(absU128(x), absU128(y), k), rscale, nil
}

// hasNumDiv reports whether e divides anywhere.
func hasNumDiv(e *Expr) bool {
	if e == nil {
		return false
	}
	if e.Op == OpNumDiv {
		return true
	}
	for _, a := range e.Args {
		if hasNumDiv(a) {
			return true
		}
	}
	return false
}

// bigDivRound is round(a·10^k / b) half up, in big integers (operands
// whose scaled forms pass 128 bits or a divisor past 64 bits); a quotient
// past 128 bits saturates (the callers check it against 10^38).
func bigDivRound(a, b u128, k int32) u128 {
	n, d := a.bigInt(), b.bigInt()
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(k, -k))), nil)
	if k >= 0 {
		n.Mul(n, p)
	} else {
		d.Mul(d, p)
	}
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Lsh(r, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if q.BitLen() > 128 {
		return u128{^uint64(0), ^uint64(0)}
	}
	lo := new(big.Int).And(q, new(big.Int).SetUint64(^uint64(0))).Uint64()
	return u128{q.Rsh(q, 64).Uint64(), lo}
}
