package pqfile

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dictColumn turns the string arrays chunks (one column's rows of one row
// group) into dictionary arrays sharing one dictionary (values in order of first appearance), so
// the Parquet writer puts that dictionary once and writes each chunk's
// indices as they are: without it, the writer hashes every value into its
// own memo table and updates the page statistics value by value. It
// returns nil when a column is not a plain *array.String, or holds an
// empty string: arrow-go's statistics of a dictionary page
// (ByteArrayStatistics.UpdateFromArrow) skip empty values as if they were
// NULL, which would leave "" out of the zone map's minimum (the dense
// path counts it).
func dictColumn(mem memory.Allocator, chunks []arrow.Array) *arrow.Chunked {
	seen := make(map[string]int32, 256)
	vals := array.NewStringBuilder(mem)
	defer vals.Release()
	idx := make([]*array.Int32, 0, len(chunks))
	release := func() {
		for _, a := range idx {
			a.Release()
		}
	}
	for _, c := range chunks {
		a, ok := c.(*array.String)
		if !ok {
			release()
			return nil
		}
		ib := array.NewInt32Builder(mem)
		ib.Reserve(a.Len())
		for i := range a.Len() {
			if a.IsNull(i) {
				ib.UnsafeAppendBoolToBitmap(false)
				continue
			}
			v := a.Value(i)
			k, ok := seen[v]
			if !ok {
				if v == "" {
					ib.Release()
					release()
					return nil
				}
				k = int32(len(seen))
				vals.Append(v)
				seen[v] = k
			}
			ib.UnsafeAppend(k)
		}
		idx = append(idx, ib.NewInt32Array())
		ib.Release()
	}
	dict := vals.NewStringArray()
	defer dict.Release()
	typ := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	out := make([]arrow.Array, len(idx))
	for i, a := range idx {
		out[i] = array.NewDictionaryArray(typ, a, dict)
		a.Release()
	}
	c := arrow.NewChunked(typ, out)
	for _, a := range out {
		a.Release()
	}
	return c
}

// Dictionaries are the dictionaries WriteDictionaries wrote text columns
// with: per row group, per column, the dictionary arrays (one shared
// dictionary, indices in row order) of the row group's rows, or nothing
// where the column was written dense.
type Dictionaries struct {
	groups [][]*arrow.Chunked // [row group][column]
}

func (d *Dictionaries) add(group, col int, c *arrow.Chunked) {
	for len(d.groups) <= group {
		d.groups = append(d.groups, nil)
	}
	for len(d.groups[group]) <= col {
		d.groups[group] = append(d.groups[group], nil)
	}
	c.Retain()
	d.groups[group][col] = c
}

// Column returns the dictionary of column col (its index in the file
// schema) in row group group and the indices of the group's rows, in
// order, in chunks; ok is false when the column was written dense there
// (or d is nil). They stay valid until d is released.
func (d *Dictionaries) Column(group, col int) (dict *array.String, indices []*array.Int32, ok bool) {
	if d == nil || group >= len(d.groups) || col >= len(d.groups[group]) || d.groups[group][col] == nil {
		return nil, nil, false
	}
	for _, ch := range d.groups[group][col].Chunks() {
		a, isDict := ch.(*array.Dictionary)
		if !isDict {
			return nil, nil, false
		}
		idx, isInt := a.Indices().(*array.Int32)
		vals, isStr := a.Dictionary().(*array.String)
		if !isInt || !isStr || (dict != nil && vals.Data() != dict.Data()) {
			return nil, nil, false // one dictionary per row group (dictColumn)
		}
		if dict == nil {
			dict = vals
		}
		indices = append(indices, idx)
	}
	return dict, indices, dict != nil
}

// Release releases the dictionaries; d may be nil.
func (d *Dictionaries) Release() {
	if d == nil {
		return
	}
	for _, g := range d.groups {
		for _, c := range g {
			if c != nil {
				c.Release()
			}
		}
	}
	d.groups = nil
}
