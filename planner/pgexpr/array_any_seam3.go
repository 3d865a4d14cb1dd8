package pgexpr

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// InjectableArrayCompare wraps the translation of x op ANY/ALL
// (ARRAY[e1, ...]): an IN list (= ANY) or comparisons of x with each
// element joined by OR (ANY) or AND (ALL). PostgreSQL types the array
// from its elements alone (select_common_type: the first element that is
// not an untyped literal decides, text[] when all are untyped) and then
// resolves x op element-type; an IN list of the same values takes x's
// type into the common type. The two differ for character types when a
// bpchar takes part: `c = ANY(ARRAY['b ', 'ab'])` over a char(n) c is
// `bpchar = text`, text's operator (c loses its trailing blanks, 'b '
// keeps its), where `c IN ('b ', 'ab')` is bpchar's. When x is a
// character type and x or the element type is bpchar, the untyped
// literal elements are given the element type and the IN list becomes
// equalities joined by OR, so that each comparison gets the semantics of
// x op element-type (the planner's bpchar rule). Anything else is left as
// it was.
//
// A non-character x against a character element type (text[] when all
// elements are untyped: `1 = ANY(ARRAY['1', '2'])`) has no operator in
// PostgreSQL: 42883, at Position (design 095).
type InjectableArrayCompare struct {
	Op       string // the operator as PostgreSQL names it (=, <>, <, ...)
	Position int32  // the operator's place in the query, 1-based; 0 unknown
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableArrayCompare) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("ANY/ALL (ARRAY): want 1 argument, got %d", len(children))
	}
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("ANY/ALL (ARRAY): not an expression")
	}
	x, elems, ok := arrayComparisonOperands(e)
	if !ok || IsUnknownLiteral(x) {
		return e, nil
	}
	if !isCharacterType(x.Type()) {
		return e, a.noTextOperator(x, elems)
	}
	et, ok := arrayElemCharType(elems)
	if !ok {
		return e, nil
	}
	_, xbp := pgtypes.BPChar(x.Type())
	_, ebp := pgtypes.BPChar(et)
	if !xbp && !ebp {
		return e, nil // text and varchar compare alike: no blanks dropped
	}
	return retypeArrayComparison(e, et), nil
}

// noTextOperator is PostgreSQL's 42883 for x op element-type when the
// element type of ARRAY[elems] is a string type and x's is not.
func (a InjectableArrayCompare) noTextOperator(x sql.Expression, elems []sql.Expression) error {
	if a.Op == "" || x.Type() == types.Null {
		return nil
	}
	xoid, _ := pgtypes.OID(x.Type())
	if pgtypes.Category(xoid) == 'S' || xoid == pgtypes.OIDUnknown {
		return nil
	}
	var eoid uint32 = pgtypes.OIDText // all untyped: text[]
	for _, v := range elems {
		if IsUnknownLiteral(v) || v.Type() == types.Null {
			continue
		}
		eoid, _ = pgtypes.OID(v.Type())
		break
	}
	if pgtypes.Category(eoid) != 'S' {
		return nil
	}
	err := pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", pgtypes.TypeName(xoid), a.Op, pgtypes.TypeName(eoid))
	err.Hint = "No operator matches the given name and argument types. You might need to add explicit type casts."
	err.Position = a.Position
	return err
}

// arrayComparisonOperands returns x and the elements of the translated
// comparison e (see InjectableArrayCompare).
func arrayComparisonOperands(e sql.Expression) (x sql.Expression, elems []sql.Expression, ok bool) {
	switch c := e.(type) {
	case *expression.InTuple:
		if tup, isTuple := c.Right().(expression.Tuple); isTuple {
			return c.Left(), tup.Children(), true
		}
		return c.Left(), []sql.Expression{c.Right()}, true
	case *expression.Or, *expression.And:
		kids := e.Children()
		lx, le, ok1 := arrayComparisonOperands(kids[0])
		_, re, ok2 := arrayComparisonOperands(kids[1])
		return lx, append(le, re...), ok1 && ok2
	case *expression.Not:
		if eq, isEq := c.Child.(*expression.Equals); isEq {
			return eq.Left(), []sql.Expression{eq.Right()}, true
		}
	case expression.Comparer:
		return c.Left(), []sql.Expression{c.Right()}, true
	}
	return nil, nil, false
}

