package pgparse

import (
	"fmt"
	"sort"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
)

// Grouping sets (GROUP BY GROUPING SETS, ROLLUP, CUBE), grouping(), and
// window functions over a grouped query. go-mysql-server has none of them
// (it has no ROLLUP, and fails on a window function in a grouped query), so
// the translator computes the groups in a derived table and everything
// PostgreSQL evaluates after grouping (the select list, HAVING, ORDER BY,
// DISTINCT, window functions) over it:
//
//	SELECT <targets over __gs> FROM (
//	  SELECT g1, g2, agg1, ..., 0 AS __p1 FROM ... WHERE ... GROUP BY g1, g2
//	  UNION ALL
//	  SELECT g1, NULL, agg1, ..., 1 AS __p1 FROM ... WHERE ... GROUP BY g1
//	  UNION ALL ...) AS __gs
//	WHERE <having over __gs> ORDER BY <keys over __gs>
//
// One branch per grouping set: the grouping expressions the set leaves out
// are NULL (their type comes from the branches that keep them: the union is
// unified with PostgreSQL's rules), and every grouping() call is a constant
// per branch. Each branch is a plain GROUP BY, so it runs vectorized (and
// distributed) over an OpenWit table like any other. A grouped query with
// window functions and no grouping sets is the same with one branch.
// See docs/design/045-grouping-sets-and-windows-over-aggregates.md.

// maxGroupingSets is PostgreSQL's limit on the grouping sets of a query.
const maxGroupingSets = 4096

// groupingMarker stands for a grouping() call until the grouping-sets
// rewrite replaces it by its per-branch constant.
type groupingMarker struct{ id int }

// WithResolvedChildren implements sqlparser.Injectable: a marker left in a
// bound statement is a grouping() the rewrite did not place.
func (groupingMarker) WithResolvedChildren([]any) (any, error) {
	return nil, pgerror.New(pgerror.GroupingError, "arguments to GROUPING must be grouping expressions of the associated query level")
}

// groupingFunc translates grouping(a, b, ...) into a marker.
func (t *translator) groupingFunc(g *pg.GroupingFunc) ast.Expr {
	if t.inWhere {
		t.fail(pgerror.GroupingError, "grouping operations are not allowed in WHERE")
	}
	if t.inAggregate {
		t.fail(pgerror.GroupingError, "aggregate function calls cannot be nested")
	}
	if len(g.Args) > 31 {
		t.fail("54023", "GROUPING must have fewer than 32 arguments")
	}
	t.groupingCalls++
	return ast.InjectedExpr{Expression: groupingMarker{id: t.groupingCalls}, Children: t.exprs(g.Args)}
}

// groupingSets expands a GROUP BY clause into its grouping sets (each a
// list of expressions), in PostgreSQL's order. multi reports whether the
// clause has GROUPING SETS, ROLLUP, CUBE or ().
func (t *translator) groupingSets(items []*pg.Node) (sets [][]*pg.Node, multi bool) {
	sets = [][]*pg.Node{nil}
	for _, it := range items {
		if it.GetGroupingSet() != nil {
			multi = true
		}
		var next [][]*pg.Node
		for _, s := range t.expandGroupItem(it) {
			for _, prev := range sets {
				next = append(next, append(append([]*pg.Node(nil), prev...), s...))
			}
			if len(next) > maxGroupingSets {
				t.fail("54001", "too many grouping sets present (maximum %d)", maxGroupingSets)
			}
		}
		sets = next
	}
	return sets, multi
}

