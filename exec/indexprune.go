package exec

import (
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"openwit/storage/index"
)

// PruneReason says what ruled a row group out.
type PruneReason int

// Prune reasons, in the order they are tried.
const (
	KeptRowGroup     PruneReason = iota
	PrunedByZone                 // the zone map (min/max/nulls)
	PrunedByBloom                // an equality Bloom filter
	PrunedByGrams                // a trigram filter (LIKE, ILIKE, match)
	PrunedByPostings             // token postings (LIKE, ILIKE, match)
)

// IndexPrune returns, for each row group of the file ix describes, whether
// filter (over columns cols, by position) can be true on one of its rows;
// KeptRowGroup when it may be, else the reason it cannot. It never rules
// out a row group holding a row where filter is true: every test is
// necessary for a match, false positives only keep a row group.
func IndexPrune(filter *Expr, cols []string, ix *index.Index) []PruneReason {
	out := make([]PruneReason, len(ix.RowGroups))
	if filter == nil {
		return out
	}
	p := &ixPruner{cols: cols, ix: ix}
	for g := range out {
		out[g] = p.eval(filter, g)
	}
	return out
}

type ixPruner struct {
	cols []string
	ix   *index.Index
	// memo holds the postings answer of each text predicate in each row
	// group, computed once (the union of term bitmaps is the cost).
	memo map[textKey]textAnswer
}

type textKey struct {
	e *Expr
	g int
}

type textAnswer struct {
	rows      *roaring.Bitmap
	exact, ok bool
}

// textRows is the package's textRows, memoized; the caller may modify
// the bitmap it returns.
func (p *ixPruner) textRows(e *Expr, c *index.Column, g int) (*roaring.Bitmap, bool, bool) {
	k := textKey{e, g}
	a, seen := p.memo[k]
	if !seen {
		a.rows, a.exact, a.ok = textRows(e, c, g)
		if p.memo == nil {
			p.memo = map[textKey]textAnswer{}
		}
		p.memo[k] = a
	}
	if a.rows == nil {
		return nil, a.exact, a.ok
	}
	return a.rows.Clone(), a.exact, a.ok
}

func (p *ixPruner) column(e *Expr) *index.Column {
	if e.Op != OpCol || e.Col < 0 || e.Col >= len(p.cols) {
		return nil
	}
	return p.ix.Column(p.cols[e.Col])
}

// eval returns KeptRowGroup when e may be true in row group g.
func (p *ixPruner) eval(e *Expr, g int) PruneReason {
	switch e.Op {
	case OpAnd:
		for _, a := range e.Args {
			if r := p.eval(a, g); r != KeptRowGroup {
				return r
			}
		}
		return KeptRowGroup
	case OpOr:
		worst := KeptRowGroup
		for _, a := range e.Args {
			r := p.eval(a, g)
			if r == KeptRowGroup {
				return KeptRowGroup
			}
			worst = max(worst, r)
		}
		return worst
	case OpEq, OpLt, OpLe, OpGt, OpGe:
		return p.compare(e, g)
	case OpLike, OpMatch:
		return p.text(e, g)
	}
	return KeptRowGroup
}

// compare checks column-op-literal against the zone map, and an equality
// against the Bloom filter.
func (p *ixPruner) compare(e *Expr, g int) PruneReason {
	l, r := e.Args[0], e.Args[1]
	if l.Op == OpLit {
		l, r = r, l
	}
	c := p.column(l)
	if c == nil || r.Op != OpLit {
		return KeptRowGroup
	}
	z := c.Zones[g]
	if !mayMatch(e, func(int) (min, max any, ok bool) {
		if !z.Known {
			return nil, nil, false
		}
		return z.Min, z.Max, true
	}) {
		return PrunedByZone
	}
	if e.Op != OpEq || c.Blooms == nil || c.Blooms[g] == nil {
		return KeptRowGroup
	}
	var h uint64
	switch {
	case c.Kind == index.KindString && r.Lit.Kind == LitString:
		h = index.HashString(r.Lit.S)
	case c.Kind == index.KindInt && r.Lit.Kind == LitInt:
		h = index.HashInt(r.Lit.I)
	default:
		return KeptRowGroup
	}
	if !c.Blooms[g].HasHash(h) {
		return PrunedByBloom
	}
	return KeptRowGroup
}

// text checks the trigrams every matching value must contain: those of
// each literal run of a LIKE pattern, of each word of a match query; then
// the rows the token postings leave (postings.go).
func (p *ixPruner) text(e *Expr, g int) PruneReason {
	c := p.column(e.Args[0])
	if c == nil {
		return KeptRowGroup
	}
	if c.Grams != nil && c.Grams[g] != nil && !p.hasGrams(e, c.Grams[g]) {
		return PrunedByGrams
	}
	if rows, _, ok := p.textRows(e, c, g); ok && rows.IsEmpty() {
		return PrunedByPostings
	}
	return KeptRowGroup
}

// hasGrams reports whether filter f may hold every trigram of e's pieces.
func (p *ixPruner) hasGrams(e *Expr, f *index.Bloom) bool {
	var parts []string
	if e.Op == OpMatch {
		parts = index.Tokens(e.Str)
	} else {
		toks, err := likeTokens(e.Str, e.Escape)
		if err != nil {
			return true
		}
		for _, t := range toks {
			if t.wild == 0 {
				parts = append(parts, t.lit)
			}
		}
	}
	for _, s := range parts {
		if !utf8.ValidString(s) {
			continue
		}
		if !index.HasGrams(f, index.Grams(s)) {
			return false
		}
	}
	return true
}
