package pgparse

import pg "github.com/pganalyze/pg_query_go/v6"

// castElements returns ARRAY[e1::typ, e2::typ, ...] for ARRAY[e1, e2,
// ...]::typ[]: the array's element type is typ, so a comparison of x
// with its elements is x op typ (42883 when there is no such operator,
// as for 1 = ANY(ARRAY['1']::text[])).
func castElements(arr *pg.A_ArrayExpr, typ *pg.TypeName) *pg.Node {
	elems := make([]*pg.Node, len(arr.Elements))
	for i, e := range arr.Elements {
		elems[i] = &pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{Arg: e, TypeName: typ, Location: -1}}}
	}
	return &pg.Node{Node: &pg.Node_AArrayExpr{AArrayExpr: &pg.A_ArrayExpr{Elements: elems, Location: arr.Location}}}
}
