package pgexpr

import (
	"math"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// trigFuncs are the inverse trigonometric functions with PostgreSQL's range
// check, the trigonometric functions in degrees (exact at the multiples of
// 30 and 45 degrees, as PostgreSQL computes them) and log(b, x) over
// numeric.
var trigFuncs = map[string]funcDef{
	"asin":   {args: []argKind{kNumber}, result: floatResult, eval: unitArg(math.Asin)},
	"acos":   {args: []argKind{kNumber}, result: floatResult, eval: unitArg(math.Acos)},
	"sind":   {args: []argKind{kNumber}, result: floatResult, eval: degreesArg(sind)},
	"cosd":   {args: []argKind{kNumber}, result: floatResult, eval: degreesArg(cosd)},
	"tand":   {args: []argKind{kNumber}, result: floatResult, eval: degreesArg(tand)},
	"cotd":   {args: []argKind{kNumber}, result: floatResult, eval: degreesArg(cotd)},
	"asind":  {args: []argKind{kNumber}, result: floatResult, eval: unitArg(asind)},
	"acosd":  {args: []argKind{kNumber}, result: floatResult, eval: unitArg(acosd)},
	"atand":  {args: []argKind{kNumber}, result: floatResult, eval: floatFn("atand", func(x float64) (float64, error) { return math.Atan(x) / atan1 * 45, nil })},
	"atan2d": {args: []argKind{kNumber, kNumber}, result: floatResult, eval: evalAtan2d},
	"cbrt":   {args: []argKind{kNumber}, result: floatResult, eval: floatFn("cbrt", func(x float64) (float64, error) { return math.Cbrt(x), nil })},
	// log(b, x) exists for numeric only (float8 arguments are 42883); the
	// front end calls log(x) log10.
	"log": {args: []argKind{kNumber, kNumber}, result: func([]sql.Expression) sql.Type { return numericType },
		check: func(args []sql.Expression) bool {
			return !types.IsFloat(args[0].Type()) && !types.IsFloat(args[1].Type())
		},
		eval: evalLogBase},
}

// The constants PostgreSQL's float.c scales by, so that sind(30) is 0.5,
// tand(45) is 1 and asind(0.5) is 30 exactly.
var (
	sin30         = math.Sin(30 * radiansPerDegree)
	oneMinusCos60 = 1 - math.Cos(60*radiansPerDegree)
	asinHalf      = math.Asin(0.5)
	acosHalf      = math.Acos(0.5)
	atan1         = math.Atan(1)
	tan45         = sindQ1(45) / cosdQ1(45)
	cot45         = cosdQ1(45) / sindQ1(45)
)

// radiansPerDegree is a variable so that x·radiansPerDegree is rounded as
// PostgreSQL's C rounds it (a constant would be folded exactly).
var radiansPerDegree = 0.0174532925199432957692

func errOutOfRange() error {
	return pgerror.New(pgerror.NumericOutOfRange, "input is out of range")
}

// unitArg is a function of x in [-1, 1] (22003 outside).
func unitArg(f func(float64) float64) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		x, err := castFloat(a[0], "float8")
		if err != nil {
			return nil, err
		}
		if math.IsNaN(x) {
			return x, nil
		}
		if x < -1 || x > 1 {
			return nil, errOutOfRange()
		}
		return f(x), nil
	}
}

// degreesArg is a function of a finite angle in degrees (22003 for
// infinity).
func degreesArg(f func(float64) float64) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		x, err := castFloat(a[0], "float8")
		if err != nil {
			return nil, err
		}
		if math.IsNaN(x) {
			return x, nil
		}
		if math.IsInf(x, 0) {
			return nil, errOutOfRange()
		}
		return f(x), nil
	}
}

func evalAtan2d(a []any, _ []sql.Type) (any, error) {
	y, err := castFloat(a[0], "float8")
	if err != nil {
		return nil, err
	}
	x, err := castFloat(a[1], "float8")
	if err != nil {
		return nil, err
	}
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.NaN(), nil
	}
	return math.Atan2(y, x) / atan1 * 45, nil
}

func sind0To30(x float64) float64 { return math.Sin(x*radiansPerDegree) / sin30 / 2 }
func cosd0To60(x float64) float64 {
	return 1 - (1-math.Cos(x*radiansPerDegree))/oneMinusCos60/2
}

func sindQ1(x float64) float64 {
	if x <= 30 {
		return sind0To30(x)
	}
	return cosd0To60(90 - x)
}

func cosdQ1(x float64) float64 {
	if x <= 60 {
		return cosd0To60(x)
	}
	return sind0To30(90 - x)
}

func signed(v float64, neg bool) float64 {
	if neg {
		return -v
	}
	return v
}

// sind reduces the angle to [0, 90] as PostgreSQL's dsind does.
func sind(x float64) float64 {
	neg := false
	x = math.Mod(x, 360)
	if x < 0 {
		x, neg = -x, true
	}
	if x > 180 {
		x, neg = 360-x, !neg
	}
	if x > 90 {
		x = 180 - x
	}
	return signed(sindQ1(x), neg)
}

// cosd reduces the angle to [0, 90] as PostgreSQL's dcosd does.
func cosd(x float64) float64 {
	neg := false
	x = math.Mod(x, 360)
	if x < 0 {
		x = -x
	}
	if x > 180 {
		x = 360 - x
	}
	if x > 90 {
		x, neg = 180-x, true
	}
	return signed(cosdQ1(x), neg)
}

// tangentArg reduces an angle for tand and cotd (odd functions of period
// 180).
func tangentArg(x float64) (float64, bool) {
	neg := false
	x = math.Mod(x, 360)
	if x < 0 {
		x, neg = -x, true
	}
	if x > 180 {
		x, neg = 360-x, !neg
	}
	if x > 90 {
		x, neg = 180-x, !neg
	}
	return x, neg
}

