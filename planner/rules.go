package planner

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
)

const ruleNullsOrdering analyzer.RuleId = 10_001

// postgresNullOrdering makes sorts order NULL like PostgreSQL: as the
// largest value (last ascending, first descending). go-mysql-server's
// comparator swaps operands for descending fields, so NullsLast gives both.
// Explicit NULLS FIRST/LAST are translated into a leading IS NULL key by
// the front end.
func postgresNullOrdering(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	changed := transform.SameTree
	transform.Inspect(n, func(n sql.Node) bool {
		var fields sql.SortFields
		switch s := n.(type) {
		case *plan.Sort:
			fields = s.SortFields
		case *plan.TopN:
			fields = s.Fields
		case *plan.SetOp:
			fields = s.SortFields
		case *plan.Window:
			// A window's ORDER BY too: row_number, running sums and
			// the search for RANGE frame bounds (which compares NULL as
			// the largest value) all see PostgreSQL's order.
			for _, e := range s.SelectExprs {
				transform.InspectExpr(e, func(e sql.Expression) bool {
					if w, ok := e.(sql.WindowAdaptableExpression); ok && w.Window() != nil {
						setNullsLast(w.Window().OrderBy, &changed)
					}
					return false
				})
			}
		}
		for i := range fields {
			if fields[i].NullOrdering != sql.NullsLast {
				fields[i].NullOrdering = sql.NullsLast
				changed = transform.NewTree
			}
		}
		return true
	})
	return n, changed, nil
}

func setNullsLast(fields sql.SortFields, changed *transform.TreeIdentity) {
	for i := range fields {
		if fields[i].NullOrdering != sql.NullsLast {
			fields[i].NullOrdering = sql.NullsLast
			*changed = transform.NewTree
		}
	}
}

const ruleDistinctOnStar analyzer.RuleId = 10_007

// hideDistinctOnHelpers removes the helper columns (__oN, __rn) that
// SELECT DISTINCT ON (...) * carries to its outer query (see
// pgparse.DistinctOnStarAlias): from the outer projection, or with a new
// projection where go-mysql-server dropped the outer one. They are the last
// columns, so the other columns' positions do not move.
func hideDistinctOnHelpers(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	out, same, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		if p, ok := n.(*plan.Project); ok {
			if !overDistinctOnStar(p.Child) {
				return n, transform.SameTree, nil
			}
			keep := len(p.Projections)
			for keep > 0 && isDistinctOnHelper(p.Projections[keep-1]) {
				keep--
			}
			if keep == len(p.Projections) {
				return n, transform.SameTree, nil
			}
			return plan.NewProject(p.Projections[:keep], p.Child), transform.NewTree, nil
		}
		if overDistinctOnStar(n) {
			return n, transform.SameTree, nil // its parent decides
		}
		children := n.Children()
		changed := false
		for i, c := range children {
			if overDistinctOnStar(c) {
				children[i], changed = withoutDistinctOnHelpers(c), true
			}
		}
		if !changed {
			return n, transform.SameTree, nil
		}
		nn, err := n.WithChildren(children...)
		return nn, transform.NewTree, err
	})
	if err != nil {
		return nil, same, err
	}
	if overDistinctOnStar(out) {
		return withoutDistinctOnHelpers(out), transform.NewTree, nil
	}
	// A query over the DISTINCT ON subquery (FROM (SELECT DISTINCT ON ...
	// *) t) may have projected t's helper columns too: drop them there.
	wrapped := map[string]bool{}
	transform.Inspect(out, func(n sql.Node) bool {
		if sa, ok := n.(*plan.SubqueryAlias); ok {
			if p, ok := sa.Child.(*plan.Project); ok && overDistinctOnStar(p.Child) {
				wrapped[strings.ToLower(sa.Name())] = true
			}
		}
		return true
	})
	out, _, err = transform.Node(out, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		p, ok := n.(*plan.Project)
		if !ok {
			return n, transform.SameTree, nil
		}
		var proj []sql.Expression
		for _, e := range p.Projections {
			if gf, ok := e.(*expression.GetField); ok && isDistinctOnHelperName(gf.Name()) && wrapped[strings.ToLower(gf.Table())] {
				continue
			}
			proj = append(proj, e)
		}
		if len(proj) == len(p.Projections) {
			return n, transform.SameTree, nil
		}
		same = transform.NewTree
		return plan.NewProject(proj, p.Child), transform.NewTree, nil
	})
	return out, same, err
}

