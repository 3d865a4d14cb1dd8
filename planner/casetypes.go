package planner

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

const ruleCaseTypes analyzer.RuleId = 10_038

// caseTypes checks the results of CASE and the arguments of GREATEST and
// LEAST like PostgreSQL's select_common_type (pgtypes.CommonType):
// different type categories are 42804 ("CASE types text and integer cannot
// be matched"), and a string literal among them must be valid input for
// the resolved type (22P02 otherwise), which it then has: go-mysql-server
// would return whichever branch matched, in its own common type.
func caseTypes(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same, err := caseCommonTypes(ctx, n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	// A CASE of timestamptz results keeps that type (pgexpr.TimestampTZCase).
	n, same2, err := transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if ne, ok := pgexpr.TimestampTZCase(e); ok {
				return ne, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	// Always: a CASE retyped in a subquery's own analysis (a derived
	// table) changed the type of a column this plan reads.
	n, same3, err := retypeTimestampTZFields(n)
	return n, same && same2 && same3, err
}

// retypeTimestampTZFields gives a column reference the type timestamptz
// where the column it reads below has become timestamptz. The plan builder
// fixed the types of the references to an aggregate's output (the Project
// over a GroupBy reads min(CASE ...) by position) while the CASE was still
// go-mysql-server's LONGTEXT; once TimestampTZCase retyped the CASE, those
// references would send its time values to the client as text in Go's
// format. The references carry column ids here, not positions. Nodes are
// visited children first, and every expression below with a column id
// (an aggregate, an alias, a reference retyped here) that is timestamptz
// retypes the text references with its id above it: the timestamptz
// conversions of tzCompare change the name of an aggregate over a CASE of
// timestamp and timestamptz results, and a sort over a derived table
// reads its column under two names (design 095). A reference no id
// matches is retyped when exactly one column of its node's only child has
// its name and that column is timestamptz (a derived table's column,
// whose CASE its own analysis retyped). A cidr reference to an inet
// expression is retyped alike: min and max of cidr are inet
// (minMaxCIDR, windowMinMaxCIDR).
func retypeTimestampTZFields(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	tstz := map[sql.ColumnId]sql.Type{}
	inet := map[sql.ColumnId]sql.Type{}
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		var sch sql.Schema
		if children := n.Children(); len(children) == 1 {
			sch = children[0].Schema()
		}
		n, same, err := transform.OneNodeExpressions(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
				gf, ok := e.(*expression.GetField)
				if !ok {
					return e, transform.SameTree, nil
				}
				if isInet, cidr := pgtypes.IsInet(gf.Type()); isInet && cidr {
					// min/max of cidr became inet (windowMinMaxCIDR).
					t, ok := inet[gf.Id()]
					if !ok || gf.Id() == 0 {
						return e, transform.SameTree, nil
					}
					ne := expression.NewGetFieldWithTable(gf.Index(), int(gf.TableId()), t, gf.Database(), gf.Table(), gf.Name(), gf.IsNullable())
					return ne.WithId(gf.Id()).(sql.Expression), transform.NewTree, nil
				}
				if !types.IsText(gf.Type()) {
					return e, transform.SameTree, nil
				}
				t, ok := tstz[gf.Id()]
				if !ok || gf.Id() == 0 {
					var c *sql.Column
					for _, sc := range sch {
						if strings.EqualFold(sc.Name, gf.Name()) {
							if c != nil {
								return e, transform.SameTree, nil // ambiguous
							}
							c = sc
						}
					}
					if c == nil || !pgtypes.IsTimestampTZ(c.Type) {
						return e, transform.SameTree, nil
					}
					t = c.Type
				}
				ne := expression.NewGetFieldWithTable(gf.Index(), int(gf.TableId()), t, gf.Database(), gf.Table(), gf.Name(), gf.IsNullable())
				return ne.WithId(gf.Id()).(sql.Expression), transform.NewTree, nil
			})
		})
		if err != nil {
			return nil, transform.SameTree, err
		}
		if ex, ok := n.(sql.Expressioner); ok {
			for _, e := range ex.Expressions() {
				ie, ok := e.(sql.IdExpression)
				if !ok || ie.Id() == 0 {
					continue
				}
				if pgtypes.IsTimestampTZ(e.Type()) {
					tstz[ie.Id()] = e.Type()
				} else if isInet, cidr := pgtypes.IsInet(e.Type()); isInet && !cidr {
					inet[ie.Id()] = e.Type()
				}
			}
		}
		return n, same, nil
	})
}

func caseCommonTypes(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			var vals []sql.Expression
			construct := ""
			switch x := e.(type) {
			case *expression.Case:
				construct = "CASE"
				for _, b := range x.Branches {
					vals = append(vals, b.Value)
				}
				if x.Else != nil {
					vals = append(vals, x.Else)
				}
			case *pgexpr.Func:
				if x.Name != "greatest" && x.Name != "least" {
					return e, transform.SameTree, nil
				}
				construct = strings.ToUpper(x.Name)
				vals = x.Args
			default:
				return e, transform.SameTree, nil
			}
			oids := make([]uint32, len(vals))
			var typed sql.Type
			literals := false
			for i, v := range vals {
				if pgexpr.IsUnknownLiteral(v) {
					literals = true
					continue
				}
				oids[i], _ = pgtypes.OID(v.Type())
				if typed == nil {
					typed = v.Type()
				}
			}
			oid, err := pgtypes.CommonType(construct, oids)
			if err != nil {
				return nil, transform.SameTree, err
			}
			if !literals || typed == nil {
				return e, transform.SameTree, nil
			}
			to := typed
			if o, _ := pgtypes.OID(to); o != oid {
				if to, err = pgtypes.GMSType(pgtypes.CastName(oid)); err != nil {
					return e, transform.SameTree, nil
				}
			}
			changed := false
			children := e.Children()
			for i, c := range children {
				if !pgexpr.IsUnknownLiteral(c) || !contains(vals, c) {
					continue
				}
				nc, ok, err := coerceLiteral(ctx, c, to)
				if err != nil {
					return nil, transform.SameTree, err
				}
				if ok {
					children[i], changed = nc, true
				}
			}
			if !changed {
				return e, transform.SameTree, nil
			}
			ne, err := e.WithChildren(children...)
			return ne, transform.NewTree, err
		})
	})
}

func contains(list []sql.Expression, e sql.Expression) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}
