package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Set-returning functions in the select list: PostgreSQL runs
// `SELECT generate_series(1, 3)` and `SELECT id, unnest(tags) FROM t` as
// one output row per value the function returns for each input row (a
// function that returns nothing drops the row). For one such call at the
// top of a select item, that is a LATERAL join with the function as a FROM
// item, which OpenWit has:
//
//	SELECT a, f(x) AS v FROM t  =>  SELECT a, _srf.v FROM t, LATERAL f(x) AS _srf(v)
//
// The output column keeps the function's name (or the item's alias).
// Selects with grouping, aggregates, window functions, DISTINCT or several
// set-returning calls (PostgreSQL zips those) are left as they are.

// srfSelectAlias names the FROM item a select-list function becomes.
const srfSelectAlias = "_srf"

// selectListSRF rewrites s as above when it applies, in place. When the
// select list calls a set-returning function in a form it cannot rewrite,
// it returns what to name in a 0A000 error.
func selectListSRF(s *pg.SelectStmt) (unsupported string) {
	complex := len(s.GroupClause) > 0 || s.HavingClause != nil || len(s.DistinctClause) > 0 ||
		len(s.WindowClause) > 0 || len(s.ValuesLists) > 0
	// Exactly one set-returning call in the select list, and nothing
	// that aggregates or windows.
	var call *pg.FuncCall
	var target *pg.ResTarget
	bad := false
	for _, n := range s.TargetList {
		rt := n.GetResTarget()
		walkFuncCalls(n.ProtoReflect(), func(fc *pg.FuncCall) {
			name := funcCallName(fc)
			switch {
			case fc.Over != nil || aggregates[name]:
				bad = true
			case isSRFCall(fc):
				if call != nil {
					bad = true // several: PostgreSQL zips them
				}
				call, target = fc, rt
			}
		})
	}
	if call == nil {
		return ""
	}
	if bad || complex || target == nil || call.AggFilter != nil || call.AggStar || call.AggDistinct ||
		len(call.AggOrder) > 0 || call.AggWithinGroup || call.FuncVariadic {
		return "set-returning functions in the select list with several calls, aggregates, GROUP BY, DISTINCT or window functions"
	}
	name := funcCallName(call)
	col := name
	top := target.Val.GetFuncCall() == call
	if top && target.Name != "" {
		col = target.Name
	}
	rf := &pg.RangeFunction{
		Lateral:   len(s.FromClause) > 0,
		Functions: []*pg.Node{pg.MakeListNode([]*pg.Node{{Node: &pg.Node_FuncCall{FuncCall: call}}})},
		Alias:     &pg.Alias{Aliasname: srfSelectAlias, Colnames: []*pg.Node{pg.MakeStrNode(col)}},
	}
	s.FromClause = append(s.FromClause, &pg.Node{Node: &pg.Node_RangeFunction{RangeFunction: rf}})
	ref := pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(srfSelectAlias), pg.MakeStrNode(col)}, call.Location)
	if top {
		target.Val = ref
		target.Name = col
		return ""
	}
	// Nested (generate_series(...)::text, upper(unnest(a))): the call's
	// node becomes the column; the item's name is PostgreSQL's for the
	// outer expression.
	replaceFuncCall(target.Val.ProtoReflect(), call, ref)
	return ""
}

// replaceFuncCall replaces, in place, the Node holding call with ref.
func replaceFuncCall(m protoreflect.Message, call *pg.FuncCall, ref *pg.Node) bool {
	if n, ok := m.Interface().(*pg.Node); ok && n.GetFuncCall() == call {
		n.Node = ref.Node
		return true
	}
	done := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind || fd.IsMap() {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len() && !done; i++ {
				done = replaceFuncCall(l.Get(i).Message(), call, ref)
			}
			return !done
		}
		done = replaceFuncCall(v.Message(), call, ref)
		return !done
	})
	return done
}

// isSRFCall reports whether fc calls a set-returning function OpenWit
// runs as a FROM item.
func isSRFCall(fc *pg.FuncCall) bool {
	switch funcCallName(fc) {
	case "generate_series", "unnest", "regexp_matches", "regexp_split_to_table", "string_to_table", "pg_listening_channels":
		return len(fc.Funcname) == 1 || fc.Funcname[0].GetString_().GetSval() == "pg_catalog"
	}
	return isJSONSRF(funcCallName(fc)) && (len(fc.Funcname) == 1 || fc.Funcname[0].GetString_().GetSval() == "pg_catalog")
}

func funcCallName(fc *pg.FuncCall) string {
	if len(fc.Funcname) == 0 {
		return ""
	}
	return fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()
}

// functionRefersToColumns reports whether a FROM function's arguments refer to
// columns.
func functionRefersToColumns(rf *pg.RangeFunction) bool {
	found := false
	for _, f := range rf.Functions {
		walkColumnRefs(f.ProtoReflect(), func(*pg.ColumnRef) { found = true })
	}
	return found
}
