package index

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGramSetSaturates: a set of hex ids holds every hex trigram after a
// few hundred ids and is dropped then, before the row group's end; log
// messages and a small set of words over the same alphabet keep theirs.
func TestGramSetSaturates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := newGramSet()
	n := 0
	for ; n < 5000 && !ids.invalid; n++ {
		ids.add(fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()))
	}
	if !ids.invalid || n > 400 {
		t.Fatalf("hex ids: dropped %v after %d ids, want dropped within 400", ids.invalid, n)
	}
	uuids := newGramSet()
	n = 0
	for ; n < 5000 && !uuids.invalid; n++ {
		a, b := r.Uint64(), r.Uint64()
		uuids.add(fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&(1<<48-1)))
	}
	if !uuids.invalid || n > 1000 {
		t.Fatalf("uuids: dropped %v after %d, want dropped within 1,000", uuids.invalid, n)
	}
	msgs := newGramSet()
	for i := range 30000 {
		msgs.add(fmt.Sprintf("GET /api/v1/orders/%d completed status=%d in %d.%dms from 10.%d.%d.%d", r.IntN(1e6), 200+i%5, r.IntN(900), r.IntN(1000), r.IntN(256), r.IntN(256), r.IntN(256)))
	}
	if msgs.invalid || len(msgs.list) < gramCheckEvery {
		t.Fatalf("messages: dropped %v with %d trigrams, want kept with more than %d", msgs.invalid, len(msgs.list), gramCheckEvery)
	}
	hexWords := newGramSet() // the hex alphabet, few trigrams
	for range 30000 {
		hexWords.add([]string{"deadbeef", "cafe", "facade", "decade", "bead", "feed"}[r.IntN(6)])
	}
	if hexWords.invalid {
		t.Fatal("a few hex words: the set was dropped")
	}
	b := msgs.bloom()
	if !HasGrams(b, Grams("completed status=")) || HasGrams(b, Grams("timeout")) {
		t.Fatal("the messages' filter does not answer as a filter")
	}
}

// TestPostingsGiveUpEarly: a column of distinct tokens gives up its
// postings once it has postingsProbeTerms terms at nearly one per row, not
// at a quarter of the row group; one with a new token every few rows
// keeps them.
func TestPostingsGiveUpEarly(t *testing.T) {
	const rows = 60000
	ids := newPostingsBuilder(rows)
	row := 0
	for ; row < rows && !ids.over; row++ {
		ids.add(fmt.Sprintf("req%08x", row*2654435761), uint32(row))
	}
	if !ids.over || len(ids.terms) != postingsProbeTerms || row > postingsProbeTerms+1 {
		t.Fatalf("distinct tokens: over %v at row %d with %d terms, want over at row %d", ids.over, row, len(ids.terms), postingsProbeTerms)
	}
	some := newPostingsBuilder(rows)
	for row := range rows {
		some.add(fmt.Sprintf("user%d logged in", row/5), uint32(row)) // a new term every 5 rows
	}
	if some.over {
		t.Fatalf("a new token every 5 rows: gave up at %d terms", len(some.terms))
	}
	p, err := some.postings(rows)
	if err != nil || p == nil || len(p.Terms) != rows/5+2 {
		t.Fatalf("postings %v, %v", p, err)
	}
}
