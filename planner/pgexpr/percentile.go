package pgexpr

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// percentile_cont / percentile_disc (fraction) WITHIN GROUP (ORDER BY x)
// are computed from the group's values collected by json_arrayagg (an
// aggregate go-mysql-server has) and a scalar that sorts them. Exact, and
// memory-bound by the group size; the vectorized executor replaces it with
// a mergeable sketch for distributed queries.

// InjectableRecordType records the type of an aggregate's argument in Info
// and passes the argument through unchanged.
type InjectableRecordType struct{ Info *SumInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (r InjectableRecordType) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("percentile: argument is not an expression")
	}
	t := e.Type()
	if !(types.IsNumber(t) || types.IsDecimal(t)) || t == types.Boolean {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function percentile(%s) does not exist; ORDER BY a numeric expression", TypeOfName(t))
	}
	r.Info.ArgType = t
	return e, nil
}

// InjectablePercentile computes the percentile from the collected values.
// Children: the json_arrayagg aggregate and the fraction.
// With Array, the fraction children are the elements of an ARRAY[...] of
// fractions and the result is the array of their percentiles.
type InjectablePercentile struct {
	Info  *SumInfo
	Disc  bool
	Desc  bool
	Array bool
}

// WithResolvedChildren implements sqlparser.Injectable.
func (p InjectablePercentile) WithResolvedChildren(children []any) (any, error) {
	agg, ok1 := children[0].(sql.Expression)
	frac, ok2 := children[1].(sql.Expression)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("percentile: arguments are not expressions")
	}
	typ := sql.Type(types.Float64)
	if p.Disc && p.Info.ArgType != nil {
		typ = p.Info.ArgType
	}
	one := &percentile{agg: agg, frac: frac, disc: p.Disc, desc: p.Desc, typ: typ}
	if !p.Array {
		return one, nil
	}
	out := &percentiles{typ: ArrayOf(typ)}
	for _, c := range children[1:] {
		f, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("percentile: arguments are not expressions")
		}
		n := *one
		n.frac = f
		out.each = append(out.each, &n)
	}
	return out, nil
}

// percentiles is percentile_cont/percentile_disc(ARRAY[f1, ...]): the
// array of each fraction's percentile, NULL when there are no values.
type percentiles struct {
	each []*percentile
	typ  sql.Type
}

func (p *percentiles) Resolved() bool {
	for _, e := range p.each {
		if !e.Resolved() {
			return false
		}
	}
	return true
}
func (p *percentiles) String() string   { return fmt.Sprintf("percentiles(%d)", len(p.each)) }
func (p *percentiles) Type() sql.Type   { return p.typ }
func (p *percentiles) IsNullable() bool { return true }

// Children are the aggregate, then the fractions.
func (p *percentiles) Children() []sql.Expression {
	out := []sql.Expression{p.each[0].agg}
	for _, e := range p.each {
		out = append(out, e.frac)
	}
	return out
}

func (p *percentiles) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(p.each)+1 {
		return nil, sql.ErrInvalidChildrenNumber.New(p, len(children), len(p.each)+1)
	}
	out := &percentiles{typ: p.typ}
	for i, e := range p.each {
		n := *e
		n.agg, n.frac = children[0], children[i+1]
		out.each = append(out.each, &n)
	}
	return out, nil
}

func (p *percentiles) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	elems := make([]*string, len(p.each))
	oid, _ := pgtypes.OID(p.each[0].typ)
	for i, e := range p.each {
		v, err := e.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			if e.frac.IsNullable() {
				continue // a NULL fraction gives a NULL element
			}
			return nil, nil // no values
		}
		s, err := TextOf(ctx, v, oid)
		if err != nil {
			return nil, err
		}
		elems[i] = &s
	}
	return pgtypes.FormatArrayText(elems), nil
}

type percentile struct {
	agg, frac  sql.Expression
	disc, desc bool
	typ        sql.Type
}

func (p *percentile) Resolved() bool             { return p.agg.Resolved() && p.frac.Resolved() }
func (p *percentile) String() string             { return fmt.Sprintf("percentile(%s, %s)", p.frac, p.agg) }
func (p *percentile) Type() sql.Type             { return p.typ }
func (p *percentile) IsNullable() bool           { return true }
func (p *percentile) Children() []sql.Expression { return []sql.Expression{p.agg, p.frac} }

func (p *percentile) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(p, len(children), 2)
	}
	n := *p
	n.agg, n.frac = children[0], children[1]
	return &n, nil
}

