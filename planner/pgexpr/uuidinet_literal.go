package pgexpr

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// uuidInetTarget returns the canonical type name of a uuid, inet or cidr
// engine type, or "".
func uuidInetTarget(t sql.Type) string {
	if pgtypes.IsUUID(t) {
		return storage.TypeUUID
	}
	if ok, cidr := pgtypes.IsInet(t); ok {
		if cidr {
			return storage.TypeCIDR
		}
		return storage.TypeInet
	}
	return ""
}

// CoerceUUIDInetLiteral returns comparison c (=, <>, <, ..., IN) with the
// untyped string literals and constant casts compared against a uuid,
// inet or cidr operand replaced by literals of that type, read once at
// plan time as PostgreSQL resolves the unknown-typed literal: `id =
// 'A0EE...'` compares canonical uuids (the vectorized executor compares
// the stored text), and bad input is 22P02 before any row is read. ok is
// false when c has no such operand.
func CoerceUUIDInetLiteral(ctx *sql.Context, c expression.Comparer) (sql.Expression, bool, error) {
	l, r := c.Left(), c.Right()
	lt, rt := uuidInetTarget(l.Type()), uuidInetTarget(r.Type())
	var c1, c2 bool
	var err error
	if lt != "" {
		if r, c1, err = uuidInetConst(ctx, r, lt); err != nil {
			return nil, false, err
		}
	}
	if rt != "" && !c1 {
		if l, c2, err = uuidInetConst(ctx, l, rt); err != nil {
			return nil, false, err
		}
	}
	if !c1 && !c2 {
		return nil, false, nil
	}
	if _, ok := c.(*expression.HashInTuple); ok {
		h, err := expression.NewHashInTuple(ctx, l, r)
		return h, err == nil, err
	}
	out, err := c.WithChildren(l, r)
	return out, err == nil, err
}

// uuidInetConst reads e as a constant of canonical type to when it is a
// text literal, a cast of a literal to that type, or a tuple of those.
func uuidInetConst(ctx *sql.Context, e sql.Expression, to string) (sql.Expression, bool, error) {
	switch x := e.(type) {
	case expression.Tuple:
		out := make(expression.Tuple, len(x))
		changed := false
		for i, el := range x {
			v, ch, err := uuidInetConst(ctx, el, to)
			if err != nil {
				return nil, false, err
			}
			out[i], changed = v, changed || ch
		}
		return out, changed, nil
	case *expression.Literal:
		// go-mysql-server may already have given the literal the
		// column's type without reading it (a uuid is text to it).
		s, ok := x.Value().(string)
		if !ok || !(types.IsText(x.Type()) || uuidInetTarget(x.Type()) == to) {
			return e, false, nil
		}
		typ, _ := pgtypes.GMSType(to)
		v, err := CastValue(ctx, s, types.LongText, to)
		if err != nil {
			return nil, false, err
		}
		if v == s && x.Type() == typ {
			return e, false, nil
		}
		return expression.NewLiteral(v, typ), true, nil
	case *Cast:
		if x.To != to {
			return e, false, nil
		}
		if _, ok := x.Child.(*expression.Literal); !ok {
			return e, false, nil
		}
		v, err := x.Eval(ctx, nil)
		if err != nil {
			return nil, false, err
		}
		return expression.NewLiteral(v, x.Type()), true, nil
	}
	return e, false, nil
}

// CheckMinMax is 42883 for min and max of uuid, which PostgreSQL 15 does
// not define.
func CheckMinMax(a sql.Expression) error {
	var name string
	switch a.(type) {
	case *aggregation.Max:
		name = "max"
	case *aggregation.Min:
		name = "min"
	default:
		return nil
	}
	if ch := a.Children(); len(ch) == 1 && pgtypes.IsUUID(ch[0].Type()) {
		return pgerror.New(pgerror.UndefinedFunction, "function %s(uuid) does not exist", name)
	}
	return nil
}
