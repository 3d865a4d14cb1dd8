package exec

import (
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// OpTimeBin is the start of the bin holding the timestamp Args[0], bins of
// Lit.I microseconds counted from the origin Args[1] (a timestamp
// literal): origin + floor((ts - origin) / width) * width. The planner uses
// it as a GROUP BY key whose groups are the groups of date_bin(width, ts,
// origin) and of Grafana's floor(extract(epoch from ts) / C) * C
// (docs/design/080-dashboard-group-keys.md): the row engine computes the selected
// expression itself from each group's first ts.
const OpTimeBin Op = "time_bin"

// TimeBin returns the OpTimeBin of ts for bins of width microseconds from
// origin.
func TimeBin(ts *Expr, width int64, origin time.Time) *Expr {
	return &Expr{Op: OpTimeBin, Args: []*Expr{ts, Timestamp(origin)}, Lit: &Lit{Kind: LitInt, I: width}}
}

// errTimeBinRange is a bin outside int64 microseconds.
var errTimeBinRange = errors.New("timestamp out of range")

func compileTimeBin(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) != 2 || e.Lit == nil || e.Lit.Kind != LitInt || e.Lit.I <= 0 {
		return nil, fmt.Errorf("exec: time_bin takes a timestamp, an origin literal and a positive width")
	}
	o := e.Args[1]
	if o.Op != OpLit || o.Lit == nil || o.Lit.Kind != LitTimestamp {
		return nil, fmt.Errorf("exec: time_bin origin is not a timestamp literal")
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	if arg.typ().ID() != arrow.TIMESTAMP {
		return nil, unsupported("time_bin of %s", arg.typ())
	}
	return &timeBin{arg: arg, width: e.Lit.I, origin: o.Lit.I}, nil
}

type timeBin struct {
	arg           value
	width, origin int64
}

func (d *timeBin) typ() arrow.DataType { return d.arg.typ() }

func (d *timeBin) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	in, err := d.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	ts := in.(*array.Timestamp)
	b := array.NewTimestampBuilder(mem, d.arg.typ().(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(ts.Len())
	for i, v := range ts.TimestampValues() {
		if ts.IsNull(i) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		x, ok := binStart(int64(v), d.origin, d.width)
		if !ok {
			return nil, errTimeBinRange
		}
		b.UnsafeAppend(arrow.Timestamp(x))
	}
	return b.NewArray(), nil
}

// binStart is origin + floor((x - origin) / width) * width, and false when
// a step overflows int64.
func binStart(x, origin, width int64) (int64, bool) {
	diff := x - origin
	if origin > 0 && diff > x || origin < 0 && diff < x {
		return 0, false
	}
	r := diff % width
	if r < 0 {
		r += width
	}
	d := diff - r // r >= 0, so d <= diff unless it wrapped
	if d > diff {
		return 0, false
	}
	start := d + origin
	if origin > 0 && start < d || origin < 0 && start > d {
		return 0, false
	}
	return start, true
}

func formatTimeBin(e *Expr, names []string) string {
	origin := ""
	if len(e.Args) == 2 && e.Args[1].Lit != nil {
		origin = time.UnixMicro(e.Args[1].Lit.I).UTC().Format("2006-01-02 15:04:05.999999Z")
	}
	width := int64(0)
	if e.Lit != nil {
		width = e.Lit.I
	}
	return fmt.Sprintf("time_bin('%dus', %s, '%s')", width, e.Args[0].format(names), origin)
}
