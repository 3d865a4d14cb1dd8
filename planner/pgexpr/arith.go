package pgexpr

import (
	"fmt"
	"math"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// Arith is `+`, `-`, `*`, `/` or `%` with PostgreSQL semantics: integer
// operands give an integer of the wider operand type, overflow is 22003,
// integer division truncates toward zero, division by zero is 22012, and a
// text operand is 42883 (no such operator). Other operand types (numeric,
// timestamps) defer to go-mysql-server's arithmetic.
type Arith struct {
	Op          string
	Left, Right sql.Expression
	// Neg marks a prefix minus (Left is the constant 0): on floats it
	// flips the sign, so -(0::float8) is -0 where 0 - 0::float8 is 0.
	Neg bool
	// typ caches Type (nil: computed on each call). Type is asked several
	// times per row and recursively by nested Ariths: computing it once
	// per expression took a fifth of an INSERT ... SELECT's CPU.
	typ sql.Type
}

var _ sql.Expression = (*Arith)(nil)

// newArith returns the Arith with its type computed once.
func newArith(op string, l, r sql.Expression, neg bool) *Arith {
	a := &Arith{Op: op, Left: l, Right: r, Neg: neg}
	a.typ = a.computeType()
	return a
}

// InjectableArith is the vitess Injectable form of Arith.
type InjectableArith struct {
	Op  string
	Neg bool // a prefix minus: Arith.Neg
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableArith) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 2 {
		return nil, fmt.Errorf("%s takes two operands", a.Op)
	}
	l, ok1 := children[0].(sql.Expression)
	r, ok2 := children[1].(sql.Expression)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s operands are not expressions", a.Op)
	}
	if !a.Neg {
		if e, err := inetArith(a.Op, l, r); e != nil || err != nil {
			return e, err // inet + bigint, inet - inet ... (inet_arith.go)
		}
	}
	ar, err := NewArith(a.Op, l, r)
	if err != nil {
		return nil, err
	}
	ar.Neg = a.Neg
	ar.typ = ar.computeType() // the type of a prefix minus depends on Neg
	return ar, nil
}

// NewArith checks operand types and returns the operation.
func NewArith(op string, l, r sql.Expression) (*Arith, error) {
	lt, rt := l.Type(), r.Type()
	dateInt := (lt == types.Date && types.IsInteger(rt) && (op == "+" || op == "-")) ||
		(rt == types.Date && types.IsInteger(lt) && op == "+")
	if isTimeOfDay(lt) || isTimeOfDay(rt) {
		if _, ok := timeOfDayArithType(op, lt, rt); !ok && !isTextLiteral(l) && !isTextLiteral(r) {
			lo, _ := pgtypes.OID(lt)
			ro, _ := pgtypes.OID(rt)
			code := pgerror.UndefinedFunction
			msg := "operator does not exist: %s %s %s"
			if isTimeOfDay(lt) && isTimeOfDay(rt) && op == "+" {
				code, msg = "42725", "operator is not unique: %s %s %s"
			}
			return nil, pgerror.New(code, msg, pgtypes.TypeName(lo), op, pgtypes.TypeName(ro))
		}
		return &Arith{Op: op, Left: l, Right: r}, nil
	}
	timeNum := (pgtypes.IsTime(lt) && (types.IsNumber(rt) || types.IsDecimal(rt))) ||
		(pgtypes.IsTime(rt) && (types.IsNumber(lt) || types.IsDecimal(lt)))
	if timeNum && !dateInt {
		lo, _ := pgtypes.OID(lt)
		ro, _ := pgtypes.OID(rt)
		return nil, pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s",
			pgtypes.TypeName(lo), op, pgtypes.TypeName(ro))
	}
	for _, e := range []sql.Expression{l, r} {
		if t := e.Type(); types.IsText(t) && !isLiteral(e) || t == types.Boolean {
			lo, _ := pgtypes.OID(l.Type())
			ro, _ := pgtypes.OID(r.Type())
			return nil, pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s",
				pgtypes.TypeName(lo), op, pgtypes.TypeName(ro))
		}
	}
	return newArith(op, l, r, false), nil
}

