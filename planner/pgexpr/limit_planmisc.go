package pgexpr

import (
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

// LimitValue is a LIMIT or OFFSET given as an expression (LIMIT 1 + 1,
// LIMIT (SELECT ...)) rather than a literal: PostgreSQL evaluates it once
// as bigint. NULL means no limit (LIMIT) or zero (OFFSET); a negative
// value is 2201W (LIMIT) or 2201X (OFFSET).
type LimitValue struct {
	Child  sql.Expression // already cast to bigint
	Offset bool
	// Width is the number of columns of the input row of the node that
	// holds it: a subquery in Child expects that row first (it is
	// evaluated with none, so nulls stand in for it).
	Width int
}

var _ sql.Expression = (*LimitValue)(nil)

// limitCarrier smuggles a LimitValue through go-mysql-server's binder,
// which takes only a literal or a bind variable as LIMIT: the bind
// variable's type holds the expression until UnwrapLimit puts it in place.
type limitCarrier struct {
	limitType
	v *LimitValue
}

type limitType interface{ sql.Type }

// InjectableLimit builds a LimitValue from the translator's AST (one child,
// the expression cast to bigint). It returns a bind variable carrying the
// expression; UnwrapLimit (run before analysis) replaces it.
type InjectableLimit struct {
	Offset bool
	// StringLiteral says the argument is a quoted literal, which
	// PostgreSQL reads as bigint input; other text is 42804 (not checked
	// with parameters, whose type is not known yet).
	StringLiteral bool
}

// WithResolvedChildren implements sqlparser.Injectable.
func (l InjectableLimit) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("LIMIT: want 1 argument, got %d", len(children))
	}
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("LIMIT: argument is not an expression")
	}
	clause := "LIMIT"
	if l.Offset {
		clause = "OFFSET"
	}
	params := false
	sql.Inspect(e, func(e sql.Expression) bool {
		_, isParam := e.(*expression.BindVar)
		params = params || isParam
		return !params
	})
	if c, ok := e.(*Cast); ok && !params {
		t := c.Child.Type()
		if !(types.IsNumber(t) && !types.IsBit(t) || t == types.Null || types.IsText(t) && l.StringLiteral) {
			return nil, pgerror.New(pgerror.DatatypeMismatch, "argument of %s must be type bigint, not type %s", clause, TypeOfName(t))
		}
	}
	v := &LimitValue{Child: e, Offset: l.Offset}
	return &expression.BindVar{Name: "openwit_limit", Typ: limitCarrier{limitType: types.Int64, v: v}}, nil
}

// UnwrapLimit returns the LimitValue a bind variable built by
// InjectableLimit carries.
func UnwrapLimit(e sql.Expression) (*LimitValue, bool) {
	bv, ok := e.(*expression.BindVar)
	if !ok {
		return nil, false
	}
	c, ok := bv.Typ.(limitCarrier)
	if !ok {
		return nil, false
	}
	return c.v, true
}

func (l *LimitValue) Resolved() bool { return l.Child.Resolved() }
func (l *LimitValue) String() string {
	if l.Offset {
		return fmt.Sprintf("offset(%s)", l.Child)
	}
	return fmt.Sprintf("limit(%s)", l.Child)
}
func (l *LimitValue) Type() sql.Type             { return types.Int64 }
func (l *LimitValue) IsNullable() bool           { return false }
func (l *LimitValue) Children() []sql.Expression { return []sql.Expression{l.Child} }
func (l *LimitValue) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), 1)
	}
	out := *l
	out.Child = children[0]
	return &out, nil
}

// Eval returns the bound as int64.
func (l *LimitValue) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if row == nil && l.Width > 0 {
		row = make(sql.Row, l.Width)
	}
	v, err := l.Child.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if v == nil {
		if l.Offset {
			return int64(0), nil
		}
		return int64(math.MaxInt64), nil
	}
	n, err := asInt64(v)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		if l.Offset {
			return nil, pgerror.New("2201X", "OFFSET must not be negative")
		}
		return nil, pgerror.New("2201W", "LIMIT must not be negative")
	}
	return n, nil
}
