package pgexpr

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// CannotCoerce is SQLSTATE 42846: no cast between the two types.
const CannotCoerce = "42846"

// Cast is PostgreSQL's `expr::type` for the canonical column types.
type Cast struct {
	Child sql.Expression
	To    string // canonical type name (storage.Type*, "varchar(n)", "bpchar(n)")
	typ   sql.Type
	// memo, for a literal child, holds the cast value of the last query
	// context: `timestamptz '2024-01-01'` in a projection is parsed once
	// per statement, not once per row. Keyed by the context because the
	// result depends on session settings (TimeZone, DateStyle) that may
	// change between executions of a prepared statement.
	memo *atomic.Pointer[castMemo]
}

type castMemo struct {
	ctx *sql.Context
	v   any
	err error
}

var _ sql.Expression = (*Cast)(nil)

// NewCast returns a cast of child to the canonical type to.
func NewCast(child sql.Expression, to string) (*Cast, error) {
	t, err := pgtypes.GMSType(to)
	if err != nil {
		return nil, pgerror.New(pgerror.UndefinedObject, "type %q does not exist", to)
	}
	c := &Cast{Child: child, To: to, typ: t}
	if _, ok := child.(*expression.Literal); ok {
		c.memo = new(atomic.Pointer[castMemo])
	}
	return c, nil
}

// InjectableCast is the vitess Injectable form of a cast.
type InjectableCast struct {
	To string
}

// WithResolvedChildren implements sqlparser.Injectable.
func (c InjectableCast) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("cast takes one argument")
	}
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("cast argument is not an expression")
	}
	if err := boolCastError(e.Type(), c.To); err != nil {
		return nil, err
	}
	return NewCast(e, c.To)
}

func (c *Cast) Resolved() bool             { return c.Child.Resolved() }
func (c *Cast) String() string             { return fmt.Sprintf("%s::%s", c.Child, c.To) }
func (c *Cast) Type() sql.Type             { return c.typ }
func (c *Cast) IsNullable() bool           { return c.Child.IsNullable() }
func (c *Cast) Children() []sql.Expression { return []sql.Expression{c.Child} }

// WithChildren implements sql.Expression.
func (c *Cast) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 1)
	}
	return NewCast(children[0], c.To)
}

// CollationCoercibility implements sql.CollationCoercible.
func (c *Cast) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// Eval implements sql.Expression.
func (c *Cast) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if c.memo != nil && ctx != nil {
		if m := c.memo.Load(); m != nil && m.ctx == ctx {
			return m.v, m.err
		}
	}
	v, err := c.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	out, err := CastValue(ctx, v, c.Child.Type(), c.To)
	if c.memo != nil && ctx != nil {
		c.memo.Store(&castMemo{ctx: ctx, v: out, err: err})
	}
	return out, err
}

