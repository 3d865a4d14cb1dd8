package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

const ruleUUIDInetLiterals analyzer.RuleId = 10_069

// uuidInetLiterals reads the untyped string literals compared with a
// uuid, inet or cidr operand (=, <>, <, ..., IN) as values of that type
// at plan time (pgexpr.CoerceUUIDInetLiteral), so that `id = '{A0EE...}'`
// compares canonical values, in the vectorized executor too, and bad input
// is 22P02; and it rejects min and max of uuid (42883), as PostgreSQL 15
// has neither.
func uuidInetLiterals(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same1, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		g, ok := n.(*plan.GroupBy)
		if !ok {
			return n, transform.SameTree, nil
		}
		sel := make([]sql.Expression, len(g.SelectedExprs))
		same := transform.SameTree
		for i, e := range g.SelectedExprs {
			out, s, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
				if cd, ok := e.(*aggregation.CountDistinct); ok {
					return countDistinctInet(cd)
				}
				return minMaxCIDR(e)
			})
			if err != nil {
				return nil, transform.SameTree, err
			}
			sel[i] = out
			same = same && s
		}
		if same {
			return n, transform.SameTree, nil
		}
		return plan.NewGroupBy(sel, g.GroupByExprs, g.Child), transform.NewTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same3, err := transform.Node(n, windowMinMaxCIDR)
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same2, err := transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if err := pgexpr.CheckMinMax(e); err != nil {
				return nil, transform.SameTree, err
			}
			c, ok := e.(expression.Comparer)
			if !ok {
				return e, transform.SameTree, nil
			}
			out, ok, err := pgexpr.CoerceUUIDInetLiteral(ctx, c)
			if err != nil {
				return nil, transform.SameTree, err
			}
			if !ok {
				return e, transform.SameTree, nil
			}
			return out, transform.NewTree, nil
		})
	})
	return n, same1 && same2 && same3, err
}

// windowMinMaxCIDR is minMaxCIDR for the min and max window functions of a
// Window node (design 095). A marked argument (pgexpr.WindowArg) keeps its
// place, the cast goes inside it.
func windowMinMaxCIDR(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	w, ok := n.(*plan.Window)
	if !ok {
		return n, transform.SameTree, nil
	}
	var exprs []sql.Expression
	for i, e := range w.SelectExprs {
		out, same, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			switch e.(type) {
			case *aggregation.Min, *aggregation.Max:
			default:
				return e, transform.SameTree, nil
			}
			wa, marked := e.Children()[0].(*pgexpr.WindowArg)
			if !marked {
				return minMaxCIDR(e)
			}
			if isInet, cidr := pgtypes.IsInet(wa.Type()); !isInet || !cidr {
				return e, transform.SameTree, nil
			}
			cast, err := pgexpr.NewCast(wa.Child, storage.TypeInet)
			if err != nil {
				return nil, transform.SameTree, err
			}
			arg, err := wa.WithChildren(cast)
			if err != nil {
				return nil, transform.SameTree, err
			}
			out, err := e.WithChildren(arg)
			return out, transform.NewTree, err
		})
		if err != nil {
			return nil, transform.SameTree, err
		}
		if same {
			continue
		}
		if exprs == nil {
			exprs = append([]sql.Expression(nil), w.SelectExprs...)
		}
		exprs[i] = out
	}
	if exprs == nil {
		return n, transform.SameTree, nil
	}
	return plan.NewWindow(exprs, w.Child), transform.NewTree, nil
}

// countDistinctInet counts distinct inet and cidr values by their text
// form (one per value: equal values print alike): go-mysql-server hashes
// count(DISTINCT) arguments as text and cannot convert an inet value.
func countDistinctInet(cd *aggregation.CountDistinct) (sql.Expression, transform.TreeIdentity, error) {
	ch := cd.Children()
	changed := false
	for i, c := range ch {
		if ok, _ := pgtypes.IsInet(c.Type()); ok {
			ch[i], changed = pgexpr.NewInetText(c), true
		}
	}
	if !changed {
		return cd, transform.SameTree, nil
	}
	out, err := cd.WithChildren(ch...)
	return out, transform.NewTree, err
}

// minMaxCIDR makes min and max of a cidr value those of inet, as in
// PostgreSQL 15, which has no min(cidr): the argument is cast to inet, so
// the result is an inet value (type 869, printed without a full mask:
// max of '10.1.2.3/32'::cidr is 10.1.2.3).
func minMaxCIDR(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	var arg sql.Expression
	switch a := e.(type) {
	case *aggregation.Min:
		arg = a.Child
	case *aggregation.Max:
		arg = a.Child
	default:
		return e, transform.SameTree, nil
	}
	if isInet, cidr := pgtypes.IsInet(arg.Type()); !isInet || !cidr {
		return e, transform.SameTree, nil
	}
	cast, err := pgexpr.NewCast(arg, storage.TypeInet)
	if err != nil {
		return nil, transform.SameTree, err
	}
	out, err := e.WithChildren(cast)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return out, transform.NewTree, nil
}
