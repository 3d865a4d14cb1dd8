package pgexpr

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// argKind is the class of argument a PostgreSQL function accepts.
type argKind int

const (
	kText argKind = iota
	kInt
	kNumber // any numeric type
	kTime   // timestamp, timestamptz or date
	kAny
)

// funcDef is a scalar function with PostgreSQL semantics.
type funcDef struct {
	args   []argKind // required arguments
	opt    int       // how many trailing args are optional
	result func(args []sql.Expression) sql.Type
	eval   func(args []any, types []sql.Type) (any, error)
	// evalCtx is used instead of eval by functions that need the session
	// (time zone).
	evalCtx func(ctx *sql.Context, args []any, types []sql.Type) (any, error)
	numeric bool // float8 and numeric variants differ (round etc.)
	// nonStrict functions see NULL arguments instead of returning NULL.
	nonStrict bool
	// variadic functions repeat their last argument kind.
	variadic bool
	// check, when set, further restricts the argument types (overloads
	// kinds cannot express, such as interval arguments).
	check func(args []sql.Expression) bool
}

func (d funcDef) kind(i int) argKind { return d.args[min(i, len(d.args)-1)] }

func lookupFunc(name string) (funcDef, bool) {
	for _, m := range []map[string]funcDef{funcs, textFuncs, textFuncs3, toCharFuncs, likeFuncs, moreFuncs, timeFuncs, makeFuncs, intMathFuncs, trigFuncs, arrayFuncs, timeFuncs2, regexpFuncs, sleepFuncs, funcsFuncs, toNumberFuncs, jsonFuncs} {
		if d, ok := m[name]; ok {
			return d, true
		}
	}
	return funcDef{}, false
}

func textResult([]sql.Expression) sql.Type  { return types.LongText }
func int32Result([]sql.Expression) sql.Type { return types.Int32 }
func sameAsFirst(args []sql.Expression) sql.Type {
	t := args[0].Type()
	if types.IsInteger(t) && t != types.Int8 {
		return t
	}
	if types.IsFloat(t) {
		return types.Float64
	}
	if types.IsDecimal(t) {
		return t
	}
	if t == types.Null {
		return types.Float64
	}
	return types.Float64
}