// expandGroupItem returns the grouping sets of one GROUP BY item.
func (t *translator) expandGroupItem(n *pg.Node) [][]*pg.Node {
	gs := n.GetGroupingSet()
	if gs == nil {
		return [][]*pg.Node{groupUnit(n)}
	}
	switch gs.Kind {
	case pg.GroupingSetKind_GROUPING_SET_EMPTY:
		return [][]*pg.Node{nil}
	case pg.GroupingSetKind_GROUPING_SET_SIMPLE:
		var s []*pg.Node
		for _, c := range gs.Content {
			s = append(s, groupUnit(c)...)
		}
		return [][]*pg.Node{s}
	case pg.GroupingSetKind_GROUPING_SET_ROLLUP:
		units := make([][]*pg.Node, len(gs.Content))
		for i, c := range gs.Content {
			units[i] = groupUnit(c)
		}
		var out [][]*pg.Node
		for k := len(units); k >= 0; k-- {
			var s []*pg.Node
			for _, u := range units[:k] {
				s = append(s, u...)
			}
			out = append(out, s)
		}
		return out
	case pg.GroupingSetKind_GROUPING_SET_CUBE:
		if len(gs.Content) > 12 {
			t.fail("54011", "CUBE is limited to 12 elements")
		}
		units := make([][]*pg.Node, len(gs.Content))
		for i, c := range gs.Content {
			units[i] = groupUnit(c)
		}
		var out [][]*pg.Node
		n := len(units)
		for mask := (1 << n) - 1; mask >= 0; mask-- {
			var s []*pg.Node
			for i, u := range units {
				if mask&(1<<(n-1-i)) != 0 {
					s = append(s, u...)
				}
			}
			out = append(out, s)
		}
		return out
	case pg.GroupingSetKind_GROUPING_SET_SETS:
		var out [][]*pg.Node
		for _, c := range gs.Content {
			out = append(out, t.expandGroupItem(c)...)
		}
		return out
	}
	t.unsupported("this grouping set")
	return nil
}

// groupUnit is the expressions of one element of a grouping set: a
// parenthesized list (a, b) groups by each of its members.
func groupUnit(n *pg.Node) []*pg.Node {
	if r := n.GetRowExpr(); r != nil && r.RowFormat != pg.CoercionForm_COERCE_EXPLICIT_CALL {
		return r.Args
	}
	return []*pg.Node{n}
}

