package index

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"openwit/storage/pqfile"
)

// ErrCorrupt marks an artifact that cannot be decoded: damaged, truncated,
// or of another format version. Readers fall back to no pruning.
var ErrCorrupt = errors.New("index: corrupt artifact")

// Kind is the value kind of a column's zone map.
type Kind uint8

// Zone map kinds; the Go type of Zone.Min and Zone.Max for each.
const (
	KindNone   Kind = iota // no zone map (decimal, bytea, ...)
	KindInt                // int64: int2/int4/int8, date (days), timestamp (µs)
	KindFloat              // float64 (NaN is left out of min and max)
	KindString             // string, compared bytewise
	KindBool               // bool
)

// Index is the artifact of one Parquet file: per column and row group, a
// zone map, and optionally an equality Bloom filter and a trigram filter.
type Index struct {
	// RowGroups holds the row count of each row group of the file.
	RowGroups []int64
	Columns   []Column
}

// Column is the index of one column.
type Column struct {
	Name  string
	Kind  Kind
	Zones []Zone // one per row group
	// Blooms holds an equality filter per row group (nil slice: none for
	// the column; a nil element: none for that row group).
	Blooms []*Bloom
	// Grams holds a trigram filter per row group, as Blooms.
	Grams []*Bloom
	// Postings holds the exact token postings per row group, as Blooms
	// (text columns with a trigram filter; none past the vocabulary
	// bounds). Format version 2.
	Postings []*Postings
}

// Zone is the zone map of one column chunk.
type Zone struct {
	// Known is false when the file kept no usable statistics: the zone
	// prunes nothing.
	Known bool
	// Nulls is the number of nulls (-1: unknown).
	Nulls int64
	// Min and Max are nil when every value is NULL.
	Min, Max any
}

// Column returns the named column's index, or nil.
func (ix *Index) Column(name string) *Column {
	for i := range ix.Columns {
		if ix.Columns[i].Name == name {
			return &ix.Columns[i]
		}
	}
	return nil
}

// Options choose the filters Build makes.
type Options struct {
	// BloomColumns get an equality filter in every row group. When nil,
	// text and integer columns get one in the row groups where more than
	// half of the non-null values are distinct (AutoBloomRatio).
	BloomColumns []string
	// GramColumns get a trigram filter. When nil, every text column does.
	// They also get token postings.
	GramColumns []string

	// TimeColumn, the table's time column, gets no automatic Bloom
	// filter: its values are mostly distinct, so it would always get one,
	// yet the zone maps of time-sorted files already serve equality on it
	// (design 050). Named in BloomColumns it gets one.
	TimeColumn string

	// Dictionaries, when BuildFromBatches is given the batches the file
	// was written from, are the dictionaries pqfile.WriteDictionaries
	// wrote them with: a text column's distinct values and the rows of
	// each come from there instead of from hashing every row (design 085).
	Dictionaries *pqfile.Dictionaries

	noPostings bool // for the benchmark that measures their cost
}

// AutoBloomRatio is the distinct/non-null ratio above which a column gets
// an equality filter when Options.BloomColumns is nil.
const AutoBloomRatio = 0.5

// Table option names read by OptionsFromTable.
const (
	OptionBloomColumns = "bloom_columns"
	OptionGramColumns  = "ngram_columns"
)

// OptionsFromTable reads the table options bloom_columns and
// ngram_columns: comma-separated column names (” for none). An absent
// option means automatic.
func OptionsFromTable(opts map[string]string) Options {
	var o Options
	if v, ok := opts[OptionBloomColumns]; ok {
		o.BloomColumns = SplitColumns(v)
	}
	if v, ok := opts[OptionGramColumns]; ok {
		o.GramColumns = SplitColumns(v)
	}
	return o
}

