package pgexpr

import (
	"fmt"
	"math"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// The statistics aggregates of two float8 arguments (Y, X) — corr,
// covar_pop, covar_samp and the regr_* family — are computed from plain
// aggregates the engine already has, so that they group, filter and
// combine like sum and count:
//
//	count(x), sum(x), sum(y), sum(x·x), sum(y·y), sum(x·y),
//	sum(float x), sum(float y), count(non-finite x), count(non-finite y)
//
// over the rows where both arguments are non-NULL (RegrArg is NULL
// elsewhere). The sums of finite values are exact decimals of the float8
// inputs, so that Sxx = Σx² − (Σx)²/N does not lose digits to
// cancellation; the float sums carry Infinity and NaN, which make the
// dependent sums NaN as in PostgreSQL's float8_regr_accum. RegrAggs lists
// the parts in child order.
var RegrAggs = []struct{ Agg, Part string }{
	{"count", "x"}, {"sum", "x"}, {"sum", "y"}, {"sum", "xx"}, {"sum", "yy"}, {"sum", "xy"},
	{"sum", "fx"}, {"sum", "fy"}, {"count", "nfx"}, {"count", "nfy"},
}

// IsRegrAggregate reports whether name is one of the statistics aggregates
// of two arguments.
func IsRegrAggregate(name string) bool {
	switch name {
	case "corr", "covar_pop", "covar_samp", "regr_count", "regr_sxx", "regr_syy", "regr_sxy",
		"regr_avgx", "regr_avgy", "regr_r2", "regr_slope", "regr_intercept":
		return true
	}
	return false
}

// InjectableRegrArg is one part (RegrAggs) of a pair (Y, X) of statistics
// aggregate arguments; NULL unless both are non-NULL.
type InjectableRegrArg struct {
	Func string // the aggregate, for error messages
	Part string
}

// WithResolvedChildren implements sqlparser.Injectable. The arguments must
// convert implicitly to float8 (42883 otherwise, as PostgreSQL's function
// resolution).
func (a InjectableRegrArg) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 2 {
		return nil, fmt.Errorf("%s: want 2 arguments, got %d", a.Func, len(children))
	}
	var ch [2]sql.Expression
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("%s: arguments are not expressions", a.Func)
		}
		ch[i] = e
	}
	for _, e := range ch {
		t := e.Type()
		if t == types.Null || types.IsFloat(t) || types.IsDecimal(t) || (types.IsInteger(t) && t != types.Boolean) || (types.IsText(t) && isLiteral(e)) {
			continue
		}
		names := make([]string, 2)
		for i, e := range ch {
			oid, _ := pgtypes.OID(e.Type())
			names[i] = pgtypes.TypeName(oid)
		}
		return nil, pgerror.New(pgerror.UndefinedFunction, "function %s(%s, %s) does not exist", a.Func, names[0], names[1])
	}
	return &regrArg{y: ch[0], x: ch[1], fn: a.Func, part: a.Part}, nil
}

type regrArg struct {
	y, x     sql.Expression
	fn, part string
}

func (r *regrArg) Resolved() bool { return r.y.Resolved() && r.x.Resolved() }
func (r *regrArg) String() string {
	return fmt.Sprintf("%s_%s(%s, %s)", r.fn, r.part, r.y, r.x)
}
func (r *regrArg) IsNullable() bool           { return true }
func (r *regrArg) Children() []sql.Expression { return []sql.Expression{r.y, r.x} }
func (r *regrArg) Type() sql.Type {
	switch r.part {
	case "fx", "fy":
		return types.Float64
	case "nfx", "nfy":
		return types.Int32
	}
	return numericType
}

func (r *regrArg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(children), 2)
	}
	n := *r
	n.y, n.x = children[0], children[1]
	return &n, nil
}

func (r *regrArg) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	var v [2]float64
	for i, e := range []sql.Expression{r.y, r.x} {
		x, err := e.Eval(ctx, row)
		if err != nil || x == nil {
			return nil, err
		}
		if v[i], err = castFloat(x, "float8"); err != nil {
			return nil, err
		}
	}
	y, x := v[0], v[1]
	finite := func(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }
	switch r.part {
	case "fx":
		return x, nil
	case "fy":
		return y, nil
	case "nfx":
		if finite(x) {
			return nil, nil
		}
		return int32(1), nil
	case "nfy":
		if finite(y) {
			return nil, nil
		}
		return int32(1), nil
	}
	// Exact sums skip non-finite values (the float sums carry them); x
	// is also what count(x) counts, so it is never NULL for a pair.
	if !finite(x) && r.part != "y" && r.part != "yy" || !finite(y) && r.part != "x" && r.part != "xx" {
		return decimal.Zero, nil
	}
	switch r.part {
	case "x":
		return exactDecimal(x), nil
	case "y":
		return exactDecimal(y), nil
	case "xx":
		d := exactDecimal(x)
		return d.Mul(d), nil
	case "yy":
		d := exactDecimal(y)
		return d.Mul(d), nil
	case "xy":
		return exactDecimal(x).Mul(exactDecimal(y)), nil
	}
	return nil, fmt.Errorf("%s: unknown part %q", r.fn, r.part)
}

