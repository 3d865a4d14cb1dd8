package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// This file holds the two-phase aggregation: the partial output of an
// aggTable (group keys and states) and the final aggregation that merges
// such outputs. The state layout is specified on AggMode.

// newFinalAggTable fills t (phase AggFinal) for input in the partial schema
// of spec: the first len(spec.Keys) columns are the keys, then one state
// column per aggregate.
func newFinalAggTable(t *aggTable, spec *AggSpec, in *arrow.Schema) (*aggTable, error) {
	nk := len(spec.Keys)
	if in.NumFields() != nk+len(spec.Aggs) {
		return nil, fmt.Errorf("exec: final aggregation of %d keys and %d aggregates over %d columns",
			nk, len(spec.Aggs), in.NumFields())
	}
	for j := 0; j < nk; j++ {
		dt := in.Field(j).Type
		if _, ok := groupable(dt); !ok {
			return nil, unsupported("GROUP BY on %s", dt)
		}
		t.keys = append(t.keys, &colValue{idx: j, dt: dt})
	}
	t.initKeys()
	for i, a := range spec.Aggs {
		dt := in.Field(nk + i).Type
		st, err := newFinalState(a.Func, dt)
		if err != nil {
			return nil, err
		}
		t.states = append(t.states, st)
		t.args = append(t.args, &colValue{idx: nk + i, dt: dt})
	}
	if t.mode == keyNone {
		t.addGroups(1)
	}
	return t, nil
}

// newFinalState returns the state of aggregate f that absorbs a partial
// state column of type dt.
func newFinalState(f AggFunc, dt arrow.DataType) (aggState, error) {
	bad := func() (aggState, error) {
		return nil, fmt.Errorf("exec: final %s: state column of type %s", f, dt)
	}
	if st := newDecAggState(f, dt); st != nil && f != AggSum { // agg_numvec.go
		return st, nil
	}
	if d, ok := dt.(*arrow.Decimal256Type); ok && f == AggSum {
		return &sumDecState{scale: d.Scale}, nil
	}
	switch f {
	case AggCountStar, AggCount:
		if dt.ID() != arrow.INT64 {
			return bad()
		}
		return &countState{star: f == AggCountStar}, nil
	case AggSum:
		switch dt.ID() {
		case arrow.DECIMAL128:
			return &sumIntState{}, nil
		case arrow.FLOAT64:
			return &sumFloatState{}, nil
		}
		return bad()
	case AggMin, AggMax, AggFirst:
		if _, ok := keyable(dt); !ok {
			return bad()
		}
		return &valueState{fn: f, dt: dt}, nil
	case AggMinInet, AggMaxInet: // agg_inet.go
		if dt.ID() != arrow.STRING {
			return bad()
		}
		return newInetMinMax(f, dt)
	case AggCountDistinct:
		l, ok := dt.(*arrow.ListType)
		if !ok {
			return bad()
		}
		if _, ok := groupable(l.Elem()); !ok {
			return bad()
		}
		return &distinctState{dt: l.Elem(), sets: map[distinctKey]struct{}{}}, nil
	case AggList:
		if !arrow.TypeEqual(dt, ListType) {
			return bad()
		}
		return &listState{}, nil
	}
	return nil, unsupported("aggregate %s", f)
}

// partialGroups is the number of rows of the partial output: every group,
// except the single group of a key-less aggregation that saw no rows.
func (t *aggTable) partialGroups() int {
	if t.mode == keyNone && !t.seen {
		return 0
	}
	return t.groups
}

