package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/bits"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrMemoryLimit is returned when an operator would hold more memory than
// Params.MemoryLimit allows.
var ErrMemoryLimit = errors.New("exec: memory limit exceeded")

// AggFunc names an aggregate.
type AggFunc string

// Aggregates.
const (
	AggCountStar     AggFunc = "count_star"     // rows
	AggCount         AggFunc = "count"          // non-NULL values of Arg
	AggSum           AggFunc = "sum"            // integers, numeric: exact, as numeric; floats: float8
	AggMin           AggFunc = "min"            //
	AggMax           AggFunc = "max"            //
	AggCountDistinct AggFunc = "count_distinct" // distinct non-NULL values
	AggFirst         AggFunc = "first"          // Arg of the first row of the group
	AggList          AggFunc = "list"           // every value of a numeric Arg, as float8, NULLs kept
)

// Agg is one aggregate output.
type Agg struct {
	Func AggFunc `json:"func"`
	Arg  *Expr   `json:"arg,omitempty"`
}

// AggSpec describes a hash aggregation: rows are grouped by Keys and the
// output has one column per Aggs entry, one row per group (exactly one row
// when there are no keys).
//
// Mode splits the aggregation in two phases for distribution: partial
// aggregations run where the data is and emit per-group states (the
// partial schema, see AggMode); one final aggregation with the same Keys
// and Aggs merges them and emits what the complete aggregation would.
type AggSpec struct {
	Keys []*Expr `json:"keys,omitempty"`
	Aggs []Agg   `json:"aggs"`
	Mode AggMode `json:"mode,omitempty"`
}

// AggMode is the phase of an aggregation.
//
// A partial aggregation outputs one row per group that saw at least one
// input row (so none for an aggregation without keys over no rows): first
// one column per key (key0, key1, ...; the key expression's type, NULL for
// the NULL key), then one state column per aggregate (state0, ...):
//
//	count_star, count  int64: the count
//	sum                Decimal128(38,0) (integers; the exact 128-bit sum, not
//	                   checked against 38 digits yet), Decimal256(76,s)
//	                   (numeric(p,s); agg_numvec.go) or float64; NULL when
//	                   every value was NULL
//	min, max           the argument's type; NULL when every value was NULL
//	first              the argument's type: the value of the group's first
//	                   row (NULL when that value was NULL; a row exists only
//	                   for groups with rows, so no separate marker is needed)
//	count_distinct     list of the argument's type: the group's distinct
//	                   non-NULL values, in no particular order
//	list               list<float64>: the values, NULLs kept
//
// A final aggregation reads batches in that schema (Keys and Aggs are the
// partial's; their expressions are not evaluated again) and outputs the
// complete aggregation's schema and values.
type AggMode string

// Aggregation modes.
const (
	AggComplete AggMode = ""        // input rows → results
	AggPartial  AggMode = "partial" // input rows → per-group states
	AggFinal    AggMode = "final"   // per-group states → results
)

// SumIntType is the result type of sum over integers.
var SumIntType = &arrow.Decimal128Type{Precision: 38, Scale: 0}

// aggTable holds the groups and aggregate states of one aggregation.
type aggTable struct {
	mem     memory.Allocator
	budget  *memBudget // the query's, nil without a limit
	charged int64      // bytes charged to budget
	keys    []value
	states  []aggState
	args    []value // per state, nil for count_star
	groups  int

	// Single-key fast paths and the general encoded key.
	intKeys   *intMap
	strKeys   map[string]uint32
	encKeys   map[string]uint32
	nullGroup int64 // gid of the NULL key for single-key tables, -1 if none
	// keyOf records each group's key for merging: int, string or encoded.
	keyInt []int64
	keyStr []string
	mode   keyMode
	bytes  int64 // approximate memory held

	phase AggMode
	seen  bool // some input row was consumed (here or in a merged table)

	gids   []uint32
	buf    []byte
	hist   []int64 // rows per dictionary index (countDict)
	counts bool    // onlyCounts, for the input phases
}

type keyMode int

const (
	keyNone keyMode = iota
	keyInt
	keyString
	keyFloat
	keyEncoded
)

