package planner

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// CASE with several branches in the executor
// (docs/design/082-case-and-zone-keys.md). Dashboards map status codes and
// levels to labels, CASE WHEN status >= 500 THEN '5xx' WHEN status >= 400
// THEN '4xx' ELSE 'ok' END, and group by them; such a query ran whole on
// the row engine. Two forms:
//
//   - as a GROUP BY key whose results are all constants, the key is the
//     number of the first branch with an equal constant (NULL for a NULL
//     one): the groups are the CASE's, and the row engine computes the
//     value itself from each group's first row, as for date_trunc keys;
//   - as a value (a key with column results, an aggregate's argument),
//     exec.OpCase of the CASE's own type: int2, int4, int8, float8 or text.
//
// Anything else (a numeric or timestamp value, bpchar results, branch
// expressions the executor does not have) stays on the row engine.

// caseParts returns the branches of a searched or simple CASE as the
// executor's conditions and the results, the ELSE last (nil without one).
// It reports false, with c.err set, when a condition does not compile.
func (c *compiler) caseParts(ce *expression.Case) (conds []*exec.Expr, vals []sql.Expression, els sql.Expression, ok bool) {
	if len(ce.Branches) == 0 || len(ce.Branches) > 1000 {
		c.fail("CASE with %d branches", len(ce.Branches))
		return nil, nil, nil, false
	}
	for k, b := range ce.Branches {
		var p *exec.Expr
		if ce.Expr != nil {
			// CASE x WHEN v THEN ...: x = v, never TRUE for NULLs.
			p = c.compare(exec.OpEq, ce.Expr, b.Cond)
		} else {
			p = c.predicate(b.Cond)
		}
		if c.err != nil {
			return nil, nil, nil, false
		}
		if k > 0 && hasCast(p) {
			// PostgreSQL evaluates a later condition only for the rows
			// that no earlier one took; a cast may fail on the others.
			c.fail("CASE condition with a cast after the first")
			return nil, nil, nil, false
		}
		conds = append(conds, p)
		vals = append(vals, b.Value)
	}
	return conds, vals, ce.Else, true
}

// hasCast reports whether e casts text (which may raise an error).
func hasCast(e *exec.Expr) bool {
	if e == nil {
		return false
	}
	if e.Op == exec.OpCast {
		return true
	}
	for _, a := range e.Args {
		if hasCast(a) {
			return true
		}
	}
	return false
}

// caseResultType is the executor's name of the CASE's type, or "".
func caseResultType(t sql.Type) string {
	if s, ok := caseArrowTypes[t]; ok {
		return s
	}
	if _, bp := pgtypes.BPChar(t); bp {
		return "" // trailing blanks do not count: not text's equality
	}
	if types.IsText(t) {
		return "utf8"
	}
	return ""
}

// unNeg returns the literal of -k (0 - k with Neg set) and true for the
// sign, or x.
func unNeg(x sql.Expression) (sql.Expression, bool) {
	if a, ok := x.(*pgexpr.Arith); ok && a.Neg {
		if _, lit := a.Right.(*expression.Literal); lit {
			return a.Right, true
		}
	}
	return x, false
}

// caseVec compiles a CASE that the one-branch forms do not take as an
// exec.OpCase value.
func (c *compiler) caseVec(x sql.Expression) *exec.Expr {
	ce, ok := x.(*expression.Case)
	if !ok {
		return c.fail("CASE %s is not vectorized", x)
	}
	return c.caseVecAs(x, ce, "")
}

// caseVecAs is caseVec of ce, which is x or (typ "timestamptz") the CASE
// of timestamptz results that x reports as timestamptz.
func (c *compiler) caseVecAs(x sql.Expression, ce *expression.Case, typ string) *exec.Expr {
	numTS := typ != ""
	if typ == "" {
		typ = caseResultType(x.Type())
	}
	if typ == "timestamptz" {
		for _, b := range ce.Branches {
			if !sameTimeKind([]sql.Expression{b.Value}, pgtypes.IsTimestampTZ) {
				return c.fail("CASE result of %s", b.Value.Type())
			}
		}
		if ce.Else != nil && !sameTimeKind([]sql.Expression{ce.Else}, pgtypes.IsTimestampTZ) {
			return c.fail("CASE result of %s", ce.Else.Type())
		}
	}
	if typ == "" {
		results := []sql.Expression{}
		for _, b := range ce.Branches {
			results = append(results, b.Value)
		}
		if ce.Else != nil {
			results = append(results, ce.Else)
		}
		if typ = caseNumTSType(x, results); typ == "" { // vectorize_casevec_numts.go
			return c.fail("CASE of type %s", x.Type())
		}
		numTS = true
	}
	conds, vals, els, ok := c.caseParts(ce)
	if !ok {
		return exec.Null()
	}
	branch := func(v sql.Expression) *exec.Expr {
		if l, neg := unNeg(v); neg || isLiteral(l) {
			constant := caseConst
			if numTS {
				constant = caseNumTSConst
			}
			k, ok := constant(l.(*expression.Literal), neg, typ)
			if !ok {
				return c.fail("CASE result %s in a CASE of %s", v, x.Type())
			}
			return k
		}
		if _, bp := pgtypes.BPChar(v.Type()); bp {
			return c.fail("CASE result of %s", v.Type())
		}
		return c.value(v)
	}
	out := make([]*exec.Expr, len(vals))
	for i, v := range vals {
		out[i] = branch(v)
	}
	var e *exec.Expr
	if els != nil {
		e = branch(els)
	}
	if c.err != nil {
		return exec.Null()
	}
	return exec.Case(conds, out, e, typ)
}