// SplitColumns splits a comma-separated list of column names, trimming
// spaces; the empty string is an empty, non-nil list.
func SplitColumns(v string) []string {
	out := []string{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// kindOf returns the zone kind of an Arrow type.
func kindOf(t arrow.DataType) Kind {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.TIMESTAMP:
		return KindInt
	case arrow.FLOAT32, arrow.FLOAT64:
		return KindFloat
	case arrow.STRING:
		return KindString
	case arrow.BOOL:
		return KindBool
	}
	return KindNone
}

// batchRows is the batch size Build reads with.
const batchRows = 64 << 10

// Build reads a Parquet file and returns its index.
func Build(ctx context.Context, rd *pqfile.Reader, opt Options) (*Index, error) {
	return build(ctx, rd, opt, func(ctx context.Context, names []string, g int) (groupReader, error) {
		return rd.Read(ctx, names, []int{g}, batchRows)
	})
}

// groupReader reads one row group's values of the filtered columns, in
// the order asked: a *pqfile.RecordReader, or batchGroupReader.
type groupReader interface {
	Next() bool
	RecordBatch() arrow.RecordBatch
	Err() error
	Release()
}

// build is Build with the filtered columns' values read by readGroup; the
// zone maps and the row groups come from rd's footer.
func build(ctx context.Context, rd *pqfile.Reader, opt Options, readGroup func(ctx context.Context, names []string, g int) (groupReader, error)) (*Index, error) {
	schema := rd.Schema()
	ix := &Index{RowGroups: make([]int64, rd.NumRowGroups())}
	for g := range ix.RowGroups {
		ix.RowGroups[g] = rd.RowGroupRows(g)
	}
	type plan struct {
		col          *Column
		bloom, grams bool
		auto         bool
		timestamp    bool
	}
	var (
		plans []plan
		names []string
	)
	for _, f := range schema.Fields() {
		k := kindOf(f.Type)
		ix.Columns = append(ix.Columns, Column{Name: f.Name, Kind: k, Zones: make([]Zone, len(ix.RowGroups))})
		c := &ix.Columns[len(ix.Columns)-1]
		for g := range ix.RowGroups {
			c.Zones[g] = zoneOf(rd, g, f.Name, k)
		}
		p := plan{}
		if k == KindInt || k == KindString {
			if opt.BloomColumns == nil {
				p.bloom, p.auto = f.Name != opt.TimeColumn, true
			} else {
				p.bloom = slices.Contains(opt.BloomColumns, f.Name)
			}
		}
		if k == KindString {
			p.grams = opt.GramColumns == nil || slices.Contains(opt.GramColumns, f.Name)
		}
		if p.bloom || p.grams {
			plans = append(plans, p)
			names = append(names, f.Name)
		}
	}
	// Pointers into ix.Columns are stable from here on.
	fileCols := make([]int, len(names)) // each filtered column's index in the file schema
	for i, n := range names {
		fileCols[i] = schema.FieldIndices(n)[0]
		plans[i].col = ix.Column(n)
		if plans[i].bloom {
			plans[i].col.Blooms = make([]*Bloom, len(ix.RowGroups))
		}
		if plans[i].grams {
			plans[i].col.Grams = make([]*Bloom, len(ix.RowGroups))
			plans[i].col.Postings = make([]*Postings, len(ix.RowGroups))
		}
	}
	if len(names) == 0 {
		return ix, nil
	}
	var sortScratch []uint64 // sortHashes's space, for every column and row group
	for g := range ix.RowGroups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hashes := make([][]uint64, len(names))
		grams := make([]*gramSet, len(names))
		posts := make([]*postingsBuilder, len(names))
		for i, p := range plans {
			if p.bloom {
				// Sized once from the footer's row count: growing by
				// doubling was a third of the flush's slice growth
				// (design 042).
				hashes[i] = make([]uint64, 0, ix.RowGroups[g])
			}
			if p.grams {
				grams[i] = newGramSet()
				if !opt.noPostings {
					posts[i] = newPostingsBuilder(ix.RowGroups[g])
				}
			}
		}
		nonNull := make([]int, len(names)) // the Bloom input dedups repeated text values early
		fromDict := make([]bool, len(names))
		for i, p := range plans {
			dict, indices, ok := opt.Dictionaries.Column(g, fileCols[i])
			if !ok || !dictRows(indices, ix.RowGroups[g]) {
				continue
			}
			var h *[]uint64
			if p.bloom {
				h = &hashes[i]
			}
			nonNull[i] = addDictColumn(dict, indices, h, grams[i], posts[i])
			fromDict[i] = true
		}
		rr, err := readGroup(ctx, names, g)
		if err != nil {
			return nil, fmt.Errorf("read row group %d: %w", g, err)
		}
		memos := make([]valueMemo, len(names))
		base := 0
		for rr.Next() {
			rec := rr.RecordBatch()
			for i, p := range plans {
				if fromDict[i] {
					continue
				}
				col := rec.Column(i)
				nonNull[i] += col.Len() - col.NullN()
				if a, ok := col.(*array.String); ok {
					var h *[]uint64
					if p.bloom {
						h = &hashes[i]
					}
					addStrings(a, base, &memos[i], h, grams[i], posts[i])
					continue
				}
				if p.bloom {
					hashes[i] = appendHashes(hashes[i], col)
				}
				if p.grams {
					grams[i].addColumn(col)
					if posts[i] != nil {
						posts[i].addColumn(col, base)
					}
				}
			}
			base += int(rec.NumRows())
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			return nil, fmt.Errorf("read row group %d: %w", g, err)
		}
		for i, p := range plans {
			if p.bloom {
				h := hashes[i]
				n := nonNull[i]
				sortScratch = sortHashes(h, sortScratch)
				h = slices.Compact(h)
				if !p.auto || (n > 0 && float64(len(h)) > AutoBloomRatio*float64(n)) {
					b := newBloom(len(h))
					for _, x := range h {
						b.AddHash(x)
					}
					p.col.Blooms[g] = b
				}
			}
			if p.grams && !grams[i].invalid {
				p.col.Grams[g] = grams[i].bloom()
			}
			if posts[i] != nil {
				if p.col.Postings[g], err = posts[i].postings(ix.RowGroups[g]); err != nil {
					return nil, fmt.Errorf("row group %d: %w", g, err)
				}
			}
		}
	}
	// Drop filter slices with no filter at all.
	for i := range ix.Columns {
		c := &ix.Columns[i]
		if c.Blooms != nil && !slices.ContainsFunc(c.Blooms, func(b *Bloom) bool { return b != nil }) {
			c.Blooms = nil
		}
		if c.Grams != nil && !slices.ContainsFunc(c.Grams, func(b *Bloom) bool { return b != nil }) {
			c.Grams = nil
		}
		if c.Postings != nil && !slices.ContainsFunc(c.Postings, func(p *Postings) bool { return p != nil }) {
			c.Postings = nil
		}
	}
	return ix, nil
}