// distinctSets drops the grouping sets that repeat an earlier one (GROUP
// BY DISTINCT), comparing them as sets of expressions.
func distinctSets(sets [][]ast.Expr) [][]ast.Expr {
	seen := map[string]bool{}
	var out [][]ast.Expr
	for _, s := range sets {
		var keys []string
		for _, e := range s {
			keys = append(keys, exprKey(e))
		}
		k := strings.Join(sortedUnique(keys), "\x00")
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

func sortedUnique(keys []string) []string {
	m := map[string]bool{}
	var out []string
	for _, k := range keys {
		if !m[k] {
			m[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// needsGroupedDerivation reports whether a grouped SELECT must be computed
// as a derived table of groups: it has grouping sets or grouping() calls,
// or window functions over its groups.
func needsGroupedDerivation(sel *ast.Select, multi bool, order []*pg.Node) bool {
	if multi {
		return true
	}
	markers, windows, aggs := false, false, sel.Having != nil || len(sel.GroupBy) > 0
	for _, o := range order {
		walkNoSubqueries(o.ProtoReflect(), func(m protoreflect.Message) {
			switch x := m.Interface().(type) {
			case *pg.GroupingFunc:
				markers = true
			case *pg.FuncCall:
				if x.Over != nil {
					windows = true
				}
			}
		})
	}
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			continue
		}
		walkOuter(ae.Expr, func(n ast.SQLNode) {
			switch x := n.(type) {
			case ast.InjectedExpr:
				if _, ok := x.Expression.(groupingMarker); ok {
					markers = true
				}
			case *ast.FuncExpr:
				if x.Over != nil {
					windows = true
				} else if isAggregateName(x.Name.Lowered()) {
					aggs = true
				}
			case *ast.GroupConcatExpr:
				aggs = true
			}
		})
	}
	if sel.Having != nil {
		walkOuter(sel.Having.Expr, func(n ast.SQLNode) {
			if x, ok := n.(ast.InjectedExpr); ok {
				if _, ok := x.Expression.(groupingMarker); ok {
					markers = true
				}
			}
		})
	}
	return markers || (windows && aggs)
}

// walkOuter visits the nodes of e outside subqueries.
func walkOuter(e ast.Expr, fn func(ast.SQLNode)) {
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if _, ok := n.(*ast.Subquery); ok {
			return false, nil
		}
		fn(n)
		return true, nil
	}, e)
}

// gmsAggregates are go-mysql-server's aggregate functions that the
// translator passes through by name (besides those in aggregates).
var gmsAggregates = map[string]bool{
	"bit_and": true, "bit_or": true, "bit_xor": true, "json_objectagg": true, "any_value": true,
	"std": true, "first": true, "last": true, "group_concat": true,
}

func isAggregateName(name string) bool { return aggregates[name] || gmsAggregates[name] }

// groupedDerivation is the rewrite of one grouped SELECT.
type groupedDerivation struct {
	t       *translator
	groups  []ast.Expr // the distinct grouping expressions, __g1...
	keys    map[string]int
	units   []ast.Expr // aggregate expressions computed per group, __a1...
	unitKey map[string]int
	marks   [][]int // the grouping() calls: indexes into groups, __p1...
}

// groupedSelect rewrites sel (translated with its GROUP BY items as sets)
// as described at the top of this file; order is the SELECT's ORDER BY
// translated against sel.
func (t *translator) groupedSelect(sel *ast.Select, sets [][]ast.Expr, order ast.OrderBy) *ast.Select {
	d := &groupedDerivation{t: t, keys: map[string]int{}, unitKey: map[string]int{}}
	members := make([]map[int]bool, len(sets))
	for i, s := range sets {
		members[i] = map[int]bool{}
		for k, e := range s {
			e = t.groupAlias(e, sel.SelectExprs)
			s[k] = e
			k := exprKey(e)
			j, ok := d.keys[k]
			if !ok {
				j = len(d.groups)
				d.keys[k] = j
				d.groups = append(d.groups, e)
			}
			members[i][j] = true
		}
	}
	outer := &ast.Select{QueryOpts: sel.QueryOpts}
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			t.unsupported("* in a query with grouping sets or window functions over groups")
		}
		outer.SelectExprs = append(outer.SelectExprs, &ast.AliasedExpr{Expr: d.expr(ae.Expr), As: ae.As})
	}
	if sel.Having != nil {
		outer.Where = &ast.Where{Type: ast.WhereStr, Expr: d.expr(sel.Having.Expr)}
	}
	aliases := map[string]bool{}
	for _, se := range sel.SelectExprs {
		if ae, ok := se.(*ast.AliasedExpr); ok {
			aliases[ae.As.String()] = true
		}
	}
	for _, o := range order {
		e := o.Expr
		switch x := e.(type) {
		case *ast.ColName:
			if !(x.Qualifier.IsEmpty() && aliases[x.Name.String()]) {
				e = d.expr(e)
			}
		case *ast.SQLVal:
		default:
			e = d.expr(e)
		}
		d.checkUngrouped(e, aliases)
		outer.OrderBy = append(outer.OrderBy, &ast.Order{Expr: e, Direction: o.Direction})
	}

	var inner ast.SelectStatement
	for i, s := range sets {
		b := &ast.Select{From: sel.From, Where: sel.Where}
		for _, e := range s {
			if _, literal := e.(*ast.SQLVal); !literal {
				// go-mysql-server reads a literal in GROUP BY as a
				// position; grouping by a constant changes no group.
				b.GroupBy = append(b.GroupBy, e)
			}
		}
		for j, g := range d.groups {
			var e ast.Expr = &ast.NullVal{}
			if members[i][j] {
				e = g
			}
			b.SelectExprs = append(b.SelectExprs, &ast.AliasedExpr{Expr: e, As: ast.NewColIdent(fmt.Sprintf("__g%d", j+1))})
		}
		for k, u := range d.units {
			b.SelectExprs = append(b.SelectExprs, &ast.AliasedExpr{Expr: u, As: ast.NewColIdent(fmt.Sprintf("__a%d", k+1))})
		}
		for k, args := range d.marks {
			v := int64(0)
			for _, j := range args {
				v <<= 1
				if !members[i][j] {
					v |= 1
				}
			}
			b.SelectExprs = append(b.SelectExprs, &ast.AliasedExpr{Expr: intLiteral(v), As: ast.NewColIdent(fmt.Sprintf("__p%d", k+1))})
		}
		if len(d.units) == 0 {
			// An aggregate makes every branch grouped: the empty grouping
			// set is one row, as PostgreSQL groups all rows (even none)
			// into one.
			b.SelectExprs = append(b.SelectExprs, &ast.AliasedExpr{
				Expr: &ast.FuncExpr{Name: ast.NewColIdent("count"), Exprs: ast.SelectExprs{&ast.StarExpr{}}},
				As:   ast.NewColIdent("__n")})
		}
		if inner == nil {
			inner = b
			continue
		}
		so := &ast.SetOp{Type: ast.UnionStr + " all", Left: inner, Right: b}
		t.unifySetOp(so)
		inner = so
	}
	outer.From = ast.TableExprs{&ast.AliasedTableExpr{Expr: &ast.Subquery{Select: inner}, As: ast.NewTableIdent("__gs")}}
	return outer
}