// retypeArrayComparison rewrites e (see arrayComparisonOperands) with its
// untyped literal elements given the type et and an IN list made an OR
// of equalities.
func retypeArrayComparison(e sql.Expression, et sql.Type) sql.Expression {
	switch c := e.(type) {
	case *expression.InTuple:
		_, elems, _ := arrayComparisonOperands(c)
		var out sql.Expression
		for _, v := range elems {
			eq := expression.NewEquals(c.Left(), retypeUnknown(v, et))
			if out == nil {
				out = eq
			} else {
				out = expression.NewOr(out, eq)
			}
		}
		return out
	case *expression.Or:
		return expression.NewOr(retypeArrayComparison(c.LeftChild, et), retypeArrayComparison(c.RightChild, et))
	case *expression.And:
		return expression.NewAnd(retypeArrayComparison(c.LeftChild, et), retypeArrayComparison(c.RightChild, et))
	case *expression.Not:
		return expression.NewNot(retypeArrayComparison(c.Child, et))
	case expression.Comparer:
		r := retypeUnknown(c.Right(), et)
		if r == c.Right() {
			return e
		}
		if ne, err := e.WithChildren(c.Left(), r); err == nil {
			return ne
		}
	}
	return e
}

// retypeUnknown gives an untyped string literal the type et: text is
// TypedText (text known to be text), bpchar and varchar a TextAs.
func retypeUnknown(v sql.Expression, et sql.Type) sql.Expression {
	l, ok := v.(*expression.Literal)
	if !ok || l.Value() == nil || !IsUnknownLiteral(v) {
		return v
	}
	if _, isChar := pgtypes.CharTypeOf(et); isChar {
		return &TextAs{Child: v, To: et}
	}
	return expression.NewLiteral(l.Value(), pgtypes.TypedText)
}

// arrayElemCharType is the element type of ARRAY[elems] when it is a
// character type: the type of the first element that is not an untyped
// literal (bpchar, varchar and text convert into each other implicitly,
// so select_common_type keeps the first), text when all are untyped.
func arrayElemCharType(elems []sql.Expression) (sql.Type, bool) {
	for _, v := range elems {
		if IsUnknownLiteral(v) || v.Type() == types.Null {
			continue
		}
		return v.Type(), isCharacterType(v.Type())
	}
	return pgtypes.TypedText, true
}

// isCharacterType reports whether t is bpchar, varchar or text.
func isCharacterType(t sql.Type) bool {
	if _, ok := pgtypes.BPChar(t); ok || pgtypes.Varchar(t) {
		return true
	}
	oid, _ := pgtypes.OID(t)
	return oid == pgtypes.OIDText && types.IsText(t)
}

// anyCharSemantics is how ArrayAny compares a character x with the
// elements of an array of a character type when a bpchar takes part:
// trimX and trimElem say whose trailing blanks are dropped (PostgreSQL's
// bpchar = bpchar and bpchar = varchar drop both sides', bpchar = text
// and text = bpchar only the bpchar side's, the conversion to text).
func (a *ArrayAny) anyCharSemantics() (trimX, trimElem, ok bool) {
	xt := a.X.Type()
	if xt == types.Null || !isCharacterType(xt) {
		return false, false, false
	}
	var eoid uint32
	switch {
	case a.Elem != "":
		t, err := pgtypes.GMSType(a.Elem)
		if err != nil {
			return false, false, false
		}
		eoid, _ = pgtypes.OID(t)
	default:
		if at, isArr := a.Array.Type().(pgtypes.ArrayType); isArr {
			eoid = at.Elem
		} else {
			eoid, _ = pgtypes.OID(xt) // an untyped array literal takes x's type
		}
	}
	xoid, _ := pgtypes.OID(xt)
	xbp, ebp := xoid == pgtypes.OIDBPChar, eoid == pgtypes.OIDBPChar
	switch eoid {
	case pgtypes.OIDBPChar, pgtypes.OIDVarchar, pgtypes.OIDText:
	default:
		return false, false, false
	}
	if !xbp && !ebp {
		return false, false, false
	}
	textOp := xoid == pgtypes.OIDText || eoid == pgtypes.OIDText
	return xbp || !textOp, ebp || !textOp, true
}

// compareCharElem compares a character x with an element under
// anyCharSemantics.
func compareCharElem(x, v any, trimX, trimElem bool) (int, bool) {
	xs, ok1 := x.(string)
	vs, ok2 := v.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	if trimX {
		xs = strings.TrimRight(xs, " ")
	}
	if trimElem {
		vs = strings.TrimRight(vs, " ")
	}
	return strings.Compare(xs, vs), true
}
