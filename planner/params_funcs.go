package planner

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// intParam is an integer parameter value as a literal of its declared
// type (int2, int4 or int8; int4 when it fits and the type says nothing
// else). A plain vitess integer literal would take the narrowest MySQL
// type, and 1-byte integers are booleans here: $1::int bound to 2 read 1.
func intParam(v int64, oid uint32) ast.Expr {
	switch {
	case oid == pgtypes.OIDInt2 && v >= math.MinInt16 && v <= math.MaxInt16:
		return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: int16(v), Type: types.Int16}}
	case oid == pgtypes.OIDInt8 || v < math.MinInt32 || v > math.MaxInt32:
		return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: v, Type: types.Int64}}
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: int32(v), Type: types.Int32}}
}

// paramTyper is an expression that knows the type PostgreSQL infers for a
// parameter given as its child i (0 when it does not say).
type paramTyper interface {
	ParamOID(i int) uint32
}

var (
	_ paramTyper = (*pgexpr.ArrayFn)(nil)
	_ paramTyper = (*pgexpr.BitOp)(nil)
)
