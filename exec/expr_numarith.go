package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Arithmetic on numeric values (docs/design/091-numeric-arithmetic.md).
// The operands are numeric (Decimal128) or integer values and integer or
// numeric constants; the result is a Decimal128 at PostgreSQL's result
// scale: the larger scale for + and -, the sum of the scales for *, the
// operand's for unary minus and abs (an integer has scale 0, a constant
// the fraction digits it is written with). The result's precision is a
// bound decided at compile time from the operands' precisions: p1+p2
// digits for a product, one more integer digit than the wider operand for
// a sum. A result that might need more than 38 digits is refused, so that
// the arithmetic, done in 128-bit two's complement, never overflows and
// never raises an error where PostgreSQL's numeric would not.
const (
	OpNumAdd Op = "num_add" // Args[0] + Args[1]
	OpNumSub Op = "num_sub" // Args[0] - Args[1]
	OpNumMul Op = "num_mul" // Args[0] * Args[1]
	OpNumNeg Op = "num_neg" // -Args[0]
	OpNumAbs Op = "num_abs" // abs(Args[0])
)

// maxDecPrecision is the most digits a Decimal128 value has.
const maxDecPrecision = 38

var numArithSymbols = map[Op]string{OpNumAdd: "+", OpNumSub: "-", OpNumMul: "*", OpNumDiv: "/"}

// formatNumArith renders an arithmetic node; ok is false for other ops.
func formatNumArith(e *Expr, names []string) (string, bool) {
	switch e.Op {
	case OpNumAdd, OpNumSub, OpNumMul, OpNumDiv:
		if len(e.Args) == 2 {
			return "(" + e.Args[0].format(names) + " " + numArithSymbols[e.Op] + " " + e.Args[1].format(names) + ")", true
		}
	case OpNumNeg:
		if len(e.Args) == 1 {
			return "-" + e.Args[0].format(names), true
		}
	case OpNumAbs:
		if len(e.Args) == 1 {
			return "abs(" + e.Args[0].format(names) + ")", true
		}
	}
	return "", false
}

// numOperand is a compiled operand: a value or a constant, with the
// precision bound and scale of its values (|unscaled| < 10^p).
type numOperand struct {
	v    value // nil: the constant c
	c    decimal128.Num
	p, s int32
}

// digits is the number of decimal digits of |v| (at least 1).
func digits(v decimal128.Num) int32 {
	a := v.Abs()
	n := int32(1)
	for n < maxDecPrecision && !a.Less(pow10(n)) {
		n++
	}
	return n
}

// compileNumOperand compiles an operand of numeric arithmetic.
func compileNumOperand(a *Expr, schema *arrow.Schema) (numOperand, error) {
	if a.Op == OpLit {
		switch {
		case a.Lit == nil:
			return numOperand{}, fmt.Errorf("exec: literal without a value")
		case a.Lit.Kind == LitInt:
			c := decimal128.FromI64(a.Lit.I)
			return numOperand{c: c, p: digits(c)}, nil
		case a.Lit.Kind == LitDecimal:
			c, s, err := parseDecimal(a.Lit.S)
			if err != nil {
				return numOperand{}, err
			}
			// parseDecimal allows 38 significant digits; 0.05 has p 2.
			return numOperand{c: c, p: max(digits(c), s), s: s}, nil
		}
		return numOperand{}, unsupported("numeric arithmetic on a %s constant", a.Lit.Kind)
	}
	v, err := compileValue(a, schema)
	if err != nil {
		return numOperand{}, err
	}
	switch t := v.typ().(type) {
	case *arrow.Decimal128Type:
		return numOperand{v: v, p: t.Precision, s: t.Scale}, nil
	}
	switch v.typ().ID() {
	case arrow.INT8:
		return numOperand{v: v, p: 3}, nil
	case arrow.INT16:
		return numOperand{v: v, p: 5}, nil
	case arrow.INT32:
		return numOperand{v: v, p: 10}, nil
	case arrow.INT64:
		return numOperand{v: v, p: 19}, nil
	}
	return numOperand{}, unsupported("numeric arithmetic on %s", v.typ())
}

// NumArithType is the result type of op over operands of precision bounds
// and scales (p1, s1) and (p2, s2) (unary ops read the first), and whether
// it fits a Decimal128.
func NumArithType(op Op, p1, s1, p2, s2 int32) (*arrow.Decimal128Type, bool) {
	var p, s int32
	switch op {
	case OpNumAdd, OpNumSub:
		s = max(s1, s2)
		p = max(p1-s1, p2-s2) + 1 + s
	case OpNumMul:
		s = s1 + s2
		p = p1 + p2
	case OpNumNeg, OpNumAbs:
		p, s = p1, s1
	default:
		return nil, false
	}
	if p > maxDecPrecision || p < 1 {
		return nil, false
	}
	return &arrow.Decimal128Type{Precision: p, Scale: s}, true
}

// numArith is a compiled arithmetic node.
type numArith struct {
	op   Op
	l, r numOperand // r unused for unary ops
	// lm, rm rescale the operands of + and - to the result's scale.
	lm, rm decimal128.Num
	dt     *arrow.Decimal128Type
}