// funcs are the PostgreSQL scalar functions implemented here.
var funcs = map[string]funcDef{
	"pg_typeof": {args: []argKind{kAny}, nonStrict: true, result: textResult, eval: func(_ []any, ts []sql.Type) (any, error) {
		return TypeOfName(ts[0]), nil
	}},
	// Catalog helpers clients call in their introspection queries.
	"pg_table_is_visible": {args: []argKind{kAny}, result: boolResult, eval: func([]any, []sql.Type) (any, error) { return int8(1), nil }},
	"pg_encoding_to_char": {args: []argKind{kAny}, result: textResult, eval: func([]any, []sql.Type) (any, error) { return "UTF8", nil }},
	"greatest":            {args: []argKind{kAny}, variadic: true, nonStrict: true, result: commonType, eval: extremum(1)},
	"least":               {args: []argKind{kAny}, variadic: true, nonStrict: true, result: commonType, eval: extremum(-1)},
	"upper": {args: []argKind{kText}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		return strings.ToUpper(a[0].(string)), nil
	}},
	"lower": {args: []argKind{kText}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		return strings.ToLower(a[0].(string)), nil
	}},
	"length": {args: []argKind{kText}, result: int32Result, eval: func(a []any, _ []sql.Type) (any, error) {
		return int32(utf8.RuneCountInString(a[0].(string))), nil
	}},
	"btrim": {args: []argKind{kText, kText}, opt: 1, result: textResult, eval: trimmer(strings.Trim)},
	"ltrim": {args: []argKind{kText, kText}, opt: 1, result: textResult, eval: trimmer(strings.TrimLeft)},
	"rtrim": {args: []argKind{kText, kText}, opt: 1, result: textResult, eval: trimmer(strings.TrimRight)},
	"replace": {args: []argKind{kText, kText, kText}, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		if a[1].(string) == "" {
			return a[0], nil
		}
		return strings.ReplaceAll(a[0].(string), a[1].(string), a[2].(string)), nil
	}},
	"abs": {args: []argKind{kNumber}, result: sameAsFirst, eval: evalAbs},
	"sign": {args: []argKind{kNumber}, result: func(a []sql.Expression) sql.Type {
		if types.IsDecimal(a[0].Type()) {
			return a[0].Type()
		}
		return types.Float64
	}, eval: func(a []any, _ []sql.Type) (any, error) {
		d, f, isDec := toDecimalOrFloat(a[0])
		if _, isInt := pgtypes.Int64(a[0]); isDec && !isInt {
			return decimal.NewFromInt(int64(d.Sign())), nil
		} else if isInt {
			f, _ = d.Float64()
		}
		switch {
		case f > 0:
			return 1.0, nil
		case f < 0:
			return -1.0, nil
		}
		return f, nil
	}},
	"ceil":  {args: []argKind{kNumber}, result: roundResult, eval: roundWith(math.Ceil, func(d decimal.Decimal) decimal.Decimal { return d.Ceil() })},
	"floor": {args: []argKind{kNumber}, result: roundResult, eval: roundWith(math.Floor, func(d decimal.Decimal) decimal.Decimal { return d.Floor() })},
	"round": {args: []argKind{kNumber, kInt}, opt: 1, numeric: true, result: roundResult, eval: evalRound},
	"trunc": {args: []argKind{kNumber, kInt}, opt: 1, numeric: true, result: roundResult, eval: evalTrunc},
	"sqrt": {args: []argKind{kNumber}, result: floatResult, eval: floatFn("sqrt", func(x float64) (float64, error) {
		if x < 0 {
			return 0, pgerror.New("2201F", "cannot take square root of a negative number")
		}
		return math.Sqrt(x), nil
	})},
	"ln": {args: []argKind{kNumber}, result: floatResult, eval: floatFn("ln", func(x float64) (float64, error) {
		if x <= 0 {
			return 0, pgerror.New("2201E", "cannot take logarithm of %s", map[bool]string{true: "zero", false: "a negative number"}[x == 0])
		}
		return math.Log(x), nil
	})},
	"log10": {args: []argKind{kNumber}, result: floatResult, eval: floatFn("log", func(x float64) (float64, error) {
		if x <= 0 {
			return 0, pgerror.New("2201E", "cannot take logarithm of %s", map[bool]string{true: "zero", false: "a negative number"}[x == 0])
		}
		return math.Log10(x), nil
	})},
	"power": {args: []argKind{kNumber, kNumber}, result: powerResult, eval: func(a []any, t []sql.Type) (any, error) {
		if numericPowerArgs(t) {
			x, err := castDecimal(a[0])
			if err != nil {
				return nil, err
			}
			y, err := castDecimal(a[1])
			if err != nil {
				return nil, err
			}
			return NumericPower(x, y)
		}
		x, err := castFloat(a[0], "float8")
		if err != nil {
			return nil, err
		}
		y, err := castFloat(a[1], "float8")
		if err != nil {
			return nil, err
		}
		if x == 0 && y < 0 {
			return nil, pgerror.New("2201F", "zero raised to a negative power is undefined")
		}
		if x < 0 && !math.IsInf(y, 0) && y != math.Trunc(y) {
			return nil, pgerror.New("2201F", "a negative number raised to a non-integer power yields a complex result")
		}
		return checkFloat(math.Pow(x, y), x, y)
	}},
	"exp": {args: []argKind{kNumber}, result: floatResult, eval: func(a []any, _ []sql.Type) (any, error) {
		x, err := castFloat(a[0], "float8")
		if err != nil {
			return nil, err
		}
		return checkFloat(math.Exp(x), x, 0)
	}},
}

