package exec

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Predicates and values over array columns (Arrow lists, design 072),
// evaluated on the list's element array without the text form the row
// engine formats and parses again. Design record:
// docs/design/077-vectorized-array-inet.md.
const (
	// OpArrayAny is Args[1] Str ANY (Args[0]), or ALL with All: Args[0]
	// is a list, Args[1] a constant of the element's class, Str one of
	// = <> < <= > >=. PostgreSQL's result: ANY is TRUE when an element
	// satisfies the comparison, else NULL when the constant or an element
	// is NULL, else FALSE (an empty array: FALSE); ALL is FALSE when an
	// element fails it, else NULL when the constant or an element is NULL,
	// else TRUE (an empty array: TRUE). A NULL list is NULL.
	OpArrayAny Op = "array_any"
	// OpArrayContains is Args[0] @> Elems: every non-NULL constant is an
	// element (a NULL constant is never one).
	OpArrayContains Op = "array_contains"
	// OpArrayContained is Args[0] <@ Elems: every element is a constant
	// (a NULL element is never one).
	OpArrayContained Op = "array_contained"
	// OpArrayOverlap is Args[0] && Elems: some element is a constant.
	OpArrayOverlap Op = "array_overlap"
	// OpArrayElem is Args[0][Index]: the element (1-based), NULL out of
	// range; an array of the element type.
	OpArrayElem Op = "array_elem"
	// OpArrayLength is cardinality(Args[0]) (Str "cardinality") or
	// array_length(Args[0], 1) (Str "array_length": NULL for an empty
	// array), as int32.
	OpArrayLength Op = "array_length"
)

func formatArrayVec(e *Expr, names []string) (string, bool) {
	elems := func() string {
		parts := make([]string, len(e.Elems))
		for i, l := range e.Elems {
			parts[i] = (&Expr{Op: OpLit, Lit: l}).format(names)
		}
		return "ARRAY[" + strings.Join(parts, ", ") + "]"
	}
	switch e.Op {
	case OpArrayAny:
		q := "ANY"
		if e.All {
			q = "ALL"
		}
		return e.Args[1].format(names) + " " + e.Str + " " + q + "(" + e.Args[0].format(names) + ")", true
	case OpArrayContains:
		return e.Args[0].format(names) + " @> " + elems(), true
	case OpArrayContained:
		return e.Args[0].format(names) + " <@ " + elems(), true
	case OpArrayOverlap:
		return e.Args[0].format(names) + " && " + elems(), true
	case OpArrayElem:
		return fmt.Sprintf("%s[%d]", e.Args[0].format(names), e.Index), true
	case OpArrayLength:
		if e.Str == "array_length" {
			return "array_length(" + e.Args[0].format(names) + ", 1)", true
		}
		return "cardinality(" + e.Args[0].format(names) + ")", true
	}
	return "", false
}

// listElem is the element type of a list type, or nil.
func listElem(dt arrow.DataType) arrow.DataType {
	switch t := dt.(type) {
	case *arrow.ListType:
		return t.Elem()
	case *arrow.LargeListType:
		return t.Elem()
	}
	return nil
}

// elemClass is the comparison class of a list's element type. Dictionary
// elements compare as their values.
func elemClass(dt arrow.DataType) (cmpClass, bool) {
	if d, ok := dt.(*arrow.DictionaryType); ok {
		dt = d.ValueType
	}
	if dt.ID() == arrow.DATE32 {
		return cmpDate, true
	}
	return classOf(dt)
}

// cmpDate is the class of date32 elements: days, compared as integers
// with a timestamp constant at midnight UTC.
const cmpDate cmpClass = 100

var cmpOpsBySymbol = map[string]Op{"=": OpEq, "<>": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe}

func compileArrayValue(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("exec: %s takes 1 argument", e.Op)
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	et := listElem(arg.typ())
	if et == nil {
		return nil, unsupported("%s of %s", e.Op, arg.typ())
	}
	if e.Op == OpArrayLength {
		switch e.Str {
		case "cardinality", "array_length":
		default:
			return nil, unsupported("array length function %q", e.Str)
		}
		return &arrayLength{arg: arg, emptyNull: e.Str == "array_length"}, nil
	}
	return &arrayElem{arg: arg, elem: et, index: e.Index}, nil
}