// isLiteral reports an untyped string constant, which PostgreSQL coerces to
// the other operand's type.
func isLiteral(e sql.Expression) bool {
	_, ok := e.(*expression.Literal)
	return ok
}

func (a *Arith) Resolved() bool             { return a.Left.Resolved() && a.Right.Resolved() }
func (a *Arith) String() string             { return fmt.Sprintf("(%s %s %s)", a.Left, a.Op, a.Right) }
func (a *Arith) IsNullable() bool           { return true }
func (a *Arith) Children() []sql.Expression { return []sql.Expression{a.Left, a.Right} }

// WithChildren implements sql.Expression.
func (a *Arith) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 2)
	}
	return newArith(a.Op, children[0], children[1], a.Neg), nil
}

func (a *Arith) intOperands() bool {
	return isInt(a.Left.Type()) && isInt(a.Right.Type())
}

func isInt(t sql.Type) bool {
	return types.IsInteger(t) && t != types.Boolean || (t == types.Null)
}

func isInterval(t sql.Type) bool { return t == pgtypes.IntervalType }

// Type implements sql.Expression.
func (a *Arith) Type() sql.Type {
	if a.typ != nil {
		return a.typ
	}
	return a.computeType()
}

func (a *Arith) computeType() sql.Type {
	lt, rt := a.Left.Type(), a.Right.Type()
	if t, ok := timeOfDayArithType(a.Op, lt, rt); ok {
		return t
	}
	switch {
	case lt == types.Date && rt == types.Date && a.Op == "-":
		return types.Int32
	case lt == types.Date && types.IsInteger(rt), rt == types.Date && types.IsInteger(lt):
		return types.Date
	case pgtypes.IsTime(lt) && isInterval(rt):
		if lt == types.Date {
			return types.DatetimeMaxPrecision
		}
		return lt
	case isInterval(lt) && pgtypes.IsTime(rt):
		if rt == types.Date {
			return types.DatetimeMaxPrecision
		}
		return rt
	case pgtypes.IsTime(lt) && pgtypes.IsTime(rt) && a.Op == "-":
		return pgtypes.IntervalType
	case isInterval(lt) && isInterval(rt):
		return pgtypes.IntervalType
	case isInterval(lt) || isInterval(rt):
		return pgtypes.IntervalType
	}
	if a.intOperands() {
		if a.Neg && (rt == types.Int16 || rt == types.Int32) {
			return rt // -x has x's type (-smallint overflows at -32768)
		}
		if lt == types.Int64 || rt == types.Int64 || (lt == types.Null) || (rt == types.Null) {
			return types.Int64
		}
		if lt == types.Int32 || rt == types.Int32 {
			return types.Int32
		}
		return types.Int16
	}
	if lt == types.Float32 && rt == types.Float32 && a.Op != "%" || a.Neg && rt == types.Float32 {
		return types.Float32 // float4 op float4 is float4 in PostgreSQL
	}
	if types.IsFloat(lt) || types.IsFloat(rt) || types.IsText(lt) || types.IsText(rt) {
		return types.Float64
	}
	if a.Op == "/" && (types.IsDecimal(lt) || types.IsDecimal(rt)) {
		return numericType
	}
	return a.fallback().Type()
}

func (a *Arith) fallback() sql.Expression {
	switch a.Op {
	case "%":
		return expression.NewMod(a.Left, a.Right)
	case "/":
		return expression.NewDiv(a.Left, a.Right)
	}
	return expression.NewArithmetic(a.Left, a.Right, a.Op)
}

