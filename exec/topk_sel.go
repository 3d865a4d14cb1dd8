package exec

import (
	"container/heap"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Top-k late materialization. A top-k without a filter (ORDER BY
// latency_ms DESC LIMIT 10) reads every projected column of each row group
// its bound lets through, but keeps at most k rows of it. When a row group
// is reached, the scan reads only its first order key, finds the k-th best
// value of that key in the row group, and reads the other columns only for
// the rows ranking at least as well (ties included: later keys decide
// between them) and not worse than the shared bound, through the page
// index. Every row of the row group's own top k is among them, so the
// top-k's result is the same.

// topPart marks a row group of a top-k scan whose reading is decided when
// it is reached, with the bound as it is then.
func topParts(groups []int, n int) []scanPart {
	if groups == nil {
		groups = make([]int, n)
		for g := range groups {
			groups[g] = g
		}
	}
	parts := make([]scanPart, len(groups))
	for i, g := range groups {
		parts[i] = scanPart{group: g, top: true}
	}
	return parts
}

// topSelective reports whether the scan reads its row groups as top
// parts: a top-k scan (bound) without a filter whose columns are more
// than the order key.
func (s *Scan) topSelective() bool {
	return s.bound != nil && s.bound.k > 0 && s.pruneBy == nil && s.absent == nil && !s.dict &&
		len(s.cols) >= 2 && s.schema.FieldIndices(s.bound.col) != nil
}

// topPart decides how to read the row group of a top part: not at all
// (skip: the bound rules it out now), whole, or the rows of its own top k.
func (s *Scan) topPart(ctx context.Context, g int) (part scanPart, skip bool, err error) {
	b := s.bound
	mn, mx, nulls, ok := s.rd.RowGroupStats(g, b.col)
	if b.skip(mn, mx, nulls, ok, s.rd.NaNFree(b.col)) {
		s.RowGroups--
		s.RowGroupsPruned++
		return scanPart{}, true, nil
	}
	whole := scanPart{groups: []int{g}, whole: true}
	limit := s.selMaxRows(s.rd.RowGroupRows(g))
	if int64(limit) < b.k || !s.rd.HasPageIndex(g, s.cols) {
		return whole, false, nil
	}
	rr, err := s.rd.Read(ctx, []string{b.col}, []int{g}, s.p.batchRows())
	if err != nil {
		return scanPart{}, false, fmt.Errorf("read %s: %w", s.src.File.Path, err)
	}
	defer rr.Release()
	var keys []arrow.Array
	defer func() {
		for _, a := range keys {
			a.Release()
		}
	}()
	for rr.Next() {
		a := rr.RecordBatch().Column(0)
		a.Retain()
		keys = append(keys, a)
	}
	if err := rr.Err(); err != nil {
		return scanPart{}, false, fmt.Errorf("read %s: %w", s.src.File.Path, err)
	}
	// The k-th best first key of the row group: the root of a heap of
	// the k best, worst at the root.
	h := &keyHeap{key: b.key}
	for _, a := range keys {
		for i := range a.Len() {
			if int64(len(h.v)) >= b.k && cmpRowKey(a, i, h.v[0], b.key) >= 0 {
				continue
			}
			heap.Push(h, keyAt(a, i))
			if int64(len(h.v)) > b.k {
				heap.Pop(h)
			}
		}
	}
	if int64(len(h.v)) < b.k {
		return whole, false, nil
	}
	kth := h.v[0]
	bv, bset := b.value()
	var rows []int64
	var pos int64
	for _, a := range keys {
		for i := range a.Len() {
			if cmpRowKey(a, i, kth, b.key) > 0 || (bset && cmpRowKey(a, i, bv, b.key) > 0) {
				continue
			}
			if len(rows) >= limit {
				return whole, false, nil // many ties
			}
			rows = append(rows, pos+int64(i))
		}
		pos += int64(a.Len())
	}
	s.RowGroupsSelected++
	return scanPart{group: g, rows: rows}, false, nil
}

// keyHeap is a heap of first-key values, the worst (in the key's order)
// at the root.
type keyHeap struct {
	key SortKey
	v   []any
}

func (h *keyHeap) Len() int           { return len(h.v) }
func (h *keyHeap) Less(i, j int) bool { return orderValues(h.v[i], h.v[j], h.key) > 0 }
func (h *keyHeap) Swap(i, j int)      { h.v[i], h.v[j] = h.v[j], h.v[i] }
func (h *keyHeap) Push(x any)         { h.v = append(h.v, x) }
func (h *keyHeap) Pop() any {
	x := h.v[len(h.v)-1]
	h.v = h.v[:len(h.v)-1]
	return x
}
