package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// OpCaseWhen is CASE WHEN Args[0] THEN Args[1] [ELSE Args[2]] END: the
// value of Args[1] where the predicate Args[0] is TRUE, else Args[2] (NULL
// without it). Without Args[1] the value is TRUE there:
// count(CASE WHEN p THEN 1 END), which is what count(*) FILTER (WHERE p)
// becomes, counts it. With an ELSE, Str names the result's Arrow type
// (int16, int32, int64, float64) and a branch may be a literal of it:
// sum(CASE WHEN p THEN 1 ELSE 0 END). Dashboards compute error counts and
// rates these ways (docs/design/080-dashboard-group-keys.md).
const OpCaseWhen Op = "case_when"

// CaseWhenElse returns CASE WHEN cond THEN then ELSE els END of Arrow type
// typ (int16, int32, int64 or float64).
func CaseWhenElse(cond, then, els *Expr, typ string) *Expr {
	e := Call(OpCaseWhen, cond, then, els)
	e.Str = typ
	return e
}

// caseTypes are the result types a CASE with an ELSE may have.
var caseTypes = map[string]arrow.DataType{
	"int16": arrow.PrimitiveTypes.Int16, "int32": arrow.PrimitiveTypes.Int32,
	"int64": arrow.PrimitiveTypes.Int64, "float64": arrow.PrimitiveTypes.Float64,
}

// CaseWhen returns CASE WHEN cond THEN then END (then nil: TRUE).
func CaseWhen(cond, then *Expr) *Expr {
	if then == nil {
		return Call(OpCaseWhen, cond)
	}
	return Call(OpCaseWhen, cond, then)
}

func compileCaseWhen(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) == 3 {
		return compileCaseElse(e, schema)
	}
	if len(e.Args) != 1 && len(e.Args) != 2 {
		return nil, fmt.Errorf("exec: case_when takes a condition and at most two values")
	}
	p, err := compilePredicate(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	cw := &caseWhen{cond: p}
	if len(e.Args) == 2 {
		if cw.then, err = compileValue(e.Args[1], schema); err != nil {
			return nil, err
		}
	}
	return cw, nil
}

type caseWhen struct {
	cond predicate
	then value // nil: TRUE
}

func (c *caseWhen) typ() arrow.DataType {
	if c.then == nil {
		return arrow.FixedWidthTypes.Boolean
	}
	return c.then.typ()
}

func (c *caseWhen) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	n := int(rec.NumRows())
	mask := make([]bool, n)
	if err := c.cond.test(mem, rec, mask, nil); err != nil {
		return nil, err
	}
	if c.then == nil {
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(n)
		for _, m := range mask {
			if m {
				b.UnsafeAppend(true)
			} else {
				b.UnsafeAppendBoolToBitmap(false)
			}
		}
		return b.NewArray(), nil
	}
	v, err := c.then.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	// The value's buffers with a validity bitmap that is also false where
	// the condition is not TRUE. The bitmap keeps the data's offset.
	d := v.Data()
	off := d.Offset()
	bits := memory.NewResizableBuffer(mem)
	bits.Resize(int(bitutil.BytesForBits(int64(off + n))))
	out := bits.Bytes()
	clear(out)
	nulls := 0
	for i := range n {
		if mask[i] && v.IsValid(i) {
			bitutil.SetBit(out, off+i)
		} else {
			nulls++
		}
	}
	bufs := append([]*memory.Buffer{bits}, d.Buffers()[1:]...)
	nd := array.NewData(d.DataType(), n, bufs, d.Children(), nulls, off)
	bits.Release()
	defer nd.Release()
	if dict := d.Dictionary(); dict != nil {
		nd.SetDictionary(dict)
	}
	return array.MakeFromData(nd), nil
}