func newAggTable(p Params, spec *AggSpec, schema *arrow.Schema) (*aggTable, error) {
	t := &aggTable{mem: p.mem(), budget: p.budgetOf(), nullGroup: -1, phase: spec.Mode}
	switch spec.Mode {
	case AggComplete, AggPartial:
	case AggFinal:
		return newFinalAggTable(t, spec, schema)
	default:
		return nil, unsupported("aggregation mode %q", spec.Mode)
	}
	for _, k := range spec.Keys {
		v, err := compileValue(k, schema)
		if err != nil {
			return nil, err
		}
		if _, ok := groupable(v.typ()); !ok {
			return nil, unsupported("GROUP BY on %s", v.typ())
		}
		t.keys = append(t.keys, v)
	}
	t.initKeys()
	for _, a := range spec.Aggs {
		var arg value
		if a.Func != AggCountStar {
			if a.Arg == nil {
				return nil, fmt.Errorf("exec: %s needs an argument", a.Func)
			}
			v, err := compileValue(a.Arg, schema)
			if err != nil {
				return nil, err
			}
			arg = v
		}
		st, err := newAggState(a.Func, arg)
		if err != nil {
			return nil, err
		}
		t.states = append(t.states, st)
		t.args = append(t.args, arg)
	}
	if t.mode == keyNone {
		t.addGroups(1)
		for _, s := range t.states {
			if d, ok := s.(*distinctState); ok {
				d.single = true
			}
		}
	}
	t.counts = t.onlyCounts()
	return t, nil
}

// initKeys picks the key mode for t.keys and makes its maps.
func (t *aggTable) initKeys() {
	switch {
	case len(t.keys) == 0:
		t.mode = keyNone
	case len(t.keys) == 1:
		t.mode, _ = groupable(t.keys[0].typ())
	default:
		t.mode = keyEncoded
	}
	switch t.mode {
	case keyInt, keyFloat:
		t.intKeys = newIntMap()
	case keyString:
		t.strKeys = map[string]uint32{}
	case keyEncoded:
		t.encKeys = map[string]uint32{}
	}
}

func keyable(dt arrow.DataType) (keyMode, bool) {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.TIMESTAMP, arrow.DATE32, arrow.TIME64, arrow.BOOL:
		return keyInt, true
	case arrow.FLOAT32, arrow.FLOAT64:
		return keyFloat, true
	case arrow.STRING:
		return keyString, true
	}
	return 0, false
}

func (t *aggTable) addGroups(n int) {
	t.groups += n
	for _, s := range t.states {
		s.grow(t.groups)
	}
}

// newGroup records a new group and returns its id.
func (t *aggTable) newGroup() (uint32, error) {
	g := uint32(t.groups)
	t.addGroups(1)
	t.bytes += 16 + int64(len(t.states))*16
	if t.groups%4096 == 0 {
		// Charge while a batch adds groups, so one batch cannot run far
		// past the limit.
		if err := t.account(); err != nil {
			return 0, err
		}
	}
	return g, nil
}

// intKey returns element i of an integer-like or float array as a map key;
// floats are normalized so that -0 = 0 and all NaNs are one key.
func intKeyGetter(a arrow.Array) func(int) int64 {
	switch x := a.(type) {
	case *array.Int64:
		return func(i int) int64 { return x.Value(i) }
	case *array.Int32:
		return func(i int) int64 { return int64(x.Value(i)) }
	case *array.Int16:
		return func(i int) int64 { return int64(x.Value(i)) }
	case *array.Int8:
		return func(i int) int64 { return int64(x.Value(i)) }
	case *array.Timestamp:
		return func(i int) int64 { return int64(x.Value(i)) }
	case *array.Date32:
		return func(i int) int64 { return int64(x.Value(i)) }
	case *array.Time64:
		return func(i int) int64 { return int64(x.Value(i)) }
	case *array.Boolean:
		return func(i int) int64 {
			if x.Value(i) {
				return 1
			}
			return 0
		}
	case *array.Float64:
		return func(i int) int64 { return floatKey(x.Value(i)) }
	case *array.Float32:
		return func(i int) int64 { return floatKey(float64(x.Value(i))) }
	}
	return nil
}

func floatKey(f float64) int64 {
	switch {
	case f != f:
		return int64(math.Float64bits(math.NaN()))
	case f == 0:
		return 0
	}
	return int64(math.Float64bits(f))
}

