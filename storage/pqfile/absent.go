package pqfile

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Absent splits the wanted column names into those the file has, in
// order, and marks the ones it lacks: columns added to the table after
// the file was written, which read as NULL (FillAbsent). absent is nil
// when the file has every column.
func (r *Reader) Absent(names []string) (present []string, absent []bool) {
	present = names
	for i, n := range names {
		if _, ok := r.fields[n]; ok {
			if absent != nil {
				present = append(present, n)
			}
			continue
		}
		if absent == nil {
			absent = make([]bool, len(names))
			present = append([]string(nil), names[:i]...)
		}
		absent[i] = true
	}
	return present, absent
}

// FillAbsent returns a batch of schema whose columns marked in absent are
// all NULL (or their missing value: AbsentArray) and whose other columns are rec's first columns, in order
// (rec read the names Absent returned as present). The caller releases
// the result; rec is not released.
func FillAbsent(mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema, absent []bool) arrow.RecordBatch {
	cols := make([]arrow.Array, schema.NumFields())
	j := 0
	for i := range cols {
		if absent[i] {
			cols[i] = AbsentArray(mem, schema.Field(i), int(rec.NumRows()))
			continue
		}
		cols[i] = rec.Column(j)
		cols[i].Retain()
		j++
	}
	out := array.NewRecordBatch(schema, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}
