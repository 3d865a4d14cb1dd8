package storage

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// Conform returns rec with exactly the columns of schema, matched by name:
// a column rec lacks reads pqfile.AbsentArray, a column schema lacks (a dropped
// column, still in WAL records and buffers) is left out. The types of the
// columns both have must agree. It returns rec itself, retained, when it
// already has schema. The caller releases the result.
func Conform(mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	if rec.Schema().Equal(schema) {
		rec.Retain()
		return rec, nil
	}
	have := rec.Schema()
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range schema.Fields() {
		j := have.FieldIndices(f.Name)
		if len(j) == 0 {
			cols[i] = pqfile.AbsentArray(mem, f, int(rec.NumRows()))
			continue
		}
		c := rec.Column(j[0])
		if !arrow.TypeEqual(c.DataType(), f.Type) {
			return nil, fmt.Errorf("conform: column %q is %s in the batch, %s in the table", f.Name, c.DataType(), f.Type)
		}
		c.Retain()
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}
