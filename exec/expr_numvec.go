package exec

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// This file holds comparisons of numeric columns (Arrow Decimal128, a
// numeric(p,s) column's storage) on the vectorized executor. PostgreSQL's
// rules: numeric against numeric or an integer compares exactly (the
// operands rescaled to a common scale), numeric against float8 compares
// as float8 (the numeric converted, correctly rounded, as numeric_float8
// does). Every value of a column of precision p ≤ 38 is below 10^38 in
// magnitude, which the overflow handling below relies on.

// LitDecimal is a numeric constant: S is its text (an optional sign,
// digits, an optional fraction), at most 38 significant digits.
const LitDecimal LitKind = "decimal"

// Decimal returns a numeric literal; s is its text, such as "-12.50".
func Decimal(s string) *Expr { return &Expr{Op: OpLit, Lit: &Lit{Kind: LitDecimal, S: s}} }

// classDecimal compares numeric values (the comparison class of Decimal128).
const classDecimal cmpClass = 100

// maxDecScale is the largest scale a Decimal128 value or constant has.
const maxDecScale = 38

// parseDecimal reads a LitDecimal's text into its unscaled value and scale.
func parseDecimal(s string) (decimal128.Num, int32, error) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg, t = t[0] == '-', t[1:]
	}
	intPart, frac, _ := strings.Cut(t, ".")
	digits := intPart + frac
	if digits == "" || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return decimal128.Num{}, 0, fmt.Errorf("exec: numeric literal %q", s)
	}
	if len(frac) > maxDecScale || len(strings.TrimLeft(digits, "0")) > 38 {
		return decimal128.Num{}, 0, unsupported("numeric literal %q beyond 38 digits", s)
	}
	b, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return decimal128.Num{}, 0, fmt.Errorf("exec: numeric literal %q", s)
	}
	if neg {
		b.Neg(b)
	}
	return decimal128.FromBigInt(b), int32(len(frac)), nil
}

// cmpDec orders two unscaled values of the same scale.
func cmpDec(a, b decimal128.Num) int {
	ah, bh := a.HighBits(), b.HighBits()
	switch {
	case ah < bh:
		return -1
	case ah > bh:
		return 1
	}
	al, bl := a.LowBits(), b.LowBits()
	switch {
	case al < bl:
		return -1
	case al > bl:
		return 1
	}
	return 0
}

// pow10 is 10^n as a Decimal128 value, 0 ≤ n ≤ 38.
func pow10(n int32) decimal128.Num { return decimal128.GetScaleMultiplier(int(n)) }

// scaleUp returns v·10^d, or ok false when the product has 38 digits or
// more (then it is larger in magnitude than any Decimal128 column value).
func scaleUp(v decimal128.Num, d int32) (decimal128.Num, bool) {
	if d == 0 {
		return v, true
	}
	if d > 38 {
		return v, v.Sign() == 0
	}
	if !v.Abs().Less(pow10(38 - d)) {
		return v, false
	}
	return v.Mul(pow10(d)), true
}

// decToFloat converts an unscaled value of scale s to the nearest float64,
// as PostgreSQL's numeric_float8 (strtod of the text) does.
func decToFloat(v decimal128.Num, s int32) float64 {
	hi, lo := v.HighBits(), v.LowBits()
	// Exact integer and exact power of ten: one correctly rounded division.
	if i := int64(lo); s <= 22 && ((hi == 0 && i >= 0 && i < 1<<53) || (hi == -1 && i < 0 && i > -1<<53)) {
		return float64(i) / float64PowsOfTen[s]
	}
	f, _ := strconv.ParseFloat(v.ToString(s), 64)
	return f
}

var float64PowsOfTen = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decBound is the comparison of a scale-s column with a constant folded to
// the column's scale: op against c, or a constant result for every
// non-NULL value (constant set).
type decBound struct {
	op       Op
	c        decimal128.Num
	constant bool
	val      bool
}

