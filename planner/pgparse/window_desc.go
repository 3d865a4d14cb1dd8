package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// windowOver translates the OVER clause of the window function name and
// returns the name to call, which changes when the window is mirrored.
//
// go-mysql-server measures RANGE frame offsets as if the order were
// ascending. A RANGE frame with offsets over one descending key is
// therefore mirrored: the key ascends and the frame's bounds swap ends and
// sides (BETWEEN CURRENT ROW AND 5 FOLLOWING descending holds the same rows
// as BETWEEN 5 PRECEDING AND CURRENT ROW ascending; NULLs, first
// descending, are last ascending, so they stay one end of the order). That
// is exact for the aggregates, whose value does not depend on the order
// within the frame, and for first_value and last_value, which trade places.
// Ranking functions, lag and lead ignore the frame, which is dropped. A
// descending key among several, or with NULLS LAST, is refused with 0A000
// (PostgreSQL allows RANGE offsets over one key only anyway).
func (t *translator) windowOver(name string, w *pg.WindowDef) (*ast.Over, string) {
	over := t.window(w)
	switch name {
	case "first_value", "last_value", "nth_value", "lag", "lead":
		// go-mysql-server's value window functions take the window's
		// PARTITION BY and ORDER BY as children and cannot be rebuilt
		// with neither (the plan ends up holding nil): one partition of a
		// constant is the same window.
		if len(over.PartitionBy) == 0 && len(over.OrderBy) == 0 {
			over.PartitionBy = ast.Exprs{intLiteral(1)}
		}
	}
	f := over.Frame
	if f == nil || f.Unit != ast.RangeUnit || !hasOffset(f.Extent) {
		return over, name
	}
	desc := false
	for _, o := range over.OrderBy {
		desc = desc || o.Direction == ast.DescScr
	}
	if !desc {
		return over, name
	}
	switch name {
	case "count", "sum", "avg", "min", "max":
	case "first_value":
		name = "last_value"
	case "last_value":
		name = "first_value"
	case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead":
		// They ignore the frame (PostgreSQL too).
		over.Frame = nil
		return over, name
	default:
		t.unsupported(name + " with RANGE frame offsets and a descending ORDER BY")
	}
	if len(over.OrderBy) != 1 {
		t.unsupported("RANGE frame offsets with a descending ORDER BY of several keys or NULLS LAST")
	}
	over.OrderBy[0].Direction = ast.AscScr
	f.Extent = &ast.FrameExtent{Start: mirrorBound(f.Extent.End), End: mirrorBound(f.Extent.Start)}
	return over, name
}

func hasOffset(e *ast.FrameExtent) bool {
	isOffset := func(b *ast.FrameBound) bool {
		return b != nil && (b.Type == ast.ExprPreceding || b.Type == ast.ExprFollowing)
	}
	return isOffset(e.Start) || isOffset(e.End)
}

// mirrorBound is the bound that holds the same rows when the order is
// reversed.
func mirrorBound(b *ast.FrameBound) *ast.FrameBound {
	out := *b
	switch b.Type {
	case ast.UnboundedPreceding:
		out.Type = ast.UnboundedFollowing
	case ast.UnboundedFollowing:
		out.Type = ast.UnboundedPreceding
	case ast.ExprPreceding:
		out.Type = ast.ExprFollowing
	case ast.ExprFollowing:
		out.Type = ast.ExprPreceding
	}
	return &out
}
