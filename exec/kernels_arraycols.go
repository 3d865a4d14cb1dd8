package exec

import "github.com/apache/arrow-go/v18/arrow/array"

// appendListFrom appends list i of a (not NULL) to b, which has a's type:
// the array columns of docs/design/072 travel through filters and top-k
// as they are.
func appendListFrom(b *array.ListBuilder, a *array.List, i int) error {
	start, end := a.ValueOffsets(i)
	b.Append(true)
	vb, vals := b.ValueBuilder(), a.ListValues()
	for j := int(start); j < int(end); j++ {
		if err := appendFrom(vb, vals, j); err != nil {
			return err
		}
	}
	return nil
}