// Eval implements sql.Expression.
func (a *Arith) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	l, err := a.Left.Eval(ctx, row)
	if err != nil || l == nil {
		return nil, err
	}
	r, err := a.Right.Eval(ctx, row)
	if err != nil || r == nil {
		return nil, err
	}
	if pgtypes.IsNumericNaN(l) || pgtypes.IsNumericNaN(r) {
		if types.IsFloat(a.Type()) {
			return math.NaN(), nil
		}
		return pgtypes.NumericNaN{}, nil // NaN in, NaN out, as in PostgreSQL
	}
	if iv, ok := r.(pgtypes.Interval); ok && a.Neg {
		if iv.Months == math.MinInt32 || iv.Days == math.MinInt32 || iv.Micros == math.MinInt64 {
			return nil, pgerror.New("22008", "interval out of range")
		}
		return pgtypes.Interval{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}, nil
	}
	if tv, ok := timeOfDayArith(a.Op, l, r); ok {
		return tv()
	}
	if tv, ok := timeArith(ctx, a.Op, l, r, a.Left.Type(), a.Right.Type()); ok {
		return tv()
	}
	if a.intOperands() {
		x, err1 := asInt64(l)
		y, err2 := asInt64(r)
		if err1 == nil && err2 == nil {
			if y == 0 && (a.Op == "/" || a.Op == "%") {
				return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
			}
			var v int64
			overflow := false
			switch a.Op {
			case "+":
				v = x + y
				overflow = (x > 0 && y > 0 && v < 0) || (x < 0 && y < 0 && v >= 0)
			case "-":
				v = x - y
				overflow = (x >= 0 && y < 0 && v < 0) || (x < 0 && y > 0 && v >= 0)
			case "*":
				v = x * y
				overflow = x != 0 && (v/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64))
			}
			if overflow {
				return nil, pgerror.New(pgerror.NumericOutOfRange, "bigint out of range")
			}
			if a.Op == "+" || a.Op == "-" || a.Op == "*" {
				// range checked below for narrower types
			} else if a.Op == "/" {
				if x == math.MinInt64 && y == -1 {
					return nil, pgerror.New(pgerror.NumericOutOfRange, "bigint out of range")
				}
				v = x / y
			} else {
				if y == -1 {
					v = 0
				} else {
					v = x % y
				}
			}
			switch a.Type() {
			case types.Int32:
				if v < math.MinInt32 || v > math.MaxInt32 {
					return nil, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
				}
				return int32(v), nil
			case types.Int16:
				if v < math.MinInt16 || v > math.MaxInt16 {
					return nil, pgerror.New(pgerror.NumericOutOfRange, "smallint out of range")
				}
				return int16(v), nil
			}
			return v, nil
		}
	}
	if (a.Op == "/" || a.Op == "%") && isZero(r) {
		return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
	}
	if a.Op == "/" && a.Type() == numericType {
		x, ok1 := toDecimal(l)
		y, ok2 := toDecimal(r)
		if ok1 && ok2 {
			return NumericDiv(x, y)
		}
	}
	if rtyp := a.Type(); rtyp == types.Float64 || rtyp == types.Float32 {
		x, err := castFloat(l, "float8")
		if err != nil {
			return nil, err
		}
		y, err := castFloat(r, "float8")
		if err != nil {
			return nil, err
		}
		var v float64
		switch a.Op {
		case "+":
			v = x + y
		case "-":
			if a.Neg {
				v = -y
			} else {
				v = x - y
			}
		case "*":
			v = x * y
		case "%":
			v = math.Mod(x, y)
		default:
			v = x / y
		}
		if math.IsInf(v, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: overflow")
		}
		if v == 0 && x != 0 && !math.IsInf(y, 0) && (a.Op == "*" && y != 0 || a.Op == "/") {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: underflow")
		}
		if rtyp == types.Float32 {
			// Rounding the float8 result is exact for + - * /: float8
			// holds more than twice float4's precision.
			v32 := float32(v)
			if math.IsInf(float64(v32), 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
				return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: overflow")
			}
			if v32 == 0 && v != 0 {
				return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: underflow")
			}
			return v32, nil
		}
		return v, nil
	}
	return a.fallback().Eval(ctx, row)
}