// CastValue converts v (of engine type from) to the canonical type to with
// PostgreSQL's rules.
func CastValue(ctx *sql.Context, v any, from sql.Type, to string) (any, error) {
	if j, ok := v.(JSONB); ok && jsonScalarCast(to) {
		return castFromJSONB(ctx, j, to)
	}
	fromOID, _ := pgtypes.OID(from)
	if base, _, ok := storage.CharLength(to); !ok || base != storage.TypeBPChar {
		v = bpcharAsText(from, v)
	}
	if s, ok := v.([]byte); ok && fromOID != pgtypes.OIDBytea {
		v = string(s)
	}
	if fromOID == pgtypes.OIDBool {
		if i, ok := v.(int8); ok {
			v = i != 0
		}
	}
	if pgtypes.IsNumericNaN(v) {
		switch to {
		case storage.TypeInt2, storage.TypeInt4, storage.TypeInt8:
			return nil, errNaNToInt(map[string]string{storage.TypeInt2: "smallint", storage.TypeInt4: "integer", storage.TypeInt8: "bigint"}[to])
		case storage.TypeFloat4:
			return float32(math.NaN()), nil
		case storage.TypeFloat8:
			return math.NaN(), nil
		}
	}
	switch to {
	case storage.TypeInt2:
		return castInt(v, math.MinInt16, math.MaxInt16, "smallint", func(i int64) any { return int16(i) })
	case storage.TypeInt4:
		return castInt(v, math.MinInt32, math.MaxInt32, "integer", func(i int64) any { return int32(i) })
	case storage.TypeInt8:
		return castInt(v, math.MinInt64, math.MaxInt64, "bigint", func(i int64) any { return i })
	case storage.TypeFloat4, storage.TypeFloat8:
		f, err := castFloat(v, to)
		if err != nil {
			return nil, err
		}
		if to == storage.TypeFloat4 {
			// float8 → real overflows and underflows as in PostgreSQL;
			// the infinities and NaN pass.
			f4 := float32(f)
			if math.IsInf(float64(f4), 0) && !math.IsInf(f, 0) {
				return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: overflow")
			}
			if f4 == 0 && f != 0 {
				return nil, pgerror.New(pgerror.NumericOutOfRange, "value out of range: underflow")
			}
			return f4, nil
		}
		return f, nil
	case storage.TypeBool:
		return castBool(v)
	case storage.TypeText:
		if a, ok := v.(storage.Inet); ok {
			return a.Text(), nil // inet::text always shows the mask
		}
		return TextOf(ctx, v, fromOID)
	case storage.TypeTimestampTZ, storage.TypeTimestamp, storage.TypeDate:
		if t, ok := v.(time.Time); ok && fromOID == pgtypes.OIDTimestampTZ && to != storage.TypeTimestampTZ {
			// timestamptz → date/timestamp takes the wall clock in the
			// session zone.
			w := t.In(SessionLocation(ctx))
			v = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
		}
		if t, ok := v.(time.Time); ok && to == storage.TypeTimestampTZ && (fromOID == pgtypes.OIDTimestamp || fromOID == pgtypes.OIDDate) && pgtypes.Infinite(t) == 0 {
			// date/timestamp → timestamptz reads the wall clock in the
			// session zone (PostgreSQL's timestamp2timestamptz).
			v = WallToInstant(t, SessionLocation(ctx))
		}
		return castTime(ctx, v, to)
	case storage.TypeJSONB:
		return castJSONB(ctx, v, fromOID)
	case "json":
		return castJSON(ctx, v, fromOID)
	case storage.TypeTime:
		return castToTime(ctx, v, fromOID)
	case storage.TypeUUID, storage.TypeInet, storage.TypeCIDR:
		return castUUIDInet(v, fromOID, to)
	case "interval":
		switch x := v.(type) {
		case pgtypes.TimeOfDay:
			return pgtypes.Interval{Micros: int64(x)}, nil
		case pgtypes.Interval:
			return x, nil
		case string:
			iv, err := pgtypes.ParseInterval(x)
			if err != nil {
				return nil, pgerror.New(pgerror.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", x)
			}
			return iv, nil
		}
	case storage.TypeBytea:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return ByteaInput([]byte(x)), nil
		}
	}
	if storage.IsTextual(to) {
		return castChar(ctx, v, fromOID, to)
	}
	if p, s, ok := storage.NumericPrecisionScale(to); ok {
		if numericNaNInput(v) {
			return pgtypes.NumericNaN{}, nil
		}
		d, err := castDecimal(v)
		if err != nil {
			return nil, err
		}
		if p != storage.DefaultNumericPrecision || s != storage.DefaultNumericScale || dscale(d) > int32(s) {
			d = d.Round(int32(s))
		}
		if d.Abs().GreaterThanOrEqual(decimal.New(1, int32(p-s))) {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "numeric field overflow")
		}
		return d, nil
	}
	return nil, pgerror.New(CannotCoerce, "cannot cast %v to %s", v, to)
}

func castInt(v any, lo, hi int64, name string, mk func(int64) any) (any, error) {
	var i int64
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, pgerror.New(pgerror.NumericOutOfRange, "value %q is out of range for type %s", x, name)
			}
			return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type %s: %q", name, x)
		}
		i = n
	case bool:
		if x {
			i = 1
		}
	case float32:
		return castInt(float64(x), lo, hi, name, mk)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "%s out of range", name)
		}
		r := math.RoundToEven(x)
		if r < float64(lo) || r > float64(hi) || (hi == math.MaxInt64 && r >= 9.223372036854775807e18) {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "%s out of range", name)
		}
		i = int64(r)
	case decimal.Decimal:
		r := x.Round(0) // half away from zero, like numeric
		if !r.IsInteger() || r.LessThan(decimal.NewFromInt(lo)) || r.GreaterThan(decimal.NewFromInt(hi)) {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "%s out of range", name)
		}
		i = r.IntPart()
	case uint64:
		if x > uint64(hi) {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "%s out of range", name)
		}
		i = int64(x)
	default:
		n, err := asInt64(v)
		if err != nil {
			return nil, pgerror.New(CannotCoerce, "cannot cast type %T to %s", v, name)
		}
		i = n
	}
	if i < lo || i > hi {
		return nil, pgerror.New(pgerror.NumericOutOfRange, "%s out of range", name)
	}
	return mk(i), nil
}

