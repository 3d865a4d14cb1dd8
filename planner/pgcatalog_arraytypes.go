package planner

import (
	"fmt"

	"openwit/storage"
)

// arrayTypmod is atttypmod of an array column (docs/design/083): its
// element type's, as PostgreSQL keeps numeric(10,2)[] and varchar(64)[];
// -1 for unconstrained numeric[] (stored at the default precision and
// scale). ok is false for other columns.
func arrayTypmod(colType string) (int32, bool) {
	elem, ok := storage.ArrayElem(colType)
	if !ok {
		return 0, false
	}
	if elem == fmt.Sprintf("numeric(%d,%d)", storage.DefaultNumericPrecision, storage.DefaultNumericScale) {
		return -1, true
	}
	return typmod(elem), true
}