// compileArrayPredicate compiles ANY/ALL, @>, <@ and &&.
func compileArrayPredicate(e *Expr, schema *arrow.Schema) (predicate, error) {
	if len(e.Args) < 1 {
		return nil, fmt.Errorf("exec: %s without arguments", e.Op)
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	et := listElem(arg.typ())
	if et == nil {
		return nil, unsupported("%s of %s", e.Op, arg.typ())
	}
	class, ok := elemClass(et)
	if !ok {
		return nil, unsupported("%s of %s elements", e.Op, et)
	}
	if e.Op == OpArrayAny {
		if len(e.Args) != 2 || e.Args[1].Op != OpLit {
			return nil, unsupported("ANY/ALL without a constant")
		}
		op, ok := cmpOpsBySymbol[e.Str]
		if !ok {
			return nil, unsupported("ANY/ALL operator %q", e.Str)
		}
		p := &arrayAny{arg: arg, all: e.All}
		lit := e.Args[1].Lit
		if lit.Kind == LitNull {
			p.nullX = true
			return p, nil
		}
		// x op element, tested on the elements: element flipped(op) x.
		c, err := elemScalar(class, flipped[op], lit)
		if err != nil {
			return nil, err
		}
		p.elem = c
		return p, nil
	}
	set, err := newElemSet(class, e.Elems)
	if err != nil {
		return nil, err
	}
	return &arraySet{arg: arg, op: e.Op, set: set}, nil
}

// elemScalar is the element comparison of ANY/ALL: a cmpScalar over the
// element array (its rows are the elements).
func elemScalar(class cmpClass, op Op, lit *Lit) (*cmpScalar, error) {
	c := &cmpScalar{op: op, class: class}
	switch {
	case class == cmpInt && lit.Kind == LitInt:
		c.i = lit.I
	case class == classFloat && lit.Kind == LitFloat:
		c.f = lit.F
	case class == cmpString && lit.Kind == LitString:
		c.s = lit.S
	case class == cmpBool && lit.Kind == LitBool:
		c.b = lit.B
	case class == cmpTimestamp && lit.Kind == LitTimestamp:
		c.i = lit.I // timestamp and timestamptz elements: µs, as the constant
	case class == cmpDate && lit.Kind == LitTimestamp:
		d, ok := dateDays(lit.I)
		if !ok {
			return nil, unsupported("date element compared with a timestamp")
		}
		c.class, c.i = cmpInt, d
	default:
		return nil, unsupported("element of class %d compared with %s", class, lit.Kind)
	}
	return c, nil
}

// dateDays is a timestamp at midnight UTC as days since the epoch.
func dateDays(us int64) (int64, bool) {
	const day = 86400_000_000
	if us%day != 0 {
		return 0, false
	}
	return us / day, true
}

// listSpan returns a's lists and the part of its element array they use
// (a slice the caller releases), with the offset of that part.
func listSpan(a arrow.Array) (array.ListLike, arrow.Array, int64, error) {
	l, ok := a.(array.ListLike)
	if !ok {
		return nil, nil, 0, unsupported("array predicate on %s", a.DataType())
	}
	n := l.Len()
	var lo, hi int64
	if n > 0 {
		lo, _ = l.ValueOffsets(0)
		_, hi = l.ValueOffsets(n - 1)
	}
	return l, array.NewSlice(l.ListValues(), lo, hi), lo, nil
}

// elemTest evaluates c on every element of vals: hold[j] is whether it
// holds, isNull[j] whether the element is NULL.
func elemTest(mem memory.Allocator, c *cmpScalar, vals arrow.Array) (hold, isNull []bool, err error) {
	n := vals.Len()
	hold, isNull = make([]bool, n), make([]bool, n)
	if d, ok := vals.(*array.Date32); ok {
		scalarInts(d.Date32Values(), c.i, c.op, hold)
		applyNulls(d, hold, isNull)
		return hold, isNull, nil
	}
	cc := *c
	cc.arg = &fixedValue{a: vals}
	if err := cc.test(mem, nil, hold, isNull); err != nil {
		return nil, nil, err
	}
	return hold, isNull, nil
}

// fixedValue is a value that is always the same array.
type fixedValue struct{ a arrow.Array }

func (f *fixedValue) typ() arrow.DataType { return f.a.DataType() }
func (f *fixedValue) eval(memory.Allocator, arrow.RecordBatch) (arrow.Array, error) {
	f.a.Retain()
	return f.a, nil
}

type arrayAny struct {
	arg   value
	all   bool
	nullX bool       // the constant is NULL
	elem  *cmpScalar // the element comparison (not nullX)
}

func (p *arrayAny) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, err := p.arg.eval(mem, rec)
	if err != nil {
		return err
	}
	defer a.Release()
	l, vals, lo, err := listSpan(a)
	if err != nil {
		return err
	}
	defer vals.Release()
	var hold, elNull []bool
	if !p.nullX {
		if hold, elNull, err = elemTest(mem, p.elem, vals); err != nil {
			return err
		}
	}
	for i := range out {
		isNull := false
		res := false
		switch {
		case l.IsNull(i):
			isNull = true
		default:
			s, e := l.ValueOffsets(i)
			s, e = s-lo, e-lo
			switch {
			case s == e:
				res = p.all
			case p.nullX:
				isNull = true
			default:
				res = p.all
				for j := s; j < e; j++ {
					if elNull[j] {
						isNull = true
						continue
					}
					if hold[j] != p.all {
						res, isNull = !p.all, false
						break
					}
				}
				if isNull {
					res = false
				}
			}
		}
		out[i] = res
		if null != nil {
			null[i] = isNull
		}
	}
	return nil
}

