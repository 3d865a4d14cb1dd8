package pgexpr

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// ArrayCtor is PostgreSQL's ARRAY[e1, e2, ...]: a one-dimensional array
// whose element type is the elements' common type (integers widen to
// numeric and float8; string literals take the others' type). Its value is
// the array's text form, as for every array here ({1,2,NULL}).
type ArrayCtor struct {
	Elems []sql.Expression
	typ   pgtypes.ArrayType
	elem  sql.Type
}

var _ sql.Expression = (*ArrayCtor)(nil)

// InjectableArrayCtor builds an ArrayCtor; children are the elements.
type InjectableArrayCtor struct{}

// numberRank orders the numeric types PostgreSQL's array resolution widens
// to; 0 for others.
func numberRank(t sql.Type) int {
	if t == types.Boolean {
		return 0
	}
	oid, _ := pgtypes.OID(t)
	return pgtypes.NumericRank(oid)
}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableArrayCtor) WithResolvedChildren(children []any) (any, error) {
	elems := make([]sql.Expression, len(children))
	var elem sql.Type
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("ARRAY: element %d is not an expression", i+1)
		}
		elems[i] = e
		if IsUnknownLiteral(e) {
			continue
		}
		t := e.Type()
		if _, nested := t.(pgtypes.ArrayType); nested {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		switch {
		case elem == nil:
			elem = t
		case numberRank(elem) > 0 && numberRank(t) > 0:
			if numberRank(t) > numberRank(elem) {
				elem = t
			}
		default:
			a, _ := pgtypes.OID(elem)
			b, _ := pgtypes.OID(t)
			if a != b {
				return nil, pgerror.New(pgerror.DatatypeMismatch, "ARRAY types %s and %s cannot be matched", TypeOfName(elem), TypeOfName(t))
			}
		}
	}
	if elem == nil {
		elem = types.LongText
	}
	// String literals are read as the element type (22P02 if they are not
	// one).
	if oid, _ := pgtypes.OID(elem); oid != pgtypes.OIDText {
		for i, e := range elems {
			if IsUnknownLiteral(e) && e.Type() != types.Null {
				c, err := coerce(e, elem)
				if err != nil {
					return nil, err
				}
				elems[i] = c
			}
		}
	}
	return &ArrayCtor{Elems: elems, typ: ArrayOf(elem), elem: elem}, nil
}

func (a *ArrayCtor) Resolved() bool {
	for _, e := range a.Elems {
		if !e.Resolved() {
			return false
		}
	}
	return true
}

func (a *ArrayCtor) String() string {
	parts := make([]string, len(a.Elems))
	for i, e := range a.Elems {
		parts[i] = e.String()
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]"
}

func (a *ArrayCtor) Type() sql.Type             { return a.typ }
func (a *ArrayCtor) IsNullable() bool           { return false }
func (a *ArrayCtor) Children() []sql.Expression { return a.Elems }

// WithChildren implements sql.Expression.
func (a *ArrayCtor) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(a.Elems) {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), len(a.Elems))
	}
	out := *a
	out.Elems = children
	return &out, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (a *ArrayCtor) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// Eval renders the elements as PostgreSQL's array output.
func (a *ArrayCtor) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	out := make([]*string, len(a.Elems))
	for i, e := range a.Elems {
		v, err := e.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		oid, _ := pgtypes.OID(e.Type())
		if to := a.typ.Elem; to != oid && (to == pgtypes.OIDFloat8 || to == pgtypes.OIDFloat4) {
			// A numeric among floats prints as the float it becomes.
			if v, err = CastValue(ctx, v, e.Type(), pgtypes.CastName(to)); err != nil {
				return nil, err
			}
			oid = to
		}
		s, err := TextOf(ctx, v, oid)
		if err != nil {
			return nil, err
		}
		if oid == pgtypes.OIDBool {
			s = s[:1]
		}
		out[i] = &s
	}
	return pgtypes.FormatArrayText(out), nil
}

// arrayArg accepts an array (or a text array literal) as first argument.
func arrayArg(args []sql.Expression) bool {
	t := args[0].Type()
	_, isArray := t.(pgtypes.ArrayType)
	return isArray || t == types.Null || types.IsText(t)
}

// arrayElemsOf parses an array value (its text form).
func arrayElemsOf(v any) ([]*string, error) {
	s, ok := v.(string)
	if !ok {
		return nil, pgerror.New(pgerror.DatatypeMismatch, "not an array: %T", v)
	}
	elems, ok := pgtypes.ParseArray(s)
	if !ok {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: %q", s)
	}
	return elems, nil
}

// arrayFuncs are PostgreSQL's functions over (one-dimensional) arrays.
var arrayFuncs = map[string]funcDef{
	"array_to_string": {args: []argKind{kAny, kText, kText}, opt: 1, nonStrict: true, check: arrayArg, result: textResult,
		eval: func(a []any, _ []sql.Type) (any, error) {
			if a[0] == nil || a[1] == nil {
				return nil, nil
			}
			elems, err := arrayElemsOf(a[0])
			if err != nil {
				return nil, err
			}
			var null *string
			if len(a) > 2 && a[2] != nil {
				s := a[2].(string)
				null = &s
			}
			parts := make([]string, 0, len(elems))
			for _, e := range elems {
				switch {
				case e != nil:
					parts = append(parts, *e)
				case null != nil:
					parts = append(parts, *null)
				}
			}
			return strings.Join(parts, a[1].(string)), nil
		}},
	"array_length": {args: []argKind{kAny, kInt}, check: arrayArg, result: int32Result,
		eval: func(a []any, _ []sql.Type) (any, error) {
			elems, err := arrayElemsOf(a[0])
			if err != nil {
				return nil, err
			}
			if d, _ := pgtypes.Int64(a[1]); d != 1 || len(elems) == 0 {
				return nil, nil
			}
			return int32(len(elems)), nil
		}},
	"cardinality": {args: []argKind{kAny}, check: arrayArg, result: int32Result,
		eval: func(a []any, _ []sql.Type) (any, error) {
			elems, err := arrayElemsOf(a[0])
			if err != nil {
				return nil, err
			}
			return int32(len(elems)), nil
		}},
}
