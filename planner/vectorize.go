package planner

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// ruleVectorize replaces the pushable part of a plan (scan → filter →
// aggregate, or scan → filter → sort → limit) over an OpenWit table by a
// vecNode that runs it in the vectorized executor. It runs last, after
// go-mysql-server assigned execution indexes, so GetField indexes are
// positions in the rows the replaced subtree produces.
const ruleVectorize analyzer.RuleId = 10_071 // unique: 10_003 is ruleCoerceLiterals

func (e *Engine) vectorizeRule(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if scope != nil && !scope.IsEmpty() {
		return n, transform.SameTree, nil
	}
	if s, ok := ctx.Session.(*pgSession); !ok || s.rowEngine {
		return n, transform.SameTree, nil
	}
	out, changed := e.rewrite(ctx, n, nil)
	if !changed {
		return n, transform.SameTree, nil
	}
	return out, transform.NewTree, nil
}

// rewrite walks the plan top-down and replaces the first pushable subtree
// on each path. parent is n's parent (for Limit → Sort patterns).
func (e *Engine) rewrite(ctx *sql.Context, n sql.Node, parent sql.Node) (sql.Node, bool) {
	if v := e.match(ctx, n, parent); v != nil {
		return v, true
	}
	children := n.Children()
	if len(children) == 0 {
		return n, false
	}
	changed := false
	nc := make([]sql.Node, len(children))
	for i, c := range children {
		r, ok := e.rewrite(ctx, c, n)
		nc[i] = r
		changed = changed || ok
	}
	if !changed {
		return n, false
	}
	out, err := n.WithChildren(nc...)
	if err != nil {
		return n, false
	}
	return out, true
}

// scanOf matches [Filter →] [TableAlias →] ResolvedTable over an OpenWit
// table and returns the table, its name in expressions and the filter.
func scanOf(n sql.Node) (*table, string, sql.Expression, bool) {
	var filter sql.Expression
	if f, ok := n.(*plan.Filter); ok {
		filter, n = f.Expression, f.Child
	}
	name := ""
	if a, ok := n.(*plan.TableAlias); ok {
		name, n = a.Name(), a.Child
	}
	rt, ok := n.(*plan.ResolvedTable)
	if !ok {
		return nil, "", nil, false
	}
	var t sql.Table = rt.Table
	for {
		w, ok := t.(sql.TableWrapper)
		if !ok {
			break
		}
		t = w.Underlying()
	}
	tbl, ok := t.(*table)
	if !ok {
		return nil, "", nil, false
	}
	if name == "" {
		name = tbl.def.Name
	}
	return tbl, name, filter, true
}

// match returns a vecNode for n, or nil.
func (e *Engine) match(ctx *sql.Context, n sql.Node, parent sql.Node) sql.Node {
	switch x := n.(type) {
	case *plan.GroupBy:
		tbl, alias, filter, ok := scanOf(x.Child)
		if !ok {
			return nil
		}
		c := e.newCompiler(ctx, tbl, alias)
		frag := c.fragment()
		if filter != nil {
			if frag.Filter = c.predicate(filter); c.err != nil {
				return nil
			}
		}
		spec := &exec.AggSpec{}
		for _, g := range x.GroupByExprs {
			spec.Keys = append(spec.Keys, c.groupKey(g))
		}
		kinds := make([]outKind, len(x.SelectedExprs))
		for i, s := range x.SelectedExprs {
			a, k := c.aggregate(s)
			spec.Aggs = append(spec.Aggs, a)
			kinds[i] = k
		}
		if c.err != nil {
			return nil
		}
		frag.Agg = spec
		if v := e.newVecNode(tbl, frag, x.Schema(), identity(len(spec.Aggs)), kinds, c.timeBounds(filter)); v != nil {
			return v
		}
		return nil
	case *plan.Filter:
		if _, isGroup := parent.(*plan.GroupBy); isGroup {
			return nil
		}
		tbl, alias, filter, ok := scanOf(x)
		if !ok {
			return nil
		}
		c := e.newCompiler(ctx, tbl, alias)
		frag := c.fragment()
		if frag.Filter = c.predicate(filter); c.err != nil {
			return nil
		}
		if v := e.newVecNode(tbl, frag, x.Schema(), identity(len(frag.Columns)), nil, c.timeBounds(filter)); v != nil {
			return v
		}
		return nil
	case *plan.Limit:
		return e.matchTopK(ctx, x)
	}
	return nil
}

