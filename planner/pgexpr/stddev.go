package pgexpr

import (
	"fmt"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// InjectableSquare squares an argument of stddev and variance: exactly (a
// decimal) for integers and numeric, so that the sum of squares is exact.
// It records the argument's type in Info as InjectableSumArg does.
type InjectableSquare struct{ Info *SumInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableSquare) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("square: argument is not an expression")
	}
	a.Info.ArgType = e.Type()
	typ := sql.Type(types.Float64)
	switch t := e.Type(); {
	case types.IsInteger(t):
		typ = sumDecimal
	case types.IsDecimal(t):
		typ = numericType
	}
	return &square{child: e, typ: typ}, nil
}

type square struct {
	child sql.Expression
	typ   sql.Type
}

func (s *square) Resolved() bool             { return s.child.Resolved() }
func (s *square) String() string             { return fmt.Sprintf("(%s)^2", s.child) }
func (s *square) Type() sql.Type             { return s.typ }
func (s *square) IsNullable() bool           { return true }
func (s *square) Children() []sql.Expression { return []sql.Expression{s.child} }
func (s *square) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(s, len(children), 1)
	}
	return &square{child: children[0], typ: s.typ}, nil
}

func (s *square) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := s.child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	if s.typ == types.Float64 {
		f, err := castFloat(v, "float8")
		if err != nil {
			return nil, err
		}
		return f * f, nil
	}
	d, ok := toDecimal(v)
	if !ok {
		return nil, fmt.Errorf("square: %T is not a number", v)
	}
	return d.Mul(d), nil
}

// InjectableStddev is stddev_samp, stddev_pop, var_samp or var_pop (Func)
// with PostgreSQL's result types: float8 for float input (the first child,
// go-mysql-server's own aggregate over the float8 argument), numeric for
// integer and numeric input, computed exactly from the other children —
// sum(x), sum(x²) and count(x) — as PostgreSQL's numeric_stddev_internal
// does: (n·Σx² − (Σx)²) / (n·(n−1)) (n·n for the population), divided at
// numeric division's scale, and for the deviations the square root at that
// scale.
type InjectableStddev struct {
	Info *SumInfo
	Func string
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableStddev) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 4 {
		return nil, fmt.Errorf("%s: want 4 children, got %d", a.Func, len(children))
	}
	var ch [4]sql.Expression
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("%s: arguments are not expressions", a.Func)
		}
		ch[i] = e
	}
	t := a.Info.ArgType
	return &stddevExpr{ch: ch, fn: a.Func, exact: types.IsInteger(t) || types.IsDecimal(t)}, nil
}

type stddevExpr struct {
	ch    [4]sql.Expression // float aggregate, sum(x), sum(x²), count(x)
	fn    string
	exact bool
}

func (e *stddevExpr) Resolved() bool {
	for _, c := range e.ch {
		if !c.Resolved() {
			return false
		}
	}
	return true
}
func (e *stddevExpr) String() string             { return e.ch[0].String() }
func (e *stddevExpr) IsNullable() bool           { return true }
func (e *stddevExpr) Children() []sql.Expression { return e.ch[:] }
func (e *stddevExpr) Type() sql.Type {
	if e.exact {
		return numericType
	}
	return types.Float64
}

func (e *stddevExpr) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 4 {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), 4)
	}
	n := *e
	copy(n.ch[:], children)
	return &n, nil
}

func (e *stddevExpr) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if !e.exact {
		return e.ch[0].Eval(ctx, row)
	}
	var v [3]any
	for i := range v {
		x, err := e.ch[i+1].Eval(ctx, row)
		if err != nil || x == nil {
			return nil, err
		}
		v[i] = x
	}
	sx, ok1 := toDecimal(v[0])
	sxx, ok2 := toDecimal(v[1])
	cnt, err := asInt64(v[2])
	if !ok1 || !ok2 || err != nil {
		return nil, fmt.Errorf("%s: sums are not numbers", e.fn)
	}
	samp := e.fn == "stddev_samp" || e.fn == "var_samp"
	if cnt == 0 || samp && cnt == 1 {
		return nil, nil
	}
	n := decimal.NewFromInt(cnt)
	num := n.Mul(sxx).Sub(sx.Mul(sx))
	if num.Sign() <= 0 {
		return decimal.Zero, nil // also when rounding made it negative
	}
	den := n.Mul(n)
	if samp {
		den = n.Mul(decimal.NewFromInt(cnt - 1))
	}
	q, err := NumericDiv(num, den)
	if err != nil {
		return nil, err
	}
	if e.fn == "var_samp" || e.fn == "var_pop" {
		return q, nil
	}
	return sqrtDecimal(q, dscale(q)), nil
}

// sqrtDecimal is √d rounded to scale digits after the point.
func sqrtDecimal(d decimal.Decimal, scale int32) decimal.Decimal {
	prec := uint(len(d.Coefficient().String())+int(scale))*4 + 128
	f, _, err := big.ParseFloat(d.String(), 10, prec, big.ToNearestEven)
	if err != nil {
		return decimal.Zero
	}
	r, err := decimal.NewFromString(new(big.Float).SetPrec(prec).Sqrt(f).Text('f', int(scale)+8))
	if err != nil {
		return decimal.Zero
	}
	return r.Round(scale)
}
