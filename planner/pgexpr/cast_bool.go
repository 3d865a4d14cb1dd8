package pgexpr

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// boolCastError is PostgreSQL's 42846 for casts between boolean and the
// numeric types other than integer (int4), which have no cast in its
// pg_cast: bigint::boolean, 1.5::boolean, true::int8. nil when the cast
// exists.
func boolCastError(from sql.Type, to string) error {
	name := func(t sql.Type) string {
		oid, _ := pgtypes.OID(t)
		return pgtypes.TypeName(oid)
	}
	isBool := from == types.Boolean
	switch {
	case to == "bool" && !isBool && (types.IsInteger(from) && from != types.Int32 || types.IsFloat(from) || types.IsDecimal(from)):
		return pgerror.New(CannotCoerce, "cannot cast type %s to boolean", name(from))
	case isBool && (to == "int2" || to == "int8" || to == "float4" || to == "float8" || strings.HasPrefix(to, "numeric")):
		return pgerror.New(CannotCoerce, "cannot cast type boolean to %s", name(pgtypesGMS(to)))
	}
	return nil
}

func pgtypesGMS(to string) sql.Type {
	t, err := pgtypes.GMSType(to)
	if err != nil {
		return types.LongText
	}
	return t
}
