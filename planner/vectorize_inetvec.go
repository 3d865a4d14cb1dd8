package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"openwit/exec"
	"openwit/internal/pgnet"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// The inet/cidr predicates the vectorized executor runs over the stored
// canonical text (design 077): comparisons in network order (=, <>, <,
// <=, >, >=, and IN as their ORs) and the containment operators << <<= >>
// >>= && with a constant, family(col) and masklen(col) as values, and
// IS [NOT] NULL. The column itself is still no value of its own: its text
// order is not network order (c.value refuses it); ORDER BY and min/max
// over it order by pgnet's sort key instead (vectorize_inetorder.go), and
// GROUP BY keys only compare it for equality, which its text has
// (vectorize_inetvec_casevec.go).

// inetColumn returns the scan column of an inet/cidr GetField.
func (c *compiler) inetColumn(x sql.Expression) (*exec.Expr, bool) {
	gf, ok := x.(*expression.GetField)
	if !ok {
		return nil, false
	}
	if isInet, _ := pgtypes.IsInet(gf.Type()); !isInet {
		return nil, false
	}
	i, ok := c.column(gf)
	if !ok {
		return nil, false
	}
	return exec.Col(i), true
}

// inetConst reads a constant operand as an inet value's canonical text.
func (c *compiler) inetConst(x sql.Expression) (*exec.Expr, bool) {
	lit, ok := x.(*expression.Literal)
	if !ok {
		return nil, false
	}
	switch v := lit.Value().(type) {
	case nil:
		return exec.Null(), true
	case pgnet.Inet:
		return exec.Str(v.String()), true
	case string:
		// An untyped literal reads as inet (or as the column's cidr,
		// whose stricter input the row engine applies: leave that to it).
		if isInet, cidr := pgtypes.IsInet(lit.Type()); isInet && cidr {
			return nil, false
		}
		a, err := pgnet.ParseInet(v, false)
		if err != nil {
			return nil, false // the row engine raises 22P02
		}
		return exec.Str(a.String()), true
	}
	return nil, false
}

var inetFlip = map[string]string{
	"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<=",
	"<<": ">>", "<<=": ">>=", ">>": "<<", ">>=": "<<=", "&&": "&&",
}

// inetCmp compiles l op r with an inet column on one side and a constant
// on the other.
func (c *compiler) inetCmp(op string, l, r sql.Expression) *exec.Expr {
	col, ok := c.inetColumn(l)
	cst := r
	if !ok {
		col, ok = c.inetColumn(r)
		cst, op = l, inetFlip[op]
	}
	if !ok {
		return c.fail("inet %s without an inet column", op)
	}
	k, ok := c.inetConst(cst)
	if !ok {
		return c.fail("inet %s with %s", op, cst)
	}
	if eq, ok := c.inetTextEq(op, l, r, k); ok {
		return eq
	}
	return &exec.Expr{Op: exec.OpInetCmp, Str: op, Args: []*exec.Expr{col, k}}
}

// inetTextEq compiles = and <> as equality of the stored text, which
// zone maps, Bloom filters and dictionaries then serve: every writer stores
// a column's values in their canonical output (design 069), and two inet
// or cidr values are equal in network order exactly when family, address
// and mask length are, which is what that output prints. The constant is
// printed as a value of the column's type: inet without a full-length
// mask, cidr always with one (a constant with bits set past its mask equals
// no cidr value, and stays an inet comparison).
func (c *compiler) inetTextEq(op string, l, r sql.Expression, k *exec.Expr) (*exec.Expr, bool) {
	if (op != "=" && op != "<>") || k.Op != exec.OpLit || k.Lit.Kind != exec.LitString {
		return nil, false
	}
	gf, ok := l.(*expression.GetField)
	if _, isCol := c.inetColumn(l); !isCol {
		gf, ok = r.(*expression.GetField)
	}
	if !ok {
		return nil, false
	}
	_, cidr := pgtypes.IsInet(gf.Type())
	a, err := pgnet.ParseInet(k.Lit.S, false)
	if err != nil {
		return nil, false
	}
	if cidr {
		if a.Masked() != a {
			return nil, false
		}
		a.CIDR = true
	}
	col, _ := c.inetColumn(gf)
	e := exec.OpEq
	if op == "<>" {
		e = exec.OpNe
	}
	return exec.Call(e, col, exec.Str(a.String())), true
}

var execCmpSymbols = map[exec.Op]string{exec.OpEq: "=", exec.OpNe: "<>", exec.OpLt: "<", exec.OpLe: "<=", exec.OpGt: ">", exec.OpGe: ">="}

// inetPredicate compiles InetOp, comparisons with an inet operand and IS
// [NOT] NULL of an inet column; ok is false for other expressions.
func (c *compiler) inetPredicate(x sql.Expression) (*exec.Expr, bool) {
	switch v := x.(type) {
	case *pgexpr.InetOp:
		return c.inetCmp(v.Op, v.Left, v.Right), true
	case *expression.IsNull:
		if col, ok := c.inetColumn(v.Child); ok {
			return exec.Call(exec.OpIsNull, col), true
		}
	case *expression.Not:
		if n, ok := v.Child.(*expression.IsNull); ok {
			if col, ok := c.inetColumn(n.Child); ok {
				return exec.Call(exec.OpIsNotNull, col), true
			}
		}
	}
	return nil, false
}

// inetCompare is compare's case for inet operands.
func (c *compiler) inetCompare(op exec.Op, l, r sql.Expression) (*exec.Expr, bool) {
	li, _ := pgtypes.IsInet(l.Type())
	ri, _ := pgtypes.IsInet(r.Type())
	if !li && !ri {
		return nil, false
	}
	return c.inetCmp(execCmpSymbols[op], l, r), true
}

// inetValue compiles family(col) and masklen(col).
func (c *compiler) inetValue(x sql.Expression) (*exec.Expr, bool) {
	f, ok := x.(*pgexpr.Func)
	if !ok || (f.Name != "family" && f.Name != "masklen") || len(f.Args) != 1 {
		return nil, false
	}
	col, ok := c.inetColumn(f.Args[0])
	if !ok {
		return c.fail("%s of %s", f.Name, f.Args[0]), true
	}
	return &exec.Expr{Op: exec.OpInetFunc, Str: f.Name, Args: []*exec.Expr{col}}, true
}
