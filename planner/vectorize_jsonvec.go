package planner

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/exec"
	"openwit/internal/jsonscan"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// The jsonb operators the vectorized executor runs over a jsonb column's
// stored text (design 073): -> ->> #> #>> with constant operands (chains
// become one path), ? with a constant key, @> with a constant object of
// scalars, and the casts of extracted text to int2/int4/int8/float8 in a
// comparison. Anything else keeps the plan in the row engine.

// jsonGet compiles -> ->> #> #>> with a constant right operand over a
// jsonb column (or a chain of them ending at one).
func (c *compiler) jsonGet(j *pgexpr.JSONOp) *exec.Expr {
	var text bool
	switch j.Op {
	case "->", "#>":
	case "->>", "#>>":
		text = true
	default:
		return c.fail("jsonb operator %s is not a value", j.Op)
	}
	var base *exec.Expr
	if inner, ok := j.L.(*pgexpr.JSONOp); ok && (inner.Op == "->" || inner.Op == "#>") {
		base = c.jsonGet(inner)
	} else {
		gf, ok := j.L.(*expression.GetField)
		if !ok || !pgexpr.IsJSONType(gf.Type()) {
			return c.fail("jsonb operator over %T", j.L)
		}
		base = c.value(gf)
	}
	lit, ok := j.R.(*expression.Literal)
	if !ok || lit.Value() == nil {
		return c.fail("jsonb operator operand is not a constant")
	}
	var steps []jsonscan.Step
	rt := lit.Type()
	switch {
	case j.Op == "#>" || j.Op == "#>>":
		s, ok := lit.Value().(string)
		if !ok {
			return c.fail("#> path is not text")
		}
		elems, ok := pgtypes.ParseArray(s)
		if !ok {
			return c.fail("#> path is not an array")
		}
		for _, e := range elems {
			if e == nil {
				return c.fail("#> path with a NULL element")
			}
			steps = append(steps, jsonscan.Step{Key: *e, Path: true})
		}
	case types.IsInteger(rt) && rt != types.Boolean:
		i, ok := pgtypes.Int64(lit.Value())
		if !ok {
			return c.fail("-> subscript %v", lit.Value())
		}
		steps = []jsonscan.Step{{ByIndex: true, Index: i}}
	case types.IsText(rt):
		s, ok := lit.Value().(string)
		if !ok {
			return c.fail("-> key %v", lit.Value())
		}
		steps = []jsonscan.Step{{Key: s}}
	default:
		return c.fail("-> operand of type %s", rt)
	}
	if base.Op == exec.OpJSONGet {
		// A chain: one path.
		out := *base
		out.Path = append(append([]jsonscan.Step(nil), base.Path...), steps...)
		out.Text = text
		return &out
	}
	return &exec.Expr{Op: exec.OpJSONGet, Args: []*exec.Expr{base}, Path: steps, Text: text}
}

// jsonDoc compiles the jsonb operand of ? and @>: a jsonb column or an
// -> / #> chain over one.
func (c *compiler) jsonDoc(x sql.Expression) *exec.Expr {
	switch v := x.(type) {
	case *expression.GetField:
		if pgexpr.IsJSONType(v.Type()) {
			return c.value(v)
		}
	case *pgexpr.JSONOp:
		if v.Op == "->" || v.Op == "#>" {
			return c.jsonGet(v)
		}
	}
	return c.fail("jsonb operand %T", x)
}

// jsonPredicate compiles ?, @> and <@ with a constant operand.
func (c *compiler) jsonPredicate(j *pgexpr.JSONOp) *exec.Expr {
	switch j.Op {
	case "?":
		lit, ok := j.R.(*expression.Literal)
		if !ok {
			return c.fail("? operand is not a constant")
		}
		k, ok := lit.Value().(string)
		if !ok {
			return c.fail("? key %v", lit.Value())
		}
		return &exec.Expr{Op: exec.OpJSONHas, Args: []*exec.Expr{c.jsonDoc(j.L)}, Str: k}
	case "@>", "<@":
		doc, cst := j.L, j.R
		if j.Op == "<@" {
			doc, cst = cst, doc
		}
		lit, ok := cst.(*expression.Literal)
		if !ok || lit.Value() == nil {
			return c.fail("@> operand is not a constant")
		}
		var text string
		switch v := lit.Value().(type) {
		case pgexpr.JSONB:
			text = pgexpr.JSONB{V: v.V}.String()
		case string:
			jb, err := pgexpr.ParseJSONB(v, false)
			if err != nil {
				return c.fail("@> operand: %v", err)
			}
			text = jb.String()
		default:
			return c.fail("@> operand %T", v)
		}
		if _, flat, err := jsonscan.FlatObject(text); err != nil || !flat {
			return c.fail("@> of %s is not an object of scalars", text)
		}
		return &exec.Expr{Op: exec.OpJSONContains, Args: []*exec.Expr{c.jsonDoc(doc)}, Str: text}
	}
	return c.fail("jsonb operator %s is not a predicate", j.Op)
}

// castText compiles (x)::int2/int4/int8/float8 of a text value in a
// filter's comparison (c.castOK). The cast raises 22P02 on bad text; the
// row engine evaluates a condition of AND/OR only for the rows the ones
// before it left open, and so does the executor for conditions that hold a
// cast (exec's lazyArg). Group keys and aggregates do not take casts: they
// would be evaluated on rows the row engine never casts.
func (c *compiler) castText(v *pgexpr.Cast) *exec.Expr {
	to := strings.ToLower(v.To)
	switch to {
	case "int2", "int4", "int8", "float8":
	default:
		return c.fail("cast to %s is not vectorized", v.To)
	}
	if !c.castOK {
		return c.fail("a cast of text outside a filter's comparison")
	}
	if !types.IsText(v.Child.Type()) {
		return c.fail("cast of %s is not vectorized", v.Child.Type())
	}
	return &exec.Expr{Op: exec.OpCast, Str: to, Args: []*exec.Expr{c.value(v.Child)}}
}
