package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	sqltypes "github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// go-mysql-server computes sum() over a window in float64 prefix sums,
// whatever the argument's type; PostgreSQL's sum of numeric (and of
// integers, which the translator widens to numeric) is exact, and so is
// avg, which the translator writes as sum / count. exactWindowSums gives a
// Window node's numeric sums an exact decimal window function. A float
// frame's sum is not a difference of prefix sums either: PostgreSQL's
// float8 sum has no inverse transition, it adds the frame's values in
// order (a difference loses the small values next to a large one: 1e20
// then 1 and 2 summed to 0), so floatSumAgg does the same.

// exactWindowSums returns w with its numeric sum() window functions exact,
// or nil when it has none.
func exactWindowSums(w *plan.Window) (*plan.Window, error) {
	var exprs []sql.Expression
	for i, e := range w.SelectExprs {
		alias, isAlias := e.(*expression.Alias)
		inner := e
		if isAlias {
			inner = alias.Child
		}
		s, ok := inner.(*aggregation.Sum)
		if !ok || s.Window() == nil || !(types.IsDecimal(s.Child.Type()) || types.IsFloat(s.Child.Type())) {
			continue
		}
		if exprs == nil {
			exprs = append([]sql.Expression(nil), w.SelectExprs...)
		}
		var ne sql.Expression = &exactSum{Sum: s}
		if isAlias {
			var err error
			if ne, err = alias.WithChildren(ne); err != nil {
				return nil, err
			}
		}
		exprs[i] = ne
	}
	if exprs == nil {
		return nil, nil
	}
	cp := *w
	cp.SelectExprs = exprs
	return &cp, nil
}

// exactSum is a numeric sum() over a window computed in decimals.
type exactSum struct{ *aggregation.Sum }

// NewWindowFunction implements sql.WindowAdaptableExpression.
func (s *exactSum) NewWindowFunction() (sql.WindowFunction, error) {
	child, err := transform.Clone(s.Child)
	if err != nil {
		return nil, err
	}
	var framer sql.WindowFramer
	if w := s.Window(); w != nil && w.Frame != nil {
		if framer, err = w.Frame.NewFramer(w); err != nil {
			return nil, err
		}
	}
	if types.IsFloat(child.Type()) {
		return &floatSumAgg{windowSum: windowSum{expr: child, framer: framer}, real: child.Type().Type() == sqltypes.Float32}, nil
	}
	return &decimalSumAgg{windowSum: windowSum{expr: child, framer: framer}}, nil
}

// decimalSumAgg keeps exact prefix sums of a partition, and how many
// values so far were not NULL, so that any frame's sum is a difference.
type decimalSumAgg struct {
	windowSum
	prefix  []decimal.Decimal
	nonNull []int
}

var _ sql.WindowFunction = (*decimalSumAgg)(nil)

// windowSum is what the exact window sums share: the argument, the frame
// and where the partition starts.
type windowSum struct {
	expr           sql.Expression
	framer         sql.WindowFramer
	partitionStart int
}

func (a *windowSum) Dispose() { expression.Dispose(a.expr) }

func (a *windowSum) DefaultFramer() sql.WindowFramer {
	if a.framer != nil {
		return a.framer
	}
	return aggregation.NewUnboundedPrecedingToCurrentRowFramer()
}

func (a *windowSum) NewSlidingFrameInterval(added, dropped sql.WindowInterval) {}

func (a *decimalSumAgg) StartPartition(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) error {
	a.Dispose()
	a.partitionStart = interval.Start
	n := interval.End - interval.Start
	a.prefix, a.nonNull = make([]decimal.Decimal, n), make([]int, n)
	var sum decimal.Decimal
	var cnt int
	for i := 0; i < n; i++ {
		v, err := a.expr.Eval(ctx, buf[interval.Start+i])
		if err != nil {
			return err
		}
		if v != nil {
			d, ok := v.(decimal.Decimal)
			if !ok {
				c, _, err := types.InternalDecimalType.Convert(ctx, v)
				if err != nil {
					return err
				}
				d = c.(decimal.Decimal)
			}
			sum = sum.Add(d)
			cnt++
		}
		a.prefix[i], a.nonNull[i] = sum, cnt
	}
	return nil
}

// Compute is the sum of the frame's values; NULL when it has none.
func (a *decimalSumAgg) Compute(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) any {
	if interval.End-interval.Start < 1 {
		return nil
	}
	end := interval.End - a.partitionStart - 1
	start := interval.Start - a.partitionStart - 1
	sum, cnt := a.prefix[end], a.nonNull[end]
	if start >= 0 {
		sum, cnt = sum.Sub(a.prefix[start]), cnt-a.nonNull[start]
	}
	if cnt == 0 {
		return nil
	}
	return sum
}

// floatSumAgg is a float sum() over a window as PostgreSQL computes it: a
// frame that starts at the partition's start is the running sum (the
// prefix); any other frame adds its values in order. A real (float4) sum
// adds in float4 and is a float4, as PostgreSQL's float4pl.
type floatSumAgg struct {
	windowSum
	real    bool
	vals    []float64 // the partition's values, 0 for NULL
	prefix  []float64
	nonNull []int
}

var _ sql.WindowFunction = (*floatSumAgg)(nil)

func (a *floatSumAgg) StartPartition(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) error {
	a.Dispose()
	a.partitionStart = interval.Start
	n := interval.End - interval.Start
	a.vals, a.prefix, a.nonNull = make([]float64, n), make([]float64, n), make([]int, n)
	var sum float64
	var cnt int
	for i := 0; i < n; i++ {
		v, err := a.expr.Eval(ctx, buf[interval.Start+i])
		if err != nil {
			return err
		}
		if v != nil {
			f, _, err := types.Float64.Convert(ctx, v)
			if err != nil {
				return err
			}
			a.vals[i] = f.(float64)
			if a.real {
				sum = float64(float32(sum) + float32(a.vals[i]))
			} else {
				sum += a.vals[i]
			}
			cnt++
		}
		a.prefix[i], a.nonNull[i] = sum, cnt
	}
	return nil
}

// Compute is the sum of the frame's values; NULL when it has none.
func (a *floatSumAgg) Compute(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) any {
	if interval.End-interval.Start < 1 {
		return nil
	}
	end := interval.End - a.partitionStart - 1
	start := interval.Start - a.partitionStart - 1
	if start < 0 {
		if a.nonNull[end] == 0 {
			return nil
		}
		return a.result(a.prefix[end])
	}
	if a.nonNull[end]-a.nonNull[start] == 0 {
		return nil
	}
	if a.real {
		var sum float32
		for _, v := range a.vals[start+1 : end+1] {
			sum += float32(v)
		}
		return sum
	}
	var sum float64
	for _, v := range a.vals[start+1 : end+1] {
		sum += v
	}
	return sum
}

func (a *floatSumAgg) result(sum float64) any {
	if a.real {
		return float32(sum)
	}
	return sum
}
