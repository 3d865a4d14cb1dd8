package pgexpr

import (
	"cmp"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/exec"
	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// ArrayAny is x op ANY (array) or x op ALL (array) for an array given as
// a value: an array literal string ('{1,2}'), or a bound array parameter
// (which the wire protocol hands over as such a literal). Array
// constructors (ARRAY[...]) never get here: the translator expands them
// into comparisons. The elements are read as Elem when the array was cast
// (x = ANY($1::int[])), and then converted to x's type, so they compare
// with x's semantics (a bad element is 22P02, like PostgreSQL's array
// input).
//
// The result is PostgreSQL's: ANY is true if some element satisfies the
// comparison, else NULL if x or an element is NULL, else false (an empty
// array: false); ALL is false if some element fails it, else NULL if x or
// an element is NULL, else true (an empty array: true).
type ArrayAny struct {
	X, Array sql.Expression
	Op       string // =, <>, <, <=, >, >=
	All      bool
	Elem     string // canonical element type of a cast array, or ""
}

var _ sql.Expression = (*ArrayAny)(nil)

// InjectableArrayAny builds an ArrayAny from the translator's AST.
type InjectableArrayAny struct {
	Op   string
	All  bool
	Elem string
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableArrayAny) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 2 {
		return nil, fmt.Errorf("ANY/ALL: want 2 arguments, got %d", len(children))
	}
	x, ok1 := children[0].(sql.Expression)
	arr, ok2 := children[1].(sql.Expression)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("ANY/ALL: arguments are not expressions")
	}
	switch a.Op {
	case "=", "<>", "<", "<=", ">", ">=":
	default:
		return nil, pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s[]", TypeOfName(x.Type()), a.Op, TypeOfName(x.Type()))
	}
	if t := arr.Type(); t != types.Null {
		// An array value, its text form, or a parameter (typed text until
		// it is bound: pgx's WHERE id = ANY($1)).
		if _, isArray := t.(pgtypes.ArrayType); !isArray && !types.IsText(t) && !isTextOID(t) {
			return nil, pgerror.New(pgerror.DatatypeMismatch, "op ANY/ALL (array) requires array on right side")
		}
	}
	return &ArrayAny{X: x, Array: arr, Op: a.Op, All: a.All, Elem: a.Elem}, nil
}

func (a *ArrayAny) Resolved() bool { return a.X.Resolved() && a.Array.Resolved() }
func (a *ArrayAny) String() string {
	q := "ANY"
	if a.All {
		q = "ALL"
	}
	return fmt.Sprintf("%s %s %s(%s)", a.X, a.Op, q, a.Array)
}
func (a *ArrayAny) Type() sql.Type             { return types.Boolean }
func (a *ArrayAny) IsNullable() bool           { return true }
func (a *ArrayAny) Children() []sql.Expression { return []sql.Expression{a.X, a.Array} }
func (a *ArrayAny) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 2)
	}
	out := *a
	out.X, out.Array = children[0], children[1]
	return &out, nil
}
func (a *ArrayAny) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 4
}

// ElemOID is the element type the array parameter is declared as: the
// cast's, else x's.
func (a *ArrayAny) ElemOID() uint32 {
	if a.Elem != "" {
		if t, err := pgtypes.GMSType(a.Elem); err == nil {
			oid, _ := pgtypes.OID(t)
			return oid
		}
	}
	oid, _ := pgtypes.OID(a.X.Type())
	return oid
}