func (t *aggTable) partialSchema() *arrow.Schema {
	fields := make([]arrow.Field, 0, len(t.keys)+len(t.states))
	for j, k := range t.keys {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("key%d", j), Type: k.typ(), Nullable: true})
	}
	for i, s := range t.states {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("state%d", i), Type: s.partialType(), Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// partialResult builds the partial output batch.
func (t *aggTable) partialResult(schema *arrow.Schema) (arrow.RecordBatch, error) {
	groups := t.partialGroups()
	cols := make([]arrow.Array, 0, len(t.keys)+len(t.states))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	keys, err := t.keyColumns(groups)
	cols = append(cols, keys...)
	if err != nil {
		return nil, err
	}
	for _, s := range t.states {
		a, err := s.partial(t.mem, groups)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	return array.NewRecordBatch(schema, cols, int64(groups)), nil
}

// keyColumns rebuilds the key values of the first groups groups from the
// hash keys. Float keys come back normalized (-0 as 0, one NaN), which
// groups them exactly as the original values.
func (t *aggTable) keyColumns(groups int) ([]arrow.Array, error) {
	if len(t.keys) == 0 {
		return nil, nil
	}
	bs := make([]array.Builder, len(t.keys))
	for j, k := range t.keys {
		bs[j] = array.NewBuilder(t.mem, k.typ())
		defer bs[j].Release()
		bs[j].Reserve(groups)
	}
	for g := 0; g < groups; g++ {
		switch {
		case t.mode != keyEncoded && int64(g) == t.nullGroup:
			bs[0].AppendNull()
		case t.mode == keyInt || t.mode == keyFloat:
			if err := appendKey(bs[0], t.keyInt[g]); err != nil {
				return nil, err
			}
		case t.mode == keyString:
			bs[0].(*array.StringBuilder).Append(t.keyStr[g])
		default:
			if err := decodeKey(bs, t.keyStr[g]); err != nil {
				return nil, err
			}
		}
	}
	out := make([]arrow.Array, len(bs))
	for j, b := range bs {
		out[j] = b.NewArray()
	}
	return out, nil
}

// decodeKey appends the values of an encoded multi-column key (see
// aggTable.assign) to one builder per column.
func decodeKey(bs []array.Builder, k string) error {
	b := []byte(k)
	for _, bld := range bs {
		if len(b) == 0 {
			return fmt.Errorf("exec: truncated group key")
		}
		flag := b[0]
		b = b[1:]
		if flag == 0 {
			bld.AppendNull()
			continue
		}
		if db, ok := bld.(*array.Decimal128Builder); ok {
			if len(b) < 16 {
				return fmt.Errorf("exec: truncated group key")
			}
			db.Append(decimal128.New(int64(binary.LittleEndian.Uint64(b[8:])), binary.LittleEndian.Uint64(b)))
			b = b[16:]
			continue
		}
		if sb, ok := bld.(*array.StringBuilder); ok {
			n, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w) < n {
				return fmt.Errorf("exec: truncated group key")
			}
			sb.Append(string(b[w : w+int(n)]))
			b = b[w+int(n):]
			continue
		}
		if len(b) < 8 {
			return fmt.Errorf("exec: truncated group key")
		}
		if err := appendKey(bld, int64(binary.LittleEndian.Uint64(b))); err != nil {
			return err
		}
		b = b[8:]
	}
	return nil
}

// appendKey appends a hash key (see intKeyGetter) to a builder of the key's
// type.
func appendKey(b array.Builder, k int64) error {
	switch bb := b.(type) {
	case *array.Int64Builder:
		bb.Append(k)
	case *array.Int32Builder:
		bb.Append(int32(k))
	case *array.Int16Builder:
		bb.Append(int16(k))
	case *array.Int8Builder:
		bb.Append(int8(k))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(k))
	case *array.Date32Builder:
		bb.Append(arrow.Date32(k))
	case *array.Time64Builder:
		bb.Append(arrow.Time64(k))
	case *array.BooleanBuilder:
		bb.Append(k != 0)
	case *array.Float64Builder:
		bb.Append(math.Float64frombits(uint64(k)))
	case *array.Float32Builder:
		bb.Append(float32(math.Float64frombits(uint64(k))))
	default:
		return unsupported("group key of type %s", b.Type())
	}
	return nil
}

// count

func (s *countState) partialType() arrow.DataType { return arrow.PrimitiveTypes.Int64 }
func (s *countState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	return s.result(mem, groups)
}
func (s *countState) absorb(gids []uint32, a arrow.Array, n int) error {
	x, ok := a.(*array.Int64)
	if !ok {
		return fmt.Errorf("exec: count state of type %s", a.DataType())
	}
	for i, g := range gids[:n] {
		if x.IsValid(i) {
			s.counts[g] += x.Value(i)
		}
	}
	return nil
}

// sum of integers

func (s *sumIntState) partialType() arrow.DataType { return SumIntType }

// partial writes the raw 128-bit sums: a partial sum may exceed 38 digits
// and come back into range in the final sum.
func (s *sumIntState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewDecimal128Builder(mem, SumIntType)
	defer b.Release()
	b.Reserve(groups)
	for g := 0; g < groups; g++ {
		if !s.has[g] {
			b.AppendNull()
			continue
		}
		b.Append(decimal128.New(s.hi[g], s.lo[g]))
	}
	return b.NewArray(), nil
}
func (s *sumIntState) absorb(gids []uint32, a arrow.Array, n int) error {
	x, ok := a.(*array.Decimal128)
	if !ok {
		return fmt.Errorf("exec: sum state of type %s", a.DataType())
	}
	for i, g := range gids[:n] {
		if x.IsNull(i) {
			continue
		}
		v := x.Value(i)
		lo, carry := bits.Add64(s.lo[g], v.LowBits(), 0)
		s.lo[g] = lo
		s.hi[g] += v.HighBits() + int64(carry)
		s.has[g] = true
	}
	return nil
}

