package planner

import (
	"openwit/planner/pgexpr"
)

// paramTyper is an expression that knows the type PostgreSQL infers for a
// parameter given as its child i (0 when it does not say).
type paramTyper interface {
	ParamOID(i int) uint32
}

var (
	_ paramTyper = (*pgexpr.ArrayFn)(nil)
	_ paramTyper = (*pgexpr.BitOp)(nil)
)