// elemSet is the constant array of @>, <@ and &&: which elements of an
// element array equal which distinct non-NULL constant.
type elemSet struct {
	class   cmpClass
	n       int  // distinct non-NULL constants
	hasNull bool // a NULL constant
	ints    map[int64]int
	floats  map[float64]int
	nan     int // index of NaN, or -1
	strs    map[string]int
	bools   map[bool]int
}

func newElemSet(class cmpClass, lits []*Lit) (*elemSet, error) {
	s := &elemSet{class: class, nan: -1}
	add := func(found bool) {
		if !found {
			s.n++
		}
	}
	switch class {
	case cmpInt, cmpDate:
		s.ints = map[int64]int{}
	case classFloat:
		s.floats = map[float64]int{}
	case cmpString:
		s.strs = map[string]int{}
	case cmpBool:
		s.bools = map[bool]int{}
	default:
		return nil, unsupported("array constants of class %d", class)
	}
	for _, l := range lits {
		switch {
		case l.Kind == LitNull:
			s.hasNull = true
		case class == cmpInt && l.Kind == LitInt:
			_, ok := s.ints[l.I]
			if !ok {
				s.ints[l.I] = s.n
			}
			add(ok)
		case class == cmpDate && l.Kind == LitTimestamp:
			d, ok := dateDays(l.I)
			if !ok {
				return nil, unsupported("date element compared with a timestamp")
			}
			_, ok = s.ints[d]
			if !ok {
				s.ints[d] = s.n
			}
			add(ok)
		case class == classFloat && l.Kind == LitFloat:
			f := l.F
			if math.IsNaN(f) {
				// PostgreSQL: NaN equals NaN.
				if s.nan < 0 {
					s.nan = s.n
					s.n++
				}
				continue
			}
			if f == 0 {
				f = 0 // -0 = 0
			}
			_, ok := s.floats[f]
			if !ok {
				s.floats[f] = s.n
			}
			add(ok)
		case class == cmpString && l.Kind == LitString:
			_, ok := s.strs[l.S]
			if !ok {
				s.strs[l.S] = s.n
			}
			add(ok)
		case class == cmpBool && l.Kind == LitBool:
			_, ok := s.bools[l.B]
			if !ok {
				s.bools[l.B] = s.n
			}
			add(ok)
		default:
			return nil, unsupported("array constant %s for elements of class %d", l.Kind, class)
		}
	}
	return s, nil
}