// compileCaseElse compiles CASE WHEN c THEN a ELSE b END of type e.Str.
func compileCaseElse(e *Expr, schema *arrow.Schema) (value, error) {
	dt, ok := caseTypes[e.Str]
	if !ok {
		return nil, unsupported("CASE of type %q", e.Str)
	}
	p, err := compilePredicate(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	ce := &caseElse{cond: p, dt: dt}
	for i, a := range e.Args[1:] {
		if a.Op == OpLit {
			f, ok := numLit(a.Lit)
			if !ok {
				return nil, unsupported("CASE branch %s", a.format(nil))
			}
			ce.lit[i], ce.isLit[i] = f, true
			continue
		}
		v, err := compileValue(a, schema)
		if err != nil {
			return nil, err
		}
		if !arrow.TypeEqual(v.typ(), dt) && !widens(v.typ(), dt) {
			return nil, unsupported("CASE branch of %s in a CASE of %s", v.typ(), dt)
		}
		ce.vals[i] = v
	}
	return ce, nil
}

// numLit returns an integer or float literal as a float64 when it is
// exact there.
func numLit(l *Lit) (float64, bool) {
	switch {
	case l == nil:
		return 0, false
	case l.Kind == LitInt && l.I >= -1<<53 && l.I <= 1<<53:
		return float64(l.I), true
	case l.Kind == LitFloat:
		return l.F, true
	}
	return 0, false
}

type caseElse struct {
	cond  predicate
	dt    arrow.DataType
	vals  [2]value   // THEN, ELSE; nil for a literal
	lit   [2]float64 // the literal of a branch without a value
	isLit [2]bool
}

func (c *caseElse) typ() arrow.DataType { return c.dt }

func (c *caseElse) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	n := int(rec.NumRows())
	mask := make([]bool, n)
	if err := c.cond.test(mem, rec, mask, nil); err != nil {
		return nil, err
	}
	var arrs [2]arrow.Array
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, v := range c.vals {
		if v == nil {
			continue
		}
		a, err := v.eval(mem, rec)
		if err != nil {
			return nil, err
		}
		arrs[i] = a
	}
	// Each branch's reader is chosen once per batch; the rows then only
	// pick one of the two.
	float := c.dt.ID() == arrow.FLOAT64
	var geti [2]func(int) int64
	var getf [2]func(int) float64
	for k := range 2 {
		if c.isLit[k] {
			lit := c.lit[k]
			geti[k], getf[k] = func(int) int64 { return int64(lit) }, func(int) float64 { return lit }
			continue
		}
		switch x := arrs[k].(type) {
		case *array.Float64:
			getf[k] = x.Value
		case *array.Int16:
			geti[k] = func(i int) int64 { return int64(x.Value(i)) }
		case *array.Int32:
			geti[k] = func(i int) int64 { return int64(x.Value(i)) }
		case *array.Int64:
			geti[k] = x.Value
		}
		if float && getf[k] == nil || !float && geti[k] == nil {
			return nil, unsupported("CASE branch of %s", arrs[k].DataType())
		}
	}
	valid := make([]bool, n)
	var ivals []int64
	var fvals []float64
	if float {
		fvals = make([]float64, n)
	} else {
		ivals = make([]int64, n)
	}
	for i := range n {
		k := 1
		if mask[i] {
			k = 0
		}
		if !c.isLit[k] && arrs[k].IsNull(i) {
			continue
		}
		valid[i] = true
		if float {
			fvals[i] = getf[k](i)
		} else {
			ivals[i] = geti[k](i)
		}
	}
	b := array.NewBuilder(mem, c.dt)
	defer b.Release()
	switch xb := b.(type) {
	case *array.Float64Builder:
		xb.AppendValues(fvals, valid)
	default:
		appendInts(b, ivals, valid)
	}
	return b.NewArray(), nil
}

// appendInts appends vals where valid (NULL elsewhere) to an int64, int32
// or int16 builder, narrowing each value to the builder's type.
func appendInts(b array.Builder, vals []int64, valid []bool) {
	switch xb := b.(type) {
	case *array.Int64Builder:
		xb.AppendValues(vals, valid)
	case *array.Int32Builder:
		xb.Reserve(len(vals))
		for i, v := range vals {
			if valid[i] {
				xb.UnsafeAppend(int32(v))
			} else {
				xb.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Int16Builder:
		xb.Reserve(len(vals))
		for i, v := range vals {
			if valid[i] {
				xb.UnsafeAppend(int16(v))
			} else {
				xb.UnsafeAppendBoolToBitmap(false)
			}
		}
	}
}

// widens reports whether the integer type from converts into the wider (or
// equal) integer type to without loss.
func widens(from, to arrow.DataType) bool {
	w := map[arrow.Type]int{arrow.INT16: 2, arrow.INT32: 4, arrow.INT64: 8}
	a, ok1 := w[from.ID()]
	b, ok2 := w[to.ID()]
	return ok1 && ok2 && a <= b
}
