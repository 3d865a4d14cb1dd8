package pgexpr

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
	"openwit/storage"
)

// anyPromotion is the type x op ANY(array) compares in when PostgreSQL
// resolves the operator to the array's element type rather than x's
// (docs/design/083): an integer with a numeric array (numeric = numeric),
// an integer or a numeric with a float array (float8 = float8). to is the
// canonical type the elements are read as, xt the type x is converted to
// and compared in; ok is false when x's type is kept.
func anyPromotion(xt sql.Type, arr sql.Type, castElem string) (to string, promoted sql.Type, ok bool) {
	at, isArr := arr.(pgtypes.ArrayType)
	if !isArr || castElem != "" {
		return "", nil, false
	}
	xoid, _ := pgtypes.OID(xt)
	switch {
	case at.Elem == pgtypes.OIDNumeric && types.IsInteger(xt):
		return storage.TypeNumeric, numericCompareType, true
	case (at.Elem == pgtypes.OIDFloat8 || at.Elem == pgtypes.OIDFloat4) && (types.IsInteger(xt) || xoid == pgtypes.OIDNumeric):
		return storage.TypeFloat8, types.Float64, true
	}
	return "", nil, false
}

// numericCompareType compares decimals (go-mysql-server's decimal type
// compares any two decimal.Decimal values exactly).
var numericCompareType = types.MustCreateDecimalType(65, 30)

// promoteAnyX converts x to the promoted type of anyPromotion.
func promoteAnyX(ctx *sql.Context, x any, xt sql.Type, to string) (any, error) {
	if x == nil {
		return nil, nil
	}
	if to == storage.TypeNumeric {
		return castDecimal(x)
	}
	return CastValue(ctx, x, xt, to)
}
