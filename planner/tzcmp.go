package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

const ruleTZCompare analyzer.RuleId = 10_060

// tzCompare converts the timestamp and date operands of a comparison
// (=, <>, <, ..., BETWEEN, IN) with a timestamptz operand to timestamptz in
// the session TimeZone, as PostgreSQL resolves timestamptz = timestamp to
// timestamptz_eq_timestamp (timestamp2timestamptz), and does the same for
// the results of CASE, COALESCE, GREATEST and LEAST and the columns of
// set operations, whose common type is timestamptz (the preferred type of
// the datetime category). go-mysql-server compares both as DATETIME, the
// UTC wall clocks. A constant (a literal or a cast of one) is converted
// now, so the vectorizer and time pruning see a timestamptz literal.
func tzCompare(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same1, err := tzSetOps(ctx, n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same2, err := transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			return tzExpr(ctx, e)
		})
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same3, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		h, ok := n.(*plan.HashLookup)
		if !ok {
			return n, transform.SameTree, nil
		}
		return hashKeys(ctx, h)
	})
	return n, same1 && same2 && same3, err
}

// hashKeys gives the keys of a hash join the conversions the join's
// equality has (the rules here and bpcharCompare rewrite that condition,
// not the keys go-mysql-server hashes): a timestamp or date key matched
// with a timestamptz one becomes timestamptz in the session TimeZone, and
// char(n) keys lose their trailing blanks (bpchar equality, or text's when
// the other key is text), so char(4) 'ab' finds char(6) 'ab'.
func hashKeys(ctx *sql.Context, h *plan.HashLookup) (sql.Node, transform.TreeIdentity, error) {
	rt, ok1 := h.RightEntryKey.(expression.Tuple)
	lt, ok2 := h.LeftProbeKey.(expression.Tuple)
	if !ok1 || !ok2 || len(rt) != len(lt) {
		return h, transform.SameTree, nil
	}
	r, l := append(expression.Tuple(nil), rt...), append(expression.Tuple(nil), lt...)
	changed := false
	for i := range r {
		ops, same, err := tzOperands(ctx, []sql.Expression{r[i], l[i]})
		if err != nil {
			return nil, transform.SameTree, err
		}
		if !same {
			r[i], l[i], changed = ops[0], ops[1], true
			continue
		}
		if ops, ch := bpcharOperands([]sql.Expression{r[i], l[i]}, false); ch {
			r[i], l[i], changed = ops[0], ops[1], true
		}
	}
	if !changed {
		return h, transform.SameTree, nil
	}
	ne, err := h.WithExpressions(expression.NewTuple(r...), expression.NewTuple(l...))
	return ne, transform.NewTree, err
}

// isWallTime reports whether t is date or timestamp without time zone.
func isWallTime(t sql.Type) bool {
	return !pgtypes.IsTimestampTZ(t) && (types.IsDatetimeType(t) || types.IsDateType(t))
}

