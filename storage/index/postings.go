package index

import (
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Postings are the exact token postings of one text column in one row
// group: the sorted vocabulary of its tokens (see IsTokenByte) and, per
// term, the rows (0-based within the row group) holding that token.
type Postings struct {
	// Terms is the vocabulary, sorted bytewise, without duplicates.
	Terms []string
	// rows holds each term's row bitmap, serialized (roaring's portable
	// format), decoded on demand.
	rows [][]byte
}

// Vocabulary bounds of a row group's postings: past any, Build writes
// none for that (column, row group) and the trigram filter serves it.
// The last one leaves out columns of mostly distinct values (trace ids:
// one term and one bitmap per row, larger than the column itself), which
// the equality Bloom filter serves better.
const (
	PostingsMaxTerms = 64 << 10
	PostingsMaxBytes = 1 << 20 // bytes of the terms
	// PostingsRowsPerTerm: at most rows/PostingsRowsPerTerm + 64 terms.
	PostingsRowsPerTerm = 4
)

// IsTokenByte reports whether c belongs to a token: tokens are the
// maximal runs of ASCII letters, digits, '_' and bytes >= 0x80 (every
// byte of a multi-byte UTF-8 sequence, and invalid bytes), case
// preserved. Tokens of digits only are left out of the vocabulary.
func IsTokenByte(c byte) bool { return byteClass[c]&classToken != 0 }

// byteClass classifies bytes for the tokenizer in one table lookup: a
// token byte (IsTokenByte), and among those the ASCII digits.
var byteClass = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		if c >= 0x80 || c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			t[i] |= classToken
		}
		if '0' <= c && c <= '9' {
			t[i] |= classDigit
		}
	}
	return t
}()

// The bits of byteClass.
const (
	classToken = 1 << iota
	classDigit
)

// DigitsOnly reports whether s has only ASCII digits (such tokens are
// not in the vocabulary).
func DigitsOnly(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Bitmap returns the rows of term i.
func (p *Postings) Bitmap(i int) (b *roaring.Bitmap, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: postings bitmap: %v", ErrCorrupt, r)
		}
	}()
	b = roaring.New()
	if err := b.UnmarshalBinary(p.rows[i]); err != nil {
		return nil, fmt.Errorf("%w: postings bitmap: %w", ErrCorrupt, err)
	}
	return b, nil
}

