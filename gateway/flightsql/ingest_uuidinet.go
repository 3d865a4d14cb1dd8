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

// uuidBytes reports whether an ingest stream's type carries uuids as 16
// raw bytes: fixed_size_binary(16), or an extension type stored so
// (arrow-go's arrow.uuid among them).
func uuidBytes(dt arrow.DataType) bool {
	if ext, ok := dt.(arrow.ExtensionType); ok {
		dt = ext.StorageType()
	}
	fsb, ok := dt.(*arrow.FixedSizeBinaryType)
	return ok && fsb.ByteWidth == 16
}

// uuidText converts a column of 16-byte uuids (uuidBytes) to the stored
// text form of a uuid column.
func uuidText(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	if ext, ok := arr.(array.ExtensionArray); ok {
		arr = ext.Storage()
	}
	fsb, ok := arr.(*array.FixedSizeBinary)
	if !ok {
		return nil, fmt.Errorf("expected 16-byte uuids, got %s", arr.DataType())
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(fsb.Len())
	for i := range fsb.Len() {
		if fsb.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(storage.FormatUUID([16]byte(fsb.Value(i))))
	}
	return b.NewArray(), nil
}

// fitNormalized gives the strings ingested into a uuid, inet or cidr column
// their canonical form (storage.FitValue): bad input is 22P02 and rejects
// the batch. It returns arr itself when nothing changes, else a new array
// (arr is then released).
func fitNormalized(mem memory.Allocator, c catalog.Column, arr arrow.Array) (arrow.Array, error) {
	s, ok := arr.(*array.String)
	if !ok {
		return arr, nil
	}
	var out []string
	for i := range s.Len() {
		if s.IsNull(i) {
			continue
		}
		v := s.Value(i)
		f, err := storage.FitValue(c.Type, v)
		if err != nil {
			if errors.Is(err, storage.ErrInvalidText) {
				return nil, pgerror.New(pgerror.InvalidTextRepr, "column %q: %v (row %d)", c.Name, err, i)
			}
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		if f != v && out == nil {
			out = make([]string, s.Len())
			for j := range i {
				out[j] = s.Value(j)
			}
		}
		if out != nil {
			out[i] = f
		}
	}
	if out == nil {
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