func compileNumArith(e *Expr, schema *arrow.Schema) (value, error) {
	unary := e.Op == OpNumNeg || e.Op == OpNumAbs
	if (unary && len(e.Args) != 1) || (!unary && len(e.Args) != 2) {
		return nil, fmt.Errorf("exec: %s takes %d arguments", e.Op, map[bool]int{true: 1, false: 2}[unary])
	}
	l, err := compileNumOperand(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	n := &numArith{op: e.Op, l: l}
	if unary {
		if l.v == nil {
			return nil, unsupported("%s of a constant", e.Op)
		}
	} else {
		if n.r, err = compileNumOperand(e.Args[1], schema); err != nil {
			return nil, err
		}
		if l.v == nil && n.r.v == nil {
			return nil, unsupported("%s of two constants", e.Op)
		}
	}
	dt, ok := NumArithType(e.Op, l.p, l.s, n.r.p, n.r.s)
	if !ok {
		return nil, unsupported("numeric %s of (%d,%d) and (%d,%d) may exceed 38 digits", e.Op, l.p, l.s, n.r.p, n.r.s)
	}
	n.dt = dt
	if e.Op == OpNumAdd || e.Op == OpNumSub {
		n.lm, n.rm = pow10(dt.Scale-l.s), pow10(dt.Scale-n.r.s)
		// Constants are rescaled once.
		if l.v == nil {
			n.l.c, n.lm = l.c.Mul(n.lm), pow10(0)
		}
		if n.r.v == nil {
			n.r.c, n.rm = n.r.c.Mul(n.rm), pow10(0)
		}
	}
	return n, nil
}

func (n *numArith) typ() arrow.DataType { return n.dt }

// numValues returns the unscaled values of a numeric or integer array (a
// Decimal128 array's own slice, not a copy).
func numValues(a arrow.Array) ([]decimal128.Num, error) {
	switch x := a.(type) {
	case *array.Decimal128:
		return x.Values(), nil
	case *array.Int8:
		return convNums(x.Int8Values()), nil
	case *array.Int16:
		return convNums(x.Int16Values()), nil
	case *array.Int32:
		return convNums(x.Int32Values()), nil
	case *array.Int64:
		return convNums(x.Int64Values()), nil
	}
	return nil, unsupported("numeric arithmetic on %s", a.DataType())
}

func convNums[T int8 | int16 | int32 | int64](vs []T) []decimal128.Num {
	out := make([]decimal128.Num, len(vs))
	for i, v := range vs {
		out[i] = decimal128.FromI64(int64(v))
	}
	return out
}

// evalNumOperands evaluates the operands l and r over rec: their values
// (nil for a constant) and the arrays evaluated, which the caller
// releases (also on error).
func evalNumOperands(mem memory.Allocator, rec arrow.RecordBatch, l, r numOperand) (lv, rv []decimal128.Num, arrs []arrow.Array, err error) {
	rows := int(rec.NumRows())
	operand := func(o numOperand) ([]decimal128.Num, error) {
		if o.v == nil {
			return nil, nil
		}
		a, err := o.v.eval(mem, rec)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
		if a.Len() != rows {
			return nil, fmt.Errorf("exec: numeric operand of %d rows in a batch of %d", a.Len(), rows)
		}
		return numValues(a)
	}
	if lv, err = operand(l); err != nil {
		return nil, nil, arrs, err
	}
	rv, err = operand(r)
	return lv, rv, arrs, err
}

// validRows returns which of rows rows are valid in every one of arrs
// (nil: all of them).
func validRows(arrs []arrow.Array, rows int) []bool {
	var valid []bool
	for _, a := range arrs {
		if a.NullN() == 0 {
			continue
		}
		if valid == nil {
			valid = make([]bool, rows)
			for i := range valid {
				valid[i] = true
			}
		}
		for i := range valid {
			if a.IsNull(i) {
				valid[i] = false
			}
		}
	}
	return valid
}

func (n *numArith) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	rows := int(rec.NumRows())
	lv, rv, arrs, err := evalNumOperands(mem, rec, n.l, n.r)
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	if err != nil {
		return nil, err
	}
	out := make([]decimal128.Num, rows)
	switch n.op {
	case OpNumNeg:
		for i, v := range lv {
			out[i] = v.Negate()
		}
	case OpNumAbs:
		for i, v := range lv {
			out[i] = v.Abs()
		}
	case OpNumMul:
		switch {
		case lv == nil:
			for i, v := range rv {
				out[i] = n.l.c.Mul(v)
			}
		case rv == nil:
			for i, v := range lv {
				out[i] = v.Mul(n.r.c)
			}
		default:
			for i := range out {
				out[i] = lv[i].Mul(rv[i])
			}
		}
	default:
		sub := n.op == OpNumSub
		one := pow10(0)
		switch {
		case lv == nil:
			for i, v := range rv {
				if n.rm != one {
					v = v.Mul(n.rm)
				}
				if sub {
					out[i] = n.l.c.Sub(v)
				} else {
					out[i] = n.l.c.Add(v)
				}
			}
		case rv == nil:
			for i, v := range lv {
				if n.lm != one {
					v = v.Mul(n.lm)
				}
				if sub {
					out[i] = v.Sub(n.r.c)
				} else {
					out[i] = v.Add(n.r.c)
				}
			}
		default:
			for i := range out {
				x, y := lv[i], rv[i]
				if n.lm != one {
					x = x.Mul(n.lm)
				}
				if n.rm != one {
					y = y.Mul(n.rm)
				}
				if sub {
					out[i] = x.Sub(y)
				} else {
					out[i] = x.Add(y)
				}
			}
		}
	}
	valid := validRows(arrs, rows)
	b := array.NewDecimal128Builder(mem, n.dt)
	defer b.Release()
	b.AppendValues(out, valid)
	return b.NewArray(), nil
}