// zoneOf reads a column chunk's statistics from the footer.
func zoneOf(rd *pqfile.Reader, g int, name string, k Kind) Zone {
	if k == KindNone {
		return Zone{}
	}
	mn, mx, nulls, ok := rd.RowGroupStats(g, name)
	if !ok {
		return Zone{}
	}
	z := Zone{Known: true, Nulls: nulls, Min: mn, Max: mx}
	switch mn.(type) {
	case nil, int64, float64, string, bool:
	default:
		return Zone{}
	}
	if (mn == nil) != (mx == nil) {
		return Zone{}
	}
	return z
}

// appendHashes appends the equality hashes of col's non-null values.
func appendHashes(dst []uint64, col arrow.Array) []uint64 {
	switch a := col.(type) {
	case *array.String:
		for i := range a.Len() {
			if a.IsValid(i) {
				dst = append(dst, HashString(a.Value(i)))
			}
		}
	case *array.Int16:
		for i := range a.Len() {
			if a.IsValid(i) {
				dst = append(dst, HashInt(int64(a.Value(i))))
			}
		}
	case *array.Int32:
		for i := range a.Len() {
			if a.IsValid(i) {
				dst = append(dst, HashInt(int64(a.Value(i))))
			}
		}
	case *array.Int64:
		for i := range a.Len() {
			if a.IsValid(i) {
				dst = append(dst, HashInt(a.Value(i)))
			}
		}
	case *array.Date32:
		for i := range a.Len() {
			if a.IsValid(i) {
				dst = append(dst, HashInt(int64(a.Value(i))))
			}
		}
	case *array.Timestamp:
		for i := range a.Len() {
			if a.IsValid(i) {
				dst = append(dst, HashInt(int64(a.Value(i))))
			}
		}
	}
	return dst
}

// gramSet collects the distinct trigrams of a row group's values without
// sorting them: a bit per possible trigram says whether it was seen, and
// list keeps each new one in the order it came. The filter it makes is the
// same whatever that order: setting Bloom bits commutes, and the filter's
// size depends only on the number of distinct trigrams.
//
// Trigrams of ASCII bytes only (almost all of them in logs) have their bit
// in ascii, 7 bits per byte: 2^21 bits, 256 KiB, which stays in a core's
// L2 cache; the others in wide, 2^24 bits (2 MiB), taken only when a value
// has a byte >= 0x80. With one 2 MiB set for all, a message column's
// trigram lookups missed the cache (docs/design/079-ingest-cpu.md).
type gramSet struct {
	ascii   []uint64 // nil until the first trigram, and after bloom
	wide    []uint64 // nil until the first non-ASCII trigram, and after bloom
	list    []uint32
	alpha   [4]uint64 // the bytes the trigrams in list are made of
	invalid bool      // a value is not valid UTF-8, or the set saturated: the filter is dropped
}

// gramCheckEvery is how many new trigrams a gramSet takes between two
// checks for saturation (saturated).
const gramCheckEvery = 1024

