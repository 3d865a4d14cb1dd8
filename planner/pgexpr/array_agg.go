package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgarray"
	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// array_agg(x [ORDER BY ...]) is go-mysql-server's group_concat over each
// value's quoted array-element form (ArrayElem: NULL stays the word NULL,
// so NULLs are kept, and a value is "..." with " and \ escaped, so no value
// can be confused with the separator), joined by ','; ArrayAgg wraps the
// result in braces and re-renders it as PostgreSQL prints arrays. group_concat
// brings ORDER BY, DISTINCT and FILTER (a CASE around ArrayElem yields SQL
// NULL, which group_concat skips); no rows give NULL, as in PostgreSQL.

// ArrayAggInfo carries the element type from ArrayElem to ArrayAgg.
type ArrayAggInfo struct{ Elem sql.Type }

// InjectableArrayElem renders its child as a quoted array element.
type InjectableArrayElem struct{ Info *ArrayAggInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableArrayElem) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("array_agg: argument is not an expression")
	}
	if _, isArray := e.Type().(pgtypes.ArrayType); isArray {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "array_agg of arrays is not supported")
	}
	a.Info.Elem = e.Type()
	return &arrayElem{e}, nil
}

// InjectableArrayAgg turns the group_concat of array elements into an
// array. Children: the group_concat aggregate.
type InjectableArrayAgg struct{ Info *ArrayAggInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableArrayAgg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("array_agg: argument is not an expression")
	}
	return &arrayAgg{agg: e, typ: ArrayOf(a.Info.Elem)}, nil
}

// ArrayOf is the array type whose elements have engine type t; text[] when
// PostgreSQL's element type has no array type here.
func ArrayOf(t sql.Type) pgtypes.ArrayType {
	oid := uint32(pgtypes.OIDText)
	if t != nil && t != types.Null {
		oid, _ = pgtypes.OID(t)
	}
	if pgtypes.ArrayOID(oid) == 0 {
		oid = pgtypes.OIDText
	}
	return pgtypes.ArrayType{Elem: oid}
}

type arrayElem struct{ child sql.Expression }

func (a *arrayElem) Resolved() bool             { return a.child.Resolved() }
func (a *arrayElem) String() string             { return fmt.Sprintf("array_elem(%s)", a.child) }
func (a *arrayElem) Type() sql.Type             { return types.LongText }
func (a *arrayElem) IsNullable() bool           { return false }
func (a *arrayElem) Children() []sql.Expression { return []sql.Expression{a.child} }

func (a *arrayElem) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	return &arrayElem{children[0]}, nil
}

func (a *arrayElem) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := a.child.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return "NULL", nil
	}
	oid, _ := pgtypes.OID(a.child.Type())
	s, err := TextOf(ctx, v, oid)
	if err != nil {
		return nil, err
	}
	if oid == pgtypes.OIDBool {
		s = s[:1] // t / f, as in boolean arrays
	}
	return string(pgarray.AppendQuoted(make([]byte, 0, len(s)+2), s)), nil
}

type arrayAgg struct {
	agg sql.Expression
	typ pgtypes.ArrayType
}

func (a *arrayAgg) Resolved() bool             { return a.agg.Resolved() }
func (a *arrayAgg) String() string             { return fmt.Sprintf("array_agg(%s)", a.agg) }
func (a *arrayAgg) Type() sql.Type             { return a.typ }
func (a *arrayAgg) IsNullable() bool           { return true }
func (a *arrayAgg) Children() []sql.Expression { return []sql.Expression{a.agg} }

func (a *arrayAgg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	return &arrayAgg{agg: children[0], typ: a.typ}, nil
}

func (a *arrayAgg) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := a.agg.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return nil, fmt.Errorf("array_agg: unexpected %T", v)
	}
	elems, ok := pgtypes.ParseArray("{" + s + "}")
	if !ok {
		return nil, fmt.Errorf("array_agg: malformed elements %q", s)
	}
	return pgtypes.FormatArrayText(elems), nil
}