// foldDecConst folds "x op (c at scale cs)" for x at scale s into a
// comparison at scale s, exactly.
func foldDecConst(op Op, c decimal128.Num, cs, s int32) decBound {
	if cs <= s {
		v, ok := scaleUp(c, s-cs)
		if ok {
			return decBound{op: op, c: v}
		}
		// |c| is beyond every value: x < c for a positive c.
		return decBound{constant: true, val: cmpResult(-c.Sign(), op)}
	}
	// The constant has more fraction digits than the column: x op c is
	// x op' floor(c) or x op' floor(c)+1 unless c is a multiple of 10^-s.
	q, r := new(big.Int).QuoRem(c.BigInt(), pow10(cs-s).BigInt(), new(big.Int))
	if r.Sign() == 0 {
		return decBound{op: op, c: decimal128.FromBigInt(q)}
	}
	if r.Sign() < 0 {
		q.Sub(q, big.NewInt(1)) // floor
	}
	fl := decimal128.FromBigInt(q)
	switch op {
	case OpEq:
		return decBound{constant: true, val: false}
	case OpNe:
		return decBound{constant: true, val: true}
	case OpLt, OpLe:
		return decBound{op: OpLe, c: fl}
	default:
		return decBound{op: OpGe, c: fl.Add(decimal128.FromI64(1))}
	}
}

// compileDecimalCompare compiles a comparison with a numeric operand: lv
// is the left operand (already compiled, of class lc) and r the right.
// ok is false when neither operand is numeric.
func compileDecimalCompare(lv value, r *Expr, op Op, schema *arrow.Schema) (predicate, bool, error) {
	lc, ok := numClassOf(lv.typ())
	if !ok {
		return nil, false, nil
	}
	if r.Op == OpLit {
		if lc != classDecimal {
			if r.Lit.Kind == LitDecimal {
				return nil, true, unsupported("numeric constant against %s", lv.typ())
			}
			return nil, false, nil
		}
		s := lv.typ().(*arrow.Decimal128Type).Scale
		switch r.Lit.Kind {
		case LitNull:
			return &constPred{null: true}, true, nil
		case LitInt:
			return decScalarPred(lv, foldDecConst(op, decimal128.FromI64(r.Lit.I), 0, s)), true, nil
		case LitDecimal:
			c, cs, err := parseDecimal(r.Lit.S)
			if err != nil {
				return nil, true, err
			}
			return decScalarPred(lv, foldDecConst(op, c, cs, s)), true, nil
		case LitFloat:
			return &decFloatScalar{arg: lv, op: op, f: r.Lit.F}, true, nil
		}
		return nil, true, unsupported("comparison of %s with %s", lv.typ(), r.Lit.Kind)
	}
	rv, err := compileValue(r, schema)
	if err != nil {
		return nil, true, err
	}
	rc, ok := numClassOf(rv.typ())
	if !ok {
		return nil, lc == classDecimal, unsupported("comparison on %s", rv.typ())
	}
	if lc != classDecimal && rc != classDecimal {
		return nil, false, nil
	}
	if lc == cmpString || rc == cmpString || lc == cmpBool || rc == cmpBool || lc == cmpTimestamp || rc == cmpTimestamp {
		return nil, true, unsupported("comparison of %s with %s", lv.typ(), rv.typ())
	}
	return &decCmpArrays{l: lv, r: rv, op: op, float: lc == classFloat || rc == classFloat}, true, nil
}

// numClassOf is classOf with Decimal128 as classDecimal.
func numClassOf(dt arrow.DataType) (cmpClass, bool) {
	if dt.ID() == arrow.DECIMAL128 {
		return classDecimal, true
	}
	return classOf(dt)
}

func decScalarPred(v value, b decBound) predicate {
	if b.constant {
		return &nullAware{arg: v, val: b.val}
	}
	return &decScalar{arg: v, op: b.op, c: b.c}
}

// decScalar compares a Decimal128 array with a constant at its scale.
type decScalar struct {
	arg value
	op  Op
	c   decimal128.Num
}

