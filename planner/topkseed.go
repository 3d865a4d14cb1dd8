package planner

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/exec"
	"openwit/storage/catalog"
	"openwit/storage/index"
)

// seedTopK computes, for a top-k without a filter, a first-key value that
// at least K rows of the kept files rank at least as well as — the k-th
// best of the row groups' best zone-map values (each row group holds a row
// with exactly its best value) — and drops the files none of whose row
// groups can hold a row ranking as well. It returns the kept sources and
// the seed (nil: none), counting what it did in st; the seed travels in the fragment (exec.TopKSpec.Seed)
// so that every worker skips the same row groups whatever files it got.
//
// Float keys in descending order keep every file here: zone maps leave NaN
// out and NaN ranks first; the scans, which know from the file footers
// whether a column holds NaN, skip those row groups instead. Timestamps
// get no seed (statistics of other units than µs are rounded).
func (v *vecNode) seedTopK(ctx context.Context, files map[string]*catalog.File, schema *arrow.Schema, srcs []exec.Source, st *pruneStats) ([]exec.Source, *exec.Lit) {
	t := v.frag.TopK
	if t == nil || len(t.Keys) == 0 || t.K <= 0 || v.frag.Filter != nil || schema == nil {
		return srcs, nil
	}
	key := t.Keys[0]
	name := v.frag.Columns[key.Col]
	idx := schema.FieldIndices(name)
	if len(idx) != 1 {
		return srcs, nil
	}
	float := false
	switch schema.Field(idx[0]).Type.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
	case arrow.FLOAT32, arrow.FLOAT64:
		float = true
	default:
		return srcs, nil
	}
	// better < 0: x ranks before y.
	better := func(x, y any) int {
		var c int
		if float {
			c = cmp.Compare(x.(float64), y.(float64))
		} else {
			c = cmp.Compare(x.(int64), y.(int64))
		}
		if key.Desc {
			c = -c
		}
		return c
	}
	type fileBests struct {
		bests []any // per listed row group; nil: unknown (keep the file)
	}
	per := make([]fileBests, len(srcs))
	var all []any
	for i, s := range srcs {
		if s.File == nil {
			continue
		}
		f := files[s.File.ID]
		var ix *index.Index
		if f != nil {
			ix = v.eng.ixCache.get(ctx, f, []string{name}, false) // zone maps only
		}
		var col *index.Column
		if ix != nil {
			col = ix.Column(name)
		}
		groups := s.File.RowGroups
		if groups == nil && ix != nil {
			groups = make([]int, len(ix.RowGroups))
			for g := range groups {
				groups[g] = g
			}
		}
		if col == nil || (col.Kind != index.KindInt && col.Kind != index.KindFloat) || (col.Kind == index.KindFloat) != float {
			per[i].bests = []any{nil}
			continue
		}
		st.indexed++
		st.rowGroups += len(groups)
		for _, g := range groups {
			var best any
			if g >= 0 && g < len(col.Zones) {
				z := col.Zones[g]
				if z.Known && z.Min != nil && z.Max != nil {
					best = z.Min
					if key.Desc {
						best = z.Max
					}
					all = append(all, best)
					if z.Nulls != 0 && (key.NullsFirst || z.Nulls < 0) {
						best = nil // a NULL ranks first: keep the file
					}
				}
			}
			per[i].bests = append(per[i].bests, best)
		}
	}
	if int64(len(all)) < t.K {
		return srcs, nil
	}
	slices.SortFunc(all, better)
	seedV := all[t.K-1]
	var seed *exec.Lit
	if float {
		f := seedV.(float64)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return srcs, nil // not representable in the fragment's JSON
		}
		seed = &exec.Lit{Kind: exec.LitFloat, F: f}
	} else {
		seed = &exec.Lit{Kind: exec.LitInt, I: seedV.(int64)}
	}
	if float && key.Desc {
		return srcs, seed
	}
	kept := srcs[:0:0]
	for i, s := range srcs {
		drop := s.File != nil && len(per[i].bests) > 0
		for _, b := range per[i].bests {
			if b == nil || better(b, seedV) <= 0 {
				drop = false
				break
			}
		}
		if drop {
			if f := files[s.File.ID]; f != nil {
				st.bytesKept -= f.Bytes
			}
			st.filesByZone++
			st.rgByZone += len(per[i].bests)
			continue
		}
		kept = append(kept, s)
	}
	return kept, seed
}