func tzExpr(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch x := e.(type) {
	case *plan.InSubquery:
		return inSubquery(ctx, x)
	case *expression.HashInTuple:
		l, r := x.Left(), x.Right()
		ch, same, err := tzOperands(ctx, append([]sql.Expression{l}, r.Children()...))
		if err != nil || same {
			return e, transform.SameTree, err
		}
		tup := expression.NewTuple(ch[1:]...)
		ne, err := expression.NewHashInTuple(ctx, ch[0], tup)
		return ne, transform.NewTree, err
	case *expression.InTuple:
		l, r := x.Left(), x.Right()
		ch, same, err := tzOperands(ctx, append([]sql.Expression{l}, r.Children()...))
		if err != nil || same {
			return e, transform.SameTree, err
		}
		return expression.NewInTuple(ch[0], expression.NewTuple(ch[1:]...)), transform.NewTree, nil
	case *expression.Between:
		ch, same, err := tzOperands(ctx, []sql.Expression{x.Val, x.Lower, x.Upper})
		if err != nil || same {
			return e, transform.SameTree, err
		}
		return expression.NewBetween(ch[0], ch[1], ch[2]), transform.NewTree, nil
	case expression.Comparer:
		ch, same, err := tzOperands(ctx, []sql.Expression{x.Left(), x.Right()})
		if err != nil || same {
			return e, transform.SameTree, err
		}
		ne, err := e.WithChildren(ch...)
		return ne, transform.NewTree, err
	case *expression.Case:
		vals := make([]sql.Expression, 0, len(x.Branches)+1)
		for _, b := range x.Branches {
			vals = append(vals, b.Value)
		}
		if x.Else != nil {
			vals = append(vals, x.Else)
		}
		ch, same, err := tzOperands(ctx, vals)
		if err != nil || same {
			return e, transform.SameTree, err
		}
		branches := make([]expression.CaseBranch, len(x.Branches))
		for i, b := range x.Branches {
			branches[i] = expression.CaseBranch{Cond: b.Cond, Value: ch[i]}
		}
		var els sql.Expression
		if x.Else != nil {
			els = ch[len(ch)-1]
		}
		return expression.NewCase(x.Expr, branches, els), transform.NewTree, nil
	case *function.Coalesce:
		ch, same, err := tzOperands(ctx, x.Children())
		if err != nil || same {
			return e, transform.SameTree, err
		}
		ne, err := e.WithChildren(ch...)
		return ne, transform.NewTree, err
	case *pgexpr.Func:
		if x.Name != "greatest" && x.Name != "least" {
			return e, transform.SameTree, nil
		}
		ch, same, err := tzOperands(ctx, x.Args)
		if err != nil || same {
			return e, transform.SameTree, err
		}
		ne, err := e.WithChildren(ch...)
		return ne, transform.NewTree, err
	}
	return e, transform.SameTree, nil
}

// tzOperands converts the date and timestamp operands of es to timestamptz
// when one of them is timestamptz; same reports that nothing changed.
func tzOperands(ctx *sql.Context, es []sql.Expression) (out []sql.Expression, same bool, err error) {
	tz, wall := false, false
	for _, e := range es {
		if pgtypes.IsTimestampTZ(e.Type()) {
			tz = true
		} else if isWallTime(e.Type()) {
			wall = true
		}
	}
	if !tz || !wall {
		return es, true, nil
	}
	out = make([]sql.Expression, len(es))
	for i, e := range es {
		if out[i], err = toTimestampTZ(ctx, e); err != nil {
			return nil, false, err
		}
	}
	return out, false, nil
}

// toTimestampTZ returns e as a timestamptz expression: e itself when it
// has that type or is no date/timestamp, a timestamptz literal for a
// constant, else a cast in the session TimeZone.
func toTimestampTZ(ctx *sql.Context, e sql.Expression) (sql.Expression, error) {
	if !isWallTime(e.Type()) {
		return e, nil
	}
	if isConstant(e) {
		v, err := e.Eval(ctx, nil)
		if err != nil {
			return nil, err
		}
		if v != nil {
			if v, err = pgexpr.CastValue(ctx, v, e.Type(), storage.TypeTimestampTZ); err != nil {
				return nil, err
			}
		}
		return expression.NewLiteral(v, pgtypes.TimestampTZType), nil
	}
	return pgexpr.NewCast(e, storage.TypeTimestampTZ)
}

// isConstant reports whether e is a literal or a cast of one.
func isConstant(e sql.Expression) bool {
	switch x := e.(type) {
	case *expression.Literal:
		return true
	case *pgexpr.Cast:
		return isConstant(x.Child)
	}
	return false
}

// tzSetOps converts the timestamp and date columns of a set operation's
// input whose other input has timestamptz there (the result type is
// timestamptz).
func tzSetOps(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		s, ok := n.(*plan.SetOp)
		if !ok {
			return n, transform.SameTree, nil
		}
		var cols []int
		for i := range s.Left().Schema() {
			lt, lok := setOpInputType(s.Left(), i)
			rt, rok := setOpInputType(s.Right(), i)
			if !lok || !rok {
				continue
			}
			if (pgtypes.IsTimestampTZ(lt) && isWallTime(rt)) || (pgtypes.IsTimestampTZ(rt) && isWallTime(lt)) {
				cols = append(cols, i)
			}
		}
		if len(cols) == 0 {
			return n, transform.SameTree, nil
		}
		l, err := retypeSetOpInput(ctx, s.Left(), cols, toTimestampTZ)
		if err != nil {
			return nil, transform.SameTree, err
		}
		r, err := retypeSetOpInput(ctx, s.Right(), cols, toTimestampTZ)
		if err != nil {
			return nil, transform.SameTree, err
		}
		ne, err := s.WithChildren(l, r)
		return ne, transform.NewTree, err
	})
}

