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
// is count(*) the mask is all the aggregation needs: without keys it adds
// the number of rows that pass; grouped by one dictionary-encoded string
// column it counts the rows per dictionary index in a dense array, then
// adds each index's count to the group of its string, one hash lookup per
// distinct value of the batch instead of one per row. Other aggregations
// take the rows that pass as before (selectRows) and group them row by
// row. Either way a group exists only if a row that passes belongs to it.

// starOnly reports whether every aggregate is count(*) (for the input
// phases: a final aggregation reads states, not rows).
func (t *aggTable) starOnly() bool {
	if t.phase == AggFinal || len(t.states) == 0 {
		return false
	}
	for _, s := range t.states {
		if c, ok := s.(*countState); !ok || !c.star {
			return false
		}
	}
	return true
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
	if t.starOnly() {
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

// addCounts adds k rows to group g of every count(*).
func (t *aggTable) addCounts(g uint32, k int64) {
	for _, s := range t.states {
		s.(*countState).counts[g] += k
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
