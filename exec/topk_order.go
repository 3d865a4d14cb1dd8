package exec

import (
	"context"
	"slices"
	"sync/atomic"
)

// orderTopK returns the fragment's sources in the order a top-k should
// read them, and seeds b from their footers' statistics (topBound.seed).
//
// Sources whose best first-key value is unknown (in-memory batches, files
// without statistics for the key) come first: they cannot be skipped and
// may tighten the bound. Then files go best first, so that the heaps fill
// from the row groups most likely to hold the top k and the scans of the
// rest stop at their footers. Reading the footers here costs little: the
// scans find them in Params.Footers afterwards. A file that cannot be
// opened keeps its place; its scan reports the error.
func (r *runner) orderTopK(ctx context.Context, b *topBound) []Source {
	srcs := slices.Clone(r.f.Sources)
	best := make([]any, len(srcs)) // nil: unknown
	var bests []any                // one per row group, for the seed
	var read atomic.Int64
	for i, src := range srcs {
		if src.File == nil {
			continue
		}
		rd, file, err := openFile(ctx, r.p, src.File.Path, &read)
		if err != nil {
			continue
		}
		groups := src.File.RowGroups
		if groups == nil {
			groups = make([]int, rd.NumRowGroups())
			for g := range groups {
				groups[g] = g
			}
		}
		unknown := false
		for _, g := range groups {
			if g < 0 || g >= rd.NumRowGroups() {
				continue // the scan reports it
			}
			mn, mx, _, ok := rd.RowGroupStats(g, b.col)
			v := b.best(mn, mx, ok)
			bests = append(bests, v)
			switch {
			case v == nil:
				unknown = true
			case best[i] == nil || b.rank(v, best[i]) < 0:
				best[i] = v
			}
		}
		if unknown {
			best[i] = nil
		}
		if file != nil {
			file.Close()
		}
	}
	r.mu.Lock()
	r.stats.BytesRead += read.Load()
	r.mu.Unlock()
	// Rows a filter drops would not back the seed.
	if r.f.Filter == nil {
		b.seed(r.f.TopK.K, bests)
	}
	idx := make([]int, len(srcs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return b.rank(best[x], best[y]) })
	out := make([]Source, len(srcs))
	for i, j := range idx {
		out[i] = srcs[j]
	}
	return out
}
