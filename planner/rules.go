package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
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
	if !ok || !types.IsText(lit.Type()) {
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
