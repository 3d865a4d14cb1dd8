package pgexpr

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// intMathFuncs are gcd, lcm and width_bucket.
var intMathFuncs = map[string]funcDef{
	"gcd": {args: []argKind{kNumber, kNumber}, result: gcdResult, eval: func(a []any, ts []sql.Type) (any, error) {
		return gcdLcm(a, ts, false)
	}},
	"lcm": {args: []argKind{kNumber, kNumber}, result: gcdResult, eval: func(a []any, ts []sql.Type) (any, error) {
		return gcdLcm(a, ts, true)
	}},
	"div": {args: []argKind{kNumber, kNumber}, result: func([]sql.Expression) sql.Type { return types.MustCreateDecimalType(65, 0) },
		eval: func(a []any, _ []sql.Type) (any, error) {
			y, _, _ := toDecimalOrFloatAll(a[0])
			x, _, _ := toDecimalOrFloatAll(a[1])
			if x.IsZero() {
				return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
			}
			q, _ := y.QuoRem(x, 0) // truncated toward zero
			return q, nil
		}},
	"width_bucket": {args: []argKind{kNumber, kNumber, kNumber, kInt}, result: int32Result, eval: evalWidthBucket},
}

// gcdResult is numeric when either argument is, else the wider integer
// type (PostgreSQL has gcd and lcm for int4, int8 and numeric).
func gcdResult(args []sql.Expression) sql.Type {
	for _, a := range args {
		if types.IsDecimal(a.Type()) {
			return a.Type()
		}
	}
	for _, a := range args {
		if t := a.Type(); t == types.Int64 || t == types.Uint64 {
			return types.Int64
		}
	}
	return types.Int32
}

// gcdLcm computes gcd (or lcm) of a[0] and a[1], in numeric when either is
// numeric, else in integers of the result's width with PostgreSQL's
// overflow errors.
func gcdLcm(a []any, ts []sql.Type, lcm bool) (any, error) {
	if types.IsDecimal(ts[0]) || types.IsDecimal(ts[1]) {
		x, _, _ := toDecimalOrFloat(a[0])
		y, _, _ := toDecimalOrFloat(a[1])
		x, y = x.Abs(), y.Abs()
		g, q := x, y
		for !q.IsZero() {
			g, q = q, g.Mod(q)
		}
		if !lcm {
			return g, nil
		}
		if x.IsZero() || y.IsZero() {
			return decimal.Zero, nil
		}
		return x.Div(g).Mul(y), nil
	}
	x, err := asInt64(a[0])
	if err != nil {
		return nil, err
	}
	y, err := asInt64(a[1])
	if err != nil {
		return nil, err
	}
	wide := false
	for _, t := range ts {
		wide = wide || t == types.Int64 || t == types.Uint64
	}
	hi, name := int64(math.MaxInt32), "integer"
	if wide {
		hi, name = math.MaxInt64, "bigint"
	}
	out := func(v int64) any {
		if wide {
			return v
		}
		return int32(v)
	}
	overflow := pgerror.New(pgerror.NumericOutOfRange, "%s out of range", name)
	// Euclid on non-positive values: |MinInt64| does not fit an int64.
	g := gcdNeg(absNeg(x), absNeg(y)) // <= 0
	if !lcm {
		if g < -hi {
			return nil, overflow
		}
		return out(-g), nil
	}
	if x == 0 || y == 0 {
		return out(0), nil
	}
	// |x / g * y|
	m := absNeg(x) / g // > 0
	r, ok := mulNoOverflow(m, absNeg(y))
	if !ok || r < -hi {
		return nil, overflow
	}
	return out(-r), nil
}

// absNeg returns -|v| (which always fits).
func absNeg(v int64) int64 {
	if v > 0 {
		return -v
	}
	return v
}

// gcdNeg is the gcd of two non-positive numbers, negated (<= 0).
func gcdNeg(p, q int64) int64 {
	for q != 0 {
		p, q = q, p%q
	}
	return p
}

// mulNoOverflow multiplies m > 0 by n <= 0, reporting overflow of int64.
func mulNoOverflow(m, n int64) (int64, bool) {
	if n == 0 {
		return 0, true
	}
	if n < math.MinInt64/m {
		return 0, false
	}
	return m * n, true
}

// evalWidthBucket is PostgreSQL's width_bucket(operand, low, high, count):
// the bucket of operand among count equal-width buckets from low to high
// (0 below, count+1 at or above the end; low > high counts down).
func evalWidthBucket(a []any, _ []sql.Type) (any, error) {
	count, err := asInt64(a[3])
	if err != nil {
		return nil, err
	}
	if count <= 0 {
		return nil, pgerror.New("2201G", "count must be greater than zero")
	}
	var v [3]decimal.Decimal
	for i := range v {
		d, f, isDec := toDecimalOrFloat(a[i])
		switch {
		case isDec:
		case math.IsNaN(f):
			return nil, pgerror.New("2201G", "operand, lower bound, and upper bound cannot be NaN")
		case math.IsInf(f, 0):
			if i == 0 {
				d = decimal.NewFromFloat(math.Copysign(math.MaxFloat64, f))
				break
			}
			return nil, pgerror.New("2201G", "lower and upper bounds must be finite")
		default:
			d = decimal.NewFromFloat(f)
		}
		v[i] = d
	}
	x, lo, hi := v[0], v[1], v[2]
	if lo.Equal(hi) {
		return nil, pgerror.New("2201G", "lower bound cannot equal upper bound")
	}
	n := decimal.NewFromInt(count)
	var b int64
	switch {
	case lo.LessThan(hi) && x.LessThan(lo), lo.GreaterThan(hi) && x.GreaterThan(lo):
		b = 0
	case lo.LessThan(hi) && !x.LessThan(hi), lo.GreaterThan(hi) && !x.GreaterThan(hi):
		if count == math.MaxInt32 {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
		}
		b = count + 1
	case lo.LessThan(hi):
		b = min(x.Sub(lo).Mul(n).DivRound(hi.Sub(lo), 30).Floor().IntPart()+1, count)
	default:
		b = min(lo.Sub(x).Mul(n).DivRound(lo.Sub(hi), 30).Floor().IntPart()+1, count)
	}
	return int32(b), nil
}

// toDecimalOrFloatAll is toDecimalOrFloat with a float as a decimal too
// (NaN and infinities as zero: the callers reject them first or take
// numeric arguments).
func toDecimalOrFloatAll(v any) (decimal.Decimal, float64, bool) {
	d, f, isDec := toDecimalOrFloat(v)
	if isDec {
		return d, 0, true
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return decimal.Zero, f, true
	}
	return decimal.NewFromFloat(f), f, true
}