func derivedCol(prefix string, i int) ast.Expr {
	return &ast.ColName{Name: ast.NewColIdent(fmt.Sprintf("%s%d", prefix, i+1)), Qualifier: ast.TableName{Name: ast.NewTableIdent("__gs")}}
}

// group returns the index of the grouping expression e is, if any. A bare
// column matches a grouping column of the same name whatever the
// qualifiers.
func (d *groupedDerivation) group(e ast.Expr) (int, bool) {
	if j, ok := d.keys[exprKey(e)]; ok {
		return j, true
	}
	c, ok := e.(*ast.ColName)
	if !ok {
		return 0, false
	}
	for j, g := range d.groups {
		gc, ok := g.(*ast.ColName)
		if ok && gc.Name.Lowered() == c.Name.Lowered() && (gc.Qualifier.IsEmpty() || c.Qualifier.IsEmpty()) {
			return j, true
		}
	}
	return 0, false
}

// expr rewrites an expression evaluated after grouping in terms of the
// derived table's columns.
func (d *groupedDerivation) expr(e ast.Expr) ast.Expr {
	return mapExpr(e, func(x ast.Expr) (ast.Expr, bool) {
		if j, ok := d.group(x); ok {
			return derivedCol("__g", j), true
		}
		switch y := x.(type) {
		case *ast.Subquery:
			d.checkCorrelated(y)
			return x, true
		case ast.InjectedExpr:
			if _, ok := y.Expression.(groupingMarker); ok {
				var args []int
				for _, a := range y.Children {
					j, ok := d.group(a)
					if !ok {
						d.t.fail(pgerror.GroupingError, "arguments to GROUPING must be grouping expressions of the associated query level")
					}
					args = append(args, j)
				}
				d.marks = append(d.marks, args)
				return derivedCol("__p", len(d.marks)-1), true
			}
		}
		if isAggregateUnit(x) {
			k := exprKey(x)
			i, ok := d.unitKey[k]
			if !ok {
				i = len(d.units)
				d.unitKey[k] = i
				d.units = append(d.units, x)
			}
			return derivedCol("__a", i), true
		}
		return nil, false
	})
}

// isAggregateUnit reports whether e is computed from aggregates (and
// constants) alone: it holds an aggregate, and no column, window function,
// subquery or grouping() outside its aggregates.
func isAggregateUnit(e ast.Expr) bool {
	agg, other := false, false
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		switch x := n.(type) {
		case *ast.GroupConcatExpr:
			agg = true
			return false, nil
		case *ast.FuncExpr:
			if x.Over != nil {
				other = true
				return false, nil
			}
			if isAggregateName(x.Name.Lowered()) {
				agg = true
				return false, nil
			}
		case *ast.ColName, *ast.Subquery, *ast.ExistsExpr:
			other = true
			return false, nil
		case ast.InjectedExpr:
			if _, ok := x.Expression.(groupingMarker); ok {
				other = true
				return false, nil
			}
		}
		return !other, nil
	}, e)
	return agg && !other
}

