package exec

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// OpZoneTrunc is a GROUP BY key with the groups of date_trunc(Str, Args[0])
// of a timestamptz in the time zone Zone (an IANA name). PostgreSQL
// truncates the local wall clock; below a day it keeps the timestamp's own
// UTC offset (the repeated hour when clocks go back gives two results, and
// a half-hour change shifts them), from a day up it takes the offset of the
// truncated wall clock, so the result is a function of the local date. The
// key is that: the truncated wall clock minus the row's offset below a
// day, the truncated wall clock from a day up, in microseconds. The row
// engine computes date_trunc itself from each group's first timestamp
// (docs/design/080-dashboard-group-keys.md).
const OpZoneTrunc Op = "zone_trunc"

// ZoneTrunc returns the OpZoneTrunc of ts for unit in zone.
func ZoneTrunc(ts *Expr, unit, zone string) *Expr {
	return &Expr{Op: OpZoneTrunc, Args: []*Expr{ts}, Str: unit, Zone: zone}
}

func compileZoneTrunc(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("exec: zone_trunc takes 1 argument")
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	if arg.typ().ID() != arrow.TIMESTAMP {
		return nil, unsupported("date_trunc of %s", arg.typ())
	}
	name := strings.ToLower(e.Str)
	unit, ok := truncUnits[name]
	if !ok && !calendarUnits[name] {
		return nil, unsupported("date_trunc unit %q", e.Str)
	}
	loc, err := time.LoadLocation(e.Zone)
	if err != nil {
		return nil, unsupported("time zone %q", e.Zone)
	}
	if !ok { // a week, month, quarter or year: expr_zonecal_casevec.go
		return &zoneKey{arg: arg, loc: loc, trunc: name}, nil
	}
	return &zoneTrunc{arg: arg, unit: unit, loc: loc}, nil
}

type zoneTrunc struct {
	arg  value
	unit int64
	loc  *time.Location
}

// The key is a count of microseconds, not a timestamp: it is only compared.
func (z *zoneTrunc) typ() arrow.DataType { return arrow.PrimitiveTypes.Int64 }

func (z *zoneTrunc) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	in, err := z.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	ts := in.(*array.Timestamp)
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(ts.Len())
	zc := newZoneCursor(z.loc)
	for i, v := range ts.TimestampValues() {
		if ts.IsNull(i) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		x := int64(v)
		off := zc.offset(x)
		w := x + off
		r := w % z.unit
		if r < 0 {
			r += z.unit
		}
		if z.unit < 86_400e6 {
			b.UnsafeAppend(w - r - off)
		} else {
			b.UnsafeAppend(w - r)
		}
	}
	return b.NewArray(), nil
}

// zoneCursor gives a zone's UTC offset at Unix µs times. The offset holds
// over a period (time.Time.ZoneBounds), so a batch looks the zone up once
// per period it crosses, not once per row.
type zoneCursor struct {
	loc         *time.Location
	lo, hi, off int64 // off holds from lo to hi (Unix µs)
}

func newZoneCursor(loc *time.Location) zoneCursor { return zoneCursor{loc: loc, lo: 1} }

// offset is the zone's offset at x, in µs.
func (c *zoneCursor) offset(x int64) int64 {
	if x < c.lo || x >= c.hi {
		t := time.UnixMicro(x).In(c.loc)
		_, secs := t.Zone()
		c.off = int64(secs) * 1e6
		start, end := t.ZoneBounds()
		c.lo, c.hi = math.MinInt64, math.MaxInt64
		if !start.IsZero() {
			c.lo = start.UnixMicro()
		}
		if !end.IsZero() {
			c.hi = end.UnixMicro()
		}
	}
	return c.off
}
