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

// fitChars applies the assignment rule of a varchar(n) or char(n) column
// (storage.FitChar) to an ingested string column: a value longer than n
// characters is 22001 and rejects the batch, unless only blanks are past n
// (they are cut); char(n) values are blank-padded to n. It returns arr
// itself when nothing changes, else a new array (arr is then released).
func fitChars(mem memory.Allocator, c catalog.Column, arr arrow.Array) (arrow.Array, error) {
	if storage.IsNormalized(c.Type) {
		return fitNormalized(mem, c, arr)
	}
	if out, ok, err := fitCharList(mem, c, arr); ok {
		return out, err
	}
	s, ok := arr.(*array.String)
	if _, n, isChar := storage.CharLength(c.Type); !ok || !isChar || n == 0 {
		return arr, nil
	}
	changed := false
	out := make([]string, s.Len())
	for i := range s.Len() {
		if s.IsNull(i) {
			continue
		}
		v := s.Value(i)
		f, err := storage.FitChar(c.Type, v)
		if err != nil {
			if errors.Is(err, storage.ErrValueTooLong) {
				return nil, pgerror.New(pgerror.StringDataRightTruncation, "column %q: %v (row %d)", c.Name, err, i)
			}
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		changed = changed || f != v
		out[i] = f
	}
	if !changed {
		return arr, nil
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(s.Len())
	for i := range s.Len() {
		if s.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(out[i])
		}
	}
	arr.Release()
	return b.NewArray(), nil
}
