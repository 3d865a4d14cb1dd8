package pgexpr

import (
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// sleepFuncs are pg_sleep(double precision), pg_sleep_for(interval) and
// pg_sleep_until(timestamp with time zone). They return void (an empty
// value) and NULL for a NULL argument; a duration that is not positive
// returns at once. The sleep ends early when the statement's context does:
// a CancelRequest or statement_timeout (57014, mapped by the planner from
// the context's error).
var sleepFuncs = map[string]funcDef{
	"pg_sleep":       {args: []argKind{kAny}, check: sleepSecondsArg, result: voidResult, evalCtx: evalSleep},
	"pg_sleep_for":   {args: []argKind{kAny}, check: sleepIntervalArg, result: voidResult, evalCtx: evalSleepFor},
	"pg_sleep_until": {args: []argKind{kAny}, check: sleepTimeArg, result: voidResult, evalCtx: evalSleepUntil},
}

func voidResult([]sql.Expression) sql.Type { return pgtypes.VoidType }

// sleepSecondsArg accepts what converts implicitly to double precision:
// numbers, string literals and parameters (typed when they are bound).
func sleepSecondsArg(a []sql.Expression) bool {
	t := a[0].Type()
	return t == types.Null || IsUnknownLiteral(a[0]) || isParam(a[0]) || (types.IsNumber(t) && t != types.Boolean) || types.IsDecimal(t)
}

// sleepIntervalArg accepts an interval, a string literal or a parameter.
func sleepIntervalArg(a []sql.Expression) bool {
	t := a[0].Type()
	return t == types.Null || t == pgtypes.IntervalType || IsUnknownLiteral(a[0]) || isParam(a[0])
}

// sleepTimeArg accepts a date/time value, a string literal or a
// parameter.
func sleepTimeArg(a []sql.Expression) bool {
	t := a[0].Type()
	return t == types.Null || pgtypes.IsTime(t) || IsUnknownLiteral(a[0]) || isParam(a[0])
}

func isParam(e sql.Expression) bool {
	_, ok := e.(*expression.BindVar)
	return ok
}

// ParamOID is the type OID PostgreSQL infers for a parameter given as
// argument i of the call (pg_sleep($1): float8), or 0 when the function
// does not say.
func (f *Func) ParamOID(i int) uint32 {
	if i == 0 {
		switch f.Name {
		case "pg_sleep":
			return pgtypes.OIDFloat8
		case "pg_sleep_for":
			return pgtypes.OIDInterval
		case "pg_sleep_until":
			return pgtypes.OIDTimestampTZ
		}
		if oid := funcsParamOID(f.Name); oid != 0 {
			return oid
		}
	}
	if i >= len(f.def.args) && !f.def.variadic {
		return 0
	}
	// Otherwise the argument's kind: upper($1) is text, left(s, $2) int4,
	// round($1, 2) numeric, date_trunc('hour', $1) timestamptz (the
	// preferred type of the kinds PostgreSQL would choose from).
	switch f.def.kind(i) {
	case kText:
		return pgtypes.OIDText
	case kInt:
		return pgtypes.OIDInt4
	case kNumber:
		return pgtypes.OIDNumeric
	case kTime:
		return pgtypes.OIDTimestampTZ
	}
	return 0
}

func evalSleep(ctx *sql.Context, a []any, _ []sql.Type) (any, error) {
	var secs float64
	switch x := a[0].(type) {
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type double precision: %q", x)
		}
		secs = f
	case decimal.Decimal:
		secs = x.InexactFloat64()
	default:
		d, f, isDec := toDecimalOrFloat(x)
		if isDec {
			f = d.InexactFloat64()
		}
		secs = f
	}
	if !(secs > 0) { // negative, zero and NaN return at once
		return "", nil
	}
	return sleepUntil(ctx, time.Now().Add(time.Duration(min(secs, 1e9)*float64(time.Second))))
}

func evalSleepFor(ctx *sql.Context, a []any, _ []sql.Type) (any, error) {
	iv, ok := a[0].(pgtypes.Interval)
	if !ok {
		s, _ := a[0].(string)
		var err error
		if iv, err = pgtypes.ParseInterval(s); err != nil {
			return nil, err
		}
	}
	// PostgreSQL sleeps until clock_timestamp() + the interval, months and
	// days counted on the calendar of the session zone.
	now := time.Now().In(SessionLocation(ctx))
	end := now.AddDate(0, int(iv.Months), int(iv.Days)).Add(time.Duration(iv.Micros) * time.Microsecond)
	return sleepUntil(ctx, end)
}

func evalSleepUntil(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	if s, ok := a[0].(string); ok {
		v, err := castTime(ctx, s, "timestamptz")
		if err != nil {
			return nil, err
		}
		a[0], ts[0] = v, pgtypes.TimestampTZType
	}
	t, ok := a[0].(time.Time)
	if !ok {
		return "", nil
	}
	if !pgtypes.IsTimestampTZ(ts[0]) && types.IsTime(ts[0]) {
		t = WallToInstant(t, SessionLocation(ctx)) // timestamp/date → timestamptz
	}
	if pgtypes.Infinite(t) > 0 {
		t = time.Now().Add(time.Duration(1<<62 - 1))
	}
	return sleepUntil(ctx, t)
}

// sleepUntil waits until end or until the statement's context ends.
func sleepUntil(ctx *sql.Context, end time.Time) (any, error) {
	d := time.Until(end)
	if d <= 0 {
		return "", nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return "", nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
