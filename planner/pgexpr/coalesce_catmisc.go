package pgexpr

import (
	"reflect"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// coalesceUnknown gives COALESCE's string literals the type of its other
// arguments when those all have one type that is not a string type, as
// PostgreSQL resolves unknown-typed inputs ("10.5 UNION, CASE, and
// Related Constructs"): coalesce(n, '0') is an integer for an integer n,
// and coalesce(array_agg(x), '{}') (what ARRAY(subquery) becomes) an
// array. go-mysql-server would make all of them text. ok is false when
// nothing changes.
func coalesceUnknown(e sql.Expression, args []sql.Expression) (sql.Expression, bool, error) {
	var typ sql.Type
	literals := false
	for _, a := range args {
		if IsUnknownLiteral(a) {
			if l := a.(*expression.Literal); l.Value() != nil {
				literals = true
			}
			continue
		}
		switch {
		case typ == nil:
			typ = a.Type()
		case !reflect.DeepEqual(typ, a.Type()):
			return e, false, nil
		}
	}
	if !literals || typ == nil || types.IsText(typ) || types.IsJSON(typ) {
		return e, false, nil
	}
	conv := make([]sql.Expression, len(args))
	for i, a := range args {
		conv[i] = a
		if l, ok := a.(*expression.Literal); ok && IsUnknownLiteral(a) && l.Value() != nil {
			c, err := coerce(a, typ)
			if err != nil {
				return nil, false, err
			}
			conv[i] = c
		}
	}
	ne, err := e.WithChildren(conv...)
	if err != nil {
		return nil, false, err
	}
	if !reflect.DeepEqual(ne.Type(), typ) {
		return &retyped{ne, typ}, true, nil
	}
	return ne, true, nil
}
