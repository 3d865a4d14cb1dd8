package exec

import (
	"cmp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// selectRows returns the rows of rec where mask is true, as a new batch.
// When every row is kept it returns rec itself, retained.
func selectRows(mem memory.Allocator, rec arrow.RecordBatch, mask []bool) (arrow.RecordBatch, error) {
	kept := 0
	for _, m := range mask {
		if m {
			kept++
		}
	}
	if kept == len(mask) {
		rec.Retain()
		return rec, nil
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		c, err := takeMask(mem, rec.Column(i), mask, kept)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(kept)), nil
}

// takeMask copies the elements of a where mask is true.
func takeMask(mem memory.Allocator, a arrow.Array, mask []bool, kept int) (arrow.Array, error) {
	if d, ok := a.(*array.Dictionary); ok {
		idx, err := takeMask(mem, d.Indices(), mask, kept)
		if err != nil {
			return nil, err
		}
		defer idx.Release()
		return array.NewDictionaryArray(d.DataType(), idx, d.Dictionary()), nil
	}
	b := array.NewBuilder(mem, a.DataType())
	defer b.Release()
	b.Reserve(kept)
	switch x := a.(type) {
	case *array.String:
		sb := b.(*array.StringBuilder)
		total := 0
		for i, m := range mask {
			if m && x.IsValid(i) {
				total += x.ValueLen(i)
			}
		}
		sb.ReserveData(total)
		for i, m := range mask {
			if !m {
				continue
			}
			if x.IsNull(i) {
				sb.AppendNull()
			} else {
				sb.Append(x.Value(i))
			}
		}
	case *array.Int32:
		ib := b.(*array.Int32Builder)
		vals := x.Int32Values()
		for i, m := range mask {
			switch {
			case !m:
			case x.IsNull(i):
				ib.AppendNull()
			default:
				ib.UnsafeAppend(vals[i])
			}
		}
	default:
		for i, m := range mask {
			if m {
				if err := appendFrom(b, a, i); err != nil {
					return nil, err
				}
			}
		}
	}
	return b.NewArray(), nil
}

// appendFrom appends element i of a to b, which has a's type.
func appendFrom(b array.Builder, a arrow.Array, i int) error {
	if a.IsNull(i) {
		b.AppendNull()
		return nil
	}
	switch x := a.(type) {
	case *array.Int64:
		b.(*array.Int64Builder).Append(x.Value(i))
	case *array.Int32:
		b.(*array.Int32Builder).Append(x.Value(i))
	case *array.Int16:
		b.(*array.Int16Builder).Append(x.Value(i))
	case *array.Int8:
		b.(*array.Int8Builder).Append(x.Value(i))
	case *array.Float64:
		b.(*array.Float64Builder).Append(x.Value(i))
	case *array.Float32:
		b.(*array.Float32Builder).Append(x.Value(i))
	case *array.String:
		b.(*array.StringBuilder).Append(x.Value(i))
	case *array.Binary:
		b.(*array.BinaryBuilder).Append(x.Value(i))
	case *array.Boolean:
		b.(*array.BooleanBuilder).Append(x.Value(i))
	case *array.Timestamp:
		b.(*array.TimestampBuilder).Append(x.Value(i))
	case *array.Date32:
		b.(*array.Date32Builder).Append(x.Value(i))
	case *array.Time64:
		b.(*array.Time64Builder).Append(x.Value(i))
	case *array.Decimal128:
		b.(*array.Decimal128Builder).Append(x.Value(i))
	case *array.List:
		return appendListFrom(b.(*array.ListBuilder), x, i)
	default:
		return unsupported("values of type %s", a.DataType())
	}
	return nil
}

// mayMatch reports whether a row whose columns lie within the statistics
// returned by stats could satisfy e. It is conservative: anything it does
// not understand may match. stats(col) returns ok=false when unknown and
// min=max=nil with ok=true when the column is entirely NULL.
func mayMatch(e *Expr, stats func(col int) (min, max any, ok bool)) bool {
	switch e.Op {
	case OpAnd:
		for _, a := range e.Args {
			if !mayMatch(a, stats) {
				return false
			}
		}
		return true
	case OpOr:
		for _, a := range e.Args {
			if mayMatch(a, stats) {
				return true
			}
		}
		return false
	case OpEq, OpLt, OpLe, OpGt, OpGe:
	default:
		return true
	}
	l, r, op := e.Args[0], e.Args[1], e.Op
	if l.Op == OpLit {
		l, r, op = r, l, flipped[op]
	}
	if l.Op != OpCol || r.Op != OpLit {
		return true
	}
	mn, mx, ok := stats(l.Col)
	if !ok {
		return true
	}
	if mn == nil || mx == nil {
		return false // only NULLs: no comparison is true
	}
	if _, isFloat := mn.(float64); isFloat && op != OpLt && op != OpLe && op != OpEq {
		// Statistics leave NaN out, and NaN is larger than every number.
		return true
	}
	lo, ok1 := compareStat(mn, r.Lit)
	hi, ok2 := compareStat(mx, r.Lit)
	if !ok1 || !ok2 {
		return true
	}
	switch op {
	case OpEq:
		return lo <= 0 && hi >= 0
	case OpLt:
		return lo < 0
	case OpLe:
		return lo <= 0
	case OpGt:
		return hi > 0
	case OpGe:
		return hi >= 0
	}
	return true
}

// compareStat compares a statistics value with a literal; ok is false when
// they are not comparable.
func compareStat(v any, l *Lit) (int, bool) {
	switch x := v.(type) {
	case int64:
		switch l.Kind {
		case LitInt, LitTimestamp:
			return cmp.Compare(x, l.I), true
		}
	case float64:
		switch l.Kind {
		case LitFloat:
			if l.F != l.F || x != x {
				return 0, false
			}
			return cmp.Compare(x, l.F), true
		case LitInt:
			return cmp.Compare(x, float64(l.I)), true
		}
	case string:
		if l.Kind == LitString {
			return cmp.Compare(x, l.S), true
		}
	}
	return 0, false
}
