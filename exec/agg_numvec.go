package exec

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Aggregates over numeric (Decimal128) arguments (design 087).
//
// sum keeps the argument's scale, as PostgreSQL's sum(numeric) does, and
// adds in 256 bits: a Decimal128 value is below 10^38, so no realistic
// number of rows overflows (2^255 / 10^38 ≈ 5·10^38 rows). Its result and
// its partial state are Decimal256(76, scale), NULL for a group without a
// non-NULL value. min and max keep the value at the argument's type; their
// state is the value, as for the other types.

// SumDecimalType is the result type of sum over a numeric of scale s.
func SumDecimalType(s int32) *arrow.Decimal256Type {
	return &arrow.Decimal256Type{Precision: 76, Scale: s}
}

// sumDecState sums Decimal128 values exactly in 256 bits.
type sumDecState struct {
	scale int32
	acc   [][4]uint64 // little-endian two's complement
	has   []bool
}

func (s *sumDecState) typ() arrow.DataType { return SumDecimalType(s.scale) }
func (s *sumDecState) grow(n int)          { s.acc, s.has = growTo(s.acc, n), growTo(s.has, n) }

// add256 adds the sign-extended 128-bit value (hi, lo) to a.
func add256(a *[4]uint64, lo uint64, hi int64) {
	ext := uint64(hi >> 63)
	var c uint64
	a[0], c = bits.Add64(a[0], lo, 0)
	a[1], c = bits.Add64(a[1], uint64(hi), c)
	a[2], c = bits.Add64(a[2], ext, c)
	a[3], _ = bits.Add64(a[3], ext, c)
}

// add256x adds b to a.
func add256x(a *[4]uint64, b [4]uint64) {
	var c uint64
	a[0], c = bits.Add64(a[0], b[0], 0)
	a[1], c = bits.Add64(a[1], b[1], c)
	a[2], c = bits.Add64(a[2], b[2], c)
	a[3], _ = bits.Add64(a[3], b[3], c)
}

func (s *sumDecState) update(gids []uint32, a arrow.Array, n int) error {
	x, ok := a.(*array.Decimal128)
	if !ok {
		return fmt.Errorf("exec: numeric sum of %s", a.DataType())
	}
	vals := x.Values()[:n]
	hasNulls := x.NullN() > 0
	for i, v := range vals {
		if hasNulls && x.IsNull(i) {
			continue
		}
		g := gids[i]
		add256(&s.acc[g], v.LowBits(), v.HighBits())
		s.has[g] = true
	}
	return nil
}

func (s *sumDecState) merge(o aggState, m []uint32) error {
	os := o.(*sumDecState)
	for g := range os.has {
		if os.has[g] {
			add256x(&s.acc[m[g]], os.acc[g])
			s.has[m[g]] = true
		}
	}
	return nil
}

func (s *sumDecState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewDecimal256Builder(mem, SumDecimalType(s.scale))
	defer b.Release()
	b.Reserve(groups)
	for g := 0; g < groups; g++ {
		if !s.has[g] {
			b.AppendNull()
			continue
		}
		a := s.acc[g]
		b.Append(decimal256.New(a[3], a[2], a[1], a[0]))
	}
	return b.NewArray(), nil
}

func (s *sumDecState) partialType() arrow.DataType { return s.typ() }
func (s *sumDecState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	return s.result(mem, groups)
}
func (s *sumDecState) absorb(gids []uint32, a arrow.Array, n int) error {
	x, ok := a.(*array.Decimal256)
	if !ok || x.DataType().(*arrow.Decimal256Type).Scale != s.scale {
		return fmt.Errorf("exec: numeric sum state of type %s", a.DataType())
	}
	for i, g := range gids[:n] {
		if x.IsNull(i) {
			continue
		}
		add256x(&s.acc[g], x.Value(i).Array())
		s.has[g] = true
	}
	return nil
}

// decValueState keeps the min, max or first numeric value of a group.
type decValueState struct {
	fn   AggFunc
	dt   *arrow.Decimal128Type
	set  []bool // a value (or, for first, a NULL) was seen
	null []bool // first: the first value was NULL
	vals []decimal128.Num
}

func (s *decValueState) typ() arrow.DataType { return s.dt }
func (s *decValueState) grow(n int) {
	s.set, s.null, s.vals = growTo(s.set, n), growTo(s.null, n), growTo(s.vals, n)
}

