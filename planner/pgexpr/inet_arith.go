package pgexpr

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// InetArith is PostgreSQL's arithmetic on network addresses: inet + bigint
// and bigint + inet (inetpl), inet - bigint (inetmi_int8), inet - inet
// (inetmi: the difference as bigint), ~ inet (inetnot), inet & inet and
// inet | inet (inetand, inetor). A cidr operand is read as inet; every
// result but the difference is inet and keeps the netmask length of its
// inet operand (& and |: the larger of the two).
type InetArith struct {
	Op          string // "+", "-", "~", "&", "|"
	Left, Right sql.Expression
	// Left is nil for ~. Swapped: Left is the bigint of bigint + inet.
	typ sql.Type
}

var _ sql.Expression = (*InetArith)(nil)

// inetArith returns the InetArith of op over operands (one for ~), or
// nil when no operand is inet or cidr (the caller's operator then
// applies); an operand of the wrong type is 42883 with PostgreSQL's
// message.
func inetArith(op string, operands ...sql.Expression) (sql.Expression, error) {
	isInet := func(e sql.Expression) bool { ok, _ := pgtypes.IsInet(e.Type()); return ok }
	if !slicesAny(operands, isInet) {
		return nil, nil
	}
	untyped := func(e sql.Expression) bool { return IsUnknownLiteral(e) || isParam(e) || e.Type() == types.Null }
	inetOperand := func(e sql.Expression) bool { return isInet(e) || untyped(e) }
	intOperand := func(e sql.Expression) bool { return types.IsInteger(e.Type()) || untyped(e) }
	a := &InetArith{Op: op, typ: pgtypes.InetType}
	ok := false
	switch {
	case len(operands) == 1:
		a.Right, ok = operands[0], op == "~"
	case op == "+":
		a.Left, a.Right = operands[0], operands[1]
		ok = (isInet(a.Left) && intOperand(a.Right)) || (intOperand(a.Left) && isInet(a.Right))
	case op == "-":
		a.Left, a.Right = operands[0], operands[1]
		switch {
		case isInet(a.Left) && isInet(a.Right), isInet(a.Right) && untyped(a.Left), isInet(a.Left) && untyped(a.Right):
			// An untyped operand takes the other's type: inet - 'a.b.c.d'
			// is inet - inet, as PostgreSQL resolves it.
			ok, a.typ = true, types.Int64
		case isInet(a.Left) && intOperand(a.Right):
			ok = true
		}
	case op == "&" || op == "|":
		a.Left, a.Right = operands[0], operands[1]
		ok = inetOperand(a.Left) && inetOperand(a.Right)
	}
	if !ok {
		name := func(e sql.Expression) string {
			if IsUnknownLiteral(e) {
				return "unknown"
			}
			oid, _ := pgtypes.OID(e.Type())
			return pgtypes.TypeName(oid)
		}
		var e *pgerror.Error
		if len(operands) == 1 {
			e = pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s", op, name(operands[0]))
			e.Hint = "No operator matches the given name and argument type. You might need to add an explicit type cast."
		} else {
			e = pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", name(operands[0]), op, name(operands[1]))
			e.Hint = "No operator matches the given name and argument types. You might need to add explicit type casts."
		}
		return nil, e
	}
	return a, nil
}

func slicesAny(es []sql.Expression, f func(sql.Expression) bool) bool {
	for _, e := range es {
		if f(e) {
			return true
		}
	}
	return false
}

func (a *InetArith) Resolved() bool {
	return (a.Left == nil || a.Left.Resolved()) && a.Right.Resolved()
}

func (a *InetArith) String() string {
	if a.Left == nil {
		return fmt.Sprintf("(%s %s)", a.Op, a.Right)
	}
	return fmt.Sprintf("(%s %s %s)", a.Left, a.Op, a.Right)
}

func (a *InetArith) Type() sql.Type   { return a.typ }
func (a *InetArith) IsNullable() bool { return true }

func (a *InetArith) Children() []sql.Expression {
	if a.Left == nil {
		return []sql.Expression{a.Right}
	}
	return []sql.Expression{a.Left, a.Right}
}

// WithChildren implements sql.Expression.
func (a *InetArith) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(a.Children()) {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), len(a.Children()))
	}
	n := *a
	if a.Left == nil {
		n.Right = children[0]
	} else {
		n.Left, n.Right = children[0], children[1]
	}
	return &n, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (a *InetArith) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// Eval implements sql.Expression.