// Union returns the rows of every term for which keep is true.
func (p *Postings) Union(keep func(term string) bool) (*roaring.Bitmap, error) {
	var bs []*roaring.Bitmap
	for i, t := range p.Terms {
		if !keep(t) {
			continue
		}
		b, err := p.Bitmap(i)
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	if len(bs) == 0 {
		return roaring.New(), nil
	}
	return roaring.FastOr(bs...), nil
}

// UnionOf returns the rows of the terms at the given positions of Terms.
func (p *Postings) UnionOf(terms []int) (*roaring.Bitmap, error) {
	switch len(terms) {
	case 0:
		return roaring.New(), nil
	case 1:
		return p.Bitmap(terms[0])
	}
	bs := make([]*roaring.Bitmap, len(terms))
	for k, i := range terms {
		b, err := p.Bitmap(i)
		if err != nil {
			return nil, err
		}
		bs[k] = b
	}
	return roaring.FastOr(bs...), nil
}

// postingsBuilder collects the postings of one column in one row group.
type postingsBuilder struct {
	ids      termTable
	terms    []string
	rows     [][]uint32 // per term: its rows, until the list passes denseAt
	dense    [][]uint64 // per term: its rows as a bit set, once past denseAt
	denseAt  int        // list length at which a term's rows become a bit set
	groupN   int64      // rows of the row group
	bytes    int
	maxTerms int      // the vocabulary bound of this row group
	over     bool     // past a vocabulary bound: no postings
	rowSlab  []uint32 // carve cuts new terms' row lists from it
	termSlab []byte   // clone copies new terms into it
}

// newPostingsBuilder returns the builder of a row group of rows rows. It
// stops collecting as soon as the vocabulary passes a bound (postings
// returns nil), so a column of mostly distinct values (trace ids) costs
// rows/PostingsRowsPerTerm tokens, not a term and a list per row that
// would be thrown away at the end (design 050).
//
// A term's rows are a list while few; past rows/32 of them (where the list
// is as large as a bit set of the row group) they move to a bit set, so a
// term of most rows (GET, api, user in every message) costs a bit per row
// set in place instead of a list of 4 bytes per row grown by doubling and
// sorted into a bitmap at the end (design 056). The postings are the same.
func newPostingsBuilder(rows int64) *postingsBuilder {
	return &postingsBuilder{maxTerms: int(min(rows/PostingsRowsPerTerm+64, PostingsMaxTerms)),
		denseAt: int(max(rows/32, 64)), groupN: rows}
}

// addColumn adds the tokens of col, whose first row is row base of the
// row group.
func (b *postingsBuilder) addColumn(col arrow.Array, base int) {
	a, ok := col.(*array.String)
	if !ok {
		b.over = true
		return
	}
	for i := range a.Len() {
		if b.over {
			return
		}
		if a.IsValid(i) {
			b.add(a.Value(i), uint32(base+i))
		}
	}
}

func (b *postingsBuilder) add(v string, row uint32) { b.addValue(v, row, false) }

// addValue adds the tokens of v at row; with collect it returns the term
// ids of v's tokens, each once (valueMemo keeps them). Past a bound it
// stops and returns what it has.
func (b *postingsBuilder) addValue(v string, row uint32, collect bool) []uint32 {
	var ids []uint32
	for i := 0; ; {
		t, h, next := nextTerm(v, i)
		if next < 0 {
			return ids
		}
		i = next
		id, first, ok := b.addToken(t, h, row)
		if !ok {
			return ids
		}
		if collect && first {
			ids = append(ids, id)
		}
	}
}

// nextTerm returns the first token of v at or after byte i that is not
// digits only, its hash (FNV-1a of its bytes, computed in the scan that
// finds its end) and the byte after it; next is -1 when there is none.
func nextTerm(v string, i int) (t string, h uint64, next int) {
	for i < len(v) {
		if byteClass[v[i]]&classToken == 0 {
			i++
			continue
		}
		j, all := i, uint8(classToken|classDigit)
		h = termHashSeed
		for j < len(v) {
			c := byteClass[v[j]]
			if c&classToken == 0 {
				break
			}
			all &= c
			h = (h ^ uint64(v[j])) * termHashPrime
			j++
		}
		if all&classDigit == 0 { // not digits only
			return v[i:j], h, j
		}
		i = j
	}
	return "", 0, -1
}

// addIDs appends row to the lists of the terms ids (a value seen before).
func (b *postingsBuilder) addIDs(ids []uint32, row uint32) {
	for _, id := range ids {
		b.addRow(id, row)
	}
}

// addRow adds row to term id's rows and reports whether it was new there.
// Rows arrive in increasing order.
func (b *postingsBuilder) addRow(id, row uint32) bool {
	if d := b.dense[id]; d != nil {
		w, bit := int(row>>6), uint64(1)<<(row&63)
		if w >= len(d) { // not past the row group's rows; kept safe anyway
			d = append(d, make([]uint64, w+1-len(d))...)
			b.dense[id] = d
		}
		if d[w]&bit != 0 {
			return false
		}
		d[w] |= bit
		return true
	}
	r := b.rows[id]
	if len(r) > 0 && r[len(r)-1] == row {
		return false
	}
	if len(r) < b.denseAt {
		b.rows[id] = append(r, row)
		return true
	}
	d := make([]uint64, max((b.groupN+63)/64, int64(row>>6)+1))
	for _, x := range r {
		d[x>>6] |= uint64(1) << (x & 63)
	}
	d[row>>6] |= uint64(1) << (row & 63)
	b.dense[id], b.rows[id] = d, nil
	return true
}

// addToken adds token t at row and returns its term id and whether row
// was new to its list (t's first time in this value: one value per row);
// ok is false when the vocabulary passed a bound (b.over).
func (b *postingsBuilder) addToken(t string, h uint64, row uint32) (id uint32, first, ok bool) {
	id, ok = b.term(t, h, row)
	if !ok {
		return 0, false, false
	}
	return id, b.addRow(id, row), true
}

// postingsProbeTerms is the vocabulary size from which a builder whose
// terms came at more than 7/8 of a new term per row gives up at once
// (term): a column of mostly distinct tokens (trace ids, request ids)
// would pass the rows/PostingsRowsPerTerm bound anyway, after a quarter
// of the row group.
const postingsProbeTerms = 1024

// term returns the id of token t (hash h), first seen at row, adding it to
// the vocabulary when new; ok is false when that passed a bound (b.over).
// New terms come in row order however the values reach the builder, so
// the outcome does not depend on it (design 085).
func (b *postingsBuilder) term(t string, h uint64, row uint32) (id uint32, ok bool) {
	id, slot, ok := b.ids.find(b.terms, t, h)
	if ok {
		return id, true
	}
	n := len(b.terms)
	if n >= b.maxTerms || b.bytes+len(t) > PostingsMaxBytes || (n >= postingsProbeTerms && 8*int64(n) > 7*(int64(row)+1)) {
		b.over = true
		return 0, false
	}
	t = b.clone(t)
	id = uint32(len(b.terms))
	b.ids.insert(slot, id, h)
	b.terms = append(b.terms, t)
	b.rows = append(b.rows, b.carve())
	b.dense = append(b.dense, nil)
	b.bytes += len(t)
	return id, true
}

// A new term's row list and bytes are cut from slabs shared by the row
// group's terms (a list grows out of its piece by reallocating, as any
// append), instead of allocations of their own per term: a row group has
// thousands of terms, most in a few rows.
const (
	rowPiece  = 8        // rows of a new term's list before it reallocates
	slabRows  = 4 << 10  // rows of a slab of lists
	slabBytes = 32 << 10 // bytes of a slab of term bytes
)

// carve returns an empty row list with room for rowPiece rows.
func (b *postingsBuilder) carve() []uint32 {
	if len(b.rowSlab) < rowPiece {
		b.rowSlab = make([]uint32, slabRows)
	}
	r := b.rowSlab[:0:rowPiece]
	b.rowSlab = b.rowSlab[rowPiece:]
	return r
}

// clone returns a copy of t in the builder's term bytes.
func (b *postingsBuilder) clone(t string) string {
	if len(t) > slabBytes/8 {
		return strings.Clone(t)
	}
	if cap(b.termSlab)-len(b.termSlab) < len(t) {
		b.termSlab = make([]byte, 0, slabBytes)
	}
	start := len(b.termSlab)
	b.termSlab = append(b.termSlab, t...)
	return unsafe.String(&b.termSlab[start], len(t))
}

// postings returns the built postings of a row group of rows rows, nil
// when past a bound.
func (b *postingsBuilder) postings(rows int64) (*Postings, error) {
	if b.over || len(b.terms) > b.maxTerms || int64(len(b.terms)) > rows/PostingsRowsPerTerm+64 {
		return nil, nil
	}
	order := make([]int, len(b.terms))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(b.terms[x], b.terms[y]) })
	p := &Postings{Terms: make([]string, len(order)), rows: make([][]byte, len(order))}
	for k, i := range order {
		p.Terms[k] = b.terms[i]
		var bm *roaring.Bitmap
		if d := b.dense[i]; d != nil {
			bm = roaring.FromDense(d, false)
		} else {
			bm = roaring.BitmapOf(b.rows[i]...)
		}
		bm.RunOptimize()
		buf, err := bm.ToBytes()
		if err != nil {
			return nil, fmt.Errorf("encode postings: %w", err)
		}
		p.rows[k] = buf
	}
	return p, nil
}