// saturated reports whether the set holds at least half of the trigrams
// that can be made of the bytes it has seen (checked every
// gramCheckEvery new trigrams): values of a small alphabet in random
// order, such as hex trace ids (16 bytes, 4,096 trigrams: all of them in
// a row group after a few hundred ids) or numbers. A filter holding
// most of its alphabet's trigrams answers "maybe" for almost any pattern
// of that alphabet, so building it costs a lookup per byte of every value
// for nothing; the set is dropped (no filter: every pattern scans), the
// same decision whatever the order values come in, as new trigrams come
// in row order however the values reach the set (design 085).
func (s *gramSet) saturated() bool {
	n := len(s.list)
	if n%gramCheckEvery != 0 {
		return false
	}
	a := 0
	for _, w := range s.alpha {
		a += bits.OnesCount64(w)
	}
	return 2*n >= a*a*a
}

// newGram notes g (24 bits), just added to list, and reports whether the
// set saturated with it.
func (s *gramSet) newGram(g uint32) bool {
	for _, c := range [3]uint32{g >> 16, g >> 8 & 0xff, g & 0xff} {
		s.alpha[c>>6] |= 1 << (c & 63)
	}
	return s.saturated()
}

// gramASCIIWords and gramWideWords are the lengths of a gramSet's bit
// sets: one bit per 21-bit ASCII trigram, one per 24-bit trigram.
const (
	gramASCIIWords = 1 << 21 / 64
	gramWideWords  = 1 << 24 / 64
)

// gramASCIIPool and gramWidePool recycle the bit sets, returned all zero.
var (
	gramASCIIPool = sync.Pool{New: func() any { b := make([]uint64, gramASCIIWords); return &b }}
	gramWidePool  = sync.Pool{New: func() any { b := make([]uint64, gramWideWords); return &b }}
)

// lowerASCII maps an ASCII byte to its lower case, as strings.ToLower does.
var lowerASCII = func() (t [128]byte) {
	for i := range t {
		t[i] = byte(unicode.ToLower(rune(i)))
	}
	return t
}()

func newGramSet() *gramSet { return &gramSet{} }

func (s *gramSet) addColumn(col arrow.Array) {
	a, ok := col.(*array.String)
	if !ok {
		s.drop()
		return
	}
	for i := range a.Len() {
		if s.invalid {
			return
		}
		if a.IsValid(i) {
			s.add(a.Value(i))
		}
	}
}

func (s *gramSet) add(v string) {
	if s.invalid || len(v) < 3 {
		if !s.invalid && !utf8.ValidString(v) {
			s.drop()
		}
		return
	}
	if s.ascii == nil {
		s.ascii = *gramASCIIPool.Get().(*[]uint64)
	}
	ascii := true
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// strings.ToLower of ASCII, byte by byte, without the copy; k is
		// the trigram's 21-bit key, 7 bits per byte.
		k := uint32(lowerASCII[v[0]])<<7 | uint32(lowerASCII[v[1]])
		for i := 2; i < len(v); i++ {
			k = (k<<7 | uint32(lowerASCII[v[i]])) & (1<<21 - 1)
			w, m := &s.ascii[k/64], uint64(1)<<(k%64)
			if *w&m == 0 {
				*w |= m
				g := k>>14<<16 | k>>7&0x7f<<8 | k&0x7f
				s.list = append(s.list, g)
				if s.newGram(g) {
					s.drop()
					return
				}
			}
		}
		return
	}
	if !utf8.ValidString(v) {
		s.drop()
		return
	}
	v = strings.ToLower(v)
	for i := 0; i+3 <= len(v); i++ {
		if s.insert(uint32(v[i])<<16|uint32(v[i+1])<<8|uint32(v[i+2])) && s.newGram(s.list[len(s.list)-1]) {
			s.drop()
			return
		}
	}
}

// insert adds trigram g (24 bits) to the set and reports whether it was
// new there.
func (s *gramSet) insert(g uint32) bool {
	var w *uint64
	var m uint64
	if g&0x808080 == 0 {
		k := g>>16<<14 | g>>8&0x7f<<7 | g&0x7f
		w, m = &s.ascii[k/64], uint64(1)<<(k%64)
	} else {
		if s.wide == nil {
			s.wide = *gramWidePool.Get().(*[]uint64)
		}
		w, m = &s.wide[g/64], uint64(1)<<(g%64)
	}
	if *w&m == 0 {
		*w |= m
		s.list = append(s.list, g)
		return true
	}
	return false
}

// drop marks the set invalid and gives its bits back.
func (s *gramSet) drop() {
	s.invalid = true
	s.release()
}

