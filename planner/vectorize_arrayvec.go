package planner

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// The array predicates the vectorized executor runs over an array column's
// list (design 077): x op ANY/ALL (col) with a constant x of the element's
// type family, col @> / <@ / && with a constant array, col[n] and
// cardinality(col) / array_length(col, 1) as values, and IS [NOT] NULL.
// Element types: text, varchar, int2, int4, int8, float8, bool, date
// (float4 elements are left to the row engine: PostgreSQL widens them to
// float8 where the row engine reads their text as float8). Anything else
// fails compilation and the plan stays in the row engine.

// arrayColumn returns the column of an array-typed GetField and its
// element type.
func (c *compiler) arrayColumn(x sql.Expression) (*exec.Expr, uint32, bool) {
	gf, ok := x.(*expression.GetField)
	if !ok {
		return nil, 0, false
	}
	at, ok := gf.Type().(pgtypes.ArrayType)
	if !ok {
		return nil, 0, false
	}
	i, ok := c.column(gf)
	if !ok {
		return nil, 0, false
	}
	switch at.Elem {
	case pgtypes.OIDText, pgtypes.OIDVarchar, pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8,
		pgtypes.OIDFloat8, pgtypes.OIDBool, pgtypes.OIDDate, pgtypes.OIDTimestampTZ, pgtypes.OIDTimestamp:
		return exec.Col(i), at.Elem, true
	}
	return nil, 0, false
}

// elemLit compiles a constant compared with elements of type elem; ok is
// false when its type family is not the element's (the row engine would
// convert one side).
func (c *compiler) elemLit(elem uint32, x sql.Expression) (*exec.Expr, bool) {
	lit, ok := x.(*expression.Literal)
	if !ok {
		return nil, false
	}
	if lit.Value() == nil {
		return exec.Null(), true
	}
	t := lit.Type()
	switch elem {
	case pgtypes.OIDText, pgtypes.OIDVarchar:
		if s, ok := lit.Value().(string); ok && types.IsText(t) {
			return exec.Str(s), true
		}
	case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8:
		if types.IsInteger(t) && !types.IsBoolean(t) {
			if i, ok := pgtypes.Int64(lit.Value()); ok {
				return exec.Int(i), true
			}
		}
	case pgtypes.OIDFloat8:
		if types.IsFloat(t) {
			switch v := lit.Value().(type) {
			case float64:
				return exec.Float(v), true
			case float32:
				return exec.Float(float64(v)), true
			}
		}
	case pgtypes.OIDBool:
		if types.IsBoolean(t) {
			if b, ok := lit.Value().(bool); ok {
				return exec.Bool(b), true
			}
			if i, ok := pgtypes.Int64(lit.Value()); ok {
				return exec.Bool(i != 0), true
			}
		}
	case pgtypes.OIDTimestampTZ, pgtypes.OIDTimestamp:
		// A constant of the element's own type only: timestamp against
		// timestamptz converts in the session TimeZone (row engine).
		if oid, _ := pgtypes.OID(t); oid != elem {
			return nil, false
		}
		if tm, ok := lit.Value().(time.Time); ok {
			return exec.Timestamp(tm.UTC()), true
		}
	case pgtypes.OIDDate:
		if oid, _ := pgtypes.OID(t); oid != pgtypes.OIDDate {
			return nil, false
		}
		if tm, ok := lit.Value().(time.Time); ok {
			u := tm.UTC()
			if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
				return exec.Timestamp(u), true
			}
		}
	}
	return nil, false
}

// arrayAny compiles x op ANY/ALL (col).
func (c *compiler) arrayAny(a *pgexpr.ArrayAny) *exec.Expr {
	col, elem, ok := c.arrayColumn(a.Array)
	if !ok || a.Elem != "" {
		return c.fail("ANY/ALL over %s", a.Array)
	}
	x, ok := c.elemLit(elem, a.X)
	if !ok {
		return c.fail("ANY/ALL with %s", a.X)
	}
	return &exec.Expr{Op: exec.OpArrayAny, Str: a.Op, All: a.All, Args: []*exec.Expr{col, x}}
}

// arraySetOp compiles col @> const, col <@ const and col && const (either
// side may be the column).
func (c *compiler) arraySetOp(f *pgexpr.ArrayFn) *exec.Expr {
	if len(f.Args) != 2 {
		return c.fail("%s of %d arguments", f.Name, len(f.Args))
	}
	op := map[string]exec.Op{"@>": exec.OpArrayContains, "<@": exec.OpArrayContained, "&&": exec.OpArrayOverlap}[f.Name]
	colArg, cstArg := f.Args[0], f.Args[1]
	if _, _, ok := c.arrayColumn(colArg); !ok {
		colArg, cstArg = cstArg, colArg
		switch op {
		case exec.OpArrayContains:
			op = exec.OpArrayContained
		case exec.OpArrayContained:
			op = exec.OpArrayContains
		}
	}
	col, elem, ok := c.arrayColumn(colArg)
	if !ok {
		return c.fail("%s without an array column", f.Name)
	}
	if !constArray(cstArg) {
		return c.fail("%s operand %s is not a constant", f.Name, cstArg)
	}
	v, err := cstArg.Eval(c.ctx, nil)
	if err != nil {
		return c.fail("%s operand: %v", f.Name, err)
	}
	if v == nil {
		return exec.Null()
	}
	s, ok := v.(string)
	if !ok {
		return c.fail("%s operand %T", f.Name, v)
	}
	elems, ok := pgtypes.ParseArray(s)
	if !ok {
		return c.fail("%s operand %q", f.Name, s)
	}
	lits := make([]*exec.Lit, 0, len(elems))
	for _, e := range elems {
		if e == nil {
			lits = append(lits, &exec.Lit{Kind: exec.LitNull})
			continue
		}
		l, match, ok := elemConst(elem, *e)
		if !ok {
			return c.fail("%s element %q", f.Name, *e)
		}
		if !match {
			// A constant no element can equal (1.5 against integers):
			// @> is false, like a NULL constant; <@ and && ignore it.
			if op == exec.OpArrayContains {
				lits = append(lits, &exec.Lit{Kind: exec.LitNull})
			}
			continue
		}
		lits = append(lits, l)
	}
	return &exec.Expr{Op: op, Args: []*exec.Expr{col}, Elems: lits}
}

