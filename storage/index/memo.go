package index

import "github.com/apache/arrow-go/v18/arrow/array"

// valueMemoMax is how many distinct values a row group's text column may
// have for valueMemo to keep serving it. Past it the column is taken to be
// mostly distinct (trace ids, messages with numbers) and every row is
// processed as it comes.
const valueMemoMax = 4096

// valueMemoProbe is how many distinct values the memo holds before it
// judges the column: from then on, while more than 7/8 of the values it
// has seen were distinct, it turns off (trace ids, messages with numbers),
// instead of hashing and storing 4,096 values per row group that will
// not repeat (design 061). The index is the same either way.
const valueMemoProbe = 512

// valueMemo remembers the distinct values of one text column in one row
// group and, when postings are built, the term ids of each value's tokens.
// A value seen before needs no hash (its equality hash is already in the
// Bloom input), no trigrams (they are in the set) and no tokenizing: only
// its row appended to its terms' lists. Services, hosts and levels repeat
// a few hundred values over tens of thousands of rows (design 050).
//
// The keys are the batches' own strings, not copies: the memo lives only
// while the row group's batches are held.
type valueMemo struct {
	seen map[string]int32 // value -> index in ids
	ids  [][]uint32       // term ids of each value, nil without postings
	vals int              // non-null values looked up
	off  bool             // mostly distinct: not used any more
}

// mostlyDistinct reports whether the memo, about to remember one more
// distinct value, should turn off instead (valueMemoMax, valueMemoProbe).
func (m *valueMemo) mostlyDistinct() bool {
	n := len(m.seen) + 1
	return n > valueMemoMax || (n > valueMemoProbe && 8*n > 7*m.vals)
}

// addStrings feeds the non-null values of a, whose first row is row base of
// the row group, to whichever of hashes (the Bloom input), grams and posts
// are not nil, through m.
func addStrings(a *array.String, base int, m *valueMemo, hashes *[]uint64, grams *gramSet, posts *postingsBuilder) {
	if m.seen == nil && !m.off {
		m.seen = make(map[string]int32, 256)
	}
	for i := range a.Len() {
		if a.IsNull(i) {
			continue
		}
		v, row := a.Value(i), uint32(base+i)
		if !m.off {
			m.vals++
			if k, ok := m.seen[v]; ok {
				if posts != nil && !posts.over {
					posts.addIDs(m.ids[k], row)
				}
				continue
			}
		}
		if hashes != nil {
			*hashes = append(*hashes, HashString(v))
		}
		if grams != nil && !grams.invalid {
			grams.add(v)
		}
		var ids []uint32
		if posts != nil && !posts.over {
			ids = posts.addValue(v, row, !m.off)
		}
		if m.off {
			continue
		}
		if m.mostlyDistinct() {
			m.off, m.seen, m.ids = true, nil, nil
			continue
		}
		m.seen[v] = int32(len(m.ids))
		m.ids = append(m.ids, ids)
	}
}