func asInt64(v any) (int64, error) {
	if _, isBool := v.(bool); !isBool {
		if i, ok := pgtypes.Int64(v); ok {
			return i, nil
		}
	}
	return 0, fmt.Errorf("not an integer: %T", v)
}

func castFloat(v any, to string) (float64, error) {
	name := "double precision"
	if to == storage.TypeFloat4 {
		name = "real"
	}
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		switch strings.ToLower(s) {
		case "nan", "+nan", "-nan": // C's strtod reads a signed NaN
			return math.NaN(), nil
		case "infinity", "inf", "+infinity", "+inf":
			return math.Inf(1), nil
		case "-infinity", "-inf":
			return math.Inf(-1), nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return 0, pgerror.New(pgerror.NumericOutOfRange, "%q is out of range for type %s", x, name)
			}
			return 0, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type %s: %q", name, x)
		}
		return f, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case decimal.Decimal:
		f, _ := x.Float64()
		return f, nil
	case bool:
		return 0, pgerror.New(CannotCoerce, "cannot cast type boolean to %s", name)
	case uint64:
		return float64(x), nil
	}
	i, err := asInt64(v)
	if err != nil {
		return 0, pgerror.New(CannotCoerce, "cannot cast %T to %s", v, name)
	}
	return float64(i), nil
}

func castDecimal(v any) (decimal.Decimal, error) {
	switch x := v.(type) {
	case string:
		d, err := decimal.NewFromString(strings.TrimSpace(x))
		if err != nil {
			return decimal.Decimal{}, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type numeric: %q", x)
		}
		return d, nil
	case decimal.Decimal:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return decimal.Decimal{}, pgerror.New(pgerror.FeatureNotSupported, "cannot convert %v to numeric", x)
		}
		return decimal.NewFromFloat(x), nil
	case float32:
		return decimal.NewFromFloat32(x), nil
	case uint64:
		return decimal.RequireFromString(strconv.FormatUint(x, 10)), nil
	}
	i, err := asInt64(v)
	if err != nil {
		return decimal.Decimal{}, pgerror.New(CannotCoerce, "cannot cast %T to numeric", v)
	}
	return decimal.NewFromInt(i), nil
}

func castBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "t", "true", "y", "yes", "on", "1":
			return true, nil
		case "f", "false", "n", "no", "off", "0":
			return false, nil
		}
		return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type boolean: %q", x)
	}
	if i, err := asInt64(v); err == nil {
		return i != 0, nil
	}
	return nil, pgerror.New(CannotCoerce, "cannot cast type %T to boolean", v)
}

// timeLayouts are the PostgreSQL input forms accepted for timestamps, after
// the ISO 8601 'T' separator is normalized to a space.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999 Z07",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTimestamp parses PostgreSQL timestamp input. Values without a zone
// are taken in loc.
func ParseTimestamp(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == 'T' {
		s = s[:10] + " " + s[11:]
	}
	if strings.HasSuffix(s, "Z") {
		s = s[:len(s)-1] + "+00:00"
	}
	for _, l := range timeLayouts {
		if !strings.ContainsAny(l, "ZM") {
			// No zone in the input: the wall clock is read in loc the way
			// PostgreSQL does it around DST changes (wallToUTC).
			if w, err := time.Parse(l, s); err == nil {
				return wallToUTC(w, loc).In(loc), true
			}
			continue
		}
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ExtraTimestampLayouts are PostgreSQL output forms that go-mysql-server's
// own string → timestamp conversion should also accept (offsets as -07 or
// -07:00 after a space-separated time).
var ExtraTimestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
}

func castTime(ctx *sql.Context, v any, to string) (any, error) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		loc := SessionLocation(ctx)
		if to == storage.TypeTimestamp || to == storage.TypeDate {
			loc = time.UTC
		}
		name := map[string]string{storage.TypeTimestampTZ: "timestamp with time zone",
			storage.TypeTimestamp: "timestamp without time zone", storage.TypeDate: "date"}[to]
		p, special, err := ParseDateTimeInput(x, name, loc, ctx.QueryTime())
		if err != nil {
			return nil, err
		}
		switch special {
		case dtInfinity:
			return pgtypes.PosInfinity, nil
		case dtNegInfinity:
			return pgtypes.NegInfinity, nil
		}
		if to == storage.TypeTimestamp {
			// Drop any zone: timestamp without time zone keeps wall time.
			p = time.Date(p.Year(), p.Month(), p.Day(), p.Hour(), p.Minute(), p.Second(), p.Nanosecond(), time.UTC)
		}
		t = p
	default:
		return nil, pgerror.New(CannotCoerce, "cannot cast type %T to %s", v, to)
	}
	if pgtypes.Infinite(t) != 0 {
		if _, ok := v.(string); ok {
			// A year in the hundred thousands read from text, not the
			// word infinity (answered above).
			return nil, pgerror.New(pgerror.DatetimeOverflow, "timestamp out of range: %q", v)
		}
		return t.UTC(), nil
	}
	t = t.UTC().Round(time.Microsecond)
	if to == storage.TypeDate {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	if to == storage.TypeTimestampTZ {
		return pgtypes.CheckTimestampTZ(t)
	}
	return t, nil
}

