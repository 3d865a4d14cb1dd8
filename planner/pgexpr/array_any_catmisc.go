package pgexpr

import (
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
)

// floatComparison reports whether x op ANY/ALL (array) compares in
// float8: x is an integer or numeric and the array's elements are float4
// or float8. PostgreSQL resolves numeric = float8 (and int = float8) as
// float8's operator, so 2.25 = ANY(float8[]) reads x as float8, not the
// elements as numeric (a NaN element would fail there).
func (a *ArrayAny) floatComparison() bool {
	if a.Elem != "" {
		return false
	}
	at, ok := a.Array.Type().(pgtypes.ArrayType)
	if !ok || at.Elem != pgtypes.OIDFloat8 && at.Elem != pgtypes.OIDFloat4 {
		return false
	}
	xt := a.X.Type()
	return types.IsDecimal(xt) || types.IsInteger(xt)
}