func floatResult([]sql.Expression) sql.Type { return types.Float64 }

// checkFloat is PostgreSQL's float8 range check of a result v computed from
// x and y: infinite from finite operands is an overflow, zero from nonzero
// finite x an underflow (22003).
func checkFloat(v, x, y float64) (any, error) {
	switch {
	case math.IsInf(v, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0):
		return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: overflow")
	case v == 0 && x != 0 && !math.IsInf(x, 0) && !math.IsInf(y, 0):
		return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: underflow")
	}
	return v, nil
}

func roundResult(args []sql.Expression) sql.Type {
	t := args[0].Type()
	if types.IsDecimal(t) || types.IsInteger(t) {
		return types.MustCreateDecimalType(65, 30)
	}
	return types.Float64
}

func floatFn(_ string, f func(float64) (float64, error)) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		x, err := castFloat(a[0], "float8")
		if err != nil {
			return nil, err
		}
		return f(x)
	}
}

func trimmer(f func(string, string) string) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		cut := " "
		if len(a) > 1 {
			cut = a[1].(string)
		}
		return f(a[0].(string), cut), nil
	}
}

func evalSubstring(a []any, _ []sql.Type) (any, error) {
	r := []rune(a[0].(string))
	start, _ := asInt64(a[1])
	end := int64(math.MaxInt64)
	if len(a) > 2 {
		n, _ := asInt64(a[2])
		if n < 0 {
			return nil, pgerror.New("22011", "negative substring length not allowed")
		}
		end = start + n
	}
	// PostgreSQL counts from 1 and clips the window [start, start+len) to
	// the string.
	lo := max(start, 1)
	if end <= lo {
		return "", nil
	}
	if lo > int64(len(r)) {
		return "", nil
	}
	hi := min(end, int64(len(r))+1)
	return string(r[lo-1 : hi-1]), nil
}

func evalAbs(a []any, _ []sql.Type) (any, error) {
	switch x := a[0].(type) {
	case int16:
		if x == math.MinInt16 {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "smallint out of range")
		}
		return int16(math.Abs(float64(x))), nil
	case int32:
		if x == math.MinInt32 {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
		}
		if x < 0 {
			return -x, nil
		}
		return x, nil
	case int64:
		if x == math.MinInt64 {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "bigint out of range")
		}
		if x < 0 {
			return -x, nil
		}
		return x, nil
	case float64:
		return math.Abs(x), nil
	case float32:
		return math.Abs(float64(x)), nil
	case decimal.Decimal:
		return x.Abs(), nil
	}
	i, err := asInt64(a[0])
	if err != nil {
		return nil, err
	}
	if i < 0 {
		i = -i
	}
	return i, nil
}

func toDecimalOrFloat(v any) (decimal.Decimal, float64, bool) {
	switch x := v.(type) {
	case float64:
		return decimal.Decimal{}, x, false
	case float32:
		return decimal.Decimal{}, float64(x), false
	case decimal.Decimal:
		return x, 0, true
	}
	i, _ := asInt64(v)
	return decimal.NewFromInt(i), 0, true
}

func roundWith(ff func(float64) float64, df func(decimal.Decimal) decimal.Decimal) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		d, f, isDec := toDecimalOrFloat(a[0])
		if !isDec {
			return ff(f), nil
		}
		return df(d), nil
	}
}

func evalRound(a []any, _ []sql.Type) (any, error) {
	d, f, isDec := toDecimalOrFloat(a[0])
	if !isDec {
		if len(a) > 1 {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function round(double precision, integer) does not exist")
		}
		return math.RoundToEven(f), nil
	}
	var s int64
	if len(a) > 1 {
		s, _ = asInt64(a[1])
	}
	return d.Round(int32(s)), nil // half away from zero, like numeric
}

