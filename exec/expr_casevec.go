package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// OpCase is CASE WHEN Args[0] THEN Args[1] WHEN Args[2] THEN Args[3] ...
// [ELSE Args[n-1]] END with any number of branches: an odd number of
// arguments ends with the ELSE, an even number has none (NULL). Each row
// takes the value of the first branch whose condition is TRUE (a NULL
// condition is not), as PostgreSQL does. Str names the result's Arrow type:
// int16, int32, int64, float64 or utf8, or timestamp, timestamptz or
// decimal(p,s) (expr_casevec_numts.go). A branch is a literal of that type
// (or NULL) or a value of it; an integer value may be narrower, and an
// integer value in a float64 CASE is converted as PostgreSQL's int-to-float8
// cast does. Dashboards map status codes and levels to labels this way
// (docs/design/082-case-and-zone-keys.md).
const OpCase Op = "case"

// Case returns CASE with the conditions conds, the values vals (as many)
// and els (nil: no ELSE) of Arrow type typ.
func Case(conds, vals []*Expr, els *Expr, typ string) *Expr {
	e := &Expr{Op: OpCase, Str: typ}
	for i := range conds {
		e.Args = append(e.Args, conds[i], vals[i])
	}
	if els != nil {
		e.Args = append(e.Args, els)
	}
	return e
}

// maxCaseBranches bounds the WHEN branches of an OpCase (a row's branch
// is a uint16).
const maxCaseBranches = 1 << 15

// caseResultTypes are the result types of OpCase.
var caseResultTypes = map[string]arrow.DataType{
	"int16": arrow.PrimitiveTypes.Int16, "int32": arrow.PrimitiveTypes.Int32,
	"int64": arrow.PrimitiveTypes.Int64, "float64": arrow.PrimitiveTypes.Float64,
	"utf8": arrow.BinaryTypes.String,
}

func formatCase(e *Expr, names []string) string {
	var b strings.Builder
	b.WriteString("CASE")
	n := len(e.Args)
	for i := 0; i+1 < n; i += 2 {
		b.WriteString(" WHEN " + e.Args[i].format(names) + " THEN " + e.Args[i+1].format(names))
	}
	if n%2 == 1 {
		b.WriteString(" ELSE " + e.Args[n-1].format(names))
	}
	b.WriteString(" END")
	return b.String()
}

// caseBranch is one result of a CASE: a literal or a value.
type caseBranch struct {
	v     value // nil: the literal
	null  bool  // the literal is NULL
	i     int64 // also a timestamp's microseconds
	d     decimal128.Num
	f     float64
	s     string
	label string // for errors
}

type caseExpr struct {
	conds []predicate
	vals  []caseBranch // one per condition, then the ELSE (NULL without one)
	dt    arrow.DataType
}

func compileCase(e *Expr, schema *arrow.Schema) (value, error) {
	dt, ok := caseResultTypes[e.Str]
	if !ok {
		if dt, ok = caseNumTSType(e.Str); !ok { // expr_casevec_numts.go
			return nil, unsupported("CASE of type %q", e.Str)
		}
	}
	if len(e.Args) < 2 || len(e.Args) > 2*maxCaseBranches {
		return nil, fmt.Errorf("exec: case takes 1 to %d branches", maxCaseBranches)
	}
	c := &caseExpr{dt: dt}
	n := len(e.Args)
	for i := 0; i+1 < n; i += 2 {
		if i > 0 && hasNumDiv(e.Args[i]) { // expr_numdiv.go
			// Conditions are tested on every row, not only on the rows
			// the earlier ones leave open as in PostgreSQL: a division
			// by zero there would raise an error PostgreSQL does not.
			return nil, unsupported("CASE condition %s after the first divides", e.Args[i].format(nil))
		}
		p, err := compilePredicate(e.Args[i], schema)
		if err != nil {
			return nil, err
		}
		c.conds = append(c.conds, p)
		b, err := compileCaseBranch(e.Args[i+1], schema, dt)
		if err != nil {
			return nil, err
		}
		c.vals = append(c.vals, b)
	}
	els := caseBranch{null: true}
	if n%2 == 1 {
		b, err := compileCaseBranch(e.Args[n-1], schema, dt)
		if err != nil {
			return nil, err
		}
		els = b
	}
	c.vals = append(c.vals, els)
	return c, nil
}

func compileCaseBranch(a *Expr, schema *arrow.Schema, dt arrow.DataType) (caseBranch, error) {
	b := caseBranch{label: a.format(nil)}
	if isNumTSCase(dt) {
		return compileNumTSBranch(b, a, schema, dt) // expr_casevec_numts.go
	}
	if a.Op == OpLit {
		l := a.Lit
		switch {
		case l == nil:
			return b, fmt.Errorf("exec: literal without a value")
		case l.Kind == LitNull:
			b.null = true
		case dt.ID() == arrow.STRING && l.Kind == LitString:
			b.s = l.S
		case dt.ID() == arrow.FLOAT64 && l.Kind == LitFloat:
			b.f = l.F
		case dt.ID() == arrow.FLOAT64 && l.Kind == LitInt && l.I >= -1<<53 && l.I <= 1<<53:
			b.f = float64(l.I)
		case l.Kind == LitInt && intFits(l.I, dt):
			b.i = l.I
		default:
			return b, unsupported("CASE branch %s in a CASE of %s", b.label, dt)
		}
		return b, nil
	}
	v, err := compileValue(a, schema)
	if err != nil {
		return b, err
	}
	t := v.typ()
	switch {
	case arrow.TypeEqual(t, dt), widens(t, dt):
	case dt.ID() == arrow.FLOAT64 && widens(t, arrow.PrimitiveTypes.Int64):
	case dt.ID() == arrow.STRING && isTextType(t):
	default:
		return b, unsupported("CASE branch of %s in a CASE of %s", t, dt)
	}
	b.v = v
	return b, nil
}

