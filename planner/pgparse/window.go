package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// PostgreSQL frame option bits (parsenodes.h).
const (
	frameNonDefault        = 0x00001
	frameRange             = 0x00002
	frameRows              = 0x00004
	frameGroups            = 0x00008
	frameStartUnboundedPre = 0x00020
	frameEndUnboundedFol   = 0x00100
	frameStartCurrentRow   = 0x00200
	frameEndCurrentRow     = 0x00400
	frameStartOffsetPre    = 0x00800
	frameEndOffsetPre      = 0x01000
	frameStartOffsetFol    = 0x02000
	frameEndOffsetFol      = 0x04000
	frameExcludeCurrentRow = 0x08000
	frameExcludeGroup      = 0x10000
	frameExcludeTies       = 0x20000
)

// frameExclusion is the EXCLUDE clause of a frame as a pgexpr.Exclude*
// constant.
func frameExclusion(opts int32) int {
	switch {
	case opts&frameExcludeCurrentRow != 0:
		return pgexpr.ExcludeCurrentRow
	case opts&frameExcludeGroup != 0:
		return pgexpr.ExcludeGroup
	case opts&frameExcludeTies != 0:
		return pgexpr.ExcludeTies
	}
	return pgexpr.ExcludeNoOthers
}

// window translates an OVER clause.
func (t *translator) window(w *pg.WindowDef) *ast.Over {
	w = t.namedWindow(w)
	over := &ast.Over{}
	for _, p := range w.PartitionClause {
		over.PartitionBy = append(over.PartitionBy, t.expr(p))
	}
	if len(w.OrderClause) > 0 {
		over.OrderBy = t.orderBy(w.OrderClause, nil)
	}
	opts := w.FrameOptions
	if opts&frameNonDefault == 0 {
		return over
	}
	if opts&frameGroups != 0 {
		over.Frame = t.groupsFrame(w)
		return over
	}
	// An EXCLUDE clause is carried by the function's argument (see
	// windowCall).
	f := &ast.Frame{Unit: ast.RangeUnit, Extent: &ast.FrameExtent{}}
	if opts&frameRows != 0 {
		f.Unit = ast.RowsUnit
	}
	offset := func(n *pg.Node, which string) ast.Expr {
		if f.Unit == ast.RowsUnit {
			return ast.NewIntVal([]byte(itoa(t.frameOffsetInt(n, which, "ROWS"))))
		}
		return t.frameOffset(n)
	}
	switch {
	case opts&frameStartUnboundedPre != 0:
		f.Extent.Start = &ast.FrameBound{Type: ast.UnboundedPreceding}
	case opts&frameStartCurrentRow != 0:
		f.Extent.Start = &ast.FrameBound{Type: ast.CurrentRow}
	case opts&frameStartOffsetPre != 0:
		f.Extent.Start = &ast.FrameBound{Type: ast.ExprPreceding, Expr: offset(w.StartOffset, "starting")}
	case opts&frameStartOffsetFol != 0:
		f.Extent.Start = &ast.FrameBound{Type: ast.ExprFollowing, Expr: offset(w.StartOffset, "starting")}
	}
	switch {
	case opts&frameEndUnboundedFol != 0:
		f.Extent.End = &ast.FrameBound{Type: ast.UnboundedFollowing}
	case opts&frameEndCurrentRow != 0:
		f.Extent.End = &ast.FrameBound{Type: ast.CurrentRow}
	case opts&frameEndOffsetPre != 0:
		f.Extent.End = &ast.FrameBound{Type: ast.ExprPreceding, Expr: offset(w.EndOffset, "ending")}
	case opts&frameEndOffsetFol != 0:
		f.Extent.End = &ast.FrameBound{Type: ast.ExprFollowing, Expr: offset(w.EndOffset, "ending")}
	default:
		f.Extent.End = &ast.FrameBound{Type: ast.CurrentRow}
	}
	if f.Unit == ast.RangeUnit && hasOffset(f.Extent) && len(w.OrderClause) != 1 {
		t.fail("42P20", "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
	}
	over.Frame = f
	return over
}

// frameOffset is a frame offset; go-mysql-server wants a plain literal.
func (t *translator) frameOffset(n *pg.Node) ast.Expr {
	negativeOffset(t, n)
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		return ast.NewIntVal([]byte(itoa(int64(c.GetIval().Ival))))
	}
	if tc := n.GetTypeCast(); tc != nil && len(tc.TypeName.Names) > 0 {
		typ := tc.TypeName.Names[len(tc.TypeName.Names)-1].GetString_().GetSval()
		if c := tc.Arg.GetAConst(); typ == "interval" && c != nil && c.GetSval() != nil {
			// RANGE BETWEEN INTERVAL '5 minutes' PRECEDING: a fixed
			// length, as microseconds for go-mysql-server's range frames.
			iv, err := pgtypes.ParseInterval(c.GetSval().Sval)
			if err != nil {
				panic(failure{err})
			}
			if iv.Months != 0 {
				t.unsupported("RANGE frame offsets with months or years")
			}
			us := int64(iv.Days)*86_400_000_000 + iv.Micros
			if us < 0 {
				t.fail("22013", "invalid preceding or following size in window function")
			}
			return &ast.IntervalExpr{Expr: ast.NewIntVal([]byte(itoa(us))), Unit: "MICROSECOND"}
		}
	}
	if e, ok := t.frameOffsetFuncs(n); ok {
		return e
	}
	t.unsupported("non-constant frame offsets")
	return nil
}