// SessionLocation returns the session's TimeZone (UTC when unset).
func SessionLocation(ctx *sql.Context) *time.Location {
	if ctx == nil || ctx.Session == nil {
		return time.UTC
	}
	if l, ok := ctx.Session.(interface{ Location() *time.Location }); ok {
		if loc := l.Location(); loc != nil {
			return loc
		}
	}
	return time.UTC
}

// TextOf formats v as PostgreSQL's text output of a value of type oid.
func TextOf(ctx *sql.Context, v any, oid uint32) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []byte:
		if oid == pgtypes.OIDBytea {
			return `\x` + hex.EncodeToString(x), nil
		}
		return string(x), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case float64:
		return formatFloatIn(ctx, x, 64), nil
	case float32:
		return formatFloatIn(ctx, float64(x), 32), nil
	case decimal.Decimal:
		// The exponent is the display scale, as the gateway prints it
		// (pgtypes.Value): 0.100000::numeric(20,6)::text is 0.100000.
		return x.StringFixed(max(0, -x.Exponent())), nil
	case pgtypes.Interval:
		return x.String(), nil
	case pgtypes.TimeOfDay:
		return x.String(), nil
	case pgtypes.NumericNaN:
		return x.String(), nil
	case storage.Inet:
		return x.String(), nil
	case time.Time:
		if s := pgtypes.InfinityText(x); s != "" {
			return s, nil
		}
		switch oid {
		case pgtypes.OIDDate:
			return x.Format("2006-01-02"), nil
		case pgtypes.OIDTimestamp:
			return x.Format("2006-01-02 15:04:05.999999"), nil
		}
		return FormatTimestampTZ(x, SessionLocation(ctx)), nil
	}
	if oid == pgtypes.OIDBool {
		if i, err := asInt64(v); err == nil {
			if i != 0 {
				return "true", nil
			}
			return "false", nil
		}
	}
	if i, err := asInt64(v); err == nil {
		return strconv.FormatInt(i, 10), nil
	}
	return fmt.Sprint(v), nil
}

// FormatFloat formats a float the way PostgreSQL does with the default
// extra_float_digits (shortest exact representation).
func FormatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	// Decide between fixed and exponent notation like PostgreSQL: exponent
	// when exp < -4 or exp >= 15 (float8) / 6 (float4) significant digits.
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		if exp < 0 {
			return fmt.Sprintf("%se-%02d", mant, -exp)
		}
		return fmt.Sprintf("%se+%02d", mant, exp)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// FormatTimestampTZ formats t like PostgreSQL's timestamptz output with
// DateStyle ISO in loc.
func FormatTimestampTZ(t time.Time, loc *time.Location) string {
	if s := pgtypes.InfinityText(t); s != "" {
		return s
	}
	t = t.In(loc)
	s := t.Format("2006-01-02 15:04:05.999999")
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign = "-"
		off = -off
	}
	s += fmt.Sprintf("%s%02d", sign, off/3600)
	if m := (off % 3600) / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// InjectableLiteral is a literal with an explicit engine type, so that an
// integer constant is int4 (or int8) as in PostgreSQL rather than the
// narrowest MySQL type go-mysql-server would pick.
type InjectableLiteral struct {
	Value any
	Type  sql.Type
}

// WithResolvedChildren implements sqlparser.Injectable.
func (l InjectableLiteral) WithResolvedChildren([]any) (any, error) {
	return expression.NewLiteral(l.Value, l.Type), nil
}

// ByteaInput decodes PostgreSQL's bytea hex input form ('\\x0102'); any
// other input is taken as the bytes themselves.
func ByteaInput(b []byte) []byte {
	if len(b) >= 2 && b[0] == '\\' && (b[1] == 'x' || b[1] == 'X') {
		out := make([]byte, hex.DecodedLen(len(b)-2))
		if _, err := hex.Decode(out, b[2:]); err == nil {
			return out
		}
	}
	return b
}
