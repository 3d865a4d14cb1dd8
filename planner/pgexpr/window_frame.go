package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
)

// Frame exclusions: PostgreSQL's EXCLUDE clause of a window frame.
const (
	ExcludeNoOthers   = 0
	ExcludeCurrentRow = 1
	ExcludeGroup      = 2
	ExcludeTies       = 3
)

// InjectableWindowArg marks the argument of a window function whose frame
// go-mysql-server cannot compute: one with an EXCLUDE clause, or nth_value
// (translated as first_value of a marked argument). The planner's
// frame-exclusion rule replaces such a window function with a FrameWindow.
type InjectableWindowArg struct {
	// Exclude is one of the Exclude constants.
	Exclude int
	// Nth is nth_value's n (1-based), 0 for any other function.
	Nth int64
	// Peers is set for first_value and last_value without a frame
	// clause, whose default frame ends at the current row's last peer.
	Peers bool
	// Groups is a GROUPS frame (go-mysql-server has none).
	Groups GroupsFrame
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableWindowArg) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("window argument: %d children", len(children))
	}
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("window argument is not an expression")
	}
	return &WindowArg{Child: e, Exclude: a.Exclude, Nth: a.Nth, Peers: a.Peers, Groups: a.Groups, seq: windowArgSeq.Add(1)}, nil
}

// WindowArg is a marked window function argument; it evaluates to its
// child.
type WindowArg struct {
	Child   sql.Expression
	Exclude int
	Nth     int64
	Peers   bool
	Groups  GroupsFrame
	// seq tells apart the marked arguments of one statement, so that
	// go-mysql-server, which merges window functions that print alike,
	// keeps each one the projection refers to.
	seq uint64
}

var _ sql.Expression = (*WindowArg)(nil)

// Resolved implements sql.Expression.
func (a *WindowArg) Resolved() bool { return a.Child.Resolved() }

// String implements sql.Expression.
func (a *WindowArg) String() string {
	return fmt.Sprintf("window_arg(%s, exclude %d, nth %d, peers %t, groups %v, #%d)", a.Child, a.Exclude, a.Nth, a.Peers, a.Groups, a.seq)
}

// Type implements sql.Expression.
func (a *WindowArg) Type() sql.Type { return a.Child.Type() }

// IsNullable implements sql.Expression.
func (a *WindowArg) IsNullable() bool { return a.Child.IsNullable() }

// Eval implements sql.Expression.
func (a *WindowArg) Eval(ctx *sql.Context, row sql.Row) (any, error) { return a.Child.Eval(ctx, row) }

// Children implements sql.Expression.
func (a *WindowArg) Children() []sql.Expression { return []sql.Expression{a.Child} }

// WithChildren implements sql.Expression.
func (a *WindowArg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	out := *a
	out.Child = children[0]
	return &out, nil
}

// MarkedWindowArg returns the marked argument of a window function, if it
// has one (a child: go-mysql-server's aggregates list their argument
// first, first_value after the window's expressions).
func MarkedWindowArg(w sql.WindowAdaptableExpression) (*WindowArg, bool) {
	for _, c := range w.Children() {
		if a, ok := c.(*WindowArg); ok {
			return a, true
		}
	}
	return nil, false
}

// FrameWindow is a window function computed over its frame minus the rows
// that the EXCLUDE clause removes, or nth_value. go-mysql-server finds the
// frame (Inner's framer); FrameWindow learns the current row by counting
// the framer's steps, removes the excluded rows and hands Inner the rows
// left as a partition of their own. That costs O(frame) per row.
type FrameWindow struct {
	// Inner is the go-mysql-server window function with a marked argument.
	Inner sql.WindowAdaptableExpression
}

var _ sql.WindowAggregation = (*FrameWindow)(nil)

func (f *FrameWindow) arg() *WindowArg {
	a, _ := MarkedWindowArg(f.Inner)
	return a
}

// Resolved implements sql.Expression.
func (f *FrameWindow) Resolved() bool { return f.Inner.Resolved() }

// String implements sql.Expression.
func (f *FrameWindow) String() string { return "frame(" + f.Inner.String() + ")" }

// Type implements sql.Expression.
func (f *FrameWindow) Type() sql.Type { return f.Inner.Type() }

// IsNullable implements sql.Expression.
func (f *FrameWindow) IsNullable() bool { return true }

// Eval implements sql.Expression; window functions are computed by the
// window node.
func (f *FrameWindow) Eval(*sql.Context, sql.Row) (any, error) {
	return nil, fmt.Errorf("frame window function evaluated outside a window")
}

// Children implements sql.Expression.
func (f *FrameWindow) Children() []sql.Expression { return f.Inner.Children() }

// WithChildren implements sql.Expression.
func (f *FrameWindow) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	in, err := f.Inner.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	w, ok := in.(sql.WindowAdaptableExpression)
	if !ok {
		return nil, fmt.Errorf("frame window: %T is not a window function", in)
	}
	return &FrameWindow{Inner: w}, nil
}