// match sets which[j] to the index of the constant element j equals, -1
// for none, -2 for a NULL element.
func (s *elemSet) match(vals arrow.Array, which []int32) error {
	lookup := func(j int, k int, ok bool) {
		if ok {
			which[j] = int32(k)
		} else {
			which[j] = -1
		}
	}
	switch x := vals.(type) {
	case *array.Int16:
		for j, v := range x.Int16Values() {
			k, ok := s.ints[int64(v)]
			lookup(j, k, ok)
		}
	case *array.Int32:
		for j, v := range x.Int32Values() {
			k, ok := s.ints[int64(v)]
			lookup(j, k, ok)
		}
	case *array.Int64:
		for j, v := range x.Int64Values() {
			k, ok := s.ints[v]
			lookup(j, k, ok)
		}
	case *array.Date32:
		for j, v := range x.Date32Values() {
			k, ok := s.ints[int64(v)]
			lookup(j, k, ok)
		}
	case *array.Float64:
		for j, v := range x.Float64Values() {
			if v != v {
				lookup(j, s.nan, s.nan >= 0)
				continue
			}
			k, ok := s.floats[v]
			lookup(j, k, ok)
		}
	case *array.Float32:
		for j, v := range x.Float32Values() {
			if v != v {
				lookup(j, s.nan, s.nan >= 0)
				continue
			}
			k, ok := s.floats[float64(v)]
			lookup(j, k, ok)
		}
	case *array.Boolean:
		for j := range which {
			k, ok := s.bools[x.Value(j)]
			lookup(j, k, ok)
		}
	case *array.String:
		for j := range which {
			k, ok := s.strs[x.Value(j)]
			lookup(j, k, ok)
		}
	case *array.Dictionary:
		sc, ok := asStrCol(x)
		if !ok {
			return unsupported("array elements of %s", vals.DataType())
		}
		per := make([]int32, sc.vals.Len())
		for d := range per {
			k, ok := s.strs[sc.vals.Value(d)]
			per[d] = -1
			if ok && sc.vals.IsValid(d) {
				per[d] = int32(k)
			}
		}
		for j := range which {
			if x.IsValid(j) {
				which[j] = per[sc.code(j)]
			}
		}
	default:
		return unsupported("array elements of %s", vals.DataType())
	}
	if vals.NullN() > 0 {
		for j := range which {
			if vals.IsNull(j) {
				which[j] = -2
			}
		}
	}
	return nil
}

type arraySet struct {
	arg value
	op  Op
	set *elemSet
}

func (p *arraySet) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, err := p.arg.eval(mem, rec)
	if err != nil {
		return err
	}
	defer a.Release()
	l, vals, lo, err := listSpan(a)
	if err != nil {
		return err
	}
	defer vals.Release()
	which := make([]int32, vals.Len())
	if err := p.set.match(vals, which); err != nil {
		return err
	}
	var seen []uint32 // @>: the row that last found constant k
	if p.op == OpArrayContains {
		seen = make([]uint32, p.set.n)
	}
	for i := range out {
		isNull := l.IsNull(i)
		res := false
		if !isNull {
			s, e := l.ValueOffsets(i)
			s, e = s-lo, e-lo
			switch p.op {
			case OpArrayContains:
				if p.set.hasNull {
					break // a NULL constant is never an element
				}
				found, mark := 0, uint32(i+1)
				for j := s; j < e; j++ {
					if k := which[j]; k >= 0 && seen[k] != mark {
						seen[k] = mark
						found++
					}
				}
				res = found == p.set.n
			case OpArrayContained:
				res = true
				for j := s; j < e; j++ {
					if which[j] < 0 {
						res = false
						break
					}
				}
			case OpArrayOverlap:
				for j := s; j < e; j++ {
					if which[j] >= 0 {
						res = true
						break
					}
				}
			}
		}
		out[i] = res
		if null != nil {
			null[i] = isNull
		}
	}
	return nil
}

type arrayElem struct {
	arg   value
	elem  arrow.DataType
	index int64
}

func (v *arrayElem) typ() arrow.DataType { return v.elem }

func (v *arrayElem) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	a, err := v.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	l, ok := a.(array.ListLike)
	if !ok {
		return nil, unsupported("subscript of %s", a.DataType())
	}
	vals := l.ListValues()
	b := array.NewBuilder(mem, v.elem)
	defer b.Release()
	b.Reserve(l.Len())
	for i := 0; i < l.Len(); i++ {
		if l.IsNull(i) {
			b.AppendNull()
			continue
		}
		s, e := l.ValueOffsets(i)
		if v.index < 1 || v.index > e-s {
			b.AppendNull()
			continue
		}
		if err := appendFrom(b, vals, int(s+v.index-1)); err != nil {
			return nil, err
		}
	}
	return b.NewArray(), nil
}

type arrayLength struct {
	arg       value
	emptyNull bool
}

func (v *arrayLength) typ() arrow.DataType { return arrow.PrimitiveTypes.Int32 }

func (v *arrayLength) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	a, err := v.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	l, ok := a.(array.ListLike)
	if !ok {
		return nil, unsupported("cardinality of %s", a.DataType())
	}
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(l.Len())
	for i := 0; i < l.Len(); i++ {
		s, e := l.ValueOffsets(i)
		if l.IsNull(i) || (v.emptyNull && s == e) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		b.UnsafeAppend(int32(e - s))
	}
	return b.NewArray(), nil
}
