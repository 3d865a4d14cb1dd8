package storage

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Widen returns rec with the columns of schema, matched by name: a column
// rec lacks (added to the table after rec was written) is all NULL, or
// its missing value (pqfile.AbsentArray). It
// returns rec itself, retained, when it already has schema's columns. Any
// column rec has must have the type schema gives it, and schema must hold
// every column of rec (tables only grow). The caller releases the result.
func Widen(mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	return matchColumns(mem, rec, schema, "widen", false)
}
