package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// InjectableCase keeps a CASE whose results are all boolean typed boolean
// (go-mysql-server widens TINYINT branches to BIGINT, which would reach the
// client as int8 instead of bool).
type InjectableCase struct{}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableCase) WithResolvedChildren(children []any) (any, error) {
	c, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("case: not an expression")
	}
	ce, ok := c.(*expression.Case)
	if !ok {
		return c, nil
	}
	if cc := charCase(ce); cc != nil {
		return cc, nil
	}
	vals := []sql.Expression{ce.Else}
	for _, b := range ce.Branches {
		vals = append(vals, b.Value)
	}
	for _, v := range vals {
		if v != nil && v.Type() != types.Boolean && v.Type() != types.Null {
			return c, nil
		}
	}
	return &boolTyped{ce}, nil
}

// boolTyped reports an expression whose values are booleans as Boolean.
// It is a unary node (not an embedding) so that analyzer passes rewriting
// field references reach the wrapped expression.
type boolTyped struct{ sql.Expression }

func (b *boolTyped) Type() sql.Type             { return types.Boolean }
func (b *boolTyped) Children() []sql.Expression { return []sql.Expression{b.Expression} }
func (b *boolTyped) String() string             { return b.Expression.String() }

func (b *boolTyped) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(b, len(children), 1)
	}
	return &boolTyped{children[0]}, nil
}

func (b *boolTyped) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := b.Expression.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	i, err := asInt64(v)
	if err != nil {
		if bv, ok := v.(bool); ok {
			return boolInt(bv), nil
		}
		return nil, err
	}
	return boolInt(i != 0), nil
}

func boolInt(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

// InjectableBool types its single child boolean (bool_and/bool_or over
// min/max).
type InjectableBool struct{}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableBool) WithResolvedChildren(children []any) (any, error) {
	c, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("bool: not an expression")
	}
	return &boolTyped{c}, nil
}

// retyped reports its child's values under another engine type (the
// child's values already have that type's representation).
type retyped struct {
	sql.Expression
	typ sql.Type
}

func (r *retyped) Type() sql.Type             { return r.typ }
func (r *retyped) Children() []sql.Expression { return []sql.Expression{r.Expression} }
func (r *retyped) String() string             { return r.Expression.String() }

func (r *retyped) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(children), 1)
	}
	return &retyped{children[0], r.typ}, nil
}

func (r *retyped) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := r.Expression.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	if types.IsDecimal(r.typ) {
		if d, ok := toDecimal(v); ok {
			return d, nil
		}
		if f, ok := v.(float64); ok {
			return castDecimal(f)
		}
	}
	return v, nil
}