// take folds value v (null: a NULL) into group g.
func (s *decValueState) take(g uint32, v decimal128.Num, null bool) {
	first := s.fn == AggFirst
	switch {
	case first && s.set[g]:
	case null:
		if first {
			s.set[g], s.null[g] = true, true
		}
	case !s.set[g] || (!first && better(s.fn, v, s.vals[g], cmpDec)):
		s.vals[g], s.set[g] = v, true
	}
}

func (s *decValueState) update(gids []uint32, a arrow.Array, n int) error {
	x, ok := a.(*array.Decimal128)
	if !ok || !arrow.TypeEqual(x.DataType(), s.dt) {
		return fmt.Errorf("exec: numeric %s of %s", s.fn, a.DataType())
	}
	hasNulls := x.NullN() > 0
	for i, v := range x.Values()[:n] {
		s.take(gids[i], v, hasNulls && x.IsNull(i))
	}
	return nil
}

func (s *decValueState) merge(o aggState, m []uint32) error {
	os := o.(*decValueState)
	for g := range os.set {
		if os.set[g] {
			s.take(m[g], os.vals[g], os.null[g])
		}
	}
	return nil
}

func (s *decValueState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewDecimal128Builder(mem, s.dt)
	defer b.Release()
	b.Reserve(groups)
	for g := 0; g < groups; g++ {
		if !s.set[g] || s.null[g] {
			b.AppendNull()
			continue
		}
		b.Append(s.vals[g])
	}
	return b.NewArray(), nil
}

func (s *decValueState) partialType() arrow.DataType { return s.dt }
func (s *decValueState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	return s.result(mem, groups)
}
func (s *decValueState) absorb(gids []uint32, a arrow.Array, n int) error {
	return s.update(gids, a, n)
}

// newDecAggState returns the state of f over a Decimal128 argument, or
// nil when f has no numeric state of its own.
func newDecAggState(f AggFunc, dt arrow.DataType) aggState {
	d, ok := dt.(*arrow.Decimal128Type)
	if !ok {
		return nil
	}
	switch f {
	case AggSum:
		return &sumDecState{scale: d.Scale}
	case AggMin, AggMax, AggFirst:
		return &decValueState{fn: f, dt: d}
	}
	return nil
}

// groupable is keyable with numeric keys, which group through the encoded
// key (16 bytes of the unscaled value: a column's values share its scale,
// so equal numbers have equal bytes).
func groupable(dt arrow.DataType) (keyMode, bool) {
	if dt.ID() == arrow.DECIMAL128 {
		return keyEncoded, true
	}
	return keyable(dt)
}

// appendDecKey appends v's encoded-key bytes: low then high word, little
// endian.
func appendDecKey(b []byte, v decimal128.Num) []byte {
	b = binary.LittleEndian.AppendUint64(b, v.LowBits())
	return binary.LittleEndian.AppendUint64(b, uint64(v.HighBits()))
}

// count(DISTINCT) of a numeric: the set key is the value's two words. A
// column's values, and an expression's, share one scale, so equal numbers
// have equal keys.

// decDistinctKey is v's count(DISTINCT) key in group g.
func decDistinctKey(g uint32, v decimal128.Num) distinctKey {
	return distinctKey{g: g, i: int64(v.LowBits()), h: v.HighBits()}
}

// addDecimals counts the distinct non-NULL values of x per group.
func (s *distinctState) addDecimals(gids []uint32, x *array.Decimal128, n int) {
	hasNulls := x.NullN() > 0
	vals := x.Values()
	for i := 0; i < n; i++ {
		if hasNulls && x.IsNull(i) {
			continue
		}
		s.add(decDistinctKey(gids[i], vals[i]), false)
	}
}

// absorbDecimals folds partial states: a list of distinct values per row.
func (s *distinctState) absorbDecimals(gids []uint32, l *array.List, vals *array.Decimal128, n int) error {
	for i := 0; i < n; i++ {
		if l.IsNull(i) {
			continue
		}
		start, end := l.ValueOffsets(i)
		for j := int(start); j < int(end); j++ {
			if !vals.IsNull(j) {
				s.add(decDistinctKey(gids[i], vals.Value(j)), false)
			}
		}
	}
	return nil
}
