package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Dictionary-encoded string columns. Scans of aggregation fragments read
// dictionary-encoded Parquet string columns as Arrow dictionaries (int32
// indices into a small array of strings), so comparisons, LIKE and GROUP
// BY work once per distinct value instead of once per row. Such arrays
// only flow between the scan, the filter and the aggregation of one
// pipeline: expressions are still compiled against the declared string
// type, and every kernel below accepts either representation.

// strCol reads strings from a String array or a dictionary of strings.
type strCol struct {
	s    *array.String // plain strings, or
	vals *array.String // the dictionary's values
	idx  []int32       // its int32 indices (nil: use dict)
	dict *array.Dictionary
}

// asStrCol returns a's string reader; ok is false for other arrays.
func asStrCol(a arrow.Array) (strCol, bool) {
	switch x := a.(type) {
	case *array.String:
		return strCol{s: x}, true
	case *array.Dictionary:
		vals, ok := x.Dictionary().(*array.String)
		if !ok {
			return strCol{}, false
		}
		c := strCol{vals: vals, dict: x}
		if ix, ok := x.Indices().(*array.Int32); ok {
			c.idx = ix.Int32Values()
		}
		return c, true
	}
	return strCol{}, false
}

// code is row i's dictionary index (dictionaries only).
func (c strCol) code(i int) int {
	if c.idx != nil {
		return int(c.idx[i])
	}
	return c.dict.GetValueIndex(i)
}

// value is row i's string (the row must not be NULL).
func (c strCol) value(i int) string {
	if c.s != nil {
		return c.s.Value(i)
	}
	return c.vals.Value(c.code(i))
}

// isDict reports whether c reads a dictionary.
func (c strCol) isDict() bool { return c.s == nil }

// dictMask evaluates f once per dictionary value and spreads the result
// over the rows; NULL rows get false (their NULL is left to the caller).
func (c strCol) dictMask(f func(string) bool, out []bool) {
	per := make([]bool, c.vals.Len())
	for k := range per {
		if c.vals.IsValid(k) {
			per[k] = f(c.vals.Value(k))
		}
	}
	// A NULL row's index is arbitrary: it may even point past an empty
	// dictionary (a batch of NULLs only), so it is never read.
	hasNulls := c.dict.NullN() > 0
	for i := range out {
		switch {
		case hasNulls && c.dict.IsNull(i):
			out[i] = false
		case c.idx != nil:
			out[i] = per[c.idx[i]]
		default:
			out[i] = per[c.dict.GetValueIndex(i)]
		}
	}
}

// evalText evaluates v, which must give text (plain or dictionary encoded),
// and returns the array with its strCol view; what, with the array's type,
// is the error otherwise. The caller releases the array.
func evalText(mem memory.Allocator, rec arrow.RecordBatch, v value, what string) (arrow.Array, strCol, error) {
	a, err := v.eval(mem, rec)
	if err != nil {
		return nil, strCol{}, err
	}
	sc, ok := asStrCol(a)
	if !ok {
		dt := a.DataType()
		a.Release()
		return nil, strCol{}, unsupported(what, dt)
	}
	return a, sc, nil
}
