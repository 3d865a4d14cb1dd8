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
	return matchColumns(mem, rec, schema, "conform", true)
}

// matchColumns is Conform (dropExtra) and Widen (every column of rec must
// be in schema); what names the caller in errors.
func matchColumns(mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema, what string, dropExtra bool) (arrow.RecordBatch, error) {
	if rec.Schema().Equal(schema) {
		rec.Retain()
		return rec, nil
	}
	have := rec.Schema()
	if !dropExtra && have.NumFields() > schema.NumFields() {
		return nil, fmt.Errorf("%s: batch has %d columns, the table %d", what, have.NumFields(), schema.NumFields())
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
			return nil, fmt.Errorf("%s: column %q is %s in the batch, %s in the table", what, f.Name, c.DataType(), f.Type)
		}
		c.Retain()
		cols[i] = c
		found++
	}
	if !dropExtra && found != have.NumFields() {
		return nil, fmt.Errorf("%s: the batch has columns the table lacks", what)
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}
