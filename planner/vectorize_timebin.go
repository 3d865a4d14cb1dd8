package planner

import (
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// Time-bin GROUP BY keys (docs/design/080-dashboard-group-keys.md). Grafana's
// PostgreSQL data source groups a time series by
// $__timeGroup(ts, '1m') = floor(extract(epoch from ts)/60)*60, and
// dashboards use date_bin(interval, ts, origin) or to_timestamp of the
// former. None of these is an executor expression, so such a query ran on
// the row engine. Their groups are the bins of a fixed width over ts, so
// the vectorized aggregation groups by exec.OpTimeBin and the row engine
// computes the selected expression from each group's first ts, as it does
// for date_trunc keys.

// groupKey compiles a GROUP BY expression: a time bin when x is one,
// else the value of x.
func (c *compiler) groupKey(x sql.Expression) *exec.Expr {
	if k := c.timeBinKey(x); k != nil {
		return k
	}
	if k := c.zoneTruncKey(x); k != nil {
		return k
	}
	if k := c.caseKey(x); k != nil { // vectorize_casevec.go
		return k
	}
	if k := c.calendarKey(x); k != nil { // vectorize_zonecal_casevec.go
		return k
	}
	return c.groupValue(x) // vectorize_inetvec_casevec.go
}

// zoneTruncKey returns the key of date_trunc(unit, ts) over a timestamptz
// column in a session whose TimeZone is not UTC (its groups are those of
// the local wall clock truncated), or nil.
func (c *compiler) zoneTruncKey(x sql.Expression) *exec.Expr {
	f, ok := x.(*pgexpr.Func)
	if !ok || f.Name != "date_trunc" || len(f.Args) != 2 || c.utc || !pgtypes.IsTimestampTZ(f.Args[1].Type()) {
		return nil
	}
	unit, ok := literalString(f.Args[0])
	if !ok {
		return nil
	}
	s, ok := c.ctx.Session.(*pgSession)
	if !ok || s.loc == nil {
		return nil
	}
	zone := s.loc.String()
	if _, err := time.LoadLocation(zone); err != nil || zone == "Local" || zone == "" {
		return nil
	}
	ts, ok := c.timestampColumn(f.Args[1])
	if !ok {
		return nil
	}
	return exec.ZoneTrunc(ts, strings.ToLower(unit), zone)
}

// timeBinKey returns the time bin whose groups are x's groups, or nil:
//   - floor(extract(epoch from ts) / C), times a nonzero constant or not,
//     inside to_timestamp(...) or not, with C a positive integer or
//     decimal constant that is a whole number of microseconds;
//   - date_bin(stride, ts, origin) with a constant stride without months
//     and a constant timestamp origin, in a UTC session.
//
// ts is a timestamp or timestamptz column of the scan.
func (c *compiler) timeBinKey(x sql.Expression) *exec.Expr {
	switch v := x.(type) {
	case *pgexpr.Arith:
		if v.Op != "*" {
			return nil
		}
		// k * C or C * k is one-to-one when C is not zero.
		if nonZeroConst(v.Right) {
			return c.epochFloor(v.Left)
		}
		if nonZeroConst(v.Left) {
			return c.epochFloor(v.Right)
		}
	case *pgexpr.Func:
		switch v.Name {
		case "floor":
			return c.epochFloor(v)
		case "to_timestamp":
			if len(v.Args) == 1 {
				return c.timeBinKey(v.Args[0])
			}
		case "date_bin":
			return c.dateBin(v)
		}
	}
	return nil
}

// epochFloor matches floor(extract(epoch from ts) / C).
func (c *compiler) epochFloor(x sql.Expression) *exec.Expr {
	f, ok := x.(*pgexpr.Func)
	if !ok || f.Name != "floor" || len(f.Args) != 1 {
		return nil
	}
	div, ok := f.Args[0].(*pgexpr.Arith)
	if !ok || div.Op != "/" {
		return nil
	}
	width, ok := microsConst(div.Right)
	if !ok {
		return nil
	}
	ex, ok := div.Left.(*pgexpr.Func)
	if !ok || ex.Name != "extract" || len(ex.Args) != 2 {
		return nil
	}
	if field, ok := literalString(ex.Args[0]); !ok || !strings.EqualFold(field, "epoch") {
		return nil
	}
	ts, ok := c.timestampColumn(ex.Args[1])
	if !ok {
		return nil
	}
	return exec.TimeBin(ts, width, time.Unix(0, 0))
}

// dateBin matches date_bin(stride, ts, origin).
func (c *compiler) dateBin(f *pgexpr.Func) *exec.Expr {
	if len(f.Args) != 3 {
		return nil
	}
	l, ok := f.Args[0].(*expression.Literal)
	if !ok {
		return nil
	}
	var stride pgtypes.Interval
	switch s := l.Value().(type) {
	case pgtypes.Interval:
		stride = s
	case string:
		iv, err := pgtypes.ParseInterval(s)
		if err != nil {
			return nil
		}
		stride = iv
	default:
		return nil
	}
	width := int64(stride.Days)*86_400_000_000 + stride.Micros
	if stride.Months != 0 || stride.Days < 0 || width <= 0 || width/86_400_000_000 < int64(stride.Days) {
		return nil // the row engine reports the error
	}
	// The origin: a timestamp literal or a cast of a literal
	// (timestamptz '2000-01-01' is '2000-01-01'::timestamptz).
	o := f.Args[2]
	if cast, ok := o.(*pgexpr.Cast); ok {
		if _, lit := cast.Child.(*expression.Literal); !lit {
			return nil
		}
	} else if _, lit := o.(*expression.Literal); !lit {
		return nil
	}
	origin, ok := c.binOrigin(f) // vectorize_zonecal_casevec.go
	if !ok {
		return nil
	}
	ts, ok := c.timestampColumn(f.Args[1])
	if !ok {
		return nil
	}
	return exec.TimeBin(ts, width, origin)
}

// timestampColumn returns x as a scanned timestamp or timestamptz column.
func (c *compiler) timestampColumn(x sql.Expression) (*exec.Expr, bool) {
	gf, ok := x.(*expression.GetField)
	if !ok {
		return nil, false
	}
	i, ok := c.column(gf)
	if !ok {
		return nil, false
	}
	for _, col := range c.tbl.def.Columns {
		if col.Name == c.cols[i] {
			return exec.Col(i), col.Type == storage.TypeTimestampTZ || col.Type == storage.TypeTimestamp
		}
	}
	return nil, false
}

// microsConst returns a positive integer or decimal constant as a whole
// number of microseconds.
func microsConst(x sql.Expression) (int64, bool) {
	l, ok := x.(*expression.Literal)
	if !ok {
		return 0, false
	}
	var d decimal.Decimal
	switch v := l.Value().(type) {
	case decimal.Decimal:
		d = v
	default:
		i, ok := pgtypes.Int64(v)
		if !ok || !(types.IsInteger(l.Type())) {
			return 0, false
		}
		d = decimal.NewFromInt(i)
	}
	us := d.Shift(6)
	if !us.IsInteger() || us.Sign() <= 0 || us.GreaterThan(decimal.NewFromInt(1<<62)) {
		return 0, false
	}
	return us.IntPart(), true
}

// nonZeroConst reports whether x is an integer or decimal constant other
// than zero.
func nonZeroConst(x sql.Expression) bool {
	l, ok := x.(*expression.Literal)
	if !ok {
		return false
	}
	switch v := l.Value().(type) {
	case decimal.Decimal:
		return !v.IsZero()
	default:
		i, ok := pgtypes.Int64(v)
		return ok && types.IsInteger(l.Type()) && i != 0
	}
}

// literalString returns a text constant.
func literalString(x sql.Expression) (string, bool) {
	l, ok := x.(*expression.Literal)
	if !ok {
		return "", false
	}
	s, ok := l.Value().(string)
	return s, ok
}