// mapExpr rebuilds e top-down: where f returns true its result replaces the
// node, elsewhere the node is copied with its children mapped. Nodes of
// kinds it does not know are kept when f has nothing to replace in them.
func mapExpr(e ast.Expr, f func(ast.Expr) (ast.Expr, bool)) ast.Expr {
	if e == nil {
		return nil
	}
	if r, ok := f(e); ok {
		return r
	}
	m := func(x ast.Expr) ast.Expr { return mapExpr(x, f) }
	switch x := e.(type) {
	case *ast.ColName, *ast.SQLVal, *ast.NullVal, ast.BoolVal, *ast.Default:
		return e
	case ast.InjectedExpr:
		c := x
		c.Children = make(ast.Exprs, len(x.Children))
		for i, ch := range x.Children {
			c.Children[i] = m(ch)
		}
		return c
	case *ast.FuncExpr:
		c := *x
		c.Exprs = mapSelectExprs(x.Exprs, f)
		if x.Over != nil {
			o := *x.Over
			o.PartitionBy = make(ast.Exprs, len(x.Over.PartitionBy))
			for i, p := range x.Over.PartitionBy {
				o.PartitionBy[i] = m(p)
			}
			o.OrderBy = nil
			for _, ob := range x.Over.OrderBy {
				o.OrderBy = append(o.OrderBy, &ast.Order{Expr: m(ob.Expr), Direction: ob.Direction})
			}
			if fr := x.Over.Frame; fr != nil && fr.Extent != nil {
				nf := *fr
				ext := *fr.Extent
				bound := func(b *ast.FrameBound) *ast.FrameBound {
					if b == nil {
						return nil
					}
					nb := *b
					nb.Expr = m(b.Expr)
					return &nb
				}
				ext.Start, ext.End = bound(fr.Extent.Start), bound(fr.Extent.End)
				nf.Extent = &ext
				o.Frame = &nf
			}
			c.Over = &o
		}
		return &c
	case *ast.CaseExpr:
		c := &ast.CaseExpr{Expr: m(x.Expr), Else: m(x.Else)}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, &ast.When{Cond: m(w.Cond), Val: m(w.Val)})
		}
		return c
	case *ast.BinaryExpr:
		return &ast.BinaryExpr{Operator: x.Operator, Left: m(x.Left), Right: m(x.Right)}
	case *ast.ComparisonExpr:
		return &ast.ComparisonExpr{Operator: x.Operator, Left: m(x.Left), Right: m(x.Right), Escape: m(x.Escape)}
	case *ast.AndExpr:
		return &ast.AndExpr{Left: m(x.Left), Right: m(x.Right)}
	case *ast.OrExpr:
		return &ast.OrExpr{Left: m(x.Left), Right: m(x.Right)}
	case *ast.XorExpr:
		return &ast.XorExpr{Left: m(x.Left), Right: m(x.Right)}
	case *ast.NotExpr:
		return &ast.NotExpr{Expr: m(x.Expr)}
	case *ast.IsExpr:
		return &ast.IsExpr{Operator: x.Operator, Expr: m(x.Expr)}
	case *ast.ParenExpr:
		return &ast.ParenExpr{Expr: m(x.Expr)}
	case *ast.UnaryExpr:
		return &ast.UnaryExpr{Operator: x.Operator, Expr: m(x.Expr)}
	case *ast.RangeCond:
		return &ast.RangeCond{Operator: x.Operator, Left: m(x.Left), From: m(x.From), To: m(x.To)}
	case *ast.IntervalExpr:
		return &ast.IntervalExpr{Expr: m(x.Expr), Unit: x.Unit}
	case *ast.CollateExpr:
		return &ast.CollateExpr{Expr: m(x.Expr), Collation: x.Collation}
	case *ast.ConvertExpr:
		c := *x
		c.Expr = m(x.Expr)
		return &c
	case ast.ValTuple:
		out := make(ast.ValTuple, len(x))
		for i, v := range x {
			out[i] = m(v)
		}
		return out
	case *ast.GroupConcatExpr:
		c := *x
		c.Exprs = mapSelectExprs(x.Exprs, f)
		return &c
	case *ast.ExistsExpr:
		if sq, ok := m(x.Subquery).(*ast.Subquery); ok {
			return &ast.ExistsExpr{Subquery: sq}
		}
	}
	return e
}