func (p *decScalar) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, err := p.arg.eval(mem, rec)
	if err != nil {
		return err
	}
	defer a.Release()
	x, ok := a.(*array.Decimal128)
	if !ok {
		return unsupported("numeric comparison on %s", a.DataType())
	}
	vals := x.Values()
	c := p.c
	switch p.op {
	case OpEq:
		for i, v := range vals {
			out[i] = v == c
		}
	case OpNe:
		for i, v := range vals {
			out[i] = v != c
		}
	default:
		for i, v := range vals {
			out[i] = cmpResult(cmpDec(v, c), p.op)
		}
	}
	applyNulls(a, out, null)
	return nil
}

// decFloatScalar compares a Decimal128 array with a float8 constant in
// float8 (numeric never converts to NaN, which is above every number).
type decFloatScalar struct {
	arg value
	op  Op
	f   float64
}

func (p *decFloatScalar) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, err := p.arg.eval(mem, rec)
	if err != nil {
		return err
	}
	defer a.Release()
	x, ok := a.(*array.Decimal128)
	if !ok {
		return unsupported("numeric comparison on %s", a.DataType())
	}
	s := x.DataType().(*arrow.Decimal128Type).Scale
	vals := x.Values()
	fs := make([]float64, len(vals))
	for i, v := range vals {
		if x.IsValid(i) {
			fs[i] = decToFloat(v, s)
		}
	}
	scalarFloats(fs, p.f, p.op, out)
	applyNulls(a, out, null)
	return nil
}

// decCmpArrays compares two columns of which at least one is numeric:
// exactly at the larger scale (integers have scale 0), or in float8 when
// the other one is a float.
type decCmpArrays struct {
	l, r  value
	op    Op
	float bool
}

// decGetter reads an integer or Decimal128 array as unscaled values and
// returns their scale.
func decGetter(a arrow.Array) (func(int) decimal128.Num, int32) {
	if x, ok := a.(*array.Decimal128); ok {
		return x.Value, x.DataType().(*arrow.Decimal128Type).Scale
	}
	get := intKeyGetter(a)
	return func(i int) decimal128.Num { return decimal128.FromI64(get(i)) }, 0
}

// decFloatGetter reads a numeric, integer or float array as float64.
func decFloatGetter(a arrow.Array) func(int) float64 {
	switch x := a.(type) {
	case *array.Decimal128:
		s := x.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) float64 { return decToFloat(x.Value(i), s) }
	case *array.Float32, *array.Float64:
		return floatGetter(a)
	}
	get := intKeyGetter(a)
	return func(i int) float64 { return float64(get(i)) }
}

func (p *decCmpArrays) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	la, err := p.l.eval(mem, rec)
	if err != nil {
		return err
	}
	defer la.Release()
	ra, err := p.r.eval(mem, rec)
	if err != nil {
		return err
	}
	defer ra.Release()
	if p.float {
		lg, rg := decFloatGetter(la), decFloatGetter(ra)
		for i := range out {
			if la.IsValid(i) && ra.IsValid(i) {
				out[i] = cmpResult(CompareFloat(lg(i), rg(i)), p.op)
			}
		}
	} else {
		lg, ls := decGetter(la)
		rg, rs := decGetter(ra)
		for i := range out {
			if la.IsNull(i) || ra.IsNull(i) {
				continue
			}
			out[i] = cmpResult(cmpScaled(lg(i), ls, rg(i), rs), p.op)
		}
	}
	applyNulls(la, out, null)
	if ra.NullN() > 0 {
		for i := range out {
			if ra.IsNull(i) {
				out[i] = false
				if null != nil {
					null[i] = true
				}
			}
		}
	}
	return nil
}

// cmpScaled orders a (scale as) and b (scale bs), both below 10^38 in
// magnitude, exactly.
func cmpScaled(a decimal128.Num, as int32, b decimal128.Num, bs int32) int {
	switch {
	case as < bs:
		v, ok := scaleUp(a, bs-as)
		if !ok {
			return a.Sign()
		}
		a = v
	case bs < as:
		v, ok := scaleUp(b, as-bs)
		if !ok {
			return -b.Sign()
		}
		b = v
	}
	return cmpDec(a, b)
}

// formatDecimalLit renders a LitDecimal for EXPLAIN.
func formatDecimalLit(l *Lit) string { return l.S }