func evalTrunc(a []any, _ []sql.Type) (any, error) {
	d, f, isDec := toDecimalOrFloat(a[0])
	if !isDec {
		if len(a) > 1 {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function trunc(double precision, integer) does not exist")
		}
		return math.Trunc(f), nil
	}
	var s int64
	if len(a) > 1 {
		s, _ = asInt64(a[1])
	}
	if s < 0 {
		// Truncate ignores a negative scale: trunc(1234.5, -2) is 1200.
		return d.Shift(int32(s)).Truncate(0).Shift(int32(-s)), nil
	}
	return d.Truncate(int32(s)), nil
}

// Func is a PostgreSQL scalar function call.
type Func struct {
	Name string
	Args []sql.Expression
	def  funcDef
}

var _ sql.Expression = (*Func)(nil)

// HasFunc reports whether name is implemented here.
func HasFunc(name string) bool { _, ok := lookupFunc(name); return ok }

// InjectableFunc is the vitess Injectable form of Func.
type InjectableFunc struct{ Name string }

// WithResolvedChildren implements sqlparser.Injectable; it checks argument
// types like PostgreSQL's function resolution (42883 when none matches).
func (f InjectableFunc) WithResolvedChildren(children []any) (any, error) {
	args := make([]sql.Expression, len(children))
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("%s: argument %d is not an expression", f.Name, i+1)
		}
		args[i] = e
	}
	return NewFunc(f.Name, args)
}

// NewFunc resolves a call.
func NewFunc(name string, args []sql.Expression) (*Func, error) {
	def, ok := lookupFunc(name)
	if !ok {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function %s does not exist", name)
	}
	if (len(args) > len(def.args) && !def.variadic) || len(args) < len(def.args)-def.opt {
		return nil, noSuchFunction(name, args)
	}
	for i, a := range args {
		t := a.Type()
		if t == types.Null || isParam(a) {
			// An untyped parameter takes the argument's type
			// (Func.ParamOID); its value is checked when bound.
			continue
		}
		ok := true
		switch def.kind(i) {
		case kText:
			ok = types.IsText(t)
		case kInt:
			ok = types.IsInteger(t) && t != types.Boolean
		case kNumber:
			ok = (types.IsNumber(t) && t != types.Boolean) || types.IsDecimal(t)
		case kTime:
			ok = pgtypes.IsTime(t) || (types.IsText(t) && isLiteral(a))
		case kAny:
		}
		if !ok {
			return nil, noSuchFunction(name, args)
		}
	}
	if def.check != nil && !def.check(args) {
		return nil, noSuchFunction(name, args)
	}
	return &Func{Name: name, Args: args, def: def}, nil
}

func noSuchFunction(name string, args []sql.Expression) error {
	names := make([]string, len(args))
	for i, a := range args {
		if a.Type() == types.Null {
			names[i] = "unknown"
			continue
		}
		oid, _ := pgtypes.OID(a.Type())
		names[i] = pgtypes.TypeName(oid)
	}
	err := pgerror.New(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(names, ", "))
	err.Hint = noFunctionHint
	return err
}

func (f *Func) Resolved() bool {
	for _, a := range f.Args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}

func (f *Func) String() string {
	parts := make([]string, len(f.Args))
	for i, a := range f.Args {
		parts[i] = a.String()
	}
	return f.Name + "(" + strings.Join(parts, ", ") + ")"
}

func (f *Func) Type() sql.Type             { return f.def.result(f.Args) }
func (f *Func) IsNullable() bool           { return true }
func (f *Func) Children() []sql.Expression { return f.Args }

// WithChildren implements sql.Expression.
func (f *Func) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(f.Args) {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), len(f.Args))
	}
	return &Func{Name: f.Name, Args: children, def: f.def}, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (f *Func) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// Eval implements sql.Expression. Any NULL argument gives NULL (all these