// withoutDistinctOnHelpers projects n's columns up to its helper columns.
func withoutDistinctOnHelpers(n sql.Node) sql.Node {
	sch := n.Schema()
	keep := len(sch)
	for keep > 0 && isDistinctOnHelperName(sch[keep-1].Name) {
		keep--
	}
	proj := make([]sql.Expression, keep)
	for i, c := range sch[:keep] {
		proj[i] = expression.NewGetFieldWithTable(i, 0, c.Type, c.DatabaseSource, c.Source, c.Name, c.Nullable)
	}
	return plan.NewProject(proj, n)
}

func overDistinctOnStar(n sql.Node) bool {
	for {
		switch x := n.(type) {
		case *plan.SubqueryAlias:
			return x.Name() == pgparse.DistinctOnStarAlias
		case *plan.Sort, *plan.Filter, *plan.TopN, *plan.Limit, *plan.Offset:
			n = x.Children()[0]
		default:
			return false
		}
	}
}

func isDistinctOnHelper(e sql.Expression) bool {
	gf, ok := e.(*expression.GetField)
	return ok && isDistinctOnHelperName(gf.Name())
}

func isDistinctOnHelperName(name string) bool {
	if name == "__rn" {
		return true
	}
	if len(name) > 3 && name[:3] == "__o" {
		_, err := strconv.Atoi(name[3:])
		return err == nil
	}
	return false
}

const ruleSetOpOffset analyzer.RuleId = 10_004

// setOpOffset moves ORDER BY, OFFSET and LIMIT off a set operation that has
// both an ORDER BY and an OFFSET into Sort, Offset and Limit nodes above it.
// go-mysql-server's set operation skips the OFFSET rows before it sorts, so
// which rows were skipped depended on the order the inputs produced them in
// (with Parquet files read in parallel, on timing).
func setOpOffset(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		s, ok := n.(*plan.SetOp)
		if !ok || s.Offset == nil || len(s.SortFields) == 0 {
			return n, transform.SameTree, nil
		}
		bare := *s
		bare.SortFields, bare.Limit, bare.Offset = nil, nil, nil
		var out sql.Node = plan.NewOffset(s.Offset, plan.NewSort(s.SortFields, &bare))
		if s.Limit != nil {
			out = plan.NewLimit(s.Limit, out)
		}
		return out, transform.NewTree, nil
	})
}

const ruleSetOpTypes analyzer.RuleId = 10_005

// setOpTypes rejects set operations whose inputs have columns of different
// type categories (PostgreSQL: 42804, "UNION types integer and text cannot
// be matched"); go-mysql-server would convert both to a common MySQL type.
// A string literal or NULL fits any column, as PostgreSQL's unknown-typed
// literals do.
func setOpTypes(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	var err error
	transform.Inspect(n, func(n sql.Node) bool {
		s, ok := n.(*plan.SetOp)
		if !ok || err != nil {
			return err == nil
		}
		for i := range s.Left().Schema() {
			lt, lok := setOpInputType(s.Left(), i)
			rt, rok := setOpInputType(s.Right(), i)
			if !lok || !rok {
				continue
			}
			lo, _ := pgtypes.OID(lt)
			ro, _ := pgtypes.OID(rt)
			if typeCategory(lo) != typeCategory(ro) {
				op := map[int]string{plan.UnionType: "UNION", plan.IntersectType: "INTERSECT", plan.ExceptType: "EXCEPT"}[s.SetOpType]
				err = pgerror.New(pgerror.DatatypeMismatch, "%s types %s and %s cannot be matched", op, pgtypes.TypeName(lo), pgtypes.TypeName(ro))
				return false
			}
		}
		return true
	})
	return n, transform.SameTree, err
}

const ruleCoalesceTypes analyzer.RuleId = 10_006

// coalesceTypes checks COALESCE's arguments like PostgreSQL: arguments of
// different type categories are 42804, and a string literal must be valid
// input for the type of the first typed argument (22P02 otherwise; NULL
// and string literals fit any type).
func coalesceTypes(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	var err error
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		c, ok := e.(*function.Coalesce)
		if !ok || err != nil {
			return err == nil
		}
		var typ sql.Type
		var oid uint32
		for _, a := range c.Children() {
			if pgexpr.IsUnknownLiteral(a) {
				continue
			}
			o, _ := pgtypes.OID(a.Type())
			if a.Type() == types.Null {
				continue
			}
			if typ == nil {
				typ, oid = a.Type(), o
				continue
			}
			if typeCategory(o) != typeCategory(oid) {
				err = pgerror.New(pgerror.DatatypeMismatch, "COALESCE types %s and %s cannot be matched", pgtypes.TypeName(oid), pgtypes.TypeName(o))
				return false
			}
		}
		if typ == nil {
			return true
		}
		for _, a := range c.Children() {
			if _, _, cerr := coerceLiteral(ctx, a, typ); cerr != nil {
				err = cerr
				return false
			}
		}
		return true
	})
	return n, transform.SameTree, err
}

