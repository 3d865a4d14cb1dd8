package exec

import (
	"cmp"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// cmpScalar compares an array with a constant.
type cmpScalar struct {
	arg   value
	op    Op
	class cmpClass
	i     int64
	f     float64
	s     string
	b     bool
}

func (c *cmpScalar) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, err := c.arg.eval(mem, rec)
	if err != nil {
		return err
	}
	defer a.Release()
	switch x := a.(type) {
	case *array.Int64:
		scalarInts(x.Int64Values(), c.i, c.op, out)
	case *array.Int32:
		scalarInts(x.Int32Values(), c.i, c.op, out)
	case *array.Int16:
		scalarInts(x.Int16Values(), c.i, c.op, out)
	case *array.Int8:
		scalarInts(x.Int8Values(), c.i, c.op, out)
	case *array.Timestamp:
		scalarInts(x.TimestampValues(), c.i, c.op, out)
	case *array.Float64:
		scalarFloats(x.Float64Values(), c.f, c.op, out)
	case *array.Float32:
		scalarFloats(x.Float32Values(), c.f, c.op, out)
	case *array.String:
		for i := range out {
			out[i] = cmpResult(cmp.Compare(x.Value(i), c.s), c.op)
		}
	case *array.Dictionary:
		sc, ok := asStrCol(x)
		if !ok {
			return unsupported("comparison on %s", a.DataType())
		}
		sc.dictMask(func(v string) bool { return cmpResult(cmp.Compare(v, c.s), c.op) }, out)
	case *array.Boolean:
		for i := range out {
			out[i] = cmpResult(cmpBools(x.Value(i), c.b), c.op)
		}
	default:
		return unsupported("comparison on %s", a.DataType())
	}
	applyNulls(a, out, null)
	return nil
}

// applyNulls clears out where a is NULL and records the NULLs.
func applyNulls(a arrow.Array, out, null []bool) {
	if a.NullN() == 0 {
		if null != nil {
			clear(null)
		}
		return
	}
	for i := range out {
		n := a.IsNull(i)
		if n {
			out[i] = false
		}
		if null != nil {
			null[i] = n
		}
	}
}

func cmpBools(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func cmpResult(c int, op Op) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	}
	return c >= 0
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64
}

func scalarInts[T integer](vals []T, c int64, op Op, out []bool) {
	// A constant outside T's range still compares correctly in int64.
	switch op {
	case OpEq:
		for i, v := range vals {
			out[i] = int64(v) == c
		}
	case OpNe:
		for i, v := range vals {
			out[i] = int64(v) != c
		}
	case OpLt:
		for i, v := range vals {
			out[i] = int64(v) < c
		}
	case OpLe:
		for i, v := range vals {
			out[i] = int64(v) <= c
		}
	case OpGt:
		for i, v := range vals {
			out[i] = int64(v) > c
		}
	case OpGe:
		for i, v := range vals {
			out[i] = int64(v) >= c
		}
	}
}

// CompareFloat orders floats as PostgreSQL does: NaN equals NaN and is
// larger than everything else; -0 equals 0.
func CompareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func scalarFloats[T float32 | float64](vals []T, c float64, op Op, out []bool) {
	if math.IsNaN(c) {
		for i, v := range vals {
			out[i] = cmpResult(CompareFloat(float64(v), c), op)
		}
		return
	}
	// With a non-NaN constant, Go's comparisons are PostgreSQL's except
	// for NaN inputs, which are larger than c.
	switch op {
	case OpEq:
		for i, v := range vals {
			out[i] = float64(v) == c
		}
	case OpNe:
		for i, v := range vals {
			out[i] = float64(v) != c
		}
	case OpLt:
		for i, v := range vals {
			out[i] = float64(v) < c
		}
	case OpLe:
		for i, v := range vals {
			out[i] = float64(v) <= c
		}
	case OpGt:
		for i, v := range vals {
			f := float64(v)
			out[i] = f > c || f != f
		}
	case OpGe:
		for i, v := range vals {
			f := float64(v)
			out[i] = f >= c || f != f
		}
	}
}

// cmpArrays compares two arrays of the same class row by row.
type cmpArrays struct {
	l, r  value
	op    Op
	class cmpClass
}

func (c *cmpArrays) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	la, err := c.l.eval(mem, rec)
	if err != nil {
		return err
	}
	defer la.Release()
	ra, err := c.r.eval(mem, rec)
	if err != nil {
		return err
	}
	defer ra.Release()
	switch c.class {
	case cmpInt, cmpTimestamp, cmpBool:
		lg, rg := intKeyGetter(la), intKeyGetter(ra)
		for i := range out {
			out[i] = cmpResult(cmp.Compare(lg(i), rg(i)), c.op)
		}
	case classFloat:
		lg, rg := floatGetter(la), floatGetter(ra)
		for i := range out {
			out[i] = cmpResult(CompareFloat(lg(i), rg(i)), c.op)
		}
	case cmpString:
		ls, lok := asStrCol(la)
		rs, rok := asStrCol(ra)
		if !lok || !rok {
			return unsupported("comparison of %s with %s", la.DataType(), ra.DataType())
		}
		nulls := la.NullN() > 0 || ra.NullN() > 0
		for i := range out {
			if nulls && (la.IsNull(i) || ra.IsNull(i)) {
				continue // cleared below
			}
			out[i] = cmpResult(cmp.Compare(ls.value(i), rs.value(i)), c.op)
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

// compareValues orders two sort-key values (int64, float64, string,
// bool, or decimal128.Num of one scale) of the same class.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		return CompareFloat(x, b.(float64))
	case string:
		return cmp.Compare(x, b.(string))
	case bool:
		return cmpBools(x, b.(bool))
	case decimal128.Num:
		return cmpDec(x, b.(decimal128.Num))
	}
	return 0
}

// floatGetter reads a float array as float64.
func floatGetter(a arrow.Array) func(int) float64 {
	if x, ok := a.(*array.Float32); ok {
		return func(i int) float64 { return float64(x.Value(i)) }
	}
	return a.(*array.Float64).Value
}