// retypeSetOpInput applies conv to columns cols of the topmost Project of
// a set operation's input (below Distinct, Sort, ...), dropping the
// conversion go-mysql-server added to its own common type. An input that is
// itself a set operation is retyped on both sides.
func retypeSetOpInput(ctx *sql.Context, n sql.Node, cols []int, conv func(*sql.Context, sql.Expression) (sql.Expression, error)) (sql.Node, error) {
	switch x := n.(type) {
	case *plan.Distinct, *plan.Sort, *plan.Limit, *plan.Offset, *plan.TopN, *plan.Filter:
		c, err := retypeSetOpInput(ctx, x.Children()[0], cols, conv)
		if err != nil {
			return nil, err
		}
		return n.WithChildren(c)
	case *plan.SetOp:
		l, err := retypeSetOpInput(ctx, x.Left(), cols, conv)
		if err != nil {
			return nil, err
		}
		r, err := retypeSetOpInput(ctx, x.Right(), cols, conv)
		if err != nil {
			return nil, err
		}
		return x.WithChildren(l, r)
	case *plan.Project:
		ps := append([]sql.Expression(nil), x.Projections...)
		for _, i := range cols {
			e := ps[i]
			name := ""
			if a, ok := e.(*expression.Alias); ok {
				name, e = a.Name(), a.Child
			}
			if c, ok := e.(*expression.Convert); ok {
				e = c.Child
			}
			ne, err := conv(ctx, e)
			if err != nil {
				return nil, err
			}
			if name != "" {
				ne = expression.NewAlias(name, ne)
			}
			ps[i] = ne
		}
		return x.WithExpressions(ps...)
	}
	// No projection to retype: wrap the input in one.
	sch := n.Schema()
	ps := make([]sql.Expression, len(sch))
	for i, c := range sch {
		ps[i] = expression.NewGetFieldWithTable(i, 0, c.Type, c.DatabaseSource, c.Source, c.Name, c.Nullable)
	}
	for _, i := range cols {
		ne, err := conv(ctx, ps[i])
		if err != nil {
			return nil, err
		}
		ps[i] = expression.NewAlias(sch[i].Name, ne)
	}
	return plan.NewProject(ps, n), nil
}

// inSubquery gives `x IN (SELECT y ...)` the conversions of x = y: a
// timestamp or date side becomes timestamptz when the other is timestamptz,
// and char(n) sides lose their trailing blanks (bpchar's equality, or
// text's when the other side is text). go-mysql-server hashes the
// subquery's values and the converted left value, so both sides are
// converted where they are made: the left expression and the subquery's
// projection.
func inSubquery(ctx *sql.Context, in *plan.InSubquery) (sql.Expression, transform.TreeIdentity, error) {
	sq, ok := in.Right().(*plan.Subquery)
	if !ok || len(sq.Query.Schema()) != 1 {
		return in, transform.SameTree, nil
	}
	col := expression.NewGetField(0, sq.Query.Schema()[0].Type, sq.Query.Schema()[0].Name, true)
	ops, same, err := tzOperands(ctx, []sql.Expression{in.Left(), col})
	if err != nil {
		return nil, transform.SameTree, err
	}
	if same {
		var ch bool
		if ops, ch = bpcharOperands([]sql.Expression{in.Left(), col}, false); !ch {
			return in, transform.SameTree, nil
		}
	}
	left := ops[0]
	conv := func(_ *sql.Context, e sql.Expression) (sql.Expression, error) {
		if same {
			if ops[1] != col {
				return pgexpr.NewBPCharTrim(e), nil
			}
			return e, nil
		}
		return toTimestampTZ(ctx, e)
	}
	q, err := retypeSetOpInput(ctx, sq.Query, []int{0}, conv)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return plan.NewInSubquery(left, sq.WithQuery(q)), transform.NewTree, nil
}