func (p *percentile) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	fv, err := p.frac.Eval(ctx, row)
	if err != nil || fv == nil {
		return nil, err
	}
	f, err := castFloat(fv, "float8")
	if err != nil {
		return nil, err
	}
	if f < 0 || f > 1 || math.IsNaN(f) {
		return nil, pgerror.New(pgerror.NumericOutOfRange, "percentile value %g is not between 0 and 1", f)
	}
	av, err := p.agg.Eval(ctx, row)
	if err != nil || av == nil {
		return nil, err
	}
	var (
		list []any
		vals []float64
	)
	switch x := av.(type) {
	case *FloatList:
		// From the vectorized executor: float8 values already, in no
		// order. Select the one or two values the percentile needs
		// (linear time) instead of sorting them all.
		n := len(x.Vals)
		if n == 0 {
			return nil, nil
		}
		at := func(i int) float64 {
			if p.desc {
				i = n - 1 - i
			}
			return x.at(i)
		}
		return p.pickAt(n, f, at)
	case types.JSONDocument:
		list, _ = x.Val.([]any)
	case sql.JSONWrapper:
		v, err := x.ToInterface()
		if err != nil {
			return nil, err
		}
		list, _ = v.([]any)
	}
	if vals == nil {
		var err error
		if vals, err = sortedFloats(list, p.desc); err != nil {
			return nil, err
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	return p.pick(vals, f)
}

// sortedFloats returns the non-NULL values of list as float8, sorted
// ascending (descending if desc).
func sortedFloats(list []any, desc bool) ([]float64, error) {
	vals := make([]float64, 0, len(list))
	for _, v := range list {
		if v == nil {
			continue
		}
		fl, err := castFloat(v, "float8")
		if err != nil {
			return nil, err
		}
		vals = append(vals, fl)
	}
	slices.Sort(vals)
	if desc {
		slices.Reverse(vals)
	}
	return vals, nil
}

// pick computes the percentile f of sorted values.
func (p *percentile) pick(vals []float64, f float64) (any, error) {
	return p.pickAt(len(vals), f, func(i int) float64 { return vals[i] })
}

// pickAt computes the percentile f of n values, at(i) being the i-th in
// the sort order.
func (p *percentile) pickAt(n int, f float64, at func(int) float64) (any, error) {
	if p.disc {
		idx := int(math.Ceil(f*float64(n))) - 1
		idx = max(idx, 0)
		v := at(idx)
		if types.IsInteger(p.typ) {
			return int64(v), nil
		}
		if types.IsDecimal(p.typ) {
			return castDecimal(v)
		}
		return v, nil
	}
	pos := f * float64(n-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	if lo == hi {
		return at(int(lo)), nil
	}
	vlo, vhi := at(int(lo)), at(int(hi))
	return vlo + (pos-lo)*(vhi-vlo), nil
}

// FloatList is json_arrayagg over a numeric column as the vectorized
// executor returns it: the non-NULL values as float8, in no particular
// order, and the number of NULLs. percentile reads it without boxing a
// value; everything else sees the JSON array through sql.JSONWrapper.
type FloatList struct {
	Vals  []float64
	Nulls int

	mu sync.Mutex // at reorders Vals
}

var _ sql.JSONWrapper = (*FloatList)(nil)

// at returns the k-th smallest value (from 0) in slices.Sort's order of
// float64 (NaN first), reordering Vals around it: quickselect, with a
// median-of-three pivot and a sort of what is left when the partitions
// keep coming out lopsided, so it is linear on average and n log n at
// worst.
func (l *FloatList) at(k int) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.Vals
	lo, hi := 0, len(v)-1
	for budget := 2 * bits.Len(uint(len(v))); lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(v[lo : hi+1])
			break
		}
		// Median of three to v[hi], then Lomuto partition around it.
		mid := lo + (hi-lo)/2
		if cmp.Less(v[mid], v[lo]) {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if cmp.Less(v[hi], v[lo]) {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if cmp.Less(v[mid], v[hi]) {
			v[mid], v[hi] = v[hi], v[mid]
		}
		pivot := v[hi]
		i := lo
		for j := lo; j < hi; j++ {
			if cmp.Less(v[j], pivot) {
				v[i], v[j] = v[j], v[i]
				i++
			}
		}
		v[i], v[hi] = v[hi], v[i]
		// v[lo:i] < pivot <= v[i+1:hi+1]; skip a run equal to the pivot
		// so that many equal values cannot make it quadratic.
		e := i + 1
		for e <= hi && cmp.Compare(v[e], pivot) == 0 {
			e++
		}
		switch {
		case k < i:
			hi = i - 1
		case k < e:
			return pivot
		default:
			lo = e
		}
	}
	return v[k]
}

// Clone implements sql.JSONWrapper.
func (l *FloatList) Clone(context.Context) sql.JSONWrapper {
	return &FloatList{Vals: slices.Clone(l.Vals), Nulls: l.Nulls}
}

// ToInterface implements sql.JSONWrapper: the values, then the NULLs.
func (l *FloatList) ToInterface() (any, error) {
	out := make([]any, 0, len(l.Vals)+l.Nulls)
	for _, v := range l.Vals {
		out = append(out, v)
	}
	for i := 0; i < l.Nulls; i++ {
		out = append(out, nil)
	}
	return out, nil
}

// String renders the JSON array as json_arrayagg's documents do.
func (l *FloatList) String() string {
	v, _ := l.ToInterface()
	return types.JSONDocument{Val: v}.String()
}