// exactDecimal is the shortest decimal that reads back as the finite
// float64 f (what PostgreSQL prints for it): the value the user wrote for
// typical data, exact to its sixteenth or seventeenth digit otherwise, and
// with few digits, so that the sums stay cheap.
func exactDecimal(f float64) decimal.Decimal {
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return decimal.Zero
	}
	// Most data has few decimals: n/10^k for the first k where f·10^k is
	// an integer n that reads back as f (the division of two exactly
	// represented numbers rounds correctly) skips the general conversion.
	for k, p := range pow10 {
		v := f * p
		if math.Abs(v) < 1<<53 && v == math.Trunc(v) && v/p == f {
			return decimal.New(int64(v), -int32(k))
		}
	}
	return decimal.NewFromFloat(f)
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// InjectableRegr is the final step of a statistics aggregate (Func) over
// the aggregates of RegrAggs.
type InjectableRegr struct{ Func string }

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableRegr) WithResolvedChildren(children []any) (any, error) {
	if len(children) != len(RegrAggs) {
		return nil, fmt.Errorf("%s: want %d children, got %d", a.Func, len(RegrAggs), len(children))
	}
	r := &regrExpr{fn: a.Func}
	for _, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("%s: arguments are not expressions", a.Func)
		}
		r.ch = append(r.ch, e)
	}
	return r, nil
}

type regrExpr struct {
	ch []sql.Expression
	fn string
}

func (e *regrExpr) Resolved() bool {
	for _, c := range e.ch {
		if !c.Resolved() {
			return false
		}
	}
	return true
}
func (e *regrExpr) String() string             { return e.fn + "(" + e.ch[1].String() + ")" }
func (e *regrExpr) IsNullable() bool           { return true }
func (e *regrExpr) Children() []sql.Expression { return e.ch }
func (e *regrExpr) Type() sql.Type {
	if e.fn == "regr_count" {
		return types.Int64
	}
	return types.Float64
}

func (e *regrExpr) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(e.ch) {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), len(e.ch))
	}
	return &regrExpr{ch: children, fn: e.fn}, nil
}

func (e *regrExpr) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v := make([]any, len(e.ch))
	for i, c := range e.ch {
		x, err := c.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		v[i] = x
	}
	n, err := asInt64(v[0])
	if err != nil {
		return nil, fmt.Errorf("%s: count: %w", e.fn, err)
	}
	if e.fn == "regr_count" {
		return n, nil
	}
	if n < 1 || e.fn == "covar_samp" && n < 2 {
		return nil, nil
	}
	dec := func(i int) decimal.Decimal {
		d, _ := toDecimal(v[i])
		return d
	}
	cnt := decimal.NewFromInt(n)
	sx, sy := dec(1), dec(2)
	// N·Sxx, N·Syy and N·Sxy, exactly.
	a := cnt.Mul(dec(3)).Sub(sx.Mul(sx))
	b := cnt.Mul(dec(4)).Sub(sy.Mul(sy))
	c := cnt.Mul(dec(5)).Sub(sx.Mul(sy))
	N := float64(n)
	Sx, Sy := quoFloat(sx, decimal.NewFromInt(1)), quoFloat(sy, decimal.NewFromInt(1))
	Sxx, Syy, Sxy := quoFloat(a, cnt), quoFloat(b, cnt), quoFloat(c, cnt)
	nfx, _ := asInt64(v[8])
	nfy, _ := asInt64(v[9])
	if nfx > 0 {
		Sx, _ = castFloat(v[6], "float8")
		Sxx, Sxy = math.NaN(), math.NaN()
	}
	if nfy > 0 {
		Sy, _ = castFloat(v[7], "float8")
		Syy, Sxy = math.NaN(), math.NaN()
	}
	// PostgreSQL's float8_regr_* and float8_corr, float8_covar_*.
	switch e.fn {
	case "regr_sxx":
		return Sxx, nil
	case "regr_syy":
		return Syy, nil
	case "regr_sxy":
		return Sxy, nil
	case "regr_avgx":
		return Sx / N, nil
	case "regr_avgy":
		return Sy / N, nil
	case "covar_pop":
		return Sxy / N, nil
	case "covar_samp":
		return Sxy / (N - 1), nil
	case "corr":
		if Sxx == 0 || Syy == 0 {
			return nil, nil
		}
		return Sxy / math.Sqrt(Sxx*Syy), nil
	case "regr_r2":
		if Sxx == 0 {
			return nil, nil
		}
		if Syy == 0 {
			return 1.0, nil
		}
		return Sxy * Sxy / (Sxx * Syy), nil
	case "regr_slope":
		if Sxx == 0 {
			return nil, nil
		}
		return Sxy / Sxx, nil
	case "regr_intercept":
		if Sxx == 0 {
			return nil, nil
		}
		return (Sy - Sx*Sxy/Sxx) / N, nil
	}
	return nil, fmt.Errorf("%s: unknown statistics aggregate", e.fn)
}

// quoFloat is p/q rounded to the nearest float64 (overflow is 22003).
func quoFloat(p, q decimal.Decimal) float64 {
	const prec = 256
	x, _, err1 := big.ParseFloat(p.String(), 10, prec, big.ToNearestEven)
	y, _, err2 := big.ParseFloat(q.String(), 10, prec, big.ToNearestEven)
	if err1 != nil || err2 != nil || y.Sign() == 0 {
		return math.NaN()
	}
	f, _ := new(big.Float).SetPrec(prec).Quo(x, y).Float64()
	return f
}
