package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// walkMessages calls visit on m and, depth first in field order, on every
// message under it whose parent visit returned true for.
func walkMessages(m protoreflect.Message, visit func(protoreflect.Message) bool) {
	if !visit(m) {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind || fd.IsMap() {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkMessages(l.Get(i).Message(), visit)
			}
			return true
		}
		walkMessages(v.Message(), visit)
		return true
	})
}

// walkNoSubqueries calls fn on m and every message under it, but not
// under a subquery (SubLink), whose names resolve in its own FROM first.
func walkNoSubqueries(m protoreflect.Message, fn func(protoreflect.Message)) {
	walkMessages(m, func(m protoreflect.Message) bool {
		if _, ok := m.Interface().(*pg.SubLink); ok {
			return false
		}
		fn(m)
		return true
	})
}

// walkColumnRefs calls fn for every ColumnRef in a parse tree.
func walkColumnRefs(m protoreflect.Message, fn func(*pg.ColumnRef)) {
	walkMessages(m, func(m protoreflect.Message) bool {
		if c, ok := m.Interface().(*pg.ColumnRef); ok {
			fn(c)
			return false
		}
		return true
	})
}

// walkFuncCalls calls fn for every FuncCall in a parse tree, outer calls
// first, not inside subqueries (their calls are theirs).
func walkFuncCalls(m protoreflect.Message, fn func(*pg.FuncCall)) {
	walkMessages(m, func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg.FuncCall:
			fn(x)
		case *pg.SubLink:
			return false
		}
		return true
	})
}
