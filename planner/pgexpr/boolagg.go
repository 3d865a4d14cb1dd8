package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// InjectableBoolAggArg checks the argument of bool_and, bool_or and every
// (Func): PostgreSQL has them for boolean only (an unknown-typed literal
// becomes boolean), so anything else is 42883.
type InjectableBoolAggArg struct{ Func string }

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableBoolAggArg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("%s: argument is not an expression", a.Func)
	}
	t := e.Type()
	if t == types.Boolean || t == types.Null {
		return e, nil
	}
	if types.IsText(t) && isLiteral(e) {
		return NewCast(e, "bool") // 22P02 unless boolean input
	}
	oid, _ := pgtypes.OID(t)
	return nil, pgerror.New(pgerror.UndefinedFunction, "function %s(%s) does not exist", a.Func, pgtypes.TypeName(oid))
}