// functions are strict).
func (f *Func) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	vals := make([]any, len(f.Args))
	ts := make([]sql.Type, len(f.Args))
	for i, a := range f.Args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			if f.def.nonStrict {
				vals[i], ts[i] = nil, a.Type()
				continue
			}
			return nil, nil
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		if f.def.kind(i) == kText {
			v = bpcharAsText(a.Type(), v)
			if _, ok := v.(string); !ok {
				s, err := TextOf(ctx, v, 0)
				if err != nil {
					return nil, err
				}
				v = s
			}
		}
		if f.def.kind(i) == kTime {
			if str, ok := v.(string); ok {
				t, err := castTime(ctx, str, "timestamptz")
				if err != nil {
					return nil, err
				}
				v = t
			}
		}
		vals[i], ts[i] = v, a.Type()
	}
	if nan, ok := numericNaNResult(f, vals); ok {
		return nan, nil
	}
	if f.Name == "greatest" || f.Name == "least" {
		if v, ok := charExtremum(f, vals); ok {
			return v, nil
		}
	}
	if f.def.evalCtx != nil {
		return f.def.evalCtx(ctx, vals, ts)
	}
	return f.def.eval(vals, ts)
}

// TypeOfName is pg_typeof's answer for an engine type.
func TypeOfName(t sql.Type) string {
	if t == types.Null {
		return "unknown"
	}
	oid, _ := pgtypes.OID(t)
	if oid == pgtypes.OIDText && types.IsText(t) {
		return "text"
	}
	return pgtypes.TypeName(oid)
}

// commonType is the result type of greatest/least: the widest numeric
// type, else the first non-null argument's type.
func commonType(args []sql.Expression) sql.Type {
	if t, ok := CharCommonType(args); ok {
		return t
	}
	var out sql.Type = types.Null
	rank := func(t sql.Type) int {
		switch {
		case types.IsFloat(t):
			return 5
		case types.IsDecimal(t):
			return 4
		case t == types.Int64:
			return 3
		case t == types.Int32:
			return 2
		case t == types.Int16:
			return 1
		}
		return 0
	}
	for _, a := range args {
		t := a.Type()
		if t == types.Null {
			continue
		}
		if out == types.Null || rank(t) > rank(out) {
			out = t
		}
	}
	return out
}

// extremum implements greatest (dir 1) and least (dir -1): NULLs are
// ignored; the result is NULL only when every argument is NULL.
func extremum(dir int) func([]any, []sql.Type) (any, error) {
	return func(a []any, ts []sql.Type) (any, error) {
		if err := jsonExtremumArgs(a, ts); err != nil {
			return nil, err
		}
		var best any
		var bestType sql.Type
		for i, v := range a {
			if v == nil {
				continue
			}
			if best == nil {
				best, bestType = v, ts[i]
				continue
			}
			c, err := compareValues(v, best)
			if err != nil {
				return nil, err
			}
			if c*dir > 0 {
				best, bestType = v, ts[i]
			}
		}
		_ = bestType
		return best, nil
	}
}

func compareValues(x, y any) (int, error) {
	if c, ok := compareNumericNaN(x, y); ok {
		return c, nil
	}
	switch xv := x.(type) {
	case string:
		if yv, ok := y.(string); ok {
			return strings.Compare(xv, yv), nil
		}
	case time.Time:
		if yv, ok := y.(time.Time); ok {
			return xv.Compare(yv), nil
		}
	case JSONB:
		return xv.Compare(y)
	}
	if yv, ok := y.(JSONB); ok {
		c, err := yv.Compare(x)
		return -c, err
	}
	dx, fx, decx := toDecimalOrFloat(x)
	dy, fy, decy := toDecimalOrFloat(y)
	if decx && decy {
		return dx.Cmp(dy), nil
	}
	if decx {
		fx, _ = dx.Float64()
	}
	if decy {
		fy, _ = dy.Float64()
	}
	switch {
	case fx < fy:
		return -1, nil
	case fx > fy:
		return 1, nil
	}
	return 0, nil
}
