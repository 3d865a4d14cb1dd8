package exec

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"openwit/storage/index"
)

// Postings (storage/index) hold, per text column and row group, the rows
// of every token. A row matching LIKE contains every literal run of the
// pattern; a maximal run of token bytes inside a literal run lies inside
// one token of the row, and where the literal has a non-token byte (or
// the pattern its start or end) next to it, the token starts (ends) there
// too. So the union of the rows of the terms that can hold the piece is a
// superset of the matches, and the intersection over the pieces still is.
// When the pattern is %w% with w made of token bytes only, a row holds w
// if and only if one of its tokens does: the union is exactly the rows
// that match, and count(*) is its cardinality.

// textRows returns the candidate rows of the text predicate e (LIKE,
// ILIKE or match() on column c) in row group g from c's postings, and
// whether they are exactly the rows where e is true. ok is false when the
// postings say nothing.
func textRows(e *Expr, c *index.Column, g int) (rows *roaring.Bitmap, exact, ok bool) {
	if c == nil || c.Postings == nil || c.Postings[g] == nil {
		return nil, false, false
	}
	p := c.Postings[g]
	var pieces []termTest
	fold := e.Fold
	if e.Op == OpMatch {
		fold = true
		for _, w := range index.Tokens(e.Str) {
			pieces = append(pieces, termTest{s: w})
		}
	} else {
		toks, err := likeTokens(e.Str, e.Escape)
		if err != nil {
			return nil, false, false
		}
		for i, t := range toks {
			if t.wild == 0 {
				pieces = append(pieces, literalPieces(t.lit, i > 0, i+1 < len(toks))...)
			}
		}
		exact = len(toks) == 3 && toks[0].wild == '%' && toks[2].wild == '%' && toks[1].wild == 0 &&
			len(pieces) == 1 && pieces[0].s == toks[1].lit && !pieces[0].start && !pieces[0].end
	}
	var terms []string
	if fold {
		terms = make([]string, len(p.Terms))
		for i, t := range p.Terms {
			terms[i] = strings.ToLower(t)
		}
	}
	// The terms each piece admits, fewest first: a rare exact word
	// narrows most, and a piece admitting many terms (a short prefix) is
	// left out once another one constrained the rows (its union would
	// cost more than it narrows).
	var sets [][]int
	for _, pc := range pieces {
		if index.DigitsOnly(pc.s) || !utf8.ValidString(pc.s) || strings.ContainsRune(pc.s, utf8.RuneError) {
			// Digit-only tokens are not in the vocabulary; U+FFFD in a
			// pattern matches any invalid byte of a value (regexp).
			exact = false
			continue
		}
		var set []int
		if !fold && pc.start {
			// An exact term or a prefix: the vocabulary is sorted, so
			// its terms are one run from the first at or after pc.s.
			for i := sort.SearchStrings(p.Terms, pc.s); i < len(p.Terms) && strings.HasPrefix(p.Terms[i], pc.s); i++ {
				if pc.test(p.Terms[i]) {
					set = append(set, i)
				}
			}
		} else {
			for i, t := range p.Terms {
				if fold {
					t = terms[i]
				}
				if pc.test(t) {
					set = append(set, i)
				}
			}
		}
		sets = append(sets, set)
	}
	slices.SortStableFunc(sets, func(a, b []int) int { return len(a) - len(b) })
	for k, set := range sets {
		if k > 0 && len(set) > maxPieceTerms {
			exact = false
			break
		}
		b, err := p.UnionOf(set)
		if err != nil {
			return nil, false, false
		}
		if rows == nil {
			rows = b
		} else {
			rows.And(b)
		}
		if rows.IsEmpty() {
			break
		}
	}
	if rows == nil {
		return nil, false, false
	}
	return rows, exact, true
}

// maxPieceTerms bounds the terms whose rows are united for a piece of a
// pattern once another piece has narrowed the rows.
const maxPieceTerms = 256

// termTest is a run of token bytes of a pattern and whether the token
// holding it must start (end) where it does.
type termTest struct {
	s          string
	start, end bool
}

func (tt termTest) test(t string) bool {
	switch {
	case tt.start && tt.end:
		return t == tt.s
	case tt.start:
		return strings.HasPrefix(t, tt.s)
	case tt.end:
		return strings.HasSuffix(t, tt.s)
	}
	return strings.Contains(t, tt.s)
}

// literalPieces splits a literal run of a LIKE pattern into its maximal
// runs of token bytes; wildBefore (wildAfter) says a wildcard precedes
// (follows) the run, else the run starts (ends) the value.
func literalPieces(lit string, wildBefore, wildAfter bool) []termTest {
	var out []termTest
	for i := 0; i < len(lit); {
		if !index.IsTokenByte(lit[i]) {
			i++
			continue
		}
		j := i
		for j < len(lit) && index.IsTokenByte(lit[j]) {
			j++
		}
		out = append(out, termTest{s: lit[i:j], start: i > 0 || !wildBefore, end: j < len(lit) || !wildAfter})
		i = j
	}
	return out
}

