package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// comparableAny is 42883 for x op ANY/ALL (array) when the array's
// element type (the cast's, or the array value's) has no operator with x
// (1 = ANY('{1,2}'::int[]::text[]): integer = text), as comparable is for
// a comparison; a string literal x still takes the element type. An array
// whose element type is not known before it is bound (a parameter, an
// uncast literal) is not checked.
func comparableAny(a *pgexpr.ArrayAny) error {
	var elem sql.Type
	if a.Elem != "" {
		t, err := pgtypes.GMSType(a.Elem)
		if err != nil {
			return nil
		}
		elem = t
	} else if at, ok := a.Array.Type().(pgtypes.ArrayType); ok {
		t, err := pgtypes.GMSType(pgtypes.CanonicalName(at.Elem))
		if err != nil {
			return nil
		}
		elem = t
	}
	if elem == nil || !userOperand(a.Array) {
		return nil
	}
	e := expression.NewGetFieldWithTable(0, 0, elem, dbName, "", "element", true)
	lc, rc := operandCategory(a.X), operandCategory(e)
	if lc == catNone || rc == catNone || lc == rc || !userOperand(a.X) {
		return nil
	}
	lo, _ := pgtypes.OID(a.X.Type())
	ro, _ := pgtypes.OID(elem)
	return pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", pgtypes.TypeName(lo), a.Op, pgtypes.TypeName(ro))
}

// negatedEquals finds the equalities and IN lists under a NOT:
// go-mysql-server spells a <> b as NOT (a = b), and the error names
// PostgreSQL's operator (<> for both).
func negatedEquals(n sql.Node) map[sql.Expression]bool {
	out := map[sql.Expression]bool{}
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		if x, ok := e.(*expression.Not); ok {
			switch x.Child.(type) {
			case *expression.Equals, *expression.InTuple, *expression.HashInTuple:
				out[x.Child] = true
			}
		}
		return true
	})
	return out
}

// comparableOps checks the operands of a comparison (comparable); the
// left side of IN against each value of its list. ne says the comparison
// is negated (<>, NOT IN).
func comparableOps(x expression.Comparer, ne bool) error {
	op := sql.Expression(x)
	if ne {
		op = expression.NewNot(x) // only its spelling: comparerOp says <>
	}
	switch x.(type) {
	case *expression.InTuple, *expression.HashInTuple:
		if tup, ok := x.Right().(expression.Tuple); ok && len(tup) > 1 {
			for _, v := range tup {
				if err := comparable(x.Left(), v, op); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return comparable(x.Left(), x.Right(), op)
}
