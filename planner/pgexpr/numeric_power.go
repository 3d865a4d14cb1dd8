package pgexpr

import (
	"math"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// numericPowerArgs reports whether power(x, y) (and x ^ y) resolves to
// PostgreSQL's power(numeric, numeric): an argument is numeric and none is
// a float; otherwise it is power(float8, float8).
func numericPowerArgs(ts []sql.Type) bool {
	dec := false
	for _, t := range ts {
		switch {
		case t == nil:
		case types.IsFloat(t):
			return false
		case types.IsDecimal(t):
			dec = true
		}
	}
	return dec
}

func powerResult(args []sql.Expression) sql.Type {
	ts := make([]sql.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	if numericPowerArgs(ts) {
		return numericType
	}
	return types.Float64
}

// NumericPower is PostgreSQL 15's power(numeric, numeric) (power_var): an
// integer exponent is computed exactly and rounded to max(16, the base's
// scale) decimals; any other exponent as exp(y·ln(x)) to enough digits
// that the result has at least 16 significant digits and no fewer
// decimals than either input, rounded half away from zero.
func NumericPower(x, y decimal.Decimal) (decimal.Decimal, error) {
	if x.IsZero() && y.Sign() < 0 {
		return decimal.Decimal{}, pgerror.New("2201F", "zero raised to a negative power is undefined")
	}
	if y.Equal(y.Truncate(0)) && y.Abs().LessThanOrEqual(decimal.NewFromInt(math.MaxInt32)) {
		return numericPowerInt(x, y.IntPart())
	}
	if x.Sign() < 0 {
		return decimal.Decimal{}, pgerror.New("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	if x.IsZero() {
		return decimal.New(0, -16), nil
	}
	xf, _ := x.Float64()
	yf, _ := y.Float64()
	val := yf * math.Log(xf) // ln of the result, approximately
	if math.Abs(val) > 2000*3.01 {
		if val > 0 {
			return decimal.Decimal{}, pgerror.New(pgerror.NumericOutOfRange, "value overflows numeric format")
		}
		return decimal.New(0, -1000), nil
	}
	val *= 0.434294481903252 // decimal weight of the result
	rscale := max(16-int32(val), dscale(x), dscale(y), 0)
	rscale = min(rscale, 1000)
	sig := max(int(rscale)+int(val), 0)
	prec := uint(float64(sig+int(math.Abs(val))+40)*3.33) + 64
	bx := new(big.Float).SetPrec(prec)
	bx.SetString(x.String())
	by := new(big.Float).SetPrec(prec)
	by.SetString(y.String())
	r := bigExp(new(big.Float).SetPrec(prec).Mul(by, bigLn(bx, prec)), prec)
	d, err := decimal.NewFromString(r.Text('f', int(rscale)+10))
	if err != nil {
		return decimal.Decimal{}, err
	}
	return d.Round(rscale), nil
}

// numericPowerInt is power_var_int with PostgreSQL 15's result scale.
func numericPowerInt(x decimal.Decimal, n int64) (decimal.Decimal, error) {
	rscale := min(max(16, dscale(x)), 1000)
	if n == 0 {
		return decimal.New(0, -rscale).Add(decimal.New(1, 0)).Round(rscale), nil
	}
	if !x.IsZero() {
		xf, _ := x.Abs().Float64()
		if w := float64(n) * math.Log10(xf); w > 131072 {
			return decimal.Decimal{}, pgerror.New(pgerror.NumericOutOfRange, "value overflows numeric format")
		} else if w < -1001 {
			return decimal.New(0, -rscale), nil
		}
	}
	m := n
	if m < 0 {
		m = -m
	}
	p := decimal.NewFromInt(1)
	for b := x; m > 0; m >>= 1 {
		if m&1 == 1 {
			p = p.Mul(b)
		}
		if m > 1 {
			b = b.Mul(b)
		}
	}
	if n < 0 {
		return decimal.NewFromInt(1).DivRound(p, rscale), nil
	}
	return p.Round(rscale), nil
}

// bigLn is the natural logarithm of x > 0 at prec bits: x = m·2^e with m
// in [0.5, 1), ln x = 2·atanh((m-1)/(m+1)) + e·ln 2.
func bigLn(x *big.Float, prec uint) *big.Float {
	m := new(big.Float).SetPrec(prec)
	e := x.MantExp(m)
	r := bigAtanh2(m, prec)
	if e != 0 {
		ln2 := bigAtanh2(new(big.Float).SetPrec(prec).SetInt64(2), prec)
		r.Add(r, ln2.Mul(ln2, new(big.Float).SetPrec(prec).SetInt64(int64(e))))
	}
	return r
}

// bigAtanh2 is ln m as 2·atanh((m-1)/(m+1)) by its series.
func bigAtanh2(m *big.Float, prec uint) *big.Float {
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	t := new(big.Float).SetPrec(prec).Sub(m, one)
	t.Quo(t, new(big.Float).SetPrec(prec).Add(m, one))
	t2 := new(big.Float).SetPrec(prec).Mul(t, t)
	sum := new(big.Float).SetPrec(prec).Set(t)
	term := new(big.Float).SetPrec(prec).Set(t)
	eps := new(big.Float).SetPrec(prec).SetMantExp(one, -int(prec))
	for k := int64(3); ; k += 2 {
		term.Mul(term, t2)
		q := new(big.Float).SetPrec(prec).Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		if q.Sign() == 0 || new(big.Float).Abs(q).Cmp(eps) < 0 {
			break
		}
		sum.Add(sum, q)
	}
	return sum.Mul(sum, new(big.Float).SetPrec(prec).SetInt64(2))
}

// bigExp is e^z at prec bits: z is halved k times to below 2^-8, the
// Taylor series summed, and the result squared k times.
func bigExp(z *big.Float, prec uint) *big.Float {
	wp := prec + 64
	r := new(big.Float).SetPrec(wp).Set(z)
	k := 0
	limit := new(big.Float).SetFloat64(1.0 / 256)
	for new(big.Float).Abs(r).Cmp(limit) > 0 {
		r.SetMantExp(r, -1)
		k++
	}
	one := new(big.Float).SetPrec(wp).SetInt64(1)
	sum := new(big.Float).SetPrec(wp).Set(one)
	term := new(big.Float).SetPrec(wp).Set(one)
	eps := new(big.Float).SetPrec(wp).SetMantExp(one, -int(wp))
	for i := int64(1); ; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(wp).SetInt64(i))
		if term.Sign() == 0 || new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
		sum.Add(sum, term)
	}
	for ; k > 0; k-- {
		sum.Mul(sum, sum)
	}
	return sum.SetPrec(prec)
}