// sum of floats

func (s *sumFloatState) partialType() arrow.DataType { return arrow.PrimitiveTypes.Float64 }
func (s *sumFloatState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	return s.result(mem, groups)
}
func (s *sumFloatState) absorb(gids []uint32, a arrow.Array, n int) error {
	if _, ok := a.(*array.Float64); !ok {
		return fmt.Errorf("exec: sum state of type %s", a.DataType())
	}
	return s.update(gids, a, n)
}

// min, max, first: the state is the value; folding partial values is the
// aggregate itself (a partial row exists only for a group with rows, so a
// NULL first value is the group's first value).

func (s *valueState) partialType() arrow.DataType { return s.dt }
func (s *valueState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	return s.result(mem, groups)
}
func (s *valueState) absorb(gids []uint32, a arrow.Array, n int) error {
	if !arrow.TypeEqual(a.DataType(), s.dt) {
		return fmt.Errorf("exec: %s state of type %s, want %s", s.fn, a.DataType(), s.dt)
	}
	return s.update(gids, a, n)
}

// count(DISTINCT): the state is the list of distinct values.

func (s *distinctState) partialType() arrow.DataType { return arrow.ListOf(s.dt) }
func (s *distinctState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	perGroup := make([][]distinctKey, groups)
	for k := range s.sets {
		if int(k.g) < groups {
			perGroup[k.g] = append(perGroup[k.g], k)
		}
	}
	b := array.NewListBuilder(mem, s.dt)
	defer b.Release()
	vb := b.ValueBuilder()
	for g := 0; g < groups; g++ {
		b.Append(true)
		for _, k := range perGroup[g] {
			if sb, ok := vb.(*array.StringBuilder); ok {
				sb.Append(k.s)
				continue
			}
			if db, ok := vb.(*array.Decimal128Builder); ok {
				db.Append(decimal128.New(k.h, uint64(k.i)))
				continue
			}
			if err := appendKey(vb, k.i); err != nil {
				return nil, err
			}
		}
	}
	return b.NewArray(), nil
}
func (s *distinctState) absorb(gids []uint32, a arrow.Array, n int) error {
	l, ok := a.(*array.List)
	if !ok || !arrow.TypeEqual(l.DataType().(*arrow.ListType).Elem(), s.dt) {
		return fmt.Errorf("exec: count(DISTINCT) state of type %s", a.DataType())
	}
	vals := l.ListValues()
	if dec, ok := vals.(*array.Decimal128); ok {
		return s.absorbDecimals(gids, l, dec, n) // agg_numvec.go
	}
	str, isStr := vals.(*array.String)
	get := intKeyGetter(vals)
	if !isStr && get == nil {
		return unsupported("count(DISTINCT) on %s", vals.DataType())
	}
	for i := 0; i < n; i++ {
		if l.IsNull(i) {
			continue
		}
		start, end := l.ValueOffsets(i)
		for j := int(start); j < int(end); j++ {
			if vals.IsNull(j) {
				continue
			}
			k := distinctKey{g: gids[i]}
			if isStr {
				k.s = str.Value(j)
			} else {
				k.i = get(j)
			}
			s.add(k, true)
		}
	}
	return nil
}

// list: the state is the list itself.

func (s *listState) partialType() arrow.DataType { return ListType }
func (s *listState) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	return s.result(mem, groups)
}
func (s *listState) absorb(gids []uint32, a arrow.Array, n int) error {
	l, ok := a.(*array.List)
	if !ok || !arrow.TypeEqual(l.DataType(), ListType) {
		return fmt.Errorf("exec: list state of type %s", a.DataType())
	}
	vals := l.ListValues().(*array.Float64)
	for i := 0; i < n; i++ {
		if l.IsNull(i) {
			continue
		}
		g := gids[i]
		s.seen[g] = true
		start, end := l.ValueOffsets(i)
		s.n += end - start
		for j := int(start); j < int(end); j++ {
			s.vals[g] = append(s.vals[g], vals.Value(j))
			if vals.IsNull(j) {
				s.nulls[g] = growTo(s.nulls[g], len(s.vals[g]))
				s.nulls[g][len(s.vals[g])-1] = true
			}
		}
	}
	return nil
}
