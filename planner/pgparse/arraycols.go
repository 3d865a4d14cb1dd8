package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/storage"
)

// arrayTypeName returns the canonical type of a one-dimensional array type
// name (text[], int8 ARRAY, varchar[]: "text[]"); PostgreSQL ignores a
// declared size (int[3]) and so does OpenWit. More dimensions, and arrays
// of element types OpenWit cannot store, are 0A000 (docs/design/072).
func (t *translator) arrayTypeName(tn *pg.TypeName) string {
	if len(tn.ArrayBounds) > 1 {
		t.unsupported("multidimensional arrays")
	}
	elem := t.typeName(&pg.TypeName{Names: tn.Names, Typmods: tn.Typmods})
	typ, err := storage.ArrayOfType(elem)
	if err != nil {
		name := tn.Names[len(tn.Names)-1].GetString_().Sval
		t.unsupported("type " + name + "[] as a column type")
	}
	return typ
}