func isLiteral(x sql.Expression) bool { _, ok := x.(*expression.Literal); return ok }

// caseConst converts a constant result to the executor's literal of the
// CASE type typ, as PostgreSQL converts it: an integer that fits, any
// number in a float8 CASE, text in a text one.
func caseConst(l *expression.Literal, neg bool, typ string) (*exec.Expr, bool) {
	switch v := l.Value().(type) {
	case nil:
		return exec.Null(), true
	case string:
		if typ != "utf8" || neg || !types.IsText(l.Type()) {
			return nil, false
		}
		return exec.Str(v), true
	case float64:
		if typ != "float64" {
			return nil, false
		}
		if neg {
			v = -v
		}
		return exec.Float(v), true
	case decimal.Decimal:
		if typ != "float64" {
			return nil, false
		}
		if neg {
			v = v.Neg()
		}
		f, _ := v.Float64()
		return exec.Float(f), true
	default:
		k, ok := pgtypes.Int64(v)
		if !ok || !types.IsInteger(l.Type()) || typ == "utf8" {
			return nil, false
		}
		if neg {
			k = -k
		}
		if !fitsCase(k, typ) {
			return nil, false
		}
		if typ == "float64" {
			return exec.Float(float64(k)), true
		}
		return exec.Int(k), true
	}
}

// caseKey returns the GROUP BY key of a CASE whose results are all
// constants: the number of the first branch whose constant equals the
// row's, or nil.
func (c *compiler) caseKey(x sql.Expression) *exec.Expr {
	ce, ok := x.(*expression.Case)
	if !ok {
		return nil
	}
	results := make([]sql.Expression, 0, len(ce.Branches)+1)
	for _, b := range ce.Branches {
		results = append(results, b.Value)
	}
	if ce.Else != nil {
		results = append(results, ce.Else)
	}
	// Each constant as a comparable value of the CASE's type.
	var canon []any
	for _, r := range results {
		l, neg := unNeg(r)
		lit, ok := l.(*expression.Literal)
		if !ok {
			return nil
		}
		k, ok := caseKeyConst(lit, neg, x.Type())
		if !ok {
			return nil
		}
		canon = append(canon, k)
	}
	ids := make([]*exec.Expr, len(canon))
	for i, k := range canon {
		if k == nil {
			ids[i] = exec.Null()
			continue
		}
		ids[i] = exec.Int(int64(i))
		for j := range i {
			if sameConst(canon[j], k) {
				ids[i] = exec.Int(int64(j))
				break
			}
		}
	}
	conds, _, _, ok := c.caseParts(ce)
	if !ok {
		return exec.Null()
	}
	var els *exec.Expr
	if ce.Else != nil {
		els = ids[len(ids)-1]
	}
	return exec.Case(conds, ids[:len(ce.Branches)], els, "int64")
}

// caseKeyConst returns the constant l (negated) as a value that compares
// as it does in the CASE's type t: a string for text, an int64 for
// integers, a float64 for float8 (-0 is 0), a decimal for numeric; nil for
// NULL. ok is false for other types and for NaN.
func caseKeyConst(l *expression.Literal, neg bool, t sql.Type) (any, bool) {
	v := l.Value()
	if v == nil {
		return nil, true
	}
	switch {
	case caseResultType(t) == "utf8":
		s, ok := v.(string)
		return s, ok && !neg && types.IsText(l.Type())
	case types.IsInteger(t):
		k, ok := pgtypes.Int64(v)
		if !ok || !types.IsInteger(l.Type()) {
			return nil, false
		}
		if neg {
			k = -k
		}
		return k, true
	case t == types.Float64:
		var f float64
		switch n := v.(type) {
		case float64:
			f = n
		case decimal.Decimal:
			f, _ = n.Float64()
		default:
			k, ok := pgtypes.Int64(v)
			if !ok || !types.IsInteger(l.Type()) {
				return nil, false
			}
			f = float64(k)
		}
		if math.IsNaN(f) {
			return nil, false
		}
		if neg {
			f = -f
		}
		return f + 0, true // -0 + 0 is 0
	case types.IsDecimal(t):
		var d decimal.Decimal
		switch n := v.(type) {
		case decimal.Decimal:
			d = n
		default:
			k, ok := pgtypes.Int64(v)
			if !ok || !types.IsInteger(l.Type()) {
				return nil, false
			}
			d = decimal.NewFromInt(k)
		}
		if neg {
			d = d.Neg()
		}
		return d, true
	}
	return nil, false
}

// sameConst reports whether two caseKeyConst values are equal.
func sameConst(a, b any) bool {
	if da, ok := a.(decimal.Decimal); ok {
		db, ok := b.(decimal.Decimal)
		return ok && da.Equal(db)
	}
	return a == b
}
