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
	// The rows of each dictionary value, in order, as one counting sort:
	// off[k]..off[k+1] of all are value k's rows.
	off := make([]int32, n+1)
	nonNull := 0
	for _, idx := range indices {
		vals, valid := idx.Int32Values(), idx.NullN() == 0
		for i, k := range vals {
			if valid || idx.IsValid(i) {
				off[k+1]++
			}
		}
		nonNull += idx.Len() - idx.NullN()
	}
	for k := range n {
		off[k+1] += off[k]
	}
	all := make([]uint32, nonNull)
	next := slices.Clone(off[:n])
	base := uint32(0)
	for _, idx := range indices {
		vals, valid := idx.Int32Values(), idx.NullN() == 0
		for i, k := range vals {
			if valid || idx.IsValid(i) {
				all[next[k]] = base + uint32(i)
				next[k]++
			}
		}
		base += uint32(idx.Len())
	}
	rows := func(k int) []uint32 { return all[off[k]:off[k+1]:off[k+1]] }
	for k := range n {
		if off[k] == off[k+1] {
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
			rk := rows(k)
			for _, id := range posts.valueTerms(v, rk[0]) {
				posts.addRows(id, rk)
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
		b.rows[id] = append(b.rows[id], rows...)
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
