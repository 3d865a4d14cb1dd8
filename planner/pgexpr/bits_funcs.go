package pgexpr

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// BitOp is one of PostgreSQL's integer bitwise operators: `&`, `|`, `#`
// (xor) and the shifts `<<`, `>>` between two operands, or the prefix `~`
// (Left is nil). Operands are int2, int4 or int8 (an unknown-typed literal
// takes the other side's type, int4 alone); `&`, `|` and `#` give the wider
// operand's type, a shift the left operand's type with an int4 (or int2)
// count. Shift counts are taken modulo the width the machine shifts in
// (32 bits for int2 and int4, 64 for int8), as PostgreSQL on x86-64 does:
// 1 << 33 is 2. Anything else is 42883.
type BitOp struct {
	Op          string
	Left, Right sql.Expression
	typ         sql.Type
}

var _ sql.Expression = (*BitOp)(nil)

// InjectableBitOp is the vitess Injectable form of BitOp: one child for
// the prefix `~`, two otherwise.
type InjectableBitOp struct{ Op string }

// WithResolvedChildren implements sqlparser.Injectable.
func (b InjectableBitOp) WithResolvedChildren(children []any) (any, error) {
	args := make([]sql.Expression, len(children))
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("%s: operand %d is not an expression", b.Op, i+1)
		}
		args[i] = e
	}
	if b.Op == "~" || b.Op == "&" || b.Op == "|" {
		if e, err := inetArith(b.Op, args...); e != nil || err != nil {
			return e, err // ~ inet, inet & inet, inet | inet (inet_arith.go)
		}
	}
	if len(args) == 1 {
		return NewBitOp(b.Op, nil, args[0])
	}
	if len(args) != 2 {
		return nil, fmt.Errorf("%s takes two operands", b.Op)
	}
	return NewBitOp(b.Op, args[0], args[1])
}

// bitWidth ranks the integer types: 2, 4 or 8 bytes; 0 for anything else.
func bitWidth(t sql.Type) int {
	switch t {
	case types.Int16:
		return 2
	case types.Int32:
		return 4
	case types.Int64:
		return 8
	}
	return 0
}

func bitTypeOf(w int) sql.Type {
	switch w {
	case 2:
		return types.Int16
	case 8:
		return types.Int64
	}
	return types.Int32
}

// NewBitOp checks the operand types (42883 when PostgreSQL has no such
// operator) and returns the operation. l is nil for the prefix `~`.
func NewBitOp(op string, l, r sql.Expression) (*BitOp, error) {
	noOp := func() error {
		name := func(e sql.Expression) string {
			if IsUnknownLiteral(e) {
				return "unknown"
			}
			oid, _ := pgtypes.OID(e.Type())
			return pgtypes.TypeName(oid)
		}
		if l == nil {
			return pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s", op, name(r))
		}
		return pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", name(l), op, name(r))
	}
	width := func(e sql.Expression, other int) (int, bool) {
		if IsUnknownLiteral(e) || isParam(e) || e.Type() == types.Null || isCatalogVectorElem(e) {
			return other, true // takes the other side's type
		}
		w := bitWidth(e.Type())
		return w, w != 0
	}
	if l == nil {
		if IsUnknownLiteral(r) {
			return nil, pgerror.New("42725", "operator is not unique: %s unknown", op)
		}
		w, ok := width(r, 4)
		if !ok {
			return nil, noOp()
		}
		return &BitOp{Op: op, Right: r, typ: bitTypeOf(w)}, nil
	}
	switch op {
	case "<<", ">>":
		lw, ok1 := width(l, 4)
		rw, ok2 := width(r, 4)
		if !ok1 || !ok2 || rw == 8 {
			return nil, noOp()
		}
		return &BitOp{Op: op, Left: l, Right: r, typ: bitTypeOf(lw)}, nil
	}
	rw0 := 0
	if !IsUnknownLiteral(r) && !isParam(r) {
		rw0 = bitWidth(r.Type())
	}
	lw, ok1 := width(l, max(rw0, 4))
	rw, ok2 := width(r, lw)
	if !ok1 || !ok2 {
		return nil, noOp()
	}
	return &BitOp{Op: op, Left: l, Right: r, typ: bitTypeOf(max(lw, rw))}, nil
}

// ParamOID is the type PostgreSQL infers for a parameter given as child
// i: integer for a shift count, else the result's type.
func (b *BitOp) ParamOID(i int) uint32 {
	if b.Left != nil && i == 1 && (b.Op == "<<" || b.Op == ">>") {
		return pgtypes.OIDInt4
	}
	oid, _ := pgtypes.OID(b.typ)
	return oid
}

func (b *BitOp) Resolved() bool {
	return (b.Left == nil || b.Left.Resolved()) && b.Right.Resolved()
}

func (b *BitOp) String() string {
	if b.Left == nil {
		return fmt.Sprintf("(%s%s)", b.Op, b.Right)
	}
	return fmt.Sprintf("(%s %s %s)", b.Left, b.Op, b.Right)
}

func (b *BitOp) Type() sql.Type   { return b.typ }
func (b *BitOp) IsNullable() bool { return true }

func (b *BitOp) Children() []sql.Expression {
	if b.Left == nil {
		return []sql.Expression{b.Right}
	}
	return []sql.Expression{b.Left, b.Right}
}

// WithChildren implements sql.Expression.
func (b *BitOp) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(b.Children()) {
		return nil, sql.ErrInvalidChildrenNumber.New(b, len(children), len(b.Children()))
	}
	out := *b
	if b.Left == nil {
		out.Right = children[0]
	} else {
		out.Left, out.Right = children[0], children[1]
	}
	return &out, nil
}