func isZero(v any) bool {
	switch x := v.(type) {
	case float64:
		return x == 0
	case float32:
		return x == 0
	case decimal.Decimal:
		return x.IsZero()
	case string:
		d, err := decimal.NewFromString(x)
		return err == nil && d.IsZero()
	}
	i, err := asInt64(v)
	return err == nil && i == 0
}

// timeArith implements timestamp ± interval, interval ± interval,
// timestamp - timestamp and interval * / number. Month and day parts move
// the wall clock in the session zone for timestamptz, like PostgreSQL.
func timeArith(ctx *sql.Context, op string, l, r any, lt, rt sql.Type) (func() (any, error), bool) {
	neg := func(iv pgtypes.Interval) pgtypes.Interval {
		return pgtypes.Interval{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
	}
	if iv, ok := r.(pgtypes.Interval); ok && op == "*" {
		switch l.(type) {
		case pgtypes.Interval, time.Time:
		default:
			// number * interval is interval * number (it was 0, MySQL's
			// number times a non-numeric string).
			return timeArith(ctx, op, iv, l, pgtypes.IntervalType, nil)
		}
	}
	switch x := l.(type) {
	case time.Time:
		switch y := r.(type) {
		case pgtypes.Interval:
			if op != "+" && op != "-" {
				return nil, false
			}
			if op == "-" {
				y = neg(y)
			}
			return func() (any, error) { return addIntervalChecked(ctx, x, y, lt) }, true
		case time.Time:
			if op != "-" {
				return nil, false
			}
			if pgtypes.Infinite(x) != 0 || pgtypes.Infinite(y) != 0 {
				what := map[bool]string{true: "dates", false: "timestamps"}[lt == types.Date && rt == types.Date]
				return func() (any, error) {
					return nil, pgerror.New(pgerror.DatetimeOverflow, "cannot subtract infinite %s", what)
				}, true
			}
			if lt == types.Date && rt == types.Date {
				// Unix counts, not Sub: a time.Duration ends at 292 years.
				return func() (any, error) { return int32((x.Unix() - y.Unix()) / 86_400), nil }, true
			}
			return func() (any, error) {
				us := x.UnixMicro() - y.UnixMicro()
				days := us / 86_400_000_000
				return pgtypes.Interval{Days: int32(days), Micros: us - days*86_400_000_000}, nil
			}, true
		default:
			// date ± integer days
			n, err := asInt64(r)
			if err != nil || lt != types.Date || (op != "+" && op != "-") {
				return nil, false
			}
			if op == "-" {
				n = -n
			}
			if pgtypes.Infinite(x) != 0 {
				return func() (any, error) { return x, nil }, true
			}
			return func() (any, error) { return addDaysChecked(x, n) }, true
		}
	case pgtypes.Interval:
		switch y := r.(type) {
		case time.Time:
			if op != "+" {
				return nil, false
			}
			return func() (any, error) { return addIntervalChecked(ctx, y, x, lt) }, true
		case pgtypes.Interval:
			if op != "+" && op != "-" {
				return nil, false
			}
			if op == "-" {
				y = neg(y)
			}
			return func() (any, error) {
				return pgtypes.Interval{Months: x.Months + y.Months, Days: x.Days + y.Days, Micros: x.Micros + y.Micros}, nil
			}, true
		default:
			if op != "*" && op != "/" {
				return nil, false
			}
			f, err := castFloat(r, "float8")
			if err != nil {
				return nil, false
			}
			return func() (any, error) {
				if op == "/" && f == 0 {
					return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
				}
				return scaleInterval(x, f, op == "/")
			}, true
		}
	case int16, int32, int64:
		if y, ok := r.(time.Time); ok && op == "+" {
			n, _ := asInt64(l)
			return func() (any, error) { return addDaysChecked(y, n) }, true
		}
	}
	return nil, false
}

// AddInterval adds iv to t; months and days move the wall clock in the
// session zone for timestamptz (typ), like PostgreSQL.
func AddInterval(ctx *sql.Context, t time.Time, iv pgtypes.Interval, typ sql.Type) time.Time {
	if pgtypes.Infinite(t) != 0 {
		return t
	}
	if iv.Months != 0 || iv.Days != 0 {
		loc := time.UTC
		if oid, _ := pgtypes.OID(typ); oid == pgtypes.OIDTimestampTZ {
			loc = SessionLocation(ctx)
		}
		lt := t.In(loc)
		// PostgreSQL clamps the day to the end of a shorter month.
		y, m, d := lt.Date()
		nm := time.Date(y, m+time.Month(iv.Months), 1, 0, 0, 0, 0, loc)
		last := time.Date(nm.Year(), nm.Month()+1, 0, 0, 0, 0, 0, loc).Day()
		t = time.Date(nm.Year(), nm.Month(), min(d, last), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), loc)
		t = t.AddDate(0, 0, int(iv.Days))
	}
	// Unix seconds, not Add: a time.Duration ends at 292 years.
	sec, us := iv.Micros/1_000_000, iv.Micros%1_000_000
	return time.Unix(t.Unix()+sec, int64(t.Nanosecond())+us*1000).UTC()
}