// IndexCount returns, for each row group of the file ix describes, the
// number of rows where filter is true when the postings give it exactly
// (LIKE or ILIKE '%w%', w of token bytes, under AND and OR), else -1.
func IndexCount(filter *Expr, cols []string, ix *index.Index) []int64 {
	out := make([]int64, len(ix.RowGroups))
	p := &ixPruner{cols: cols, ix: ix}
	for g := range out {
		out[g] = -1
		if filter == nil {
			continue
		}
		if rows, ok := p.exactRows(filter, g); ok {
			out[g] = int64(rows.GetCardinality())
		}
	}
	return out
}

// exactRows returns the rows of row group g where e is true, when the
// postings give them exactly.
func (p *ixPruner) exactRows(e *Expr, g int) (*roaring.Bitmap, bool) {
	switch e.Op {
	case OpAnd, OpOr:
		var acc *roaring.Bitmap
		for _, a := range e.Args {
			b, ok := p.exactRows(a, g)
			if !ok {
				return nil, false
			}
			switch {
			case acc == nil:
				acc = b
			case e.Op == OpAnd:
				acc.And(b)
			default:
				acc.Or(b)
			}
		}
		return acc, acc != nil
	case OpLike:
		rows, exact, ok := p.textRows(e, p.column(e.Args[0]), g)
		return rows, ok && exact
	}
	return nil, false
}

// CandidateRows returns the rows of row group g of the file ix describes
// where filter may be true, from the token postings of its LIKE, ILIKE
// and match() terms: a superset of the rows where it is true (false
// positives, never a missing row). ok is false when the postings do not
// narrow the rows (no such term under AND, or an OR with a disjunct they
// say nothing about).
func CandidateRows(filter *Expr, cols []string, ix *index.Index, g int) (rows *roaring.Bitmap, ok bool) {
	if filter == nil || g < 0 || g >= len(ix.RowGroups) {
		return nil, false
	}
	p := &ixPruner{cols: cols, ix: ix}
	return p.candidates(filter, g)
}

// candidates returns a superset of the rows of row group g where e is
// true, when the postings narrow them.
func (p *ixPruner) candidates(e *Expr, g int) (*roaring.Bitmap, bool) {
	switch e.Op {
	case OpAnd:
		// Every conjunct holds on a matching row: intersect those the
		// postings know, ignore the others.
		var acc *roaring.Bitmap
		for _, a := range e.Args {
			b, ok := p.candidates(a, g)
			if !ok {
				continue
			}
			if acc == nil {
				acc = b
			} else {
				acc.And(b)
			}
		}
		return acc, acc != nil
	case OpOr:
		// One disjunct holds: every one must be known.
		var acc *roaring.Bitmap
		for _, a := range e.Args {
			b, ok := p.candidates(a, g)
			if !ok {
				return nil, false
			}
			if acc == nil {
				acc = b
			} else {
				acc.Or(b)
			}
		}
		return acc, acc != nil
	case OpLike, OpMatch:
		rows, _, ok := p.textRows(e, p.column(e.Args[0]), g)
		return rows, ok
	}
	return nil, false
}

// RowGroupIndex is what a file's index artifact says of one row group
// under a fragment's filter.
type RowGroupIndex struct {
	// Reason is KeptRowGroup when a row may pass, else why none can.
	Reason PruneReason
	// Count is the exact number of rows that pass when the postings give
	// it (IndexCount), else -1; only asked for with counts.
	Count int64
	// Candidates are the rows that may pass (CandidateRows) of a kept row
	// group not counted; nil when the postings do not narrow them.
	Candidates *roaring.Bitmap
}

// IndexRowGroups is IndexPrune, IndexCount (with counts) and
// CandidateRows in one pass over the row groups of the file ix
// describes, each text predicate's postings computed once per row group.
func IndexRowGroups(filter *Expr, cols []string, ix *index.Index, counts bool) []RowGroupIndex {
	out := make([]RowGroupIndex, len(ix.RowGroups))
	p := &ixPruner{cols: cols, ix: ix}
	for g := range out {
		out[g].Count = -1
		if filter == nil {
			continue
		}
		if out[g].Reason = p.eval(filter, g); out[g].Reason != KeptRowGroup {
			continue
		}
		if counts {
			if rows, ok := p.exactRows(filter, g); ok {
				out[g].Count = int64(rows.GetCardinality())
				continue
			}
		}
		if rows, ok := p.candidates(filter, g); ok {
			out[g].Candidates = rows
		}
	}
	return out
}

// UsesPostings reports whether pruning by e can use token postings: e
// holds a LIKE, ILIKE or match(), the predicates IndexRowGroups answers
// from them. Other filters need only an artifact's zone maps and filters.
func UsesPostings(e *Expr) bool {
	if e == nil {
		return false
	}
	if e.Op == OpLike || e.Op == OpMatch {
		return true
	}
	for _, a := range e.Args {
		if UsesPostings(a) {
			return true
		}
	}
	return false
}
