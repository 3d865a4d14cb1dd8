package planner

import (
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// Calendar GROUP BY keys (docs/design/082-case-and-zone-keys.md):
// date_trunc to a week, month, quarter or year, and extract (or date_part)
// of hour, day, dow, isodow, doy, month, quarter or year, of a timestamptz
// in the session's time zone or of a timestamp. Their groups are those of
// the local date (the hour of the local wall clock), which
// exec.OpZoneTrunc and exec.OpZonePart compute; the row engine computes
// the selected value from each group's first row.

// calendarKey returns the key of x when it is one of those, or nil.
func (c *compiler) calendarKey(x sql.Expression) *exec.Expr {
	f, ok := x.(*pgexpr.Func)
	if !ok || len(f.Args) != 2 {
		return nil
	}
	what, ok := literalString(f.Args[0])
	if !ok {
		return nil
	}
	what = strings.ToLower(what)
	switch f.Name {
	case "date_trunc":
		switch what {
		case "week", "month", "quarter", "year":
		default:
			return nil
		}
	case "extract", "date_part":
		switch what {
		case "hour", "day", "dow", "isodow", "doy", "month", "quarter", "year":
		default:
			return nil
		}
	default:
		return nil
	}
	ts, zone, ok := c.zonedTimestamp(f.Args[1])
	if !ok {
		return nil
	}
	if f.Name == "date_trunc" {
		return exec.ZoneTrunc(ts, what, zone)
	}
	return exec.ZonePart(ts, what, zone)
}

// zonedTimestamp returns x as a scanned timestamptz column with the
// session's time zone, or a timestamp column with UTC (its wall clock is
// its value).
func (c *compiler) zonedTimestamp(x sql.Expression) (*exec.Expr, string, bool) {
	ts, ok := c.timestampColumn(x)
	if !ok {
		return nil, "", false
	}
	if !pgtypes.IsTimestampTZ(x.Type()) || c.utc {
		return ts, "UTC", true
	}
	s, ok := c.ctx.Session.(*pgSession)
	if !ok || s.loc == nil {
		return nil, "", false
	}
	zone := s.loc.String()
	if _, err := time.LoadLocation(zone); err != nil || zone == "Local" || zone == "" {
		return nil, "", false
	}
	return ts, zone, true
}

// binOrigin returns a bin start of date_bin(stride, ts, origin) with a
// constant stride and origin: the function itself, evaluated as the row
// engine does for one timestamp, so that a text origin is read as it reads
// it (in the session's time zone, or as a wall clock for a timestamp). A
// bin start is an origin of the same bins.
func (c *compiler) binOrigin(f *pgexpr.Func) (time.Time, bool) {
	at := expression.NewLiteral(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), f.Args[1].Type())
	one, err := f.WithChildren(f.Args[0], at, f.Args[2])
	if err != nil {
		return time.Time{}, false
	}
	v, err := one.Eval(c.ctx, nil)
	if err != nil {
		return time.Time{}, false
	}
	t, ok := v.(time.Time)
	return t, ok
}
