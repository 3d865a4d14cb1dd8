package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

const ruleOperandTypes analyzer.RuleId = 10_048

// operandTypes applies PostgreSQL's operand typing where go-mysql-server
// would coerce silently (it runs before booleanConditions):
//
//   - a string literal where a boolean is expected (an operand of AND, OR
//     or NOT, a WHERE or HAVING condition, a CASE WHEN condition) is
//     boolean input: 't' is true, 'x' is 22P02;
//   - a CASE WHEN condition of another type is 42804;
//   - text compared with a number is 42883 (there is no such operator);
//     a string literal is PostgreSQL's unknown type and was already given
//     the other side's type by coerceLiterals, so '1' > 0 stays valid.
func operandTypes(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch f := n.(type) {
		case *plan.Filter:
			c, changed, err := boolLiteral(ctx, f.Expression)
			if err != nil || !changed {
				return n, transform.SameTree, err
			}
			return plan.NewFilter(c, f.Child), transform.NewTree, nil
		case *plan.Having:
			c, changed, err := boolLiteral(ctx, f.Cond)
			if err != nil || !changed {
				return n, transform.SameTree, err
			}
			return plan.NewHaving(c, f.Child), transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	negated := negatedEquals(n)
	n, same2, err := transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			switch x := e.(type) {
			case *expression.And, *expression.Or, *expression.Not:
				ch := x.Children()
				changed := false
				for i, c := range ch {
					nc, ok, err := boolLiteral(ctx, c)
					if err != nil {
						return nil, transform.SameTree, err
					}
					if ok {
						ch[i], changed = nc, true
					}
				}
				if !changed {
					return e, transform.SameTree, nil
				}
				ne, err := e.WithChildren(ch...)
				return ne, transform.NewTree, err
			case *expression.Case:
				if x.Expr != nil {
					return e, transform.SameTree, nil // CASE x WHEN v: compares
				}
				changed := false
				branches := make([]expression.CaseBranch, len(x.Branches))
				for i, b := range x.Branches {
					nc, ok, err := boolLiteral(ctx, b.Cond)
					if err != nil {
						return nil, transform.SameTree, err
					}
					if ok {
						b.Cond, changed = nc, true
					}
					if t := b.Cond.Type(); t != types.Boolean && t != types.Null && !isBooleanExpr(b.Cond) {
						oid, _ := pgtypes.OID(t)
						return nil, transform.SameTree, pgerror.New(pgerror.DatatypeMismatch, "argument of CASE/WHEN must be type boolean, not type %s", pgtypes.TypeName(oid))
					}
					branches[i] = b
				}
				if !changed {
					return e, transform.SameTree, nil
				}
				return expression.NewCase(nil, branches, x.Else), transform.NewTree, nil
			case expression.Comparer:
				if err := comparableOps(x, negated[x]); err != nil {
					return nil, transform.SameTree, err
				}
			case *pgexpr.ArrayAny:
				if err := comparableAny(x); err != nil {
					return nil, transform.SameTree, err
				}
			}
			return e, transform.SameTree, nil
		})
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, same && same2, nil
}

// boolLiteral turns a string literal into the boolean it spells; ok is
// false for anything else.
func boolLiteral(ctx *sql.Context, e sql.Expression) (sql.Expression, bool, error) {
	lit, isLit := e.(*expression.Literal)
	if !isLit || !types.IsText(lit.Type()) || pgtypes.IsTypedText(lit.Type()) {
		return e, false, nil
	}
	s, isStr := lit.Value().(string)
	if !isStr {
		return e, false, nil
	}
	v, err := pgexpr.CastValue(ctx, s, lit.Type(), "bool")
	if err != nil {
		return nil, false, err
	}
	return expression.NewLiteral(v, types.Boolean), true, nil
}

// comparable is 42883 for a comparison PostgreSQL has no operator for:
// operands of two different categories among number, text, boolean,
// date/time and interval (text = integer, date < integer, boolean =
// integer ...), where neither side is a string literal (PostgreSQL's
// unknown type, which takes the other side's) and both read only user
// tables. Other types are left to go-mysql-server's coercion.
func comparable(l, r sql.Expression, op sql.Expression) error {
	if err := comparableXid8(l, r, op); err != nil { // optypes_catmisc.go
		return err
	}
	lc, rc := operandCategory(l), operandCategory(r)
	if lc == catNone || rc == catNone || lc == rc || !userOperand(l) || !userOperand(r) {
		return nil
	}
	lo, _ := pgtypes.OID(l.Type())
	ro, _ := pgtypes.OID(r.Type())
	return pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", pgtypes.TypeName(lo), comparerOp(op), pgtypes.TypeName(ro))
}

// userOperand reports whether e reads only columns of OpenWit's own tables
// (or none). The catalog emulation keeps arrays and some identifiers as
// text that PostgreSQL types otherwise (psql's \d compares attnum with
// an element of a text int2vector), so comparisons that read the catalogs,
// or columns of subqueries, are left to go-mysql-server's coercion.
func userOperand(e sql.Expression) bool {
	ok := true
	transform.InspectExpr(e, func(x sql.Expression) bool {
		switch v := x.(type) {
		case *expression.GetField:
			ok = ok && v.Database() == dbName
		case *catalogFunc:
			ok = false
		}
		return !ok
	})
	return ok
}

// comparerOp is the SQL spelling of a comparison.
func comparerOp(e sql.Expression) string {
	switch e.(type) {
	case *expression.Equals, *expression.NullSafeEquals, *expression.InTuple, *expression.HashInTuple:
		return "="
	case *expression.LessThan:
		return "<"
	case *expression.LessThanOrEqual:
		return "<="
	case *expression.GreaterThan:
		return ">"
	case *expression.GreaterThanOrEqual:
		return ">="
	}
	return "<>"
}

// Operand categories of comparable.
const (
	catNone = iota // a literal string, NULL, or a type not checked
	catNumber
	catText
	catBool
	catTime
	catInterval
)

func operandCategory(e sql.Expression) int {
	if _, lit := e.(*expression.Literal); lit && types.IsText(e.Type()) && !pgtypes.IsTypedText(e.Type()) {
		return catNone
	}
	t := e.Type()
	switch {
	case t == types.Null:
		return catNone
	case t == types.Boolean:
		return catBool
	case (types.IsNumber(t) || types.IsDecimal(t)) && t != types.Int8:
		return catNumber
	case types.IsText(t):
		return catText
	case pgtypes.IsTime(t):
		return catTime
	case t == pgtypes.IntervalType:
		return catInterval
	}
	return catNone
}