// setOpInputType is the type column i of a set operation's input had
// before go-mysql-server converted it to the other input's type; ok is
// false for NULL and string literals, which take the other input's type.
func setOpInputType(n sql.Node, i int) (t sql.Type, ok bool) {
	for {
		switch x := n.(type) {
		case *plan.Distinct, *plan.Sort, *plan.Limit, *plan.Offset, *plan.TopN, *plan.Filter:
			n = x.Children()[0]
			continue
		case *plan.Project:
			e := x.Projections[i]
			if a, ok := e.(*expression.Alias); ok {
				e = a.Child
			}
			if c, ok := e.(*expression.Convert); ok {
				e = c.Child
			}
			if l, ok := e.(*expression.Literal); ok && (l.Value() == nil || types.IsText(l.Type())) {
				return nil, false
			}
			return e.Type(), e.Type() != types.Null
		}
		t := n.Schema()[i].Type
		return t, t != types.Null
	}
}

// typeCategory is PostgreSQL's type category of an OID (pg_type.typcategory).
func typeCategory(oid uint32) byte {
	switch oid {
	case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8, pgtypes.OIDNumeric, pgtypes.OIDFloat4, pgtypes.OIDFloat8:
		return 'N'
	case pgtypes.OIDText, pgtypes.OIDVarchar, pgtypes.OIDBPChar:
		return 'S'
	case pgtypes.OIDDate, pgtypes.OIDTimestamp, pgtypes.OIDTimestampTZ:
		return 'D'
	case pgtypes.OIDBool:
		return 'B'
	case pgtypes.OIDInterval:
		return 'T'
	}
	return 'U'
}

const ruleBooleanConditions analyzer.RuleId = 10_002

// booleanConditions rejects WHERE and HAVING conditions that are not
// boolean (PostgreSQL: 42804); MySQL would treat any number as a truth
// value.
func booleanConditions(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	var err error
	transform.Inspect(n, func(n sql.Node) bool {
		var cond sql.Expression
		switch f := n.(type) {
		case *plan.Filter:
			cond = f.Expression
		case *plan.Having:
			cond = f.Cond
		default:
			return err == nil
		}
		if t := cond.Type(); t != types.Boolean && t != types.Null && !isBooleanExpr(cond) {
			oid, _ := pgtypes.OID(t)
			err = pgerror.New(pgerror.DatatypeMismatch, "argument of WHERE must be type boolean, not type %s", pgtypes.TypeName(oid))
		}
		return err == nil
	})
	return n, transform.SameTree, err
}

// isBooleanExpr reports predicates whose engine type is not Boolean but
// whose value is a truth value (comparisons, IN, LIKE, ...).
func isBooleanExpr(e sql.Expression) bool {
	switch e.(type) {
	case expression.Comparer, *expression.And, *expression.Or, *expression.Not, *expression.IsNull,
		*expression.Between, *expression.InTuple, *expression.HashInTuple:
		return true
	}
	return types.IsInteger(e.Type()) && e.Type() == types.Int8
}

const ruleCoerceLiterals analyzer.RuleId = 10_003

// coerceLiterals gives string constants compared with a typed expression
// the other side's type with PostgreSQL's input rules, as PostgreSQL does
// with its "unknown"-typed literals: `status = 'abc'` is 22P02 and
// `ts >= '2026-01-01 10:00:00+02'` honours the offset.
func coerceLiterals(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			cmp, ok := e.(expression.Comparer)
			if !ok {
				return e, transform.SameTree, nil
			}
			l, r := cmp.Left(), cmp.Right()
			nl, c1, err := coerceLiteral(ctx, l, r.Type())
			if err != nil {
				return nil, transform.SameTree, err
			}
			nr, c2, err := coerceLiteral(ctx, r, l.Type())
			if err != nil {
				return nil, transform.SameTree, err
			}
			if !c1 && !c2 {
				return e, transform.SameTree, nil
			}
			ne, err := e.WithChildren(nl, nr)
			return ne, transform.NewTree, err
		})
	})
}