// constArray reports whether x is an array constant: a literal, or
// ARRAY[...] of literals.
func constArray(x sql.Expression) bool {
	switch v := x.(type) {
	case *expression.Literal:
		return true
	case *pgexpr.ArrayCtor:
		for _, e := range v.Elems {
			if !constArray(e) {
				return false
			}
		}
		return true
	}
	return false
}

// elemConst reads an element of a constant array (its text form) as the
// column's element type: ok is false when the text is not such a value
// (the row engine raises the error); match is false for a value no
// element can equal.
func elemConst(elem uint32, s string) (l *exec.Lit, match, ok bool) {
	switch elem {
	case pgtypes.OIDText, pgtypes.OIDVarchar:
		return &exec.Lit{Kind: exec.LitString, S: s}, true, true
	case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8:
		// The row engine unifies integers with the constant's type and
		// compares them as numeric.
		d, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil {
			return nil, false, false
		}
		if !d.Equal(d.Truncate(0)) || d.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || d.LessThan(decimal.NewFromInt(math.MinInt64)) {
			return nil, false, true
		}
		return &exec.Lit{Kind: exec.LitInt, I: d.IntPart()}, true, true
	case pgtypes.OIDFloat8:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, false, false
		}
		return &exec.Lit{Kind: exec.LitFloat, F: f}, true, true
	case pgtypes.OIDBool:
		switch s {
		case "t", "true":
			return &exec.Lit{Kind: exec.LitBool, B: true}, true, true
		case "f", "false":
			return &exec.Lit{Kind: exec.LitBool, B: false}, true, true
		}
	case pgtypes.OIDDate:
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return &exec.Lit{Kind: exec.LitTimestamp, I: t.UnixMicro()}, true, true
		}
	}
	return nil, false, false
}

// arrayValue compiles col[n] (the subscript call, under the cast to the
// element type the translator adds for non-text arrays) and
// cardinality(col) / array_length(col, 1); ok is false for other
// expressions.
func (c *compiler) arrayValue(x sql.Expression) (*exec.Expr, bool) {
	switch v := x.(type) {
	case *pgexpr.Cast:
		f, ok := v.Child.(*catalogFunc)
		if !ok || f.name != "pg_array_subscript" || len(f.args) != 2 {
			return nil, false
		}
		_, elem, ok := c.arrayColumn(f.args[0])
		if !ok {
			return c.fail("subscript of %s", f.args[0]), true
		}
		switch elem {
		case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8, pgtypes.OIDFloat8, pgtypes.OIDBool, pgtypes.OIDVarchar,
			pgtypes.OIDTimestampTZ, pgtypes.OIDTimestamp:
		default:
			return c.fail("subscript of elements %d", elem), true
		}
		if !strings.EqualFold(v.To, pgtypes.CastName(elem)) {
			return c.fail("subscript cast to %s", v.To), true
		}
		return c.subscript(f), true
	case *catalogFunc:
		if v.name != "pg_array_subscript" || len(v.args) != 2 {
			return nil, false
		}
		if _, elem, ok := c.arrayColumn(v.args[0]); !ok || (elem != pgtypes.OIDText && elem != pgtypes.OIDVarchar) {
			return c.fail("subscript of %s", v.args[0]), true
		}
		return c.subscript(v), true
	case *pgexpr.Func:
		switch {
		case v.Name == "cardinality" && len(v.Args) == 1:
		case v.Name == "array_length" && len(v.Args) == 2:
			lit, ok := v.Args[1].(*expression.Literal)
			if n, isInt := pgtypes.Int64(litValue(lit, ok)); !ok || !isInt || n != 1 {
				return c.fail("array_length of a dimension other than 1"), true
			}
		default:
			return nil, false
		}
		col, _, ok := c.arrayColumn(v.Args[0])
		if !ok {
			return c.fail("%s of %s", v.Name, v.Args[0]), true
		}
		return &exec.Expr{Op: exec.OpArrayLength, Str: v.Name, Args: []*exec.Expr{col}}, true
	}
	return nil, false
}

func litValue(l *expression.Literal, ok bool) any {
	if !ok {
		return nil
	}
	return l.Value()
}

func (c *compiler) subscript(f *catalogFunc) *exec.Expr {
	col, _, _ := c.arrayColumn(f.args[0])
	lit, ok := f.args[1].(*expression.Literal)
	if !ok || !types.IsInteger(lit.Type()) {
		return c.fail("subscript %s is not an integer constant", f.args[1])
	}
	n, ok := pgtypes.Int64(lit.Value())
	if !ok {
		return c.fail("subscript %v", lit.Value())
	}
	return &exec.Expr{Op: exec.OpArrayElem, Args: []*exec.Expr{col}, Index: n}
}