// consume adds a batch to the table.
func (t *aggTable) consume(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	t.seen = true
	if cap(t.gids) < n {
		t.gids = make([]uint32, n)
	}
	gids := t.gids[:n]
	if err := t.assign(rec, gids); err != nil {
		return err
	}
	for i, s := range t.states {
		var a arrow.Array
		if t.args[i] != nil {
			var err error
			a, err = t.args[i].eval(t.mem, rec)
			if err != nil {
				return err
			}
		}
		var err error
		if t.phase == AggFinal {
			err = s.absorb(gids, a, n)
		} else {
			err = s.update(gids, a, n)
		}
		if a != nil {
			a.Release()
		}
		if err != nil {
			return err
		}
	}
	return t.account()
}

// assign sets gids[i] to the group of row i, creating groups.
func (t *aggTable) assign(rec arrow.RecordBatch, gids []uint32) error {
	if t.mode == keyNone {
		clear(gids)
		return nil
	}
	keys := make([]arrow.Array, len(t.keys))
	for i, k := range t.keys {
		a, err := k.eval(t.mem, rec)
		if err != nil {
			return err
		}
		defer a.Release()
		keys[i] = a
	}
	switch t.mode {
	case keyInt, keyFloat:
		a := keys[0]
		get := intKeyGetter(a)
		hasNulls := a.NullN() > 0
		for i := range gids {
			if hasNulls && a.IsNull(i) {
				g, err := t.nullKey()
				if err != nil {
					return err
				}
				gids[i] = g
				continue
			}
			k := get(i)
			g, ok := t.intKeys.get(k)
			if !ok {
				var err error
				if g, err = t.newGroup(); err != nil {
					return err
				}
				t.intKeys.put(k, g)
				t.keyInt = append(t.keyInt, k)
			}
			gids[i] = g
		}
	case keyString:
		sc, ok := asStrCol(keys[0])
		if !ok {
			return unsupported("GROUP BY on %s", keys[0].DataType())
		}
		if sc.isDict() {
			return t.assignDict(keys[0], sc, gids)
		}
		a := sc.s
		hasNulls := a.NullN() > 0
		for i := range gids {
			if hasNulls && a.IsNull(i) {
				g, err := t.nullKey()
				if err != nil {
					return err
				}
				gids[i] = g
				continue
			}
			k := a.Value(i)
			g, ok := t.strKeys[k]
			if !ok {
				var err error
				if g, err = t.newGroup(); err != nil {
					return err
				}
				k = strings.Clone(k)
				t.strKeys[k] = g
				t.keyStr = append(t.keyStr, k)
				t.bytes += int64(len(k))
			}
			gids[i] = g
		}
	case keyEncoded:
		getters := make([]func(int) int64, len(keys))
		for j, a := range keys {
			getters[j] = intKeyGetter(a)
		}
		for i := range gids {
			t.buf = t.buf[:0]
			for j, a := range keys {
				if a.IsNull(i) {
					t.buf = append(t.buf, 0)
					continue
				}
				t.buf = append(t.buf, 1)
				if d, ok := a.(*array.Decimal128); ok {
					t.buf = appendDecKey(t.buf, d.Value(i))
					continue
				}
				if sc, ok := asStrCol(a); ok {
					v := sc.value(i)
					t.buf = appendUvarint(t.buf, uint64(len(v)))
					t.buf = append(t.buf, v...)
					continue
				}
				k := uint64(getters[j](i))
				t.buf = append(t.buf, byte(k), byte(k>>8), byte(k>>16), byte(k>>24), byte(k>>32), byte(k>>40), byte(k>>48), byte(k>>56))
			}
			g, ok := t.encKeys[string(t.buf)]
			if !ok {
				var err error
				if g, err = t.newGroup(); err != nil {
					return err
				}
				k := string(t.buf)
				t.encKeys[k] = g
				t.keyStr = append(t.keyStr, k)
				t.bytes += int64(len(k))
			}
			gids[i] = g
		}
	}
	return nil
}

