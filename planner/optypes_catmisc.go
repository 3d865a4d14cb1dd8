package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// noOperatorHint is PostgreSQL's hint on 42883 for an operator no
// operator matches.
const noOperatorHint = "No operator matches the given name and argument types. You might need to add explicit type casts."

// comparableXid8 is 42883 for a comparison of xid8 with anything but
// xid8, a string literal (PostgreSQL's unknown type, which takes xid8) or
// NULL: PostgreSQL has xid8 operators only with xid8 (pg_current_xact_id()
// > 0 is "operator does not exist: xid8 > integer"). xid8 is a bigint
// underneath here, so go-mysql-server would compare it with a number.
func comparableXid8(l, r sql.Expression, op sql.Expression) error {
	lx, rx := pgtypes.IsXid8(l.Type()), pgtypes.IsXid8(r.Type())
	if lx == rx || untypedOperand(l) || untypedOperand(r) {
		return nil
	}
	lo, _ := pgtypes.OID(l.Type())
	ro, _ := pgtypes.OID(r.Type())
	err := pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", pgtypes.TypeName(lo), comparerOp(op), pgtypes.TypeName(ro))
	err.Hint = noOperatorHint
	return err
}

// untypedOperand reports whether e is a string literal or NULL: an
// operand that takes the other side's type.
func untypedOperand(e sql.Expression) bool {
	if e.Type() == types.Null {
		return true
	}
	_, lit := e.(*expression.Literal)
	return lit && types.IsText(e.Type()) && !pgtypes.IsTypedText(e.Type())
}
