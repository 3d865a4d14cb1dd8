package pgexpr

import (
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// numericType is the engine type of numeric results computed here; the
// value's own exponent carries PostgreSQL's display scale.
var numericType = types.MustCreateDecimalType(65, 30)

// dscale is a decimal's display scale (digits after the point).
func dscale(d decimal.Decimal) int32 { return max(0, -d.Exponent()) }

// base10000 returns PostgreSQL's NumericVar weight (in base-10000 digits)
// and first base-10000 digit of a non-zero value.
func base10000(d decimal.Decimal) (weight int, first int64) {
	a := d.Abs()
	e := len(a.Truncate(0).String()) - 1 // decimal exponent of the leading digit when |d| >= 1
	if a.LessThan(decimal.NewFromInt(1)) {
		// count leading zeros after the point
		e = -1
		for x := a.Shift(1); x.LessThan(decimal.NewFromInt(1)); x = x.Shift(1) {
			e--
		}
	}
	weight = e / 4
	if e < 0 && e%4 != 0 {
		weight--
	}
	first = a.Shift(-int32(weight * 4)).Truncate(0).IntPart()
	return weight, first
}

// NumericDiv divides like PostgreSQL's numeric_div: the result scale is
// chosen so the quotient has at least 16 significant digits and no fewer
// decimals than either input (select_div_scale), rounded half away from
// zero.
func NumericDiv(x, y decimal.Decimal) (decimal.Decimal, error) {
	if y.IsZero() {
		return decimal.Decimal{}, pgerror.New(pgerror.DivisionByZero, "division by zero")
	}
	// A zero dividend has weight 0 and first digit 0 in
	// select_div_scale (0.00 / 2 has scale 20, not 16).
	w1, f1 := 0, int64(0)
	if !x.IsZero() {
		w1, f1 = base10000(x)
	}
	w2, f2 := base10000(y)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := int32(16 - qweight*4)
	rscale = max(rscale, dscale(x), dscale(y), 0)
	rscale = min(rscale, 1000)
	// One rounding of the exact quotient: rounding first to rscale+1
	// digits and then to rscale rounds ...x4|5 up where PostgreSQL does
	// not (design 096).
	return x.DivRound(y, rscale), nil
}

func toDecimal(v any) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x, true
	case float64, float32:
		return decimal.Decimal{}, false
	}
	i, err := asInt64(v)
	if err != nil {
		return decimal.Decimal{}, false
	}
	return decimal.NewFromInt(i), true
}

// InjectableAvg computes avg(x) as sum/count with PostgreSQL's types: exact
// numeric for integer and numeric input, float8 for floats. Children: the
// sum (over a SumArg sharing Info) and the count.
type InjectableAvg struct{ Info *SumInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableAvg) WithResolvedChildren(children []any) (any, error) {
	sum, ok1 := children[0].(sql.Expression)
	cnt, ok2 := children[1].(sql.Expression)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("avg: arguments are not expressions")
	}
	return &avgExpr{sum: sum, cnt: cnt, float: types.IsFloat(a.Info.ArgType)}, nil
}

type avgExpr struct {
	sum, cnt sql.Expression
	float    bool
}

func (e *avgExpr) Resolved() bool             { return e.sum.Resolved() && e.cnt.Resolved() }
func (e *avgExpr) String() string             { return fmt.Sprintf("avg(%s)", e.sum) }
func (e *avgExpr) IsNullable() bool           { return true }
func (e *avgExpr) Children() []sql.Expression { return []sql.Expression{e.sum, e.cnt} }
func (e *avgExpr) Type() sql.Type {
	if e.float {
		return types.Float64
	}
	return numericType
}

func (e *avgExpr) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), 2)
	}
	return &avgExpr{sum: children[0], cnt: children[1], float: e.float}, nil
}

func (e *avgExpr) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	s, err := e.sum.Eval(ctx, row)
	if err != nil || s == nil {
		return nil, err
	}
	c, err := e.cnt.Eval(ctx, row)
	if err != nil || c == nil {
		return nil, err
	}
	n, err := asInt64(c)
	if err != nil || n == 0 {
		return nil, err
	}
	if e.float {
		f, err := castFloat(s, "float8")
		if err != nil {
			return nil, err
		}
		return f / float64(n), nil
	}
	d, ok := toDecimal(s)
	if f, isFloat := s.(float64); !ok && isFloat && !math.IsInf(f, 0) && !math.IsNaN(f) {
		// go-mysql-server's windowed sum of integers is a float64 (exact
		// up to 2^53).
		d, ok = decimal.NewFromFloat(f), true
	}
	if !ok {
		f, _ := castFloat(s, "float8")
		return f / float64(n), nil
	}
	return NumericDiv(d, decimal.NewFromInt(n))
}