// operand evaluates e as an int64 (an unknown literal is read as the
// result's integer type: 22P02 or 22003 on bad input).
func (b *BitOp) operand(ctx *sql.Context, row sql.Row, e sql.Expression, to sql.Type) (int64, bool, error) {
	v, err := e.Eval(ctx, row)
	if err != nil || v == nil {
		return 0, false, err
	}
	if _, isString := v.(string); isString && (IsUnknownLiteral(e) || isParam(e) || isCatalogVectorElem(e)) {
		name := map[sql.Type]string{types.Int16: storage.TypeInt2, types.Int32: storage.TypeInt4, types.Int64: storage.TypeInt8}[to]
		if v, err = CastValue(ctx, v, e.Type(), name); err != nil {
			return 0, false, err
		}
	}
	i, err := asInt64(v)
	return i, err == nil, err
}

// Eval implements sql.Expression: NULL when an operand is NULL.
func (b *BitOp) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	r, ok, err := b.operand(ctx, row, b.Right, map[bool]sql.Type{true: types.Int32, false: b.typ}[b.Op == "<<" || b.Op == ">>"])
	if !ok || err != nil {
		return nil, err
	}
	var v int64
	if b.Left == nil {
		v = ^r
	} else {
		l, ok, err := b.operand(ctx, row, b.Left, b.typ)
		if !ok || err != nil {
			return nil, err
		}
		switch b.Op {
		case "&":
			v = l & r
		case "|":
			v = l | r
		case "#":
			v = l ^ r
		case "<<", ">>":
			if b.typ == types.Int64 {
				if b.Op == "<<" {
					v = l << (uint64(r) & 63)
				} else {
					v = l >> (uint64(r) & 63)
				}
			} else {
				x := int32(l)
				if b.Op == "<<" {
					x <<= uint32(r) & 31
				} else {
					x >>= uint32(r) & 31
				}
				v = int64(x)
			}
		default:
			return nil, fmt.Errorf("unknown bitwise operator %s", b.Op)
		}
	}
	switch b.typ {
	case types.Int16:
		return int16(v), nil
	case types.Int32:
		return int32(v), nil
	}
	return v, nil
}

// BitAggInfo carries the argument type of bit_and, bit_or or bit_xor from
// the argument check to the result.
type BitAggInfo struct{ ArgType sql.Type }

// InjectableBitAggArg checks the argument of bit_and, bit_or and bit_xor
// (Func): PostgreSQL has them for int2, int4 and int8 (and bit strings,
// which OpenWit lacks), so anything else is 42883. It records the type in
// Info for InjectableBitAgg.
type InjectableBitAggArg struct {
	Func string
	Info *BitAggInfo
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableBitAggArg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("%s: argument is not an expression", a.Func)
	}
	t := e.Type()
	if IsUnknownLiteral(e) && t != types.Null {
		return nil, pgerror.New("42725", "function %s(unknown) is not unique", a.Func)
	}
	if t == types.Null {
		t = types.Int32
	}
	if bitWidth(t) == 0 {
		oid, _ := pgtypes.OID(t)
		return nil, pgerror.New(pgerror.UndefinedFunction, "function %s(%s) does not exist", a.Func, pgtypes.TypeName(oid))
	}
	a.Info.ArgType = t
	return e, nil
}

// InjectableBitAgg turns go-mysql-server's bit_and/bit_or/bit_xor (an
// unsigned 64-bit value, all ones or zero over no rows) into PostgreSQL's:
// the argument's type, NULL when no row had a value. Children: the
// aggregate (over an InjectableBitAggArg sharing Info) and count(arg).
type InjectableBitAgg struct {
	Func string
	Info *BitAggInfo
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableBitAgg) WithResolvedChildren(children []any) (any, error) {
	agg, ok1 := children[0].(sql.Expression)
	cnt, ok2 := children[1].(sql.Expression)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: arguments are not expressions", a.Func)
	}
	t := a.Info.ArgType
	if t == nil {
		t = types.Int32
	}
	return &bitAgg{name: a.Func, agg: agg, cnt: cnt, typ: t}, nil
}

type bitAgg struct {
	name     string
	agg, cnt sql.Expression
	typ      sql.Type
}

func (e *bitAgg) Resolved() bool             { return e.agg.Resolved() && e.cnt.Resolved() }
func (e *bitAgg) String() string             { return e.agg.String() }
func (e *bitAgg) IsNullable() bool           { return true }
func (e *bitAgg) Type() sql.Type             { return e.typ }
func (e *bitAgg) Children() []sql.Expression { return []sql.Expression{e.agg, e.cnt} }

func (e *bitAgg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), 2)
	}
	return &bitAgg{name: e.name, agg: children[0], cnt: children[1], typ: e.typ}, nil
}

func (e *bitAgg) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	c, err := e.cnt.Eval(ctx, row)
	if err != nil || c == nil {
		return nil, err
	}
	if n, err := asInt64(c); err != nil || n == 0 {
		return nil, err
	}
	v, err := e.agg.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	var bits int64
	switch x := v.(type) {
	case uint64:
		bits = int64(x)
	default:
		if bits, err = asInt64(v); err != nil {
			return nil, fmt.Errorf("%s: unexpected %T", e.name, v)
		}
	}
	switch e.typ {
	case types.Int16:
		return int16(bits), nil
	case types.Int32:
		return int32(bits), nil
	}
	return bits, nil
}

// isCatalogVectorElem reports an element of a catalog's int2vector or
// oidvector column (pg_index.indoption[i]), which OpenWit's catalogs keep
// as text: in a bitwise operation it is the integer PostgreSQL has there
// (pgjdbc's getIndexInfo computes indoption[i] & 1::smallint).
func isCatalogVectorElem(e sql.Expression) bool {
	f, ok := e.(interface{ FunctionName() string })
	return ok && f.FunctionName() == "pg_array_subscript"
}
