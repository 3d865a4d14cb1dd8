package pgexpr

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// cannotCoerce is PostgreSQL's SQLSTATE for a cast that does not exist.
const cannotCoerce = "42846"

// ArrayCast is a cast to a one-dimensional array type (x::int[]): from a
// string (array input: '{1,"a b",NULL}', 22P02 when malformed or when an
// element is not valid input for the element type) or from another array
// (each element cast to the new element type). The value is the array's
// text form, as for every array here.
type ArrayCast struct {
	Child sql.Expression
	Elem  string // canonical element type
	// Lenient passes a value that is no array literal through as it is
	// (a catalog column such as int2vector cast to int2[]).
	Lenient bool
	elem    sql.Type
	typ     pgtypes.ArrayType
}

var _ sql.Expression = (*ArrayCast)(nil)

// InjectableArrayCast builds an ArrayCast to Elem[].
type InjectableArrayCast struct {
	Elem    string
	Lenient bool
}

// WithResolvedChildren implements sqlparser.Injectable.
func (c InjectableArrayCast) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("cast: argument is not an expression")
	}
	ac, err := NewArrayCast(e, c.Elem)
	if err != nil {
		return nil, err
	}
	ac.Lenient = c.Lenient
	return ac, nil
}

// NewArrayCast casts child to elem[].
func NewArrayCast(child sql.Expression, elem string) (*ArrayCast, error) {
	et, err := pgtypes.GMSType(elem)
	if err != nil {
		return nil, pgerror.New(pgerror.UndefinedObject, "type %q does not exist", elem)
	}
	typ := ArrayOf(et)
	switch t := child.Type(); t.(type) {
	case pgtypes.ArrayType:
	default:
		if t != types.Null && !types.IsText(t) {
			return nil, pgerror.New(cannotCoerce, "cannot cast type %s to %s", TypeOfName(t), TypeOfName(typ))
		}
	}
	return &ArrayCast{Child: child, Elem: elem, elem: et, typ: typ}, nil
}

func (c *ArrayCast) Resolved() bool             { return c.Child.Resolved() }
func (c *ArrayCast) String() string             { return fmt.Sprintf("%s::%s[]", c.Child, c.Elem) }
func (c *ArrayCast) Type() sql.Type             { return c.typ }
func (c *ArrayCast) IsNullable() bool           { return c.Child.IsNullable() }
func (c *ArrayCast) Children() []sql.Expression { return []sql.Expression{c.Child} }

// WithChildren implements sql.Expression.
func (c *ArrayCast) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 1)
	}
	ac, err := NewArrayCast(children[0], c.Elem)
	if err != nil {
		return nil, err
	}
	ac.Lenient = c.Lenient
	return ac, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (c *ArrayCast) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// Eval implements sql.Expression.
func (c *ArrayCast) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := c.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	s, ok := v.(string)
	if !ok {
		return nil, pgerror.New(cannotCoerce, "cannot cast %T to %s", v, TypeOfName(c.typ))
	}
	elems, ok := pgtypes.ParseArray(s)
	if !ok && c.Lenient {
		return s, nil
	}
	if !ok {
		if b := strings.TrimLeft(s, " \t\n\r\v\f"); strings.HasPrefix(b, "{") && strings.HasPrefix(strings.TrimLeft(b[1:], " \t\n\r\v\f"), "{") {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		return nil, pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: \"%s\"", s)
	}
	// Elements of an array arrive in their type's text form; a string's
	// elements are input for the element type either way.
	var from sql.Type = types.LongText
	fromOID := uint32(pgtypes.OIDText)
	if a, ok := c.Child.Type().(pgtypes.ArrayType); ok {
		fromOID = a.Elem
		if name := pgtypes.CastName(a.Elem); name != "" {
			if ft, err := pgtypes.GMSType(name); err == nil {
				from = ft
			}
		}
	}
	toOID := c.typ.Elem
	out := make([]*string, len(elems))
	for i, e := range elems {
		if e == nil {
			continue
		}
		var x any = *e
		if fromOID != pgtypes.OIDText {
			if x, err = CastValue(ctx, x, types.LongText, pgtypes.CastName(fromOID)); err != nil {
				return nil, err
			}
		}
		if x, err = CastValue(ctx, x, from, c.Elem); err != nil {
			return nil, err
		}
		t, err := TextOf(ctx, x, toOID)
		if err != nil {
			return nil, err
		}
		if toOID == pgtypes.OIDBool && t != "" {
			t = t[:1]
		}
		out[i] = &t
	}
	return pgtypes.FormatArrayText(out), nil
}
