package pgexpr

import (
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
)

// Bound kinds of a GROUPS frame's start and end.
const (
	GroupsUnbounded = iota // UNBOUNDED PRECEDING (start) or FOLLOWING (end)
	GroupsCurrent          // CURRENT ROW: the current row's peer group
	GroupsPreceding        // n PRECEDING
	GroupsFollowing        // n FOLLOWING
)

// GroupsFrame is a GROUPS frame: its bounds count peer groups (rows that
// sort equal under the window's ORDER BY) from the current row's group.
// The window itself runs over the whole partition; FrameWindow cuts the
// frame out.
type GroupsFrame struct {
	On                 bool
	StartKind, EndKind int
	StartN, EndN       int64
}

// groupStart returns the first row of the peer group containing row i.
func (f *frameFunc) groupStart(ctx *sql.Context, buf sql.WindowBuffer, i int) int {
	lo, _ := f.scanPeers(ctx, buf, i)
	return lo
}

// groupEnd returns one past the last row of the peer group containing
// row i.
func (f *frameFunc) groupEnd(ctx *sql.Context, buf sql.WindowBuffer, i int) int {
	_, hi := f.scanPeers(ctx, buf, i)
	return hi
}

// groupsInterval is the GROUPS frame of row cur, whose peers are lo..hi.
func (f *frameFunc) groupsInterval(ctx *sql.Context, buf sql.WindowBuffer, lo, hi int) sql.WindowInterval {
	g := f.arg.Groups
	// back returns the start of the group n groups before the one that
	// starts at s (the partition's start when there are fewer).
	back := func(s int, n int64) int {
		for ; n > 0 && s > f.part.Start; n-- {
			s = f.groupStart(ctx, buf, s-1)
		}
		return s
	}
	// ahead returns the end of the group n groups after the one that
	// ends at e (the partition's end when there are fewer).
	ahead := func(e int, n int64) int {
		for ; n > 0 && e < f.part.End; n-- {
			e = f.groupEnd(ctx, buf, e)
		}
		return e
	}
	start, end := f.part.Start, f.part.End
	switch g.StartKind {
	case GroupsCurrent:
		start = lo
	case GroupsPreceding:
		start = back(lo, g.StartN)
	case GroupsFollowing:
		// The start of the group n after: the end of the group n-1 after.
		start = lo
		if g.StartN > 0 {
			start = ahead(hi, g.StartN-1)
		}
	}
	switch g.EndKind {
	case GroupsCurrent:
		end = hi
	case GroupsFollowing:
		end = ahead(hi, g.EndN)
	case GroupsPreceding:
		// The end of the group n before: the start of the group n-1
		// before (the partition's start, an empty frame, when there are
		// fewer than n groups before).
		end = hi
		if g.EndN > 0 {
			end = back(lo, g.EndN-1)
		}
	}
	if end < start {
		end = start
	}
	return sql.WindowInterval{Start: start, End: end}
}

// windowArgSeq numbers marked window arguments (WindowArg.seq).
var windowArgSeq atomic.Uint64
