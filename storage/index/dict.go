package index

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// addDictColumn feeds a text column of one row group that the Parquet
// writer encoded with a dictionary (pqfile.Dictionaries) to whichever of
// hashes, grams and posts are not nil: each distinct value once, and its
// rows as lists gathered by index, without hashing any row's string
// (design 085). It returns the non-null rows. The result is the index
// addStrings builds from the same rows.
func addDictColumn(dict *array.String, indices []*array.Int32, hashes *[]uint64, grams *gramSet, posts *postingsBuilder) int {
	n := dict.Len()
	rows := make([][]uint32, n) // rows of each dictionary value, in order
	nonNull, base := 0, uint32(0)
	for _, idx := range indices {
		vals := idx.Int32Values()
		if idx.NullN() == 0 {
			for i, k := range vals {
				rows[k] = append(rows[k], base+uint32(i))
			}
		} else {
			for i, k := range vals {
				if idx.IsValid(i) {
					rows[k] = append(rows[k], base+uint32(i))
				}
			}
		}
		nonNull += idx.Len() - idx.NullN()
		base += uint32(idx.Len())
	}
	for k := range n {
		if len(rows[k]) == 0 {
			continue // not in these rows
		}
		v := dict.Value(k)
		if hashes != nil {
			*hashes = append(*hashes, HashString(v))
		}
		if grams != nil && !grams.invalid {
			grams.add(v)
		}
		if posts != nil && !posts.over {
			for _, id := range posts.valueTerms(v, rows[k][0]) {
				posts.addRows(id, rows[k])
			}
		}
	}
	return nonNull
}

// valueTerms returns the term ids of v's tokens (digits-only tokens left
// out), each once, adding new terms, first seen at row, to the
// vocabulary; past a bound it sets b.over and returns nil.
func (b *postingsBuilder) valueTerms(v string, row uint32) []uint32 {
	var ids []uint32
	for i := 0; ; {
		t, h, next := nextTerm(v, i)
		if next < 0 {
			return ids
		}
		i = next
		id, ok := b.term(t, h, row)
		if !ok {
			return nil
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
}

// addRows adds rows, increasing, to term id's rows. Rows of another value
// may be there already (a term in several values), in any order relative
// to these: then the term's rows become a bit set.
func (b *postingsBuilder) addRows(id uint32, rows []uint32) {
	if b.dense[id] == nil && len(b.rows[id]) == 0 && len(rows) < b.denseAt {
		b.rows[id] = slices.Clone(rows)
		return
	}
	d := b.dense[id]
	if d == nil {
		d = make([]uint64, (b.groupN+63)/64)
		for _, x := range b.rows[id] {
			d[x>>6] |= uint64(1) << (x & 63)
		}
		b.dense[id], b.rows[id] = d, nil
	}
	for _, x := range rows {
		w := int(x >> 6)
		if w >= len(d) { // not past the row group's rows; kept safe anyway
			d = append(d, make([]uint64, w+1-len(d))...)
			b.dense[id] = d
		}
		d[w] |= uint64(1) << (x & 63)
	}
}
