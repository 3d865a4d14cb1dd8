package exec

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Counting without materializing rows or strings.
//
// The aggregation fragments of a scan with a filter do not copy the rows
// that pass: the runner tests the filter into a mask and hands the batch
// and the mask to the aggregation (consumeMasked). When every aggregate
// is count(*) (or first() of the key, which is the key: see onlyCounts)
// the mask is all the aggregation needs: without keys it adds
// the number of rows that pass; grouped by one dictionary-encoded string
// column it counts the rows per dictionary index in a dense array, then
// adds each index's count to the group of its string, one hash lookup per
// distinct value of the batch instead of one per row. Other aggregations
// take the rows that pass as before (selectRows) and group them row by
// row. Either way a group exists only if a row that passes belongs to it.
// count(DISTINCT) without GROUP BY over a dictionary column marks the
// indices present in a batch and adds each one's string once.

// onlyCounts reports whether every aggregate is count(*), or first() of
// the only key (which the planner adds to read the key back: its value is
// the group's key), so that the rows of a group need only be counted. A
// final aggregation reads states, not rows.
func (t *aggTable) onlyCounts() bool {
	if t.phase == AggFinal || len(t.states) == 0 {
		return false
	}
	for i, s := range t.states {
		switch x := s.(type) {
		case *countState:
			if !x.star {
				return false
			}
		case *valueState:
			if x.fn != AggFirst || len(t.keys) != 1 || !sameColumn(t.args[i], t.keys[0]) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// sameColumn reports whether a and b both read the same column.
func sameColumn(a, b value) bool {
	x, ok := a.(*colValue)
	y, ok2 := b.(*colValue)
	return ok && ok2 && x.idx == y.idx
}

// consumeMasked adds the rows of rec where mask is true; a nil mask keeps
// every row.
func (t *aggTable) consumeMasked(rec arrow.RecordBatch, mask []bool) error {
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	kept := n
	if mask != nil {
		kept = countTrue(mask)
		if kept == 0 {
			return nil
		}
		if kept == n {
			mask = nil
		}
	}
	if t.counts {
		switch t.mode {
		case keyNone:
			t.seen = true
			for _, s := range t.states {
				s.(*countState).counts[0] += int64(kept)
			}
			return nil
		case keyString:
			if ok, err := t.countDict(rec, mask); ok || err != nil {
				return err
			}
		}
	}
	if mask == nil {
		return t.consume(rec)
	}
	out, err := selectRows(t.mem, rec, mask)
	if err != nil {
		return err
	}
	defer out.Release()
	return t.consume(out)
}

// countDict counts the rows of rec where mask is true (nil: all) per
// value of a key read as a dictionary column; ok is false, with nothing
// counted, when the key is not such a column.
func (t *aggTable) countDict(rec arrow.RecordBatch, mask []bool) (ok bool, err error) {
	cv, ok := t.keys[0].(*colValue)
	if !ok {
		return false, nil
	}
	a := rec.Column(cv.idx)
	sc, ok := asStrCol(a)
	n := a.Len()
	// A dictionary larger than the batch costs more to clear than the
	// rows do to hash.
	if !ok || !sc.isDict() || sc.idx == nil || sc.vals.NullN() > 0 || sc.vals.Len() > max(n, 1024) {
		return false, nil
	}
	if cap(t.hist) < sc.vals.Len() {
		t.hist = make([]int64, sc.vals.Len())
	}
	hist := t.hist[:sc.vals.Len()]
	clear(hist)
	var nulls int64
	switch {
	case a.NullN() > 0:
		for i, c := range sc.idx {
			switch {
			case mask != nil && !mask[i]:
			case a.IsNull(i):
				nulls++
			default:
				hist[c]++
			}
		}
	case mask == nil:
		for _, c := range sc.idx {
			hist[c]++
		}
	default:
		for i, c := range sc.idx {
			if mask[i] {
				hist[c]++
			}
		}
	}
	t.seen = true
	for c, k := range hist {
		if k == 0 {
			continue
		}
		g, err := t.strGroup(sc.vals.Value(c))
		if err != nil {
			return true, err
		}
		t.addCounts(g, k)
	}
	if nulls > 0 {
		g, err := t.nullKey()
		if err != nil {
			return true, err
		}
		t.addCounts(g, nulls)
	}
	return true, t.account()
}

// addCounts adds k rows to group g (see onlyCounts).
func (t *aggTable) addCounts(g uint32, k int64) {
	for _, s := range t.states {
		switch x := s.(type) {
		case *countState:
			x.counts[g] += k
		case *valueState: // first(key)
			if !x.set[g] {
				x.set[g] = true
				if int64(g) == t.nullGroup {
					x.null[g] = true
				} else {
					x.strs[g] = t.keyStr[g]
				}
			}
		}
	}
}

// strGroup returns the group of string key k, creating it (with a copy of
// k: it may alias a batch's buffer).
func (t *aggTable) strGroup(k string) (uint32, error) {
	if g, ok := t.strKeys[k]; ok {
		return g, nil
	}
	g, err := t.newGroup()
	if err != nil {
		return 0, err
	}
	k = strings.Clone(k)
	t.strKeys[k] = g
	t.keyStr = append(t.keyStr, k)
	t.bytes += int64(len(k))
	return g, nil
}

// countTrue counts the true elements of mask.
func countTrue(mask []bool) int {
	n := 0
	for _, m := range mask {
		if m {
			n++
		}
	}
	return n
}

// distinctDict adds the distinct values of the first n rows of a to the
// only group when a is read as a dictionary: the indices present are
// marked in a dense array, one store per row, and each is looked up once.
// It reports false, having done nothing, for other arrays.
func (s *distinctState) distinctDict(a arrow.Array, n int) bool {
	sc, ok := asStrCol(a)
	if !ok || !sc.isDict() || sc.idx == nil || sc.vals.NullN() > 0 || sc.vals.Len() > max(n, 1024) {
		return false
	}
	nv := sc.vals.Len()
	if cap(s.seen) < nv {
		s.seen = make([]bool, nv)
	}
	seen := s.seen[:nv]
	clear(seen)
	if a.NullN() == 0 {
		for _, c := range sc.idx[:n] {
			seen[c] = true
		}
	} else {
		for i, c := range sc.idx[:n] {
			if a.IsValid(i) {
				seen[c] = true
			}
		}
	}
	for c, ok := range seen {
		if ok {
			s.add(distinctKey{s: sc.vals.Value(c)}, true)
		}
	}
	return true
}
