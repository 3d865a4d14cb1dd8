package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// InetOp is one of PostgreSQL's network containment operators over inet
// and cidr: `<<` (is contained by), `<<=` (is contained by or equals),
// `>>` (contains), `>>=` (contains or equals) and `&&` (either contains or
// equals the other). An untyped literal operand is read as inet.
type InetOp struct {
	Op          string
	Left, Right sql.Expression
}

var _ sql.Expression = (*InetOp)(nil)

// InjectableInetOp is the vitess Injectable form of the operators `<<`,
// `>>`, `<<=`, `>>=` and `&&`: InetOp when an operand is inet or cidr,
// else the integer shift (BitOp) or array overlap (ArrayFn) it also
// spells.
type InjectableInetOp struct{ Op string }

// WithResolvedChildren implements sqlparser.Injectable.
func (o InjectableInetOp) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 2 {
		return nil, fmt.Errorf("%s takes two operands", o.Op)
	}
	l, ok1 := children[0].(sql.Expression)
	r, ok2 := children[1].(sql.Expression)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: operand is not an expression", o.Op)
	}
	isInet := func(e sql.Expression) bool { ok, _ := pgtypes.IsInet(e.Type()); return ok }
	operand := func(e sql.Expression) bool {
		return isInet(e) || IsUnknownLiteral(e) || isParam(e) || e.Type() == types.Null
	}
	if (isInet(l) || isInet(r)) && operand(l) && operand(r) {
		return &InetOp{Op: o.Op, Left: l, Right: r}, nil
	}
	switch o.Op {
	case "<<", ">>":
		return InjectableBitOp{Op: o.Op}.WithResolvedChildren(children)
	case "&&":
		return InjectableArrayFn{Name: o.Op}.WithResolvedChildren(children)
	}
	name := func(e sql.Expression) string {
		if IsUnknownLiteral(e) {
			return "unknown"
		}
		oid, _ := pgtypes.OID(e.Type())
		return pgtypes.TypeName(oid)
	}
	return nil, pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", name(l), o.Op, name(r))
}

func (o *InetOp) Resolved() bool             { return o.Left.Resolved() && o.Right.Resolved() }
func (o *InetOp) String() string             { return fmt.Sprintf("(%s %s %s)", o.Left, o.Op, o.Right) }
func (o *InetOp) Type() sql.Type             { return types.Boolean }
func (o *InetOp) IsNullable() bool           { return true }
func (o *InetOp) Children() []sql.Expression { return []sql.Expression{o.Left, o.Right} }

// ParamOID is inet for a parameter operand.
func (o *InetOp) ParamOID(int) uint32 { return pgtypes.OIDInet }

// WithChildren implements sql.Expression.
func (o *InetOp) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(o, len(children), 2)
	}
	return &InetOp{Op: o.Op, Left: children[0], Right: children[1]}, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (o *InetOp) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// Eval implements sql.Expression.
func (o *InetOp) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	lv, err := o.Left.Eval(ctx, row)
	if err != nil || lv == nil {
		return nil, err
	}
	rv, err := o.Right.Eval(ctx, row)
	if err != nil || rv == nil {
		return nil, err
	}
	a, err := inetArg(lv, o.Left.Type())
	if err != nil {
		return nil, err
	}
	b, err := inetArg(rv, o.Right.Type())
	if err != nil {
		return nil, err
	}
	var res bool
	switch o.Op {
	case "<<":
		res = b.Contains(a)
	case "<<=":
		res = b.ContainsOrEquals(a)
	case ">>":
		res = a.Contains(b)
	case ">>=":
		res = a.ContainsOrEquals(b)
	case "&&":
		res = a.Overlaps(b)
	default:
		return nil, fmt.Errorf("unknown inet operator %s", o.Op)
	}
	if res {
		return int8(1), nil
	}
	return int8(0), nil
}

// InetText is the text form of an inet or cidr value (String(), one per
// value) under the name of the value itself: count(DISTINCT) hashes its
// argument as text, which go-mysql-server cannot convert an inet value to.
type InetText struct{ Child sql.Expression }

var _ sql.Expression = (*InetText)(nil)

// NewInetText wraps child.
func NewInetText(child sql.Expression) *InetText { return &InetText{Child: child} }

func (t *InetText) Resolved() bool             { return t.Child.Resolved() }
func (t *InetText) String() string             { return t.Child.String() }
func (t *InetText) Type() sql.Type             { return types.LongText }
func (t *InetText) IsNullable() bool           { return true }
func (t *InetText) Children() []sql.Expression { return []sql.Expression{t.Child} }

// WithChildren implements sql.Expression.
func (t *InetText) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(t, len(children), 1)
	}
	return &InetText{Child: children[0]}, nil
}

// Eval implements sql.Expression.
func (t *InetText) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := t.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	return fmt.Sprint(v), nil
}