func mapSelectExprs(exprs ast.SelectExprs, f func(ast.Expr) (ast.Expr, bool)) ast.SelectExprs {
	out := make(ast.SelectExprs, len(exprs))
	for i, se := range exprs {
		if ae, ok := se.(*ast.AliasedExpr); ok {
			c := *ae
			c.Expr = mapExpr(ae.Expr, f)
			out[i] = &c
			continue
		}
		out[i] = se
	}
	return out
}

// allColumnsKnown reports whether every column the SELECT's select list,
// GROUP BY and HAVING name (outside subqueries) is known to be an input
// column: then a grouping error is the query's first error, as in
// PostgreSQL, and need not wait for go-mysql-server's resolution.
func (t *translator) allColumnsKnown(sel *ast.Select) bool {
	ok := true
	check := func(e ast.Expr) {
		walkOuter(e, func(n ast.SQLNode) {
			if c, isCol := n.(*ast.ColName); isCol && ok {
				if is, _ := t.inputColumn(c.Name.String()); !is {
					ok = false
				}
			}
		})
	}
	for _, se := range sel.SelectExprs {
		if ae, isAliased := se.(*ast.AliasedExpr); isAliased {
			check(ae.Expr)
		}
	}
	for _, g := range sel.GroupBy {
		check(g)
	}
	if sel.Having != nil {
		check(sel.Having.Expr)
	}
	return ok
}

// checkUngrouped fails like PostgreSQL (42803) on an input column the
// rewritten ORDER BY key e still names: one that is neither grouped nor
// inside an aggregate.
func (d *groupedDerivation) checkUngrouped(e ast.Expr, aliases map[string]bool) {
	walkOuter(e, func(n ast.SQLNode) {
		c, ok := n.(*ast.ColName)
		if !ok || c.Qualifier.Name.String() == "__gs" || (c.Qualifier.IsEmpty() && aliases[c.Name.String()]) {
			return
		}
		if is, _ := d.t.inputColumn(c.Name.String()); is {
			d.t.fail(pgerror.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", c.Name.String())
		}
	})
}

// checkCorrelated points the references of a subquery to the grouped
// query's FROM items (qualified by their names) at the derived table's
// grouping columns: the FROM items are inside it, out of the subquery's
// reach. A reference to a column that is not grouped fails (42803).
func (d *groupedDerivation) checkCorrelated(sq *ast.Subquery) {
	names := map[string]bool{}
	var add func(f *pg.Node)
	add = func(f *pg.Node) {
		if j := f.GetJoinExpr(); j != nil {
			add(j.Larg)
			add(j.Rarg)
			return
		}
		if n := fromItemName(f); n != "" {
			names[n] = true
		}
	}
	for _, f := range d.t.from {
		add(f)
	}
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if c, ok := n.(*ast.ColName); ok && !c.Qualifier.IsEmpty() && names[c.Qualifier.Name.String()] {
			j, ok := d.group(c)
			if !ok {
				d.t.fail(pgerror.GroupingError, "subquery uses ungrouped column \"%s.%s\" from outer query", c.Qualifier.Name.String(), c.Name.String())
			}
			col := derivedCol("__g", j).(*ast.ColName)
			c.Name, c.Qualifier = col.Name, col.Qualifier
		}
		return true, nil
	}, sq)
}

// groupAlias resolves a GROUP BY name that is an output alias and not an
// input column to the aliased expression, as PostgreSQL does (in a plain
// GROUP BY go-mysql-server resolves it; a branch of the derived table has
// no such alias).
func (t *translator) groupAlias(e ast.Expr, exprs ast.SelectExprs) ast.Expr {
	c, ok := e.(*ast.ColName)
	if !ok || !c.Qualifier.IsEmpty() {
		return e
	}
	if is, known := t.inputColumn(c.Name.String()); is || !known {
		return e
	}
	for _, se := range exprs {
		if ae, ok := se.(*ast.AliasedExpr); ok && ae.As.String() == c.Name.String() {
			if hasAggregate(ae.Expr) {
				t.fail(pgerror.GroupingError, "aggregate functions are not allowed in GROUP BY")
			}
			return ae.Expr
		}
	}
	return e
}
