// Package arrowsize measures the memory Arrow data holds.
package arrowsize

import "github.com/apache/arrow-go/v18/arrow"

// Record is the size of rec's buffers, children and dictionaries. Whole
// buffers count: a slice keeps the buffer it views alive.
func Record(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		n += Data(col.Data())
	}
	return n
}

// Data is the size of d's buffers, children and dictionary.
func Data(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += Data(c)
	}
	if d.DataType().ID() == arrow.DICTIONARY && d.Dictionary() != nil {
		n += Data(d.Dictionary())
	}
	return n
}
