package pgexpr

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"openwit/planner/pgtypes"
)

// CoerceArrayLiteral returns comparison c with an untyped string literal
// compared against an array (tags < '{b}') read as that array type, as
// PostgreSQL resolves the unknown literal, so the two compare element by
// element (pgtypes.ArrayType.Compare) instead of as text; ok is false when
// c has no such pair (docs/design/072).
func CoerceArrayLiteral(c expression.Comparer) (sql.Expression, bool) {
	l, r := c.Left(), c.Right()
	cast := func(lit sql.Expression, t pgtypes.ArrayType) (sql.Expression, bool) {
		name := pgtypes.CastName(t.Elem)
		if name == "" {
			return nil, false
		}
		ac, err := NewArrayCast(lit, name)
		if err != nil || !ac.Type().Equals(t) {
			return nil, false
		}
		return ac, true
	}
	var ok bool
	if lt, isArr := l.Type().(pgtypes.ArrayType); isArr && isTextLiteral(r) {
		r, ok = cast(r, lt)
	} else if rt, isArr := r.Type().(pgtypes.ArrayType); isArr && isTextLiteral(l) {
		l, ok = cast(l, rt)
	}
	if !ok {
		return nil, false
	}
	out, err := c.WithChildren(l, r)
	if err != nil {
		return nil, false
	}
	return out, true
}
