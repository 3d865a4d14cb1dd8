package pgparse

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// lateralFunction translates LATERAL generate_series(...) [AS s]: as a
// LATERAL subquery SELECT * FROM generate_series(...) s, which
// go-mysql-server evaluates once per row of the items to its left.
func (t *translator) lateralFunction(rf *pg.RangeFunction) ast.TableExpr {
	inner := &pg.RangeFunction{Functions: rf.Functions, Alias: rf.Alias, Coldeflist: rf.Coldeflist}
	tf, ok := t.fromFunction(inner).(*ast.TableFuncExpr)
	if !ok {
		t.unsupported("this LATERAL function")
	}
	name := tf.Alias
	if name.IsEmpty() {
		name = ast.NewTableIdent(tf.Name)
		tf.Alias = name
	}
	sel := &ast.Select{SelectExprs: ast.SelectExprs{&ast.StarExpr{}}, From: ast.TableExprs{tf}}
	return &ast.AliasedTableExpr{Expr: &ast.Subquery{Select: sel}, As: name, Lateral: true}
}

// checkLateralOuter refuses, as PostgreSQL does (42P10), a RIGHT or FULL
// JOIN whose LATERAL right side refers to a FROM item of its left side:
// the combining join must be INNER or LEFT. Only qualified references
// (h.a) are recognised.
func (t *translator) checkLateralOuter(j *pg.JoinExpr) {
	if j.Jointype != pg.JoinType_JOIN_RIGHT && j.Jointype != pg.JoinType_JOIN_FULL {
		return
	}
	lateral := false
	if rs := j.Rarg.GetRangeSubselect(); rs != nil && rs.Lateral {
		lateral = true
	}
	if rf := j.Rarg.GetRangeFunction(); rf != nil && rf.Lateral {
		lateral = true
	}
	if !lateral {
		return
	}
	left := map[string]bool{}
	leftNames(j.Larg, left)
	var bad string
	walkColumnRefs(j.Rarg.ProtoReflect(), func(c *pg.ColumnRef) {
		if bad == "" && len(c.Fields) >= 2 {
			if s := c.Fields[0].GetString_(); s != nil && left[s.Sval] {
				bad = s.Sval
			}
		}
	})
	if bad != "" {
		t.fail(pgerror.InvalidColumnReference, "invalid reference to FROM-clause entry for table %q", bad)
	}
}

// leftNames collects the names FROM items are referred to by.
func leftNames(n *pg.Node, out map[string]bool) {
	if j := n.GetJoinExpr(); j != nil {
		leftNames(j.Larg, out)
		leftNames(j.Rarg, out)
		return
	}
	if rf := n.GetRangeFunction(); rf != nil && rf.Alias != nil {
		out[rf.Alias.Aliasname] = true
		return
	}
	if name := fromItemName(n); name != "" {
		out[name] = true
	}
}