// Id implements sql.IdExpression.
func (f *FrameWindow) Id() sql.ColumnId { return f.Inner.Id() }

// WithId implements sql.IdExpression.
func (f *FrameWindow) WithId(id sql.ColumnId) sql.IdExpression {
	return &FrameWindow{Inner: f.Inner.WithId(id).(sql.WindowAdaptableExpression)}
}

// Window implements sql.WindowAdaptableExpression.
func (f *FrameWindow) Window() *sql.WindowDefinition { return f.Inner.Window() }

// WithWindow implements sql.WindowAdaptableExpression.
func (f *FrameWindow) WithWindow(w *sql.WindowDefinition) sql.WindowAdaptableExpression {
	return &FrameWindow{Inner: f.Inner.WithWindow(w)}
}

// NewWindowFunction implements sql.WindowAdaptableExpression.
func (f *FrameWindow) NewWindowFunction() (sql.WindowFunction, error) {
	inner, err := f.Inner.NewWindowFunction()
	if err != nil {
		return nil, err
	}
	a := f.arg()
	if a == nil {
		return nil, fmt.Errorf("frame window %s has no marked argument", f.Inner)
	}
	fn := &frameFunc{inner: inner, arg: a, cur: new(int)}
	if w := f.Inner.Window(); w != nil {
		fn.order = w.OrderBy
		fn.defaultFrame = w.Frame == nil
	}
	fn.framer = &countingFramer{inner: inner.DefaultFramer(), cur: fn.cur}
	return fn, nil
}

// frameFunc computes one FrameWindow over a partition.
type frameFunc struct {
	inner  sql.WindowFunction
	arg    *WindowArg
	order  sql.SortFields
	framer *countingFramer
	cur    *int // the current row's index in the buffer
	// defaultFrame is set without a frame clause: PostgreSQL's frame is
	// then RANGE UNBOUNDED PRECEDING (the partition's start up to the
	// current row's last peer), go-mysql-server's stops at the current row.
	defaultFrame bool
	part         sql.WindowInterval
	rows         sql.WindowBuffer
	// peerLo..peerHi are the peers found last (in this partition).
	peerLo, peerHi int
}

func (f *frameFunc) Dispose()                                        { f.inner.Dispose() }
func (f *frameFunc) DefaultFramer() sql.WindowFramer                 { return f.framer }
func (f *frameFunc) NewSlidingFrameInterval(_, _ sql.WindowInterval) {}

func (f *frameFunc) StartPartition(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) error {
	f.part = interval
	f.peerLo, f.peerHi = 0, 0
	return f.inner.StartPartition(ctx, interval, buf)
}

// Compute returns the function's value over interval minus the excluded
// rows.
func (f *frameFunc) Compute(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) any {
	cur := *f.cur
	lo, hi := cur, cur+1 // the current row's peers
	if f.defaultFrame || f.arg.Groups.On || f.arg.Exclude == ExcludeGroup || f.arg.Exclude == ExcludeTies {
		lo, hi = f.peers(ctx, buf, cur)
	}
	if f.defaultFrame {
		interval = sql.WindowInterval{Start: f.part.Start, End: hi}
	}
	if f.arg.Groups.On {
		interval = f.groupsInterval(ctx, buf, lo, hi)
	}
	keep := func(i int) bool {
		switch f.arg.Exclude {
		case ExcludeCurrentRow:
			return i != cur
		case ExcludeGroup:
			return i < lo || i >= hi
		case ExcludeTies:
			return i == cur || i < lo || i >= hi
		}
		return true
	}
	if f.arg.Nth > 0 {
		var n int64
		for i := interval.Start; i < interval.End; i++ {
			if !keep(i) {
				continue
			}
			if n++; n == f.arg.Nth {
				v, err := f.arg.Child.Eval(ctx, buf[i])
				if err != nil {
					return err
				}
				return v
			}
		}
		return nil
	}
	if v, ok := f.combine(ctx, interval, buf, cur, lo, hi); ok {
		return v
	}
	rows := f.rows[:0]
	for i := interval.Start; i < interval.End; i++ {
		if keep(i) {
			rows = append(rows, buf[i])
		}
	}
	f.rows = rows
	all := sql.WindowInterval{Start: 0, End: len(rows)}
	if err := f.inner.StartPartition(ctx, all, rows); err != nil {
		return err
	}
	return f.inner.Compute(ctx, all, rows)
}

