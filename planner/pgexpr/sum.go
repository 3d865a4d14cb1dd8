package pgexpr

import (
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// sumDecimal is the exact type integer sums are computed in.
var sumDecimal = types.MustCreateDecimalType(65, 0)

// SumInfo carries the argument type of one sum() call from its argument
// (resolved while go-mysql-server builds the aggregate) to its result
// (resolved when the select list is built, after the aggregation).
type SumInfo struct{ ArgType sql.Type }

// InjectableSumArg widens an integer argument of sum() to an exact decimal.
type InjectableSumArg struct {
	Info *SumInfo
	// Avg: the sum is avg's, which adds real (float4) values in double
	// precision as PostgreSQL's float4_accum does.
	Avg bool
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableSumArg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("sum: argument is not an expression")
	}
	t := e.Type()
	a.Info.ArgType = t
	if types.IsText(t) || t == types.Boolean {
		oid, _ := pgtypes.OID(t)
		return nil, pgerror.New(pgerror.UndefinedFunction, "function sum(%s) does not exist", pgtypes.TypeName(oid))
	}
	if types.IsInteger(t) {
		return &Cast{Child: e, To: "numeric(65,0)", typ: sumDecimal}, nil
	}
	if a.Avg && t == types.Float32 {
		return &Cast{Child: e, To: "float8", typ: types.Float64}, nil
	}
	return e, nil
}

// InjectableSumResult narrows sum(int2/int4) back to int8.
type InjectableSumResult struct{ Info *SumInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (r InjectableSumResult) WithResolvedChildren(children []any) (any, error) {
	sum, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("sum: argument is not an expression")
	}
	switch t := r.Info.ArgType; {
	case t == types.Int16 || t == types.Int32:
		return &sumToInt8{Cast{Child: sum, To: "int8", typ: types.Int64}}, nil
	case types.IsInteger(t) || types.IsDecimal(t):
		// sum(int8) and sum(numeric) are numeric in PostgreSQL.
		return &retyped{sum, numericType}, nil
	}
	return sum, nil
}

type sumToInt8 struct{ Cast }

func (s *sumToInt8) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := s.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case decimal.Decimal:
		return x.IntPart(), nil
	case float64:
		// go-mysql-server's windowed sum is a float64 whatever it sums.
		return int64(math.Round(x)), nil
	}
	return asInt64(v)
}

func (s *sumToInt8) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(s, len(children), 1)
	}
	return &sumToInt8{Cast{Child: children[0], To: "int8", typ: types.Int64}}, nil
}