func (a *InetArith) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	var lv any
	if a.Left != nil {
		v, err := a.Left.Eval(ctx, row)
		if err != nil || v == nil {
			return nil, err
		}
		lv = v
	}
	rv, err := a.Right.Eval(ctx, row)
	if err != nil || rv == nil {
		return nil, err
	}
	if a.Left == nil { // ~
		x, err := inetOperandValue(rv, a.Right.Type())
		if err != nil {
			return nil, err
		}
		b := x.Addr.AsSlice()
		for i := range b {
			b[i] = ^b[i]
		}
		return inetFromBytes(b, x.Bits), nil
	}
	switch a.Op {
	case "&", "|":
		x, y, err := a.inetPair(lv, rv)
		if err != nil {
			return nil, err
		}
		if x.Family() != y.Family() {
			verb := map[string]string{"&": "AND", "|": "OR"}[a.Op]
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot %s inet values of different sizes", verb)
		}
		p, q := x.Addr.AsSlice(), y.Addr.AsSlice()
		for i := range p {
			if a.Op == "&" {
				p[i] &= q[i]
			} else {
				p[i] |= q[i]
			}
		}
		return inetFromBytes(p, max(x.Bits, y.Bits)), nil
	}
	if a.typ == types.Int64 { // inet - inet
		x, y, err := a.inetPair(lv, rv)
		if err != nil {
			return nil, err
		}
		if x.Family() != y.Family() {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot subtract inet values of different sizes")
		}
		d := new(big.Int).Sub(new(big.Int).SetBytes(x.Addr.AsSlice()), new(big.Int).SetBytes(y.Addr.AsSlice()))
		if !d.IsInt64() {
			return nil, pgerror.New(pgerror.NumericOutOfRange, "result is out of range")
		}
		return d.Int64(), nil
	}
	addr, addrType, n, nType := lv, a.Left.Type(), rv, a.Right.Type()
	if ok, _ := pgtypes.IsInet(addrType); !ok && a.Op == "+" { // bigint + inet
		addr, addrType, n, nType = rv, a.Right.Type(), lv, a.Left.Type()
	}
	x, err := inetOperandValue(addr, addrType)
	if err != nil {
		return nil, err
	}
	k, err := bigintOperand(n, nType)
	if err != nil {
		return nil, err
	}
	if a.Op == "-" {
		if k == -1<<63 { // -k does not fit: the result cannot either
			return nil, pgerror.New(pgerror.NumericOutOfRange, "result is out of range")
		}
		k = -k
	}
	sum := new(big.Int).Add(new(big.Int).SetBytes(x.Addr.AsSlice()), big.NewInt(k))
	size := len(x.Addr.AsSlice())
	if sum.Sign() < 0 || sum.BitLen() > 8*size {
		return nil, pgerror.New(pgerror.NumericOutOfRange, "result is out of range")
	}
	return inetFromBytes(sum.FillBytes(make([]byte, size)), x.Bits), nil
}

// inetPair reads both operands as inet.
func (a *InetArith) inetPair(lv, rv any) (x, y storage.Inet, err error) {
	if x, err = inetOperandValue(lv, a.Left.Type()); err != nil {
		return x, y, err
	}
	y, err = inetOperandValue(rv, a.Right.Type())
	return x, y, err
}

// inetOperandValue reads an operand: an inet or cidr value (a cidr is
// used as inet), or the text of an untyped literal read as inet.
func inetOperandValue(v any, t sql.Type) (storage.Inet, error) {
	if s, ok := v.(string); ok {
		x, err := storage.ParseInet(s, false)
		if err != nil {
			return storage.Inet{}, inputError(err)
		}
		return x, nil
	}
	x, err := inetArg(v, t)
	x.CIDR = false
	return x, err
}

// bigintOperand reads the integer operand of inet + and -: an integer, or
// the text of an untyped literal read as bigint.
func bigintOperand(v any, _ sql.Type) (int64, error) {
	if s, ok := v.(string); ok {
		k, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return 0, pgerror.New(pgerror.NumericOutOfRange, "value \"%s\" is out of range for type bigint", s)
			}
			return 0, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type bigint: \"%s\"", s)
		}
		return k, nil
	}
	return asInt64(v)
}

// inetFromBytes is the inet of address bytes (4 or 16) and a netmask
// length.
func inetFromBytes(b []byte, bits int) storage.Inet {
	addr, _ := netip.AddrFromSlice(b)
	return storage.Inet{Addr: addr, Bits: bits}
}

// twoInetArgs accepts two arguments that are each inet, cidr or an
// untyped literal.
func twoInetArgs(args []sql.Expression) bool {
	ok := func(a sql.Expression) bool {
		return inetArgs([]sql.Expression{a}) || a.Type() == types.Null || isParam(a)
	}
	return len(args) == 2 && ok(args[0]) && ok(args[1])
}

// inetPair is a function of two inet arguments.
func inetPair(f func(x, y storage.Inet) (any, error)) func([]any, []sql.Type) (any, error) {
	return func(a []any, ts []sql.Type) (any, error) {
		x, err := inetArg(a[0], ts[0])
		if err != nil {
			return nil, err
		}
		y, err := inetArg(a[1], ts[1])
		if err != nil {
			return nil, err
		}
		return f(x, y)
	}
}

// inetMerge is inet_merge: the cidr of the bits x and y share, up to the
// shorter of their netmasks.
func inetMerge(x, y storage.Inet) (any, error) {
	if x.Family() != y.Family() {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot merge addresses from different families")
	}
	p, q := x.Addr.AsSlice(), y.Addr.AsSlice()
	n, limit := 0, min(x.Bits, y.Bits)
	for n < limit && (p[n/8]^q[n/8])&(0x80>>(n%8)) == 0 {
		n++
	}
	return storage.Inet{Addr: x.Addr, Bits: n, CIDR: true}.Masked(), nil
}
