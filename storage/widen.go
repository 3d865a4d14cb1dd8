package storage

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// Widen returns rec with the columns of schema, matched by name: a column
// rec lacks (added to the table after rec was written) is all NULL, or
// its missing value (pqfile.AbsentArray). It
// returns rec itself, retained, when it already has schema's columns. Any
// column rec has must have the type schema gives it, and schema must hold
// every column of rec (tables only grow). The caller releases the result.
func Widen(mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	if rec.Schema().Equal(schema) {
		rec.Retain()
		return rec, nil
	}
	have := rec.Schema()
	if have.NumFields() > schema.NumFields() {
		return nil, fmt.Errorf("widen: batch has %d columns, the table %d", have.NumFields(), schema.NumFields())
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	found := 0
	for i, f := range schema.Fields() {
		j := have.FieldIndices(f.Name)
		if len(j) == 0 {
			cols[i] = pqfile.AbsentArray(mem, f, int(rec.NumRows()))
			continue
		}
		c := rec.Column(j[0])
		if !arrow.TypeEqual(c.DataType(), f.Type) {
			return nil, fmt.Errorf("widen: column %q is %s in the batch, %s in the table", f.Name, c.DataType(), f.Type)
		}
		c.Retain()
		cols[i] = c
		found++
	}
	if found != have.NumFields() {
		return nil, fmt.Errorf("widen: the batch has columns the table lacks")
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}