// matchTopK matches Limit → [Project →] Sort → [Project →] [Filter →]
// Table and replaces the Sort subtree.
func (e *Engine) matchTopK(ctx *sql.Context, l *plan.Limit) sql.Node {
	lit, ok := l.Limit.(*expression.Literal)
	if !ok {
		return nil
	}
	k, ok := pgtypes.Int64(lit.Value())
	if !ok || k < 0 || k > exec.MaxTopK {
		return nil
	}
	n := l.Child
	var outer *plan.Project
	if p, ok := n.(*plan.Project); ok {
		outer, n = p, p.Child
	}
	sortNode, ok := n.(*plan.Sort)
	if !ok {
		return nil
	}
	n = sortNode.Child
	var inner *plan.Project
	if p, ok := n.(*plan.Project); ok {
		inner, n = p, p.Child
	}
	tbl, alias, filter, ok := scanOf(n)
	if !ok {
		return nil
	}
	c := e.newCompiler(ctx, tbl, alias)
	frag := c.fragment()
	if filter != nil {
		if frag.Filter = c.predicate(filter); c.err != nil {
			return nil
		}
	}
	// Output column i of the Sort is table column src[i] (a position in
	// c.cols).
	var src []int
	if inner == nil {
		src = identity(len(c.cols))
	} else {
		for _, p := range inner.Projections {
			if a, ok := p.(*expression.Alias); ok {
				p = a.Child
			}
			gf, ok := p.(*expression.GetField)
			if !ok {
				return nil
			}
			col, ok := c.column(gf)
			if !ok {
				return nil
			}
			src = append(src, col)
		}
	}
	// Only the Sort outputs that the sort keys and the outer projection
	// read are scanned; the others are NULL in the rows handed upwards.
	needed := make([]bool, len(src))
	sortKeys, ok := topKFields(sortNode.SortFields, func(x, y *expression.GetField) bool {
		i, j := x.Index(), y.Index()
		return i >= 0 && j >= 0 && i < len(src) && j < len(src) && src[i] == src[j]
	})
	if !ok {
		return nil
	}
	for _, f := range sortKeys {
		if f.col.Index() < 0 || f.col.Index() >= len(src) {
			return nil
		}
		needed[f.col.Index()] = true
	}
	if outer == nil {
		for i := range needed {
			needed[i] = true
		}
	} else {
		for _, p := range outer.Projections {
			ok := true
			transform.InspectExpr(p, func(x sql.Expression) bool {
				if gf, isGF := x.(*expression.GetField); isGF {
					if gf.Index() < 0 || gf.Index() >= len(src) {
						ok = false
					} else {
						needed[gf.Index()] = true
					}
				}
				return false
			})
			if !ok {
				return nil
			}
		}
	}
	// Scan the needed table columns plus those the filter reads.
	scanIdx := map[int]int{}
	var cols []string
	add := func(tc int) int {
		if i, ok := scanIdx[tc]; ok {
			return i
		}
		scanIdx[tc] = len(cols)
		cols = append(cols, fieldOf(c.tbl.def, c.cols[tc]))
		return scanIdx[tc]
	}
	out := make([]int, len(src))
	for i, tc := range src {
		out[i] = -1
		if needed[i] {
			out[i] = add(tc)
		}
	}
	if frag.Filter != nil {
		used := map[int]bool{}
		frag.Filter.Columns(used)
		m := map[int]int{}
		for tc := range used {
			m[tc] = add(tc)
		}
		frag.Filter = frag.Filter.Remap(m)
	}
	frag.Columns = cols
	spec := &exec.TopKSpec{K: k}
	for _, f := range sortKeys {
		key, ok := topKKey(f.col)
		if !ok {
			return nil
		}
		key.Col, key.Desc, key.NullsFirst = out[f.col.Index()], f.desc, f.nullsFirst
		spec.Keys = append(spec.Keys, key)
	}
	frag.TopK = spec
	v := e.newVecNode(tbl, frag, sortNode.Schema(), out, nil, c.timeBounds(filter))
	if v == nil {
		return nil
	}
	var child sql.Node = v
	if outer != nil {
		nc, err := outer.WithChildren(v)
		if err != nil {
			return nil
		}
		child = nc
	}
	nl, err := l.WithChildren(child)
	if err != nil {
		return nil
	}
	return nl
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// outKind says how an aggregate output becomes a go-mysql-server value.
type outKind int

const (
	outPlain outKind = iota
	outJSONList
)

// compiler turns go-mysql-server expressions over one table into exec
// expressions; the first failure is kept in err.
type compiler struct {
	ctx   *sql.Context
	tbl   *table
	alias string
	cols  []string // scanned columns: the table's projected columns
	err   error
	utc   bool
	// castOK is set while a filter's comparison compiles: a cast of
	// text may raise an error, which only filters evaluate as the row
	// engine does (vectorize_jsonvec.go).
	castOK bool
}

func (e *Engine) newCompiler(ctx *sql.Context, tbl *table, alias string) *compiler {
	c := &compiler{ctx: ctx, tbl: tbl, alias: strings.ToLower(alias), utc: true}
	for _, col := range tbl.Schema() {
		c.cols = append(c.cols, col.Name)
	}
	if s, ok := ctx.Session.(*pgSession); ok && s.loc != nil && s.loc.String() != "UTC" {
		c.utc = false
	}
	return c
}

func (c *compiler) fail(format string, args ...any) *exec.Expr {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
	return exec.Null()
}

func (c *compiler) fragment() *exec.Fragment {
	return &exec.Fragment{Table: c.tbl.def.Name, Columns: fieldsOf(c.tbl.def, c.cols)}
}

// column maps a GetField to a scanned column, checking that the index and
// the name agree (an outer-scope reference does not).
func (c *compiler) column(gf *expression.GetField) (int, bool) {
	i := gf.Index()
	if i < 0 || i >= len(c.cols) || !strings.EqualFold(gf.Name(), c.cols[i]) {
		return 0, false
	}
	if t := strings.ToLower(gf.Table()); t != "" && t != c.alias {
		return 0, false
	}
	return i, true
}

func (c *compiler) value(x sql.Expression) *exec.Expr {
	if e, ok := c.arrayValue(x); ok { // vectorize_arrayvec.go
		return e
	}
	if e, ok := c.inetValue(x); ok { // vectorize_inetvec.go
		return e
	}
	if e, ok := c.numArith(x); ok { // vectorize_numarith.go
		return e
	}
	if ce, ok := pgexpr.TimestampTZCaseOf(x); ok { // vectorize_casevec_numts.go
		return c.caseVecAs(x, ce, "timestamptz")
	}
	switch v := x.(type) {
	case *expression.GetField:
		i, ok := c.column(v)
		if !ok {
			return c.fail("column %s is not a column of the scan", v)
		}
		if isInet, _ := pgtypes.IsInet(v.Type()); isInet {
			// Stored as text, whose order is not inet's (vectorize_uuidinet.go).
			return c.fail("inet column %s", v)
		}
		return exec.Col(i)
	case *expression.Literal:
		return c.literal(v)
	case *pgexpr.TextAs:
		return c.value(v.Child)
	case *pgexpr.BPCharTrim:
		return &exec.Expr{Op: exec.OpRTrim, Args: []*exec.Expr{c.value(v.Child)}}
	case *pgexpr.JSONOp:
		return c.jsonGet(v)
	case *expression.Case:
		return c.caseValue(v)

	case *pgexpr.Cast:
		return c.castText(v)
	case *pgexpr.Func:
		if v.Name == "date_trunc" && len(v.Args) == 2 {
			unit, ok := v.Args[0].(*expression.Literal)
			if !ok {
				return c.fail("date_trunc unit is not a constant")
			}
			s, ok := unit.Value().(string)
			if !ok {
				return c.fail("date_trunc unit is not text")
			}
			if !c.utc && pgtypes.IsTimestampTZ(v.Args[1].Type()) {
				// timestamptz truncates in the session time zone.
				return c.fail("date_trunc outside UTC")
			}
			return &exec.Expr{Op: exec.OpDateTrunc, Str: strings.ToLower(s), Args: []*exec.Expr{c.value(v.Args[1])}}
		}
	}
	return c.fail("expression %T is not vectorized", x)
}

func (c *compiler) literal(l *expression.Literal) *exec.Expr {
	v := l.Value()
	if v == nil {
		return exec.Null()
	}
	if types.IsBoolean(l.Type()) {
		if i, ok := pgtypes.Int64(v); ok {
			return exec.Bool(i != 0)
		}
		if b, ok := v.(bool); ok {
			return exec.Bool(b)
		}
	}
	switch x := v.(type) {
	case string:
		if types.IsText(l.Type()) {
			return exec.Str(x)
		}
	case float64:
		return exec.Float(x)
	case float32:
		return exec.Float(float64(x))
	case time.Time:
		if pgtypes.IsTimestampTZ(l.Type()) || types.IsDatetimeType(l.Type()) {
			return exec.Timestamp(x)
		}
	case decimal.Decimal:
		f, exact := x.Float64()
		if exact {
			return exec.Float(f)
		}
	default:
		if i, ok := pgtypes.Int64(v); ok && types.IsInteger(l.Type()) {
			return exec.Int(i)
		}
	}
	return c.fail("literal %v of type %s", v, l.Type())
}

func (c *compiler) predicate(x sql.Expression) *exec.Expr {
	if e, ok := c.inetPredicate(x); ok { // vectorize_inetvec.go
		return e
	}
	switch v := x.(type) {
	case *expression.And:
		return exec.Call(exec.OpAnd, c.predicate(v.LeftChild), c.predicate(v.RightChild))
	case *expression.Or:
		return exec.Call(exec.OpOr, c.predicate(v.LeftChild), c.predicate(v.RightChild))
	case *expression.Not:
		if isNull, ok := v.Child.(*expression.IsNull); ok {
			return exec.Call(exec.OpIsNotNull, c.value(isNull.Child))
		}
		return exec.Call(exec.OpNot, c.predicate(v.Child))
	case *expression.IsNull:
		return exec.Call(exec.OpIsNull, c.value(v.Child))
	case *expression.Equals:
		return c.compare(exec.OpEq, v.Left(), v.Right())
	case *expression.LessThan:
		return c.compare(exec.OpLt, v.Left(), v.Right())
	case *expression.LessThanOrEqual:
		return c.compare(exec.OpLe, v.Left(), v.Right())
	case *expression.GreaterThan:
		return c.compare(exec.OpGt, v.Left(), v.Right())
	case *expression.GreaterThanOrEqual:
		return c.compare(exec.OpGe, v.Left(), v.Right())
	case *expression.Like:
		// ILIKE arrives as lower(x) LIKE lower('pattern').
		// Both lower()s are strings.ToLower (go-mysql-server's for utf8mb4
		// text, or pgexpr's).
		left, right := v.LeftChild, v.RightChild
		left, fold := lowerArg(left)
		right, lowerPat := lowerArg(right)
		pat, ok := right.(*expression.Literal)
		if !ok {
			return c.fail("LIKE pattern is not a constant")
		}
		s, ok := pat.Value().(string)
		if !ok {
			return c.fail("LIKE pattern is not text")
		}
		if lowerPat {
			s = strings.ToLower(s)
		}
		esc := `\`
		if v.Escape != nil {
			el, ok := v.Escape.(*expression.Literal)
			if !ok {
				return c.fail("LIKE escape is not a constant")
			}
			es, _ := el.Value().(string)
			esc = es
		}
		if !types.IsText(left.Type()) {
			return c.fail("LIKE on %s", left.Type())
		}
		return &exec.Expr{Op: exec.OpLike, Args: []*exec.Expr{c.value(left)}, Str: s, Escape: esc, Fold: fold}
	case *pgexpr.Func:
		if v.Name == "match" && len(v.Args) == 2 && types.IsText(v.Args[0].Type()) {
			q, ok := v.Args[1].(*expression.Literal)
			if !ok {
				return c.fail("match query is not a constant")
			}
			s, ok := q.Value().(string)
			if !ok {
				return c.fail("match query is not text")
			}
			return &exec.Expr{Op: exec.OpMatch, Args: []*exec.Expr{c.value(v.Args[0])}, Str: s}
		}
	case *expression.InTuple, *expression.HashInTuple:
		in := v.(interface {
			Left() sql.Expression
			Right() sql.Expression
		})
		tup, ok := in.Right().(expression.Tuple)
		if !ok {
			return c.fail("IN without a list")
		}
		args := make([]*exec.Expr, len(tup))
		for i, el := range tup {
			args[i] = c.compare(exec.OpEq, in.Left(), el)
		}
		return exec.Call(exec.OpOr, args...)
	case *expression.Between:
		return exec.Call(exec.OpAnd, c.compare(exec.OpGe, v.Val, v.Lower), c.compare(exec.OpLe, v.Val, v.Upper))
	case *pgexpr.JSONOp:
		return c.jsonPredicate(v)
	case *pgexpr.ArrayAny:
		return c.arrayAny(v)
	case *pgexpr.ArrayFn:
		if v.Name == "@>" || v.Name == "<@" || v.Name == "&&" {
			return c.arraySetOp(v)
		}
	case *expression.GetField:
		return c.value(v)
	case *expression.Literal:
		return c.literal(v)
	}
	return c.fail("predicate %T is not vectorized", x)
}

// lowerArg returns x's argument when x is lower(arg) of a text value.
func lowerArg(x sql.Expression) (sql.Expression, bool) {
	switch f := x.(type) {
	case *function.Lower:
		if types.IsText(f.Child.Type()) {
			if st, ok := f.Child.Type().(sql.StringType); !ok || st.CharacterSet() == sql.CharacterSet_utf8mb4 {
				return f.Child, true
			}
		}
	case *pgexpr.Func:
		if f.Name == "lower" && len(f.Args) == 1 {
			return f.Args[0], true
		}
	}
	return x, false
}

// compare compiles a comparison; both operands must have the same type
// family so that no implicit conversion is skipped.
func (c *compiler) compare(op exec.Op, l, r sql.Expression) *exec.Expr {
	if e, ok := c.inetCompare(op, l, r); ok { // vectorize_inetvec.go
		return e
	}
	if e, ok := c.decimalCompare(op, l, r); ok { // vectorize_numvec.go
		return e
	}
	lt, rt := l.Type(), r.Type()
	switch {
	case types.IsText(lt) && types.IsText(rt):
	case (types.IsInteger(lt) || types.IsFloat(lt)) && (types.IsInteger(rt) || types.IsFloat(rt)):
	case types.IsDecimal(rt) && types.IsFloat(lt), types.IsDecimal(lt) && types.IsFloat(rt):
	case types.IsDecimal(rt) && types.IsInteger(lt), types.IsDecimal(lt) && types.IsInteger(rt):
	case pgtypes.IsTimestampTZ(lt) && pgtypes.IsTimestampTZ(rt), types.IsDatetimeType(lt) && types.IsDatetimeType(rt):
	case types.IsBoolean(lt) && types.IsBoolean(rt):
	default:
		return c.fail("comparison of %s with %s", lt, rt)
	}
	c.castOK = true
	defer func() { c.castOK = false }()
	return exec.Call(op, c.value(l), c.value(r))
}

// aggregate compiles one GroupBy output.
func (c *compiler) aggregate(x sql.Expression) (exec.Agg, outKind) {
	switch v := x.(type) {
	case *aggregation.Count:
		if _, ok := v.Child.(*expression.Literal); ok {
			if l := v.Child.(*expression.Literal); l.Value() != nil {
				return exec.Agg{Func: exec.AggCountStar}, outPlain
			}
		}
		if _, ok := v.Child.(*expression.Star); ok {
			return exec.Agg{Func: exec.AggCountStar}, outPlain
		}
		if a, ok := c.countCase(v.Child); ok {
			return a, outPlain
		}
		return exec.Agg{Func: exec.AggCount, Arg: c.groupValue(v.Child)}, outPlain
	case *aggregation.CountDistinct:
		ch := v.Children()
		if len(ch) != 1 {
			c.fail("count(DISTINCT) of %d expressions", len(ch))
			return exec.Agg{}, outPlain
		}
		return exec.Agg{Func: exec.AggCountDistinct, Arg: c.groupValue(ch[0])}, outPlain
	case *aggregation.Sum:
		arg := v.Child
		if cast, ok := arg.(*pgexpr.Cast); ok && types.IsInteger(cast.Child.Type()) && strings.HasPrefix(cast.To, "numeric") && types.IsDecimal(cast.Type()) && cast.Type().(sql.DecimalType).Scale() == 0 {
			// sum(int) is exact numeric: the cast to numeric(p,0) does not
			// change the values the executor sums in 128 bits.
			return exec.Agg{Func: exec.AggSum, Arg: c.value(cast.Child)}, outPlain
		}
		if e, ok := c.decimalSumArg(arg); ok { // vectorize_numvec.go
			return exec.Agg{Func: exec.AggSum, Arg: e}, outPlain
		}
		if !types.IsFloat(arg.Type()) {
			c.fail("sum of %s", arg.Type())
		}
		return exec.Agg{Func: exec.AggSum, Arg: c.value(arg)}, outPlain
	case *aggregation.Min:
		if col, ok := c.inetMinMaxArg(v.Child); ok { // vectorize_inetorder.go
			return exec.Agg{Func: exec.AggMinInet, Arg: col}, outPlain
		}
		return exec.Agg{Func: exec.AggMin, Arg: c.value(v.Child)}, outPlain
	case *aggregation.Max:
		if col, ok := c.inetMinMaxArg(v.Child); ok {
			return exec.Agg{Func: exec.AggMaxInet, Arg: col}, outPlain
		}
		return exec.Agg{Func: exec.AggMax, Arg: c.value(v.Child)}, outPlain
	case *aggregation.JsonArray:
		t := v.Child.Type()
		if !types.IsInteger(t) && !types.IsFloat(t) {
			c.fail("json_arrayagg of %s", t)
		}
		return exec.Agg{Func: exec.AggList, Arg: c.value(v.Child)}, outJSONList
	case sql.Aggregation:
		c.fail("aggregate %T is not vectorized", x)
		return exec.Agg{}, outPlain
	}
	return exec.Agg{Func: exec.AggFirst, Arg: c.groupValue(x)}, outPlain
}

// timeBounds extracts [lo, hi] (Unix microseconds, inclusive) on the
// table's time column from the conjuncts of filter.
func (c *compiler) timeBounds(filter sql.Expression) [2]int64 {
	b := [2]int64{math.MinInt64, math.MaxInt64}
	tc := c.tbl.def.TimeColumn
	if filter == nil || tc == "" {
		return b
	}
	var walk func(x sql.Expression)
	bound := func(op exec.Op, l, r sql.Expression) {
		gf, ok := l.(*expression.GetField)
		lit, ok2 := r.(*expression.Literal)
		if !ok || !ok2 {
			if gf2, ok := r.(*expression.GetField); ok {
				if lit2, ok := l.(*expression.Literal); ok {
					flip := map[exec.Op]exec.Op{exec.OpLt: exec.OpGt, exec.OpLe: exec.OpGe, exec.OpGt: exec.OpLt, exec.OpGe: exec.OpLe, exec.OpEq: exec.OpEq}
					gf, lit, op, ok, ok2 = gf2, lit2, flip[op], true, true
				}
			}
		}
		if !ok || !ok2 {
			return
		}
		col, ok := c.column(gf)
		if !ok || c.cols[col] != tc {
			return
		}
		t, ok := lit.Value().(time.Time)
		if !ok {
			return
		}
		us := t.UnixMicro()
		switch op {
		case exec.OpGt, exec.OpGe:
			b[0] = max(b[0], us)
		case exec.OpLt, exec.OpLe:
			b[1] = min(b[1], us)
		case exec.OpEq:
			b[0], b[1] = max(b[0], us), min(b[1], us)
		}
	}
	walk = func(x sql.Expression) {
		switch v := x.(type) {
		case *expression.And:
			walk(v.LeftChild)
			walk(v.RightChild)
		case *expression.GreaterThan:
			bound(exec.OpGt, v.Left(), v.Right())
		case *expression.GreaterThanOrEqual:
			bound(exec.OpGe, v.Left(), v.Right())
		case *expression.LessThan:
			bound(exec.OpLt, v.Left(), v.Right())
		case *expression.LessThanOrEqual:
			bound(exec.OpLe, v.Left(), v.Right())
		case *expression.Equals:
			bound(exec.OpEq, v.Left(), v.Right())
		case *expression.Between:
			bound(exec.OpGe, v.Val, v.Lower)
			bound(exec.OpLe, v.Val, v.Upper)
		}
	}
	walk(filter)
	return b
}

// textOrdered reports whether values of type t, when they are stored as
// text, order as their text does: json (jsonb's order of kinds; json has
// none) is a text column whose order is not its text's, so a top-k by it
// stays in the row engine. inet and cidr are not either, but the top-k
// orders them by their network-order key (topKKey). Other types the top-k
// cannot order are refused by exec.Fragment.Validate.
func textOrdered(t sql.Type) bool {
	return !types.IsJSON(t)
}
