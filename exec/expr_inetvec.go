package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/pgnet"
)

// Predicates and values over inet and cidr columns, which are stored as
// their canonical text (design 069): each stored value is read once into
// a pgnet.Key (once per dictionary value for dictionary-encoded input, else
// once per row) and compared in PostgreSQL's network order. Design record:
// docs/design/077-vectorized-array-inet.md.
const (
	// OpInetCmp is Args[0] Str Args[1]: Args[0] an inet/cidr value (text),
	// Args[1] a string constant (an inet value's text), Str one of = <> <
	// <= > >= (network_cmp's order) or << <<= >> >>= && (containment).
	OpInetCmp Op = "inet_cmp"
	// OpInetFunc is family(Args[0]) or masklen(Args[0]) (Str), as int32.
	OpInetFunc Op = "inet_func"
)

func formatInetVec(e *Expr, names []string) (string, bool) {
	switch e.Op {
	case OpInetCmp:
		return e.Args[0].format(names) + " " + e.Str + " " + e.Args[1].format(names), true
	case OpInetFunc:
		return e.Str + "(" + e.Args[0].format(names) + ")", true
	}
	return "", false
}

// inetTest is a test of one network value against the constant.
type inetTest func(k pgnet.Key) bool

func compileInetPredicate(e *Expr, schema *arrow.Schema) (predicate, error) {
	if len(e.Args) != 2 || e.Args[1].Op != OpLit {
		return nil, unsupported("inet comparison without a constant")
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	if !isStringType(arg.typ()) {
		return nil, unsupported("inet comparison of %s", arg.typ())
	}
	lit := e.Args[1].Lit
	if lit.Kind == LitNull {
		return &constPred{null: true}, nil
	}
	if lit.Kind != LitString {
		return nil, unsupported("inet compared with %s", lit.Kind)
	}
	c, err := pgnet.ParseKey(lit.S)
	if err != nil {
		return nil, unsupported("inet constant %q: %v", lit.S, err)
	}
	var f inetTest
	if op, ok := cmpOpsBySymbol[e.Str]; ok {
		f = func(k pgnet.Key) bool { return cmpResult(k.Compare(&c), op) }
	} else {
		switch e.Str {
		case "<<":
			f = func(k pgnet.Key) bool { return c.Contains(&k) }
		case "<<=":
			f = func(k pgnet.Key) bool { return c.ContainsOrEquals(&k) }
		case ">>":
			f = func(k pgnet.Key) bool { return k.Contains(&c) }
		case ">>=":
			f = func(k pgnet.Key) bool { return k.ContainsOrEquals(&c) }
		case "&&":
			f = func(k pgnet.Key) bool { return k.Overlaps(&c) }
		default:
			return nil, unsupported("inet operator %q", e.Str)
		}
	}
	return &inetPred{arg: arg, f: f}, nil
}

type inetPred struct {
	arg value
	f   inetTest
}

func (p *inetPred) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, sc, err := evalText(mem, rec, p.arg, "inet comparison on %s")
	if err != nil {
		return err
	}
	defer a.Release()
	var perr error
	one := func(s string) bool {
		k, err := pgnet.ParseKey(s)
		if err != nil {
			if perr == nil {
				perr = fmt.Errorf("exec: stored inet value %q: %w", s, err)
			}
			return false
		}
		return p.f(k)
	}
	if sc.isDict() {
		sc.dictMask(one, out)
	} else {
		hasNulls := a.NullN() > 0
		for i := range out {
			out[i] = !(hasNulls && a.IsNull(i)) && one(sc.s.Value(i))
		}
	}
	if perr != nil {
		return perr
	}
	applyNulls(a, out, null)
	return nil
}

func compileInetValue(e *Expr, schema *arrow.Schema) (value, error) {
	arg, err := compileTextArg(e, schema, e.Str)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(e.Str) {
	case "family":
		return &inetFunc{arg: arg, f: func(k pgnet.Key) int32 { return int32(k.Fam) }}, nil
	case "masklen":
		return &inetFunc{arg: arg, f: func(k pgnet.Key) int32 { return int32(k.Bits) }}, nil
	}
	return nil, unsupported("inet function %q", e.Str)
}

type inetFunc struct {
	arg value
	f   func(k pgnet.Key) int32
}

func (v *inetFunc) typ() arrow.DataType { return arrow.PrimitiveTypes.Int32 }

func (v *inetFunc) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	a, sc, err := evalText(mem, rec, v.arg, "inet function of %s")
	if err != nil {
		return nil, err
	}
	defer a.Release()
	one := func(s string) (int32, error) {
		k, err := pgnet.ParseKey(s)
		if err != nil {
			return 0, fmt.Errorf("exec: stored inet value %q: %w", s, err)
		}
		return v.f(k), nil
	}
	var per []int32
	if sc.isDict() {
		per = make([]int32, sc.vals.Len())
		for d := range per {
			if sc.vals.IsValid(d) {
				if per[d], err = one(sc.vals.Value(d)); err != nil {
					return nil, err
				}
			}
		}
	}
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		var x int32
		if per != nil {
			x = per[sc.code(i)]
		} else if x, err = one(sc.s.Value(i)); err != nil {
			return nil, err
		}
		b.UnsafeAppend(x)
	}
	return b.NewArray(), nil
}