// termHashSeed and termHashPrime are FNV-1a's 64-bit parameters: addValue
// hashes a token's bytes in the loop that finds its end.
const (
	termHashSeed  = 14695981039346656037
	termHashPrime = 1099511628211
)

// termTable maps a row group's terms to their ids: open addressing with
// linear probing over the FNV-1a hash addValue computes while it scans the
// token, so a lookup hashes nothing again (a Go map re-hashed every token;
// it was a third of the postings' cost, design 050). The terms themselves
// stay in postingsBuilder.terms.
type termTable struct {
	slots  []termSlot
	hashes []uint64 // hash of each term, by id
	shift  uint     // 64 - log2(len(slots))
}

// termSlot is one slot of a termTable. The term's hash is kept in the slot
// itself, so a probe that meets another term compares hashes without
// loading anything else.
type termSlot struct {
	h  uint64
	id uint32 // id+1 of the term in the slot, 0 when empty
}

// find returns t's id, or the empty slot to insert it at.
func (tt *termTable) find(terms []string, t string, h uint64) (id uint32, slot int, ok bool) {
	if tt.slots == nil {
		tt.slots, tt.shift = make([]termSlot, 1024), 64-10
	}
	mask := len(tt.slots) - 1
	for i := int((h * 0x9E3779B97F4A7C15) >> tt.shift); ; i = (i + 1) & mask {
		s := &tt.slots[i]
		if s.id == 0 {
			return 0, i, false
		}
		if id := s.id - 1; s.h == h && terms[id] == t {
			return id, i, true
		}
	}
}

// insert puts id (hash h) in slot, which find returned for it, and grows
// the table past half full.
func (tt *termTable) insert(slot int, id uint32, h uint64) {
	tt.slots[slot] = termSlot{h: h, id: id + 1}
	tt.hashes = append(tt.hashes, h)
	if 2*len(tt.hashes) <= len(tt.slots) {
		return
	}
	tt.slots = make([]termSlot, 2*len(tt.slots))
	tt.shift--
	mask := len(tt.slots) - 1
	for id, h := range tt.hashes {
		i := int((h * 0x9E3779B97F4A7C15) >> tt.shift)
		for tt.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		tt.slots[i] = termSlot{h: h, id: uint32(id) + 1}
	}
}