// addIntervalChecked is AddInterval of a finite t whose result must be
// finite: 22008 past the range, as PostgreSQL (whose range ends at 294276
// AD; OpenWit's times of year 200,000 and later are infinity, so the
// error comes a little earlier, and storing refuses years past 9999).
func addIntervalChecked(ctx *sql.Context, t time.Time, iv pgtypes.Interval, typ sql.Type) (any, error) {
	r := AddInterval(ctx, t, iv, typ)
	if pgtypes.Infinite(t) == 0 && pgtypes.Infinite(r) != 0 {
		return nil, pgerror.New(pgerror.DatetimeOverflow, "timestamp out of range")
	}
	return r, nil
}

// addDaysChecked is date + n days for a finite date: 22008 past the range.
func addDaysChecked(d time.Time, n int64) (any, error) {
	const limit = 200_000 * 366
	if n > limit || n < -limit {
		return nil, pgerror.New(pgerror.DatetimeOverflow, "date out of range")
	}
	r := d.AddDate(0, 0, int(n))
	if pgtypes.Infinite(d) == 0 && pgtypes.Infinite(r) != 0 {
		return nil, pgerror.New(pgerror.DatetimeOverflow, "date out of range")
	}
	return r, nil
}

// scaleInterval is PostgreSQL's interval_mul (div false) and interval_div
// (div true, by f): months and days truncated, their fractions spilled
// down to days and seconds (a month is 30 days), a seconds remainder of a
// day or more carried into days, division rounding the remainders to
// microseconds first; 22008 past the range.
func scaleInterval(x pgtypes.Interval, f float64, div bool) (any, error) {
	apply := func(v float64) float64 {
		if div {
			return v / f
		}
		return v * f
	}
	tsRound := func(v float64) float64 {
		if div {
			return math.RoundToEven(v*1e6) / 1e6
		}
		return v
	}
	outOfRange := pgerror.New("22008", "interval out of range")
	m, d := apply(float64(x.Months)), apply(float64(x.Days))
	if math.IsNaN(m) || m > math.MaxInt32 || m < math.MinInt32 || math.IsNaN(d) || d > math.MaxInt32 || d < math.MinInt32 {
		return nil, outOfRange
	}
	res := pgtypes.Interval{Months: int32(m), Days: int32(d)}
	monthDays := tsRound((m - float64(res.Months)) * 30)
	secs := tsRound((d - float64(res.Days) + monthDays - math.Trunc(monthDays)) * 86_400)
	if math.Abs(secs) >= 86_400 {
		carry := math.Trunc(secs / 86_400)
		res.Days += int32(carry)
		secs -= carry * 86_400
	}
	res.Days += int32(monthDays)
	us := math.RoundToEven(apply(float64(x.Micros)) + secs*1e6)
	if math.IsNaN(us) || us >= math.MaxInt64 || us < math.MinInt64 {
		return nil, outOfRange
	}
	res.Micros = int64(us)
	return res, nil
}