// assignDict assigns groups for a dictionary-encoded string key: one
// hash lookup per distinct value in the batch, not per row.
func (t *aggTable) assignDict(a arrow.Array, sc strCol, gids []uint32) error {
	per := make([]int64, sc.vals.Len()) // dictionary index -> gid+1 (0: not yet)
	hasNulls := a.NullN() > 0
	for i := range gids {
		if hasNulls && a.IsNull(i) {
			g, err := t.nullKey()
			if err != nil {
				return err
			}
			gids[i] = g
			continue
		}
		c := sc.code(i)
		if per[c] == 0 {
			g, err := t.strGroup(sc.vals.Value(c))
			if err != nil {
				return err
			}
			per[c] = int64(g) + 1
		}
		gids[i] = uint32(per[c] - 1)
	}
	return nil
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func (t *aggTable) nullKey() (uint32, error) {
	if t.nullGroup < 0 {
		g, err := t.newGroup()
		if err != nil {
			return 0, err
		}
		t.nullGroup = int64(g)
		// Keep keyInt/keyStr aligned with group ids.
		switch t.mode {
		case keyInt, keyFloat:
			t.keyInt = append(t.keyInt, 0)
		case keyString:
			t.keyStr = append(t.keyStr, "")
		}
	}
	return uint32(t.nullGroup), nil
}

// merge folds other (built from the same spec) into t.
func (t *aggTable) merge(o *aggTable) error {
	t.seen = t.seen || o.seen
	mapping := make([]uint32, o.groups)
	for g := 0; g < o.groups; g++ {
		var (
			id  uint32
			ok  bool
			err error
		)
		switch {
		case t.mode == keyNone:
			id, ok = 0, true
		case int64(g) == o.nullGroup:
			id, err = t.nullKey()
			ok = true
		case t.mode == keyInt || t.mode == keyFloat:
			id, ok = t.intKeys.get(o.keyInt[g])
			if !ok {
				if id, err = t.newGroup(); err == nil {
					t.intKeys.put(o.keyInt[g], id)
					t.keyInt = append(t.keyInt, o.keyInt[g])
				}
			}
		case t.mode == keyString:
			id, ok = t.strKeys[o.keyStr[g]]
			if !ok {
				if id, err = t.newGroup(); err == nil {
					t.strKeys[o.keyStr[g]] = id
					t.keyStr = append(t.keyStr, o.keyStr[g])
				}
			}
		default:
			id, ok = t.encKeys[o.keyStr[g]]
			if !ok {
				if id, err = t.newGroup(); err == nil {
					t.encKeys[o.keyStr[g]] = id
					t.keyStr = append(t.keyStr, o.keyStr[g])
				}
			}
		}
		if err != nil {
			return err
		}
		mapping[g] = id
	}
	for i, s := range t.states {
		if err := s.merge(o.states[i], mapping); err != nil {
			return err
		}
	}
	return t.account()
}

// result builds the output batch.
func (t *aggTable) result(schema *arrow.Schema) (arrow.RecordBatch, error) {
	if t.phase == AggPartial {
		return t.partialResult(schema)
	}
	cols := make([]arrow.Array, len(t.states))
	for i, s := range t.states {
		a, err := s.result(t.mem, t.groups)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, err
		}
		cols[i] = a
	}
	rec := array.NewRecordBatch(schema, cols, int64(t.groups))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

func (t *aggTable) schema() *arrow.Schema {
	if t.phase == AggPartial {
		return t.partialSchema()
	}
	fields := make([]arrow.Field, len(t.states))
	for i, s := range t.states {
		fields[i] = arrow.Field{Name: fmt.Sprintf("agg%d", i), Type: s.typ(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// HashAgg groups its input; it emits one batch after consuming all of it.
type HashAgg struct {
	p      Params
	child  Operator
	table  *aggTable
	sch    *arrow.Schema
	out    arrow.RecordBatch
	done   bool
	closed bool
}

var _ Operator = (*HashAgg)(nil)

// NewHashAgg returns an aggregation of child.
func NewHashAgg(p Params, child Operator, spec *AggSpec) (*HashAgg, error) {
	t, err := newAggTable(p, spec, child.Schema())
	if err != nil {
		return nil, err
	}
	return &HashAgg{p: p, child: child, table: t, sch: t.schema()}, nil
}

// Schema implements Operator.
func (h *HashAgg) Schema() *arrow.Schema { return h.sch }

// Open implements Operator.
func (h *HashAgg) Open(ctx context.Context) error { return h.child.Open(ctx) }

// Next implements Operator.
func (h *HashAgg) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if h.done {
		return nil, io.EOF
	}
	for {
		rec, err := h.child.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := h.table.consumeMasked(rec, nil); err != nil {
			return nil, err
		}
	}
	h.done = true
	out, err := h.table.result(h.sch)
	if err != nil {
		return nil, err
	}
	h.out = out
	return out, nil
}

// Close implements Operator.
func (h *HashAgg) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	h.table.release()
	if h.out != nil {
		h.out.Release()
	}
	return h.child.Close()
}

// aggState is the per-group state of one aggregate.
type aggState interface {
	typ() arrow.DataType
	grow(groups int)
	// update folds n rows; a is the argument (nil for count_star).
	update(gids []uint32, a arrow.Array, n int) error
	merge(o aggState, mapping []uint32) error
	result(mem memory.Allocator, groups int) (arrow.Array, error)

	// partialType is the type of the state column of a partial
	// aggregation, partial builds it, and absorb folds n rows of such a
	// column into the groups gids (see AggMode).
	partialType() arrow.DataType
	partial(mem memory.Allocator, groups int) (arrow.Array, error)
	absorb(gids []uint32, a arrow.Array, n int) error
}

func newAggState(f AggFunc, arg value) (aggState, error) {
	if arg != nil {
		if st := newDecAggState(f, arg.typ()); st != nil { // agg_numvec.go
			return st, nil
		}
	}
	switch f {
	case AggCountStar:
		return &countState{star: true}, nil
	case AggCount:
		return &countState{}, nil
	case AggCountDistinct:
		if _, ok := groupable(arg.typ()); !ok { // numeric: agg_numvec.go
			return nil, unsupported("count(DISTINCT) on %s", arg.typ())
		}
		return &distinctState{dt: arg.typ(), sets: map[distinctKey]struct{}{}}, nil
	case AggSum:
		switch arg.typ().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
			return &sumIntState{}, nil
		case arrow.FLOAT32, arrow.FLOAT64:
			return &sumFloatState{}, nil
		}
		return nil, unsupported("sum of %s", arg.typ())
	case AggMin, AggMax, AggFirst:
		if _, ok := keyable(arg.typ()); !ok {
			return nil, unsupported("%s of %s", f, arg.typ())
		}
		return &valueState{fn: f, dt: arg.typ()}, nil
	case AggMinInet, AggMaxInet: // agg_inet.go
		return newInetMinMax(f, arg.typ())
	case AggList:
		switch arg.typ().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64:
			return &listState{}, nil
		}
		return nil, unsupported("list of %s", arg.typ())
	}
	return nil, unsupported("aggregate %s", f)
}

type countState struct {
	star   bool
	counts []int64
}

func (s *countState) typ() arrow.DataType { return arrow.PrimitiveTypes.Int64 }
func (s *countState) grow(n int)          { s.counts = growTo(s.counts, n) }
func (s *countState) update(gids []uint32, a arrow.Array, n int) error {
	if s.star || a.NullN() == 0 {
		for _, g := range gids[:n] {
			s.counts[g]++
		}
		return nil
	}
	for i, g := range gids[:n] {
		if a.IsValid(i) {
			s.counts[g]++
		}
	}
	return nil
}
func (s *countState) merge(o aggState, m []uint32) error {
	for g, c := range o.(*countState).counts {
		s.counts[m[g]] += c
	}
	return nil
}
func (s *countState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(s.counts[:groups], nil)
	return b.NewArray(), nil
}

func growTo[T any](s []T, n int) []T {
	switch {
	case n <= len(s):
		return s
	case n <= cap(s):
		ext := s[len(s):n]
		clear(ext)
		return s[:n]
	}
	ns := make([]T, n, max(n, 2*cap(s), 16))
	copy(ns, s)
	return ns
}

// sumIntState sums integers exactly in 128 bits.
type sumIntState struct {
	hi  []int64
	lo  []uint64
	has []bool
}

func (s *sumIntState) typ() arrow.DataType { return SumIntType }
func (s *sumIntState) grow(n int) {
	s.hi, s.lo, s.has = growTo(s.hi, n), growTo(s.lo, n), growTo(s.has, n)
}
func (s *sumIntState) add(g uint32, v int64) {
	lo, carry := bits.Add64(s.lo[g], uint64(v), 0)
	s.lo[g] = lo
	s.hi[g] += int64(carry)
	if v < 0 {
		s.hi[g]--
	}
	s.has[g] = true
}
func (s *sumIntState) update(gids []uint32, a arrow.Array, n int) error {
	get := intKeyGetter(a)
	hasNulls := a.NullN() > 0
	if x, ok := a.(*array.Int64); ok && !hasNulls {
		for i, v := range x.Int64Values() {
			s.add(gids[i], v)
		}
		return nil
	}
	if x, ok := a.(*array.Int32); ok && !hasNulls {
		for i, v := range x.Int32Values() {
			s.add(gids[i], int64(v))
		}
		return nil
	}
	for i := 0; i < n; i++ {
		if hasNulls && a.IsNull(i) {
			continue
		}
		s.add(gids[i], get(i))
	}
	return nil
}
func (s *sumIntState) merge(o aggState, m []uint32) error {
	os := o.(*sumIntState)
	for g := range os.has {
		if !os.has[g] {
			continue
		}
		t := m[g]
		lo, carry := bits.Add64(s.lo[t], os.lo[g], 0)
		s.lo[t] = lo
		s.hi[t] += os.hi[g] + int64(carry)
		s.has[t] = true
	}
	return nil
}
func (s *sumIntState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewDecimal128Builder(mem, SumIntType)
	defer b.Release()
	b.Reserve(groups)
	for g := 0; g < groups; g++ {
		if !s.has[g] {
			b.AppendNull()
			continue
		}
		v := decimal128.New(s.hi[g], s.lo[g])
		if !v.FitsInPrecision(38) {
			bi := new(big.Int).Lsh(big.NewInt(s.hi[g]), 64)
			bi.Add(bi, new(big.Int).SetUint64(s.lo[g]))
			return nil, fmt.Errorf("exec: sum %s does not fit in 38 digits", bi)
		}
		b.Append(v)
	}
	return b.NewArray(), nil
}

type sumFloatState struct {
	sums []float64
	has  []bool
}

func (s *sumFloatState) typ() arrow.DataType { return arrow.PrimitiveTypes.Float64 }
func (s *sumFloatState) grow(n int)          { s.sums, s.has = growTo(s.sums, n), growTo(s.has, n) }
func (s *sumFloatState) update(gids []uint32, a arrow.Array, n int) error {
	hasNulls := a.NullN() > 0
	switch x := a.(type) {
	case *array.Float64:
		for i, v := range x.Float64Values() {
			if hasNulls && x.IsNull(i) {
				continue
			}
			g := gids[i]
			s.sums[g] += v
			s.has[g] = true
		}
	case *array.Float32:
		for i, v := range x.Float32Values() {
			if hasNulls && x.IsNull(i) {
				continue
			}
			g := gids[i]
			s.sums[g] += float64(v)
			s.has[g] = true
		}
	}
	return nil
}
func (s *sumFloatState) merge(o aggState, m []uint32) error {
	os := o.(*sumFloatState)
	for g := range os.has {
		if os.has[g] {
			s.sums[m[g]] += os.sums[g]
			s.has[m[g]] = true
		}
	}
	return nil
}
func (s *sumFloatState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues(s.sums[:groups], s.has[:groups])
	return b.NewArray(), nil
}

// valueState keeps min, max or the first value of a group.
type valueState struct {
	fn   AggFunc
	dt   arrow.DataType
	set  []bool // a value (or, for first, a NULL) was seen
	null []bool // first: the first value was NULL
	ints []int64
	flts []float64
	strs []string
}

func (s *valueState) typ() arrow.DataType { return s.dt }
func (s *valueState) grow(n int) {
	s.set, s.null = growTo(s.set, n), growTo(s.null, n)
	switch s.dt.ID() {
	case arrow.FLOAT32, arrow.FLOAT64:
		s.flts = growTo(s.flts, n)
	case arrow.STRING:
		s.strs = growTo(s.strs, n)
	default:
		s.ints = growTo(s.ints, n)
	}
}

// better reports whether candidate c replaces current v.
func better[T any](fn AggFunc, c, v T, cmp func(a, b T) int) bool {
	if fn == AggMin {
		return cmp(c, v) < 0
	}
	return cmp(c, v) > 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *valueState) update(gids []uint32, a arrow.Array, n int) error {
	switch x := a.(type) {
	case *array.String, *array.Dictionary:
		sc, ok := asStrCol(x)
		if !ok {
			return unsupported("%s of %s", s.fn, a.DataType())
		}
		foldValues(s, gids, a, n, sc.value, s.strs, strings.Compare, strings.Clone)
	case *array.Float64:
		foldValues(s, gids, a, n, x.Value, s.flts, CompareFloat, nil)
	case *array.Float32:
		foldValues(s, gids, a, n, func(i int) float64 { return float64(x.Value(i)) }, s.flts, CompareFloat, nil)
	default:
		get := intKeyGetter(a)
		if get == nil {
			return unsupported("%s of %s", s.fn, a.DataType())
		}
		foldValues(s, gids, a, n, get, s.ints, cmpInt64, nil)
	}
	return nil
}

// foldValues folds n rows of a (read by get) into vals, the state's slice
// for T; keep, when set, copies a value that outlives the batch.
func foldValues[T any](s *valueState, gids []uint32, a arrow.Array, n int, get func(int) T, vals []T, cmp func(x, y T) int, keep func(T) T) {
	hasNulls := a.NullN() > 0
	first := s.fn == AggFirst
	for i := 0; i < n; i++ {
		g := gids[i]
		if first && s.set[g] {
			continue
		}
		if hasNulls && a.IsNull(i) {
			if first {
				s.set[g], s.null[g] = true, true
			}
			continue
		}
		v := get(i)
		if !s.set[g] || (!first && better(s.fn, v, vals[g], cmp)) {
			if keep != nil {
				v = keep(v)
			}
			vals[g] = v
			s.set[g] = true
		}
	}
}

func (s *valueState) merge(o aggState, m []uint32) error {
	os := o.(*valueState)
	for g := range os.set {
		if !os.set[g] {
			continue
		}
		t := m[g]
		first := s.fn == AggFirst
		if first && s.set[t] {
			continue
		}
		take := !s.set[t] || first
		if !take && !os.null[g] {
			switch {
			case s.strs != nil:
				take = better(s.fn, os.strs[g], s.strs[t], strings.Compare)
			case s.flts != nil:
				take = better(s.fn, os.flts[g], s.flts[t], CompareFloat)
			default:
				take = better(s.fn, os.ints[g], s.ints[t], cmpInt64)
			}
		}
		if !take {
			continue
		}
		s.set[t], s.null[t] = true, os.null[g]
		switch {
		case s.strs != nil:
			s.strs[t] = os.strs[g]
		case s.flts != nil:
			s.flts[t] = os.flts[g]
		default:
			s.ints[t] = os.ints[g]
		}
	}
	return nil
}

func (s *valueState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewBuilder(mem, s.dt)
	defer b.Release()
	b.Reserve(groups)
	for g := 0; g < groups; g++ {
		if !s.set[g] || s.null[g] {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.StringBuilder:
			bb.Append(s.strs[g])
		case *array.Float64Builder:
			bb.Append(s.flts[g])
		case *array.Float32Builder:
			bb.Append(float32(s.flts[g]))
		case *array.Int64Builder:
			bb.Append(s.ints[g])
		case *array.Int32Builder:
			bb.Append(int32(s.ints[g]))
		case *array.Int16Builder:
			bb.Append(int16(s.ints[g]))
		case *array.Int8Builder:
			bb.Append(int8(s.ints[g]))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(s.ints[g]))
		case *array.Date32Builder:
			bb.Append(arrow.Date32(s.ints[g]))
		case *array.Time64Builder:
			bb.Append(arrow.Time64(s.ints[g]))
		case *array.BooleanBuilder:
			bb.Append(s.ints[g] != 0)
		default:
			return nil, unsupported("result of type %s", s.dt)
		}
	}
	return b.NewArray(), nil
}

