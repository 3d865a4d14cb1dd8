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

// Calendar group keys in a time zone (docs/design/082-case-and-zone-keys.md):
// date_trunc to a week, month, quarter or year (OpZoneTrunc), and
// extract(hour|day|dow|...) (OpZonePart), of the local wall clock. Their
// widths vary, so they are computed from the local date, once per day a
// batch crosses rather than once per row.

// calendarUnits are the date_trunc units of varying width: the key is a
// function of the local date.
var calendarUnits = map[string]bool{"week": true, "month": true, "quarter": true, "year": true}

// OpZonePart is a GROUP BY key with the groups of extract(Str from Args[0])
// of a timestamp in the time zone Zone (UTC for a timestamp without time
// zone): the field of the local wall clock, as an integer. Str is hour,
// day, dow, isodow, doy, month, quarter or year.
const OpZonePart Op = "zone_part"

// ZonePart returns the OpZonePart of ts for field in zone.
func ZonePart(ts *Expr, field, zone string) *Expr {
	return &Expr{Op: OpZonePart, Args: []*Expr{ts}, Str: field, Zone: zone}
}

// zoneParts are the fields OpZonePart computes.
var zoneParts = map[string]bool{"hour": true, "day": true, "dow": true, "isodow": true, "doy": true, "month": true, "quarter": true, "year": true}

func formatZonePart(e *Expr, names []string) (string, bool) {
	if e.Op != OpZonePart || len(e.Args) != 1 {
		return "", false
	}
	return "extract(" + e.Str + " from " + e.Args[0].format(names) + ", '" + e.Zone + "')", true
}

func compileZonePart(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("exec: zone_part takes 1 argument")
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	if arg.typ().ID() != arrow.TIMESTAMP {
		return nil, unsupported("extract from %s", arg.typ())
	}
	field := strings.ToLower(e.Str)
	if !zoneParts[field] {
		return nil, unsupported("extract field %q", e.Str)
	}
	loc, err := time.LoadLocation(e.Zone)
	if err != nil {
		return nil, unsupported("time zone %q", e.Zone)
	}
	return &zoneKey{arg: arg, loc: loc, part: field}, nil
}

// zoneKey computes a calendar key of the local wall clock: date_trunc to
// trunc (a calendar unit) or the field part.
type zoneKey struct {
	arg   value
	loc   *time.Location
	trunc string
	part  string
}

// The key is only compared.
func (z *zoneKey) typ() arrow.DataType { return arrow.PrimitiveTypes.Int64 }

const microsPerDay = 86_400_000_000

func (z *zoneKey) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	in, err := z.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	ts := in.(*array.Timestamp)
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(ts.Len())
	// The key of a local date is kept for the next row of the same date.
	zc := newZoneCursor(z.loc)
	lastDay, lastKey := int64(math.MinInt64), int64(0)
	for i, v := range ts.TimestampValues() {
		if ts.IsNull(i) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		x := int64(v)
		w := x + zc.offset(x) // the local wall clock as if it were UTC
		day := floorDiv(w, microsPerDay)
		if z.part == "hour" {
			b.UnsafeAppend((w - day*microsPerDay) / 3_600_000_000)
			continue
		}
		if day != lastDay {
			lastDay, lastKey = day, z.dayKey(day)
		}
		b.UnsafeAppend(lastKey)
	}
	return b.NewArray(), nil
}

// dayKey is the key of every wall clock on the local date day (days since
// 1970-01-01).
func (z *zoneKey) dayKey(day int64) int64 {
	if z.trunc == "week" {
		// 1970-01-01 was a Thursday; weeks start on Monday.
		return day - floorMod(day+3, 7)
	}
	t := time.Unix(day*86_400, 0).UTC()
	y, m, d := t.Date()
	year, month := int64(y), int64(m)
	switch z.trunc {
	case "month":
		return year*12 + month - 1
	case "quarter":
		return year*4 + (month-1)/3
	case "year":
		return year
	}
	switch z.part {
	case "day":
		return int64(d)
	case "dow":
		return int64(t.Weekday())
	case "isodow":
		return floorMod(day+3, 7) + 1
	case "doy":
		return int64(t.YearDay())
	case "month":
		return month
	case "quarter":
		return (month-1)/3 + 1
	case "year":
		return year
	}
	return 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}