// pieces are the contiguous runs of interval left after the exclusion
// (the current row is cur, its peers lo..hi).
func (f *frameFunc) pieces(interval sql.WindowInterval, cur, lo, hi int) []sql.WindowInterval {
	var out []sql.WindowInterval
	add := func(s, e int) {
		s, e = max(s, interval.Start), min(e, interval.End)
		if s < e {
			out = append(out, sql.WindowInterval{Start: s, End: e})
		}
	}
	switch f.arg.Exclude {
	case ExcludeCurrentRow:
		add(interval.Start, cur)
		add(cur+1, interval.End)
	case ExcludeGroup:
		add(interval.Start, lo)
		add(hi, interval.End)
	case ExcludeTies:
		add(interval.Start, lo)
		add(cur, cur+1)
		add(hi, interval.End)
	default:
		add(interval.Start, interval.End)
	}
	return out
}

// combine computes the go-mysql-server functions whose value over a union
// of runs follows from their values over each run (sum, count, min, max,
// first and last value) from the inner function over each run of the
// partition, without copying rows. ok is false for other functions.
func (f *frameFunc) combine(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer, cur, lo, hi int) (any, bool) {
	runs := f.pieces(interval, cur, lo, hi)
	switch f.inner.(type) {
	case *aggregation.SumAgg:
		var sum any
		for _, r := range runs {
			v, ok := f.inner.Compute(ctx, r, buf).(float64)
			if !ok {
				continue
			}
			if sum == nil {
				sum = v
			} else {
				sum = sum.(float64) + v
			}
		}
		return sum, true
	case *aggregation.CountAgg:
		var n int64
		for _, r := range runs {
			v, _ := f.inner.Compute(ctx, r, buf).(int64)
			n += v
		}
		return n, true
	case *aggregation.MinAgg, *aggregation.MaxAgg:
		_, isMax := f.inner.(*aggregation.MaxAgg)
		var best any
		for _, r := range runs {
			v := f.inner.Compute(ctx, r, buf)
			if err, ok := v.(error); ok {
				return err, true
			}
			if v == nil {
				continue
			}
			if best == nil {
				best = v
				continue
			}
			c, err := f.arg.Child.Type().Compare(ctx, v, best)
			if err != nil {
				return err, true
			}
			if (isMax && c > 0) || (!isMax && c < 0) {
				best = v
			}
		}
		return best, true
	case *aggregation.FirstAgg:
		if len(runs) == 0 {
			return nil, true
		}
		return f.inner.Compute(ctx, runs[0], buf), true
	case *aggregation.LastAgg:
		if len(runs) == 0 {
			return nil, true
		}
		return f.inner.Compute(ctx, runs[len(runs)-1], buf), true
	}
	return nil, false
}

// peers returns the range of the partition's rows that sort equal to row
// cur (all of them without an ORDER BY).
func (f *frameFunc) peers(ctx *sql.Context, buf sql.WindowBuffer, cur int) (int, int) {
	// Rows come in order: the last row's peers are usually this one's.
	if f.peerHi > f.peerLo && cur >= f.peerLo && cur < f.peerHi && f.peerLo >= f.part.Start && f.peerHi <= f.part.End {
		return f.peerLo, f.peerHi
	}
	lo, hi := f.scanPeers(ctx, buf, cur)
	f.peerLo, f.peerHi = lo, hi
	return lo, hi
}

func (f *frameFunc) scanPeers(ctx *sql.Context, buf sql.WindowBuffer, cur int) (int, int) {
	lo, hi := cur, cur+1
	for lo > f.part.Start && f.equal(ctx, buf[lo-1], buf[cur]) {
		lo--
	}
	for hi < f.part.End && f.equal(ctx, buf[hi], buf[cur]) {
		hi++
	}
	return lo, hi
}

func (f *frameFunc) equal(ctx *sql.Context, a, b sql.Row) bool {
	for _, sf := range f.order {
		x, err1 := sf.Column.Eval(ctx, a)
		y, err2 := sf.Column.Eval(ctx, b)
		if err1 != nil || err2 != nil {
			return false
		}
		if x == nil || y == nil {
			if x != nil || y != nil {
				return false
			}
			continue
		}
		c, err := sf.Column.Type().Compare(ctx, x, y)
		if err != nil || c != 0 {
			return false
		}
	}
	return true
}

// countingFramer is a go-mysql-server framer that also tracks the row
// whose frame it returns.
type countingFramer struct {
	inner sql.WindowFramer
	cur   *int
}

func (c *countingFramer) NewFramer(interval sql.WindowInterval) (sql.WindowFramer, error) {
	in, err := c.inner.NewFramer(interval)
	if err != nil {
		return nil, err
	}
	*c.cur = interval.Start - 1
	return &countingFramer{inner: in, cur: c.cur}, nil
}

func (c *countingFramer) Next(ctx *sql.Context, buf sql.WindowBuffer) (sql.WindowInterval, error) {
	iv, err := c.inner.Next(ctx, buf)
	if err == nil {
		*c.cur++
	}
	return iv, err
}

func (c *countingFramer) FirstIdx() int                         { return c.inner.FirstIdx() }
func (c *countingFramer) LastIdx() int                          { return c.inner.LastIdx() }
func (c *countingFramer) Interval() (sql.WindowInterval, error) { return c.inner.Interval() }
