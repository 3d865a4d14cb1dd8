package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/planner/pgtypes"
)

// InjectableSubscript types an array subscript, a[i], by the array's
// element type: the subscript call returns the element's text, which is
// cast to the element type (int4 for an int[], as in PostgreSQL), so
// clients see the element's OID. Text and numeric arrays, and arrays whose
// type is not known, keep text.
type InjectableSubscript struct{}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableSubscript) WithResolvedChildren(children []any) (any, error) {
	sub, ok := children[0].(sql.Expression)
	if !ok || len(sub.Children()) == 0 {
		return nil, fmt.Errorf("subscript: argument is not a subscript call")
	}
	if ch := sub.Children(); len(ch) == 2 && IsJSONType(ch[0].Type()) {
		return jsonSubscript(ch[0], ch[1]) // jsonb subscripting: x['k'], x[0]
	}
	at, ok := sub.Children()[0].Type().(pgtypes.ArrayType)
	if !ok || at.Elem == pgtypes.OIDText {
		return sub, nil
	}
	name := pgtypes.CastName(at.Elem)
	if name == "" {
		return sub, nil
	}
	if _, err := pgtypes.GMSType(name); err != nil {
		return sub, nil
	}
	return NewCast(sub, name)
}
