package pgparse

import (
	"math"
	"strconv"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// groupsFrame checks a GROUPS frame and returns the frame go-mysql-server
// runs (the whole partition: pgexpr.FrameWindow cuts the groups out).
func (t *translator) groupsFrame(w *pg.WindowDef) *ast.Frame {
	if len(w.OrderClause) == 0 {
		t.fail("42P20", "GROUPS mode requires an ORDER BY clause")
	}
	t.groupsBounds(w.FrameOptions, w.StartOffset, w.EndOffset) // offsets fail here
	return &ast.Frame{Unit: ast.RowsUnit, Extent: &ast.FrameExtent{
		Start: &ast.FrameBound{Type: ast.UnboundedPreceding},
		End:   &ast.FrameBound{Type: ast.UnboundedFollowing},
	}}
}

// groupsBounds reads a GROUPS frame's bounds; the zero GroupsFrame when the
// frame is not GROUPS.
func (t *translator) groupsBounds(opts int32, start, end *pg.Node) pgexpr.GroupsFrame {
	if opts&frameNonDefault == 0 || opts&frameGroups == 0 {
		return pgexpr.GroupsFrame{}
	}
	g := pgexpr.GroupsFrame{On: true, StartKind: pgexpr.GroupsUnbounded, EndKind: pgexpr.GroupsCurrent}
	switch {
	case opts&frameStartCurrentRow != 0:
		g.StartKind = pgexpr.GroupsCurrent
	case opts&frameStartOffsetPre != 0:
		g.StartKind, g.StartN = pgexpr.GroupsPreceding, t.frameOffsetInt(start, "starting", "GROUPS")
	case opts&frameStartOffsetFol != 0:
		g.StartKind, g.StartN = pgexpr.GroupsFollowing, t.frameOffsetInt(start, "starting", "GROUPS")
	}
	switch {
	case opts&frameEndUnboundedFol != 0:
		g.EndKind = pgexpr.GroupsUnbounded
	case opts&frameEndOffsetPre != 0:
		g.EndKind, g.EndN = pgexpr.GroupsPreceding, t.frameOffsetInt(end, "ending", "GROUPS")
	case opts&frameEndOffsetFol != 0:
		g.EndKind, g.EndN = pgexpr.GroupsFollowing, t.frameOffsetInt(end, "ending", "GROUPS")
	}
	return g
}

// frameOffsetInt is a ROWS or GROUPS frame offset (mode): a constant that
// PostgreSQL casts to bigint (1.5 is 2, '1' is 1); negative is 22013, NULL
// 22004, a column 42P10.
func (t *translator) frameOffsetInt(n *pg.Node, which, mode string) int64 {
	neg := false
	if a := n.GetAExpr(); a != nil && a.Lexpr == nil && opName(a.Name) == "-" {
		neg, n = true, a.Rexpr
	}
	if tc := n.GetTypeCast(); tc != nil {
		n = tc.Arg // '1'::int8 and the like: the constant decides
	}
	hasVar := false
	var walk func(*pg.Node)
	walk = func(x *pg.Node) {
		if x == nil {
			return
		}
		if x.GetColumnRef() != nil {
			hasVar = true
		}
		if a := x.GetAExpr(); a != nil {
			walk(a.Lexpr)
			walk(a.Rexpr)
		}
	}
	walk(n)
	if hasVar {
		t.fail("42P10", "argument of %s must not contain variables", mode)
	}
	c := n.GetAConst()
	if c == nil {
		t.unsupported("non-constant frame offsets")
	}
	var v int64
	switch {
	case c.Isnull:
		t.fail(pgerror.NullValueNotAllowed, "frame %s offset must not be null", which)
	case c.GetIval() != nil:
		v = int64(c.GetIval().Ival)
	case c.GetFval() != nil || c.GetSval() != nil:
		s := strings.TrimSpace(c.GetFval().GetFval())
		if c.GetSval() != nil {
			s = strings.TrimSpace(c.GetSval().Sval)
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			v = i
		} else if d, err := decimal.NewFromString(s); err == nil && c.GetFval() != nil {
			r := d.Round(0) // numeric to bigint rounds half away from zero
			if r.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || r.LessThan(decimal.NewFromInt(math.MinInt64)) {
				t.fail(pgerror.NumericOutOfRange, "bigint out of range")
			}
			v = r.IntPart()
		} else {
			t.fail(pgerror.InvalidTextRepr, "invalid input syntax for type bigint: \"%s\"", s)
		}
	default:
		t.unsupported("non-constant frame offsets")
	}
	if neg {
		v = -v
	}
	if v < 0 {
		t.fail("22013", "frame %s offset must not be negative", which)
	}
	return v
}

// frameOffsetFuncs translates the ROWS and RANGE offsets frameOffset does
// not: a negative constant (22013), NULL (22004), a decimal constant (for
// numeric and float ORDER BY columns) and an interval written as a bare
// string ('1 day', for timestamps). ok is false for anything else.
func (t *translator) frameOffsetFuncs(n *pg.Node) (ast.Expr, bool) {
	if a := n.GetAExpr(); a != nil && a.Lexpr == nil && opName(a.Name) == "-" {
		if c := a.Rexpr.GetAConst(); c != nil && (c.GetIval() != nil || c.GetFval() != nil) {
			t.fail("22013", "invalid preceding or following size in window function")
		}
		return nil, false
	}
	if inner, ok := castConstant(n); ok {
		return t.frameOffset(inner), true
	}
	c := n.GetAConst()
	switch {
	case c == nil:
		return nil, false
	case c.Isnull:
		t.fail(pgerror.NullValueNotAllowed, "frame starting offset must not be null")
	case c.GetFval() != nil:
		f := c.GetFval().Fval
		if _, err := decimal.NewFromString(f); err != nil {
			return nil, false
		}
		return ast.NewFloatVal([]byte(f)), true
	case c.GetSval() != nil:
		s := c.GetSval().Sval
		if _, err := decimal.NewFromString(strings.TrimSpace(s)); err == nil {
			return nil, false // a number or an interval in seconds, by the column's type
		}
		return t.frameOffset(&pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{
			Arg:      n,
			TypeName: &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode("interval")}},
		}}}), true
	}
	return nil, false
}

// negativeOffset fails with PostgreSQL's 22013 on a negative constant
// frame offset (the parser folds -1 into the constant).
func negativeOffset(t *translator, n *pg.Node) {
	c := n.GetAConst()
	if c == nil {
		return
	}
	if c.GetIval() != nil && c.GetIval().Ival < 0 || c.GetFval() != nil && strings.HasPrefix(c.GetFval().Fval, "-") {
		t.fail("22013", "invalid preceding or following size in window function")
	}
}

// castConstant returns the constant under a cast to a numeric type
// (1::int8), which a frame offset uses as it is.
func castConstant(n *pg.Node) (*pg.Node, bool) {
	tc := n.GetTypeCast()
	if tc == nil || tc.Arg.GetAConst() == nil || len(tc.TypeName.Names) == 0 || len(tc.TypeName.ArrayBounds) > 0 {
		return nil, false
	}
	switch tc.TypeName.Names[len(tc.TypeName.Names)-1].GetString_().GetSval() {
	case "int2", "int4", "int8", "numeric", "float4", "float8":
		return tc.Arg, true
	}
	return nil, false
}
