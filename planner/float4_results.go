package planner

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

const ruleFloat4Results analyzer.RuleId = 10_053

// float4Results gives COALESCE and CASE whose PostgreSQL type is real
// (float4) that type and its values:
//   - go-mysql-server types COALESCE(real, integer) as text and
//     COALESCE(real, numeric) as decimal (a real Infinity then panicked in
//     the decimal conversion); PostgreSQL's common type is real.
//   - go-mysql-server converts a real CASE result with its Float32 type,
//     which clamps ±Infinity to ±3.4028235e+38.
func float4Results(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			switch x := e.(type) {
			case *function.Coalesce:
				if !realCommonType(x.Children()) {
					return e, transform.SameTree, nil
				}
				return &realOf{Child: x.Children(), coalesce: true}, transform.NewTree, nil
			case *expression.Case:
				if x.Type() != types.Float32 {
					return e, transform.SameTree, nil
				}
				branches := make([]expression.CaseBranch, len(x.Branches))
				for i, b := range x.Branches {
					branches[i] = expression.CaseBranch{Cond: b.Cond, Value: &float8Of{b.Value}}
				}
				var els sql.Expression
				if x.Else != nil {
					els = &float8Of{x.Else}
				}
				return &realOf{Child: []sql.Expression{expression.NewCase(x.Expr, branches, els)}}, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
}

// realCommonType reports whether PostgreSQL's common type of args is real:
// one is real and the others are real, integers, numeric, NULL or
// unknown-typed literals.
func realCommonType(args []sql.Expression) bool {
	real := false
	for _, a := range args {
		if pgexpr.IsUnknownLiteral(a) || a.Type() == types.Null {
			continue
		}
		switch oid, _ := pgtypes.OID(a.Type()); oid {
		case pgtypes.OIDFloat4:
			real = true
		case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8, pgtypes.OIDNumeric:
		default:
			return false
		}
	}
	return real
}

// toFloat32 converts a numeric value (or valid input text) to float32 the
// way PostgreSQL casts to real: rounding, keeping infinities and NaN.
func toFloat32(ctx *sql.Context, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float32:
		return x, nil
	case float64:
		return float32(x), nil
	}
	f, _, err := types.Float64.Convert(ctx, v)
	if err != nil {
		return nil, err
	}
	return float32(f.(float64)), nil
}

// realOf is a real result: the first non-NULL of its children
// (coalesce), or its only child's value, as float32.
type realOf struct {
	Child    []sql.Expression
	coalesce bool
}

var _ sql.Expression = (*realOf)(nil)

func (r *realOf) Resolved() bool {
	for _, c := range r.Child {
		if !c.Resolved() {
			return false
		}
	}
	return true
}
func (r *realOf) IsNullable() bool                { return true }
func (r *realOf) Type() sql.Type                  { return types.Float32 }
func (r *realOf) Children() []sql.Expression      { return r.Child }
func (r *realOf) String() string                  { return r.name() }
func (r *realOf) DebugString(*sql.Context) string { return r.name() }

func (r *realOf) name() string {
	if r.coalesce {
		return fmt.Sprintf("coalesce%v (real)", r.Child)
	}
	return fmt.Sprintf("%v (real)", r.Child[0])
}

func (r *realOf) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if !r.coalesce && len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(children), 1)
	}
	return &realOf{Child: children, coalesce: r.coalesce}, nil
}

func (r *realOf) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	for _, c := range r.Child {
		v, err := c.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v != nil {
			return toFloat32(ctx, v)
		}
	}
	return nil, nil
}

// float8Of is a real CASE branch widened to double precision (exact), so
// that the CASE converts its results without clamping; realOf narrows them
// back.
type float8Of struct{ Child sql.Expression }

var _ sql.Expression = (*float8Of)(nil)

func (f *float8Of) Resolved() bool                      { return f.Child.Resolved() }
func (f *float8Of) IsNullable() bool                    { return f.Child.IsNullable() }
func (f *float8Of) Type() sql.Type                      { return types.Float64 }
func (f *float8Of) Children() []sql.Expression          { return []sql.Expression{f.Child} }
func (f *float8Of) String() string                      { return f.Child.String() }
func (f *float8Of) DebugString(ctx *sql.Context) string { return sql.DebugString(f.Child) }

func (f *float8Of) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), 1)
	}
	return &float8Of{children[0]}, nil
}

func (f *float8Of) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := f.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	r, err := toFloat32(ctx, v)
	if err != nil {
		return nil, err
	}
	return float64(r.(float32)), nil
}