// intFits reports whether k is a value of the integer type dt.
func intFits(k int64, dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT16:
		return k >= -1<<15 && k < 1<<15
	case arrow.INT32:
		return k >= -1<<31 && k < 1<<31
	case arrow.INT64:
		return true
	}
	return false
}

// isTextType reports whether t is a string or a dictionary of strings.
func isTextType(t arrow.DataType) bool {
	if d, ok := t.(*arrow.DictionaryType); ok {
		return d.ValueType.ID() == arrow.STRING
	}
	return t.ID() == arrow.STRING
}

func (c *caseExpr) typ() arrow.DataType { return c.dt }

func (c *caseExpr) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	n := int(rec.NumRows())
	// pick[i] is the branch row i takes: the first whose condition is
	// TRUE, else the ELSE (the last).
	els := uint16(len(c.conds))
	pick := make([]uint16, n)
	for i := range pick {
		pick[i] = els
	}
	mask := make([]bool, n)
	left := n
	for k, p := range c.conds {
		if left == 0 {
			break
		}
		clear(mask)
		if err := p.test(mem, rec, mask, nil); err != nil {
			return nil, err
		}
		for i, m := range mask {
			if m && pick[i] == els {
				pick[i] = uint16(k)
				left--
			}
		}
	}
	used := make([]bool, len(c.vals))
	for _, k := range pick {
		used[k] = true
	}
	arrs := make([]arrow.Array, len(c.vals))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for k, b := range c.vals {
		if b.v == nil || !used[k] {
			continue
		}
		a, err := b.v.eval(mem, rec)
		if err != nil {
			return nil, err
		}
		arrs[k] = a
	}
	switch c.dt.ID() {
	case arrow.STRING:
		return c.evalText(mem, pick, arrs)
	case arrow.DECIMAL128, arrow.TIMESTAMP:
		return c.evalNumTS(mem, pick, arrs) // expr_casevec_numts.go
	}
	return c.evalNum(mem, pick, arrs)
}

func (c *caseExpr) evalText(mem memory.Allocator, pick []uint16, arrs []arrow.Array) (arrow.Array, error) {
	cols := make([]strCol, len(arrs))
	for k, a := range arrs {
		if a == nil {
			continue
		}
		sc, ok := asStrCol(a)
		if !ok {
			return nil, unsupported("CASE branch of %s", a.DataType())
		}
		cols[k] = sc
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(pick))
	for i, k := range pick {
		br := &c.vals[k]
		switch {
		case br.v != nil:
			if arrs[k].IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(cols[k].value(i))
			}
		case br.null:
			b.AppendNull()
		default:
			b.Append(br.s)
		}
	}
	return b.NewArray(), nil
}

func (c *caseExpr) evalNum(mem memory.Allocator, pick []uint16, arrs []arrow.Array) (arrow.Array, error) {
	float := c.dt.ID() == arrow.FLOAT64
	// Each branch's reader is chosen once per batch.
	geti := make([]func(int) int64, len(arrs))
	for k, a := range arrs {
		switch x := a.(type) {
		case nil:
		case *array.Int16:
			geti[k] = func(i int) int64 { return int64(x.Value(i)) }
		case *array.Int32:
			geti[k] = func(i int) int64 { return int64(x.Value(i)) }
		case *array.Int64:
			geti[k] = x.Value
		case *array.Float64:
			if !float {
				return nil, unsupported("CASE branch of %s", a.DataType())
			}
		default:
			return nil, unsupported("CASE branch of %s", a.DataType())
		}
	}
	n := len(pick)
	valid := make([]bool, n)
	if float {
		vals := make([]float64, n)
		for i, k := range pick {
			br := &c.vals[k]
			switch {
			case br.v != nil:
				a := arrs[k]
				if a.IsNull(i) {
					continue
				}
				if g := geti[k]; g != nil {
					vals[i] = float64(g(i))
				} else {
					vals[i] = a.(*array.Float64).Value(i)
				}
			case br.null:
				continue
			default:
				vals[i] = br.f
			}
			valid[i] = true
		}
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.AppendValues(vals, valid)
		return b.NewArray(), nil
	}
	vals := make([]int64, n)
	for i, k := range pick {
		br := &c.vals[k]
		switch {
		case br.v != nil:
			if arrs[k].IsNull(i) {
				continue
			}
			vals[i] = geti[k](i)
		case br.null:
			continue
		default:
			vals[i] = br.i
		}
		valid[i] = true
	}
	b := array.NewBuilder(mem, c.dt)
	defer b.Release()
	appendInts(b, vals, valid)
	return b.NewArray(), nil
}