func tand(x float64) float64 {
	r, neg := tangentArg(x)
	v := signed(sindQ1(r)/cosdQ1(r)/tan45, neg)
	if v == 0 {
		return 0 // no minus zero
	}
	return v
}

func cotd(x float64) float64 {
	r, neg := tangentArg(x)
	v := signed(cosdQ1(r)/sindQ1(r)/cot45, neg)
	if v == 0 {
		return 0
	}
	return v
}

func asindQ1(x float64) float64 {
	if x <= 0.5 {
		return math.Asin(x) / asinHalf * 30
	}
	return 90 - math.Acos(x)/acosHalf*60
}

func acosdQ1(x float64) float64 {
	if x <= 0.5 {
		return 90 - math.Asin(x)/asinHalf*30
	}
	return math.Acos(x) / acosHalf * 60
}

func asind(x float64) float64 {
	if x >= 0 {
		return asindQ1(x)
	}
	return -asindQ1(-x)
}

func acosd(x float64) float64 {
	if x >= 0 {
		return acosdQ1(x)
	}
	return 90 + asindQ1(-x)
}

// evalLogBase is PostgreSQL's log(numeric b, numeric x) = ln(x) / ln(b),
// at the scale log_var picks: 16 significant digits by the estimated
// magnitude of the result, and no fewer decimals than either input.
func evalLogBase(a []any, _ []sql.Type) (any, error) {
	b, _, _ := toDecimalOrFloat(a[0])
	x, _, _ := toDecimalOrFloat(a[1])
	for _, v := range []decimal.Decimal{b, x} {
		switch v.Sign() {
		case 0:
			return nil, pgerror.New("2201E", "cannot take logarithm of zero")
		case -1:
			return nil, pgerror.New("2201E", "cannot take logarithm of a negative number")
		}
	}
	rscale := int32(16 - (lnDweight(x) - lnDweight(b)))
	rscale = max(rscale, dscale(b), dscale(x), 0)
	rscale = min(rscale, 1000)
	prec := uint(rscale+int32(len(x.Coefficient().String())+len(b.Coefficient().String()))+60)*4 + 64
	lb := lnBig(bigOf(b, prec), prec)
	if lb.Sign() == 0 {
		return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
	}
	q := new(big.Float).SetPrec(prec).Quo(lnBig(bigOf(x, prec), prec), lb)
	r, err := decimal.NewFromString(q.Text('f', int(rscale)+10))
	if err != nil {
		return nil, err
	}
	return r.Round(rscale), nil
}

// lnDweight is PostgreSQL's estimate_ln_dweight: the decimal weight of
// ln(v) for v > 0.
func lnDweight(v decimal.Decimal) int {
	lo, hi := decimal.RequireFromString("0.9"), decimal.RequireFromString("1.1")
	if v.GreaterThanOrEqual(lo) && v.LessThanOrEqual(hi) {
		d := v.Sub(decimal.NewFromInt(1))
		if d.IsZero() {
			return 0
		}
		w, first := base10000(d)
		return w*4 + int(math.Log10(float64(first)))
	}
	w, first := base10000(v)
	digits, dweight := float64(first), w*4
	if a := v.Abs(); !a.Equal(decimal.NewFromInt(first).Shift(int32(w * 4))) {
		// the first two base-10000 digits
		digits = float64(a.Shift(-int32(w*4 - 4)).Truncate(0).IntPart())
		dweight -= 4
	}
	ln := math.Log(digits) + float64(dweight)*2.302585092994046
	return int(math.Log10(math.Abs(ln)))
}

func bigOf(d decimal.Decimal, prec uint) *big.Float {
	f, _, err := big.ParseFloat(d.String(), 10, prec, big.ToNearestEven)
	if err != nil {
		return new(big.Float).SetPrec(prec)
	}
	return f
}

// lnBig is ln(x) for x > 0 at prec bits: x = m·2^e, ln m = 2·atanh((m−1)/(m+1))
// (x itself near 1, so that ln x keeps its relative precision).
func lnBig(x *big.Float, prec uint) *big.Float {
	two := new(big.Float).SetPrec(prec).SetInt64(2)
	if x.Cmp(new(big.Float).SetFloat64(0.5)) >= 0 && x.Cmp(two) <= 0 {
		return atanh2(x, prec)
	}
	m := new(big.Float).SetPrec(prec)
	e := x.MantExp(m) // x = m·2^e, m in [0.5, 1)
	ln2 := atanh2(two, prec)
	r := new(big.Float).SetPrec(prec).Mul(ln2, new(big.Float).SetPrec(prec).SetInt64(int64(e)))
	return r.Add(r, atanh2(m, prec))
}

// atanh2 is 2·atanh((x−1)/(x+1)) = ln x, for x in [0.5, 2].
func atanh2(x *big.Float, prec uint) *big.Float {
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	z := new(big.Float).SetPrec(prec).Sub(x, one)
	z.Quo(z, new(big.Float).SetPrec(prec).Add(x, one))
	z2 := new(big.Float).SetPrec(prec).Mul(z, z)
	sum := new(big.Float).SetPrec(prec).Set(z)
	term := new(big.Float).SetPrec(prec).Set(z)
	eps := new(big.Float).SetMantExp(one, -int(prec)-8)
	for k := int64(3); ; k += 2 {
		term.Mul(term, z2)
		t := new(big.Float).SetPrec(prec).Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		if new(big.Float).Abs(t).Cmp(eps) < 0 || k > 100000 {
			break
		}
		sum.Add(sum, t)
	}
	return sum.Mul(sum, new(big.Float).SetPrec(prec).SetInt64(2))
}