// release clears the bits and returns them to their pools.
func (s *gramSet) release() {
	if s.ascii == nil {
		return
	}
	if len(s.list) < gramASCIIWords/8 {
		for _, g := range s.list {
			if g&0x808080 == 0 {
				k := g>>16<<14 | g>>8&0x7f<<7 | g&0x7f
				s.ascii[k/64] = 0
			} else {
				s.wide[g/64] = 0
			}
		}
	} else {
		clear(s.ascii)
		if s.wide != nil {
			clear(s.wide)
		}
	}
	a := s.ascii
	s.ascii = nil
	gramASCIIPool.Put(&a)
	if s.wide != nil {
		w := s.wide
		s.wide = nil
		gramWidePool.Put(&w)
	}
}

// bloom returns the trigram filter of the set and releases its bits.
func (s *gramSet) bloom() *Bloom {
	s.release()
	b := newBloom(len(s.list))
	for _, g := range s.list {
		b.AddHash(hashGram(g))
	}
	return b
}

// Grams returns the trigrams of s as the trigram filter sees them: the
// bytes of strings.ToLower(s); nil when s is shorter than 3 bytes or not
// valid UTF-8 (then it cannot prune).
func Grams(s string) []uint32 {
	if !utf8.ValidString(s) {
		return nil
	}
	s = strings.ToLower(s)
	var out []uint32
	for i := 0; i+3 <= len(s); i++ {
		out = append(out, uint32(s[i])<<16|uint32(s[i+1])<<8|uint32(s[i+2]))
	}
	return out
}

// HasGrams reports whether every trigram may be in filter b.
func HasGrams(b *Bloom, grams []uint32) bool {
	for _, g := range grams {
		if !b.HasHash(hashGram(g)) {
			return false
		}
	}
	return true
}

// Tokens splits s into the words match() compares: maximal runs of
// Unicode letters and digits of strings.ToLower(s). Invalid UTF-8 bytes
// separate words.
func Tokens(s string) []string {
	s = strings.ToLower(s)
	var out []string
	start := -1
	for i, r := range s {
		word := r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// Match reports whether every word of query is a word of text (words as
// Tokens splits them); a query without words matches nothing. It is the
// SQL function match(text, query).
func Match(text, query string) bool { return MatchTokens(text, Tokens(query)) }

// MatchTokens is Match with the query already split by Tokens.
func MatchTokens(text string, want []string) bool {
	if len(want) == 0 {
		return false
	}
	have := Tokens(text)
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// HasPostings reports whether any column has token postings.
func (ix *Index) HasPostings() bool {
	for i := range ix.Columns {
		if ix.Columns[i].Postings != nil {
			return true
		}
	}
	return false
}

// Own returns c with its postings' bitmaps copied out of the artifact's
// bytes, where Decode leaves them, so that c keeps no reference to the
// artifact (its zone maps and filters never do): a cache can hold one
// column of an artifact and free the rest.
func (c Column) Own() Column {
	if c.Postings == nil {
		return c
	}
	ps := make([]*Postings, len(c.Postings))
	for g, p := range c.Postings {
		if p == nil {
			continue
		}
		n := 0
		for _, r := range p.rows {
			n += len(r)
		}
		buf := make([]byte, 0, n)
		rows := make([][]byte, len(p.rows))
		for i, r := range p.rows {
			start := len(buf)
			buf = append(buf, r...)
			rows[i] = buf[start:len(buf):len(buf)]
		}
		ps[g] = &Postings{Terms: p.Terms, rows: rows}
	}
	c.Postings = ps
	return c
}

// Bytes estimates the memory c holds: its filters' words, zone maps and
// postings (terms and bitmaps).
func (c *Column) Bytes() int64 {
	n := int64(len(c.Name)) + 64
	for _, fs := range [][]*Bloom{c.Blooms, c.Grams} {
		for _, f := range fs {
			if f != nil {
				n += int64(4*len(f.blocks)) + 32
			}
		}
	}
	for _, z := range c.Zones {
		n += 48
		for _, v := range []any{z.Min, z.Max} {
			if s, ok := v.(string); ok {
				n += int64(len(s))
			}
		}
	}
	for _, p := range c.Postings {
		if p == nil {
			continue
		}
		n += 64
		for i, t := range p.Terms {
			n += int64(len(t)+16) + int64(len(p.rows[i])+24)
		}
	}
	return n
}

// dictRows reports whether indices hold exactly rows rows (a row group's).
func dictRows(indices []*array.Int32, rows int64) bool {
	var n int64
	for _, a := range indices {
		n += int64(a.Len())
	}
	return n == rows
}
