package flightsql

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/pgerror"
	"openwit/storage"
	"openwit/storage/catalog"
)

// fitCharList is fitChars for a varchar(n)[] column (docs/design/083):
// PostgreSQL's assignment rule applies to every element, so an element
// longer than n characters is 22001 and rejects the batch, unless only
// blanks are past n (they are cut). It returns arr itself when nothing
// changes, else a new array (arr is then released); ok is false when c is
// no varchar(n)[] column or arr no list of strings.
func fitCharList(mem memory.Allocator, c catalog.Column, arr arrow.Array) (out arrow.Array, ok bool, err error) {
	elem, isArray := storage.ArrayElem(c.Type)
	l, isList := arr.(*array.List)
	if !isArray || !isList {
		return arr, false, nil
	}
	vals, isStr := l.ListValues().(*array.String)
	if _, n, isChar := storage.CharLength(elem); !isStr || !isChar || n == 0 {
		return arr, false, nil
	}
	fitted := make(map[int]string)
	for j := range vals.Len() {
		if vals.IsNull(j) {
			continue
		}
		v := vals.Value(j)
		f, err := storage.FitChar(elem, v)
		if err != nil {
			if errors.Is(err, storage.ErrValueTooLong) {
				return nil, true, pgerror.New(pgerror.StringDataRightTruncation, "column %q: %v (element %d)", c.Name, err, j)
			}
			return nil, true, fmt.Errorf("column %q: %w", c.Name, err)
		}
		if f != v {
			fitted[j] = f
		}
	}
	if len(fitted) == 0 {
		return arr, true, nil
	}
	b := array.NewListBuilderWithField(mem, l.DataType().(*arrow.ListType).ElemField())
	defer b.Release()
	vb := b.ValueBuilder().(*array.StringBuilder)
	for i := range l.Len() {
		if l.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(true)
		start, end := l.ValueOffsets(i)
		for j := int(start); j < int(end); j++ {
			switch f, cut := fitted[j]; {
			case vals.IsNull(j):
				vb.AppendNull()
			case cut:
				vb.Append(f)
			default:
				vb.Append(vals.Value(j))
			}
		}
	}
	arr.Release()
	return b.NewArray(), true, nil
}