type distinctKey struct {
	g uint32
	i int64
	h int64 // a numeric's high word (i its low word)
	s string
}

// distinctState counts distinct non-NULL values per group.
type distinctState struct {
	dt       arrow.DataType // of the values
	sets     map[distinctKey]struct{}
	counts   []int64
	strBytes int64 // bytes of the string values in sets

	// single: every row is in group 0 (no GROUP BY); seen marks the
	// dictionary indices of a batch (distinctDict).
	single bool
	seen   []bool
}

// add counts k's value for its group unless the group has it already;
// clone copies a string that aliases a batch's buffer.
func (s *distinctState) add(k distinctKey, clone bool) {
	if _, ok := s.sets[k]; ok {
		return
	}
	if clone {
		k.s = strings.Clone(k.s)
	}
	s.strBytes += int64(len(k.s))
	s.sets[k] = struct{}{}
	s.counts[k.g]++
}

// heldBytes counts a set entry as its key plus the map's overhead.
func (s *distinctState) heldBytes() int64 { return int64(len(s.sets))*64 + s.strBytes }

func (s *distinctState) typ() arrow.DataType { return arrow.PrimitiveTypes.Int64 }
func (s *distinctState) grow(n int)          { s.counts = growTo(s.counts, n) }
func (s *distinctState) update(gids []uint32, a arrow.Array, n int) error {
	hasNulls := a.NullN() > 0
	if s.single && s.distinctDict(a, n) {
		return nil
	}
	if sc, ok := asStrCol(a); ok && sc.isDict() {
		// One set insertion per (group, dictionary value) of the batch.
		if nv := sc.vals.Len(); len(s.counts)*nv <= 1<<16 {
			// Few groups × values: a dense bitmap instead of a hash
			// lookup per row.
			seen := make([]bool, len(s.counts)*nv)
			for i := 0; i < n; i++ {
				if hasNulls && a.IsNull(i) {
					continue
				}
				c := sc.code(i)
				if j := int(gids[i])*nv + c; !seen[j] {
					seen[j] = true
					s.add(distinctKey{g: gids[i], s: sc.vals.Value(c)}, true)
				}
			}
			return nil
		}
		seen := make(map[uint64]struct{})
		for i := 0; i < n; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			c := sc.code(i)
			pk := uint64(gids[i])<<32 | uint64(uint32(c))
			if _, dup := seen[pk]; dup {
				continue
			}
			seen[pk] = struct{}{}
			k := distinctKey{g: gids[i], s: sc.vals.Value(c)}
			s.add(k, true)
		}
		return nil
	}
	if x, ok := a.(*array.String); ok {
		for i := 0; i < n; i++ {
			if hasNulls && x.IsNull(i) {
				continue
			}
			k := distinctKey{g: gids[i], s: x.Value(i)}
			s.add(k, true)
		}
		return nil
	}
	if x, ok := a.(*array.Decimal128); ok {
		s.addDecimals(gids, x, n) // agg_numvec.go
		return nil
	}
	get := intKeyGetter(a)
	for i := 0; i < n; i++ {
		if hasNulls && a.IsNull(i) {
			continue
		}
		k := distinctKey{g: gids[i], i: get(i)}
		s.add(k, false)
	}
	return nil
}
func (s *distinctState) merge(o aggState, m []uint32) error {
	for k := range o.(*distinctState).sets {
		k.g = m[k.g]
		s.add(k, false)
	}
	return nil
}
func (s *distinctState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(s.counts[:groups], nil)
	return b.NewArray(), nil
}