// Eval implements sql.Expression.
func (a *ArrayAny) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	av, err := a.Array.Eval(ctx, row)
	if err != nil || av == nil {
		return nil, err
	}
	lit, err := TextOf(ctx, av, pgtypes.OIDText)
	if err != nil {
		return nil, err
	}
	elems, ok := pgtypes.ParseArray(lit)
	if !ok {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: %q", lit)
	}
	if len(elems) == 0 {
		return a.All, nil
	}
	xt := a.X.Type()
	xoid, _ := pgtypes.OID(xt)
	to := pgtypes.CanonicalName(xoid)
	if xt == types.Null {
		to = "text"
	}
	if at, ok := a.Array.Type().(pgtypes.ArrayType); ok && a.Elem == "" && types.IsInteger(xt) && isIntOID(at.Elem) {
		// An integer compared with an integer array's elements: in int8,
		// as PostgreSQL's cross-type integer operators do (7 = ANY(int8[])
		// does not read the elements as x's narrower type).
		to = storage.TypeInt8
	}
	pto, pxt, promoted := anyPromotion(xt, a.Array.Type(), a.Elem)
	if promoted {
		to = pto // 50 = ANY(numeric[]): compared as numeric (array_any_arraytypes.go)
	}
	// Character x against character elements with a bpchar among them:
	// compared as strings, with the blanks of x op element-type
	// (array_any_seam3.go); the elements keep their own type.
	trimX, trimElem, charSems := a.anyCharSemantics()
	_, typedArray := a.Array.Type().(pgtypes.ArrayType)
	// Elements are converted (and checked) even when x is NULL, as
	// PostgreSQL reads the whole array first.
	vals := make([]any, len(elems))
	for i, e := range elems {
		if e == nil {
			continue
		}
		var v any = *e
		if charSems && (a.Elem != "" || typedArray) {
			if a.Elem != "" {
				if v, err = CastValue(ctx, v, types.Text, a.Elem); err != nil {
					return nil, err
				}
			}
			vals[i] = v
			continue
		}
		if to == storage.TypeText && (a.Elem == "" || a.Elem == storage.TypeText) {
			vals[i] = v // text elements compared as text: nothing to convert
			continue
		}
		from := sql.Type(types.Text)
		if a.Elem != "" {
			if v, err = CastValue(ctx, v, types.Text, a.Elem); err != nil {
				return nil, err
			}
			if from, err = pgtypes.GMSType(a.Elem); err != nil {
				return nil, err
			}
		}
		if to == storage.TypeNumeric {
			// numeric without a modifier: no rounding (CastValue
			// takes numeric(p,s)).
			vals[i], err = castDecimal(v)
		} else {
			vals[i], err = CastValue(ctx, v, from, to)
		}
		if err != nil {
			return nil, err
		}
	}
	x, err := a.X.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if promoted {
		if x, err = promoteAnyX(ctx, x, xt, pto); err != nil {
			return nil, err
		}
		xt = pxt
	}
	sawNull := x == nil
	for i, v := range vals {
		if elems[i] == nil || x == nil {
			sawNull = true
			continue
		}
		c, ok := 0, false
		if charSems {
			c, ok = compareCharElem(x, v, trimX, trimElem)
		}
		if !ok {
			if c, err = compareAnyElem(ctx, xt, x, v); err != nil {
				return nil, err
			}
		}
		var holds bool
		switch a.Op {
		case "=":
			holds = c == 0
		case "<>":
			holds = c != 0
		case "<":
			holds = c < 0
		case "<=":
			holds = c <= 0
		case ">":
			holds = c > 0
		case ">=":
			holds = c >= 0
		}
		if holds != a.All {
			return !a.All, nil // ANY found a match, ALL a counterexample
		}
	}
	if sawNull {
		return nil, nil
	}
	return a.All, nil
}

func isTextOID(t sql.Type) bool {
	oid, _ := pgtypes.OID(t)
	return oid == pgtypes.OIDText
}

// compareAnyElem compares x with an element in x's type; floats in
// PostgreSQL's order (NaN equals NaN and is the largest value), which
// go-mysql-server's float comparison does not follow.
func compareAnyElem(ctx *sql.Context, xt sql.Type, x, v any) (int, error) {
	if types.IsInteger(xt) {
		xi, ok1 := pgtypes.Int64(x)
		vi, ok2 := pgtypes.Int64(v)
		if ok1 && ok2 {
			return cmp.Compare(xi, vi), nil
		}
	}
	if xf, ok := x.(float64); ok {
		if vf, ok := v.(float64); ok {
			return exec.CompareFloat(xf, vf), nil
		}
	}
	return xt.Compare(ctx, x, v)
}

func isIntOID(oid uint32) bool {
	return oid == pgtypes.OIDInt2 || oid == pgtypes.OIDInt4 || oid == pgtypes.OIDInt8
}