func coerceLiteral(ctx *sql.Context, e sql.Expression, to sql.Type) (sql.Expression, bool, error) {
	lit, ok := e.(*expression.Literal)
	if !ok || !types.IsText(lit.Type()) || pgtypes.IsTypedText(lit.Type()) {
		return e, false, nil
	}
	s, ok := lit.Value().(string)
	if !ok {
		return e, false, nil
	}
	canon := canonicalType(to)
	if canon == "" {
		return e, false, nil
	}
	v, err := pgexpr.CastValue(ctx, s, lit.Type(), canon)
	if err != nil {
		return nil, false, err
	}
	return expression.NewLiteral(v, to), true, nil
}

// canonicalType is the OpenWit column type of an engine type ("" for text
// and types without a PostgreSQL input rule here).
func canonicalType(t sql.Type) string {
	oid, _ := pgtypes.OID(t)
	switch oid {
	case pgtypes.OIDInt2:
		return "int2"
	case pgtypes.OIDInt4:
		return "int4"
	case pgtypes.OIDInt8:
		return "int8"
	case pgtypes.OIDFloat4:
		return "float4"
	case pgtypes.OIDFloat8:
		return "float8"
	case pgtypes.OIDBool:
		return "bool"
	case pgtypes.OIDTimestampTZ:
		return "timestamptz"
	case pgtypes.OIDTimestamp:
		return "timestamp"
	case pgtypes.OIDDate:
		return "date"
	}
	return ""
}

const ruleFloatOrder analyzer.RuleId = 10_008

// floatOrder gives the comparisons with a float operand that stay in
// go-mysql-server PostgreSQL's float order (NaN = NaN, NaN above
// Infinity; pgexpr.FloatCompare), and the float keys of ORDER BY (Sort,
// TopN) and the float arguments of min and max a type that compares so
// (pgexpr.FloatOrdered): go-mysql-server sorts through the type's Compare,
// where NaN is neither above nor below anything and a sort's result
// depends on where NaN stood. It runs after the vectorizer, whose kernels
// already compare so and which only knows go-mysql-server's nodes.
func floatOrder(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same1, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		var fields sql.SortFields
		switch n := n.(type) {
		case *plan.Sort:
			fields = n.SortFields
		case *plan.TopN:
			fields = n.Fields
		default:
			return n, transform.SameTree, nil
		}
		out, changed := floatOrderedFields(fields)
		if !changed {
			return n, transform.SameTree, nil
		}
		switch n := n.(type) {
		case *plan.Sort:
			return plan.NewSort(out, n.Child), transform.NewTree, nil
		case *plan.TopN:
			t := *n
			t.Fields = out
			return &t, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same2, err := transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			switch a := e.(type) {
			case *aggregation.Max, *aggregation.Min:
				ch := a.Children()
				if w, ok := pgexpr.NewFloatOrdered(ch[0]); ok {
					out, err := a.WithChildren(w)
					return out, transform.NewTree, err
				}
				if w, ok := pgexpr.NewNumericOrdered(ch[0]); ok {
					out, err := a.WithChildren(w)
					return out, transform.NewTree, err
				}
				return e, transform.SameTree, nil
			}
			c, ok := e.(expression.Comparer)
			if !ok {
				return e, transform.SameTree, nil
			}
			if f, ok := pgexpr.NewFloatCompare(c); ok {
				return f, transform.NewTree, nil
			}
			if n, ok := pgexpr.NewNumericCompare(c); ok {
				return n, transform.NewTree, nil
			}
			if t, ok := pgexpr.CoerceTimeLiteral(c); ok {
				return t, transform.NewTree, nil
			}
			if a, ok := pgexpr.CoerceArrayLiteral(c); ok {
				return a, transform.NewTree, nil
			}
			if j, ok := pgexpr.CoerceJSONLiteral(c); ok {
				return j, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
	return n, same1 && same2, err
}

// floatOrderedFields wraps the float sort keys (pgexpr.FloatOrdered).
func floatOrderedFields(fields sql.SortFields) (sql.SortFields, bool) {
	var out sql.SortFields
	for i, f := range fields {
		w, ok := pgexpr.NewFloatOrdered(f.Column)
		if !ok {
			w, ok = pgexpr.NewNumericOrdered(f.Column)
		}
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(fields)
		}
		out[i].Column = w
	}
	return out, out != nil
}