// listState collects every value of a group as float8 (NULLs kept).
type listState struct {
	vals  [][]float64
	nulls [][]bool
	seen  []bool
	n     int64 // values held
}

func (s *listState) heldBytes() int64 { return s.n * 9 }

// ListType is the result type of AggList.
var ListType = arrow.ListOf(arrow.PrimitiveTypes.Float64)

func (s *listState) typ() arrow.DataType { return ListType }
func (s *listState) grow(n int) {
	s.vals, s.nulls, s.seen = growTo(s.vals, n), growTo(s.nulls, n), growTo(s.seen, n)
}
func (s *listState) update(gids []uint32, a arrow.Array, n int) error {
	var get func(int) float64
	switch x := a.(type) {
	case *array.Float64:
		get = x.Value
	case *array.Float32:
		get = func(i int) float64 { return float64(x.Value(i)) }
	default:
		ig := intKeyGetter(a)
		get = func(i int) float64 { return float64(ig(i)) }
	}
	hasNulls := a.NullN() > 0
	s.n += int64(n)
	for i := 0; i < n; i++ {
		g := gids[i]
		s.seen[g] = true
		if hasNulls && a.IsNull(i) {
			s.vals[g] = append(s.vals[g], 0)
			s.nulls[g] = growTo(s.nulls[g], len(s.vals[g]))
			s.nulls[g][len(s.vals[g])-1] = true
			continue
		}
		s.vals[g] = append(s.vals[g], get(i))
	}
	return nil
}
func (s *listState) merge(o aggState, m []uint32) error {
	os := o.(*listState)
	for g := range os.seen {
		if !os.seen[g] {
			continue
		}
		t := m[g]
		base := len(s.vals[t])
		s.vals[t] = append(s.vals[t], os.vals[g]...)
		s.n += int64(len(os.vals[g]))
		s.seen[t] = true
		for i, isNull := range os.nulls[g] {
			if isNull {
				s.nulls[t] = growTo(s.nulls[t], base+i+1)
				s.nulls[t][base+i] = true
			}
		}
	}
	return nil
}
func (s *listState) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Float64Builder)
	for g := 0; g < groups; g++ {
		if !s.seen[g] {
			b.AppendNull()
			continue
		}
		b.Append(true)
		for i, v := range s.vals[g] {
			if i < len(s.nulls[g]) && s.nulls[g][i] {
				vb.AppendNull()
			} else {
				vb.Append(v)
			}
		}
	}
	return b.NewArray(), nil
}
