package flightsql

import "github.com/apache/arrow-go/v18/arrow"

// castableList reports whether a list column converts to an array
// column's list type (docs/design/072): element by element, with the rules
// of castable; the element field's name does not matter (pyarrow calls it
// "item", Parquet "element").
func castableList(from, to arrow.DataType) bool {
	f, ok1 := from.(*arrow.ListType)
	t, ok2 := to.(*arrow.ListType)
	return ok1 && ok2 && castable(f.Elem(), t.Elem())
}
