package index

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// refGramSet is the trigram set as it was before it stopped sorting
// (docs/design/031-ingest-publish-cpu.md): the reference the new one must
// produce byte-identical filters against.
type refGramSet struct {
	list    []uint32
	bits    []uint64
	invalid bool
}

func (s *refGramSet) addColumn(col arrow.Array) {
	a, ok := col.(*array.String)
	if !ok {
		s.invalid = true
		return
	}
	for i := range a.Len() {
		if a.IsValid(i) && !s.invalid {
			s.add(a.Value(i))
		}
	}
}

func (s *refGramSet) add(v string) {
	if !utf8.ValidString(v) {
		s.invalid = true
		return
	}
	v = strings.ToLower(v)
	for i := 0; i+3 <= len(v); i++ {
		g := uint32(v[i])<<16 | uint32(v[i+1])<<8 | uint32(v[i+2])
		if s.bits != nil {
			s.bits[g/64] |= 1 << (g % 64)
			continue
		}
		s.list = append(s.list, g)
		if len(s.list) >= 1<<18 {
			slices.Sort(s.list)
			s.list = slices.Compact(s.list)
			if len(s.list) >= 1<<17 {
				s.bits = make([]uint64, 1<<24/64)
				for _, g := range s.list {
					s.bits[g/64] |= 1 << (g % 64)
				}
				s.list = nil
			}
		}
	}
}

func (s *refGramSet) bloom() *Bloom {
	if s.bits == nil {
		slices.Sort(s.list)
		s.list = slices.Compact(s.list)
		b := newBloom(len(s.list))
		for _, g := range s.list {
			b.AddHash(hashGram(g))
		}
		return b
	}
	n := 0
	for _, w := range s.bits {
		n += bits.OnesCount64(w)
	}
	b := newBloom(n)
	for wi, w := range s.bits {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			w &= w - 1
			b.AddHash(hashGram(uint32(wi*64 + t)))
		}
	}
	return b
}

// randomText returns a value drawn from kind: ASCII with upper case,
// mixed Unicode (letters whose lower case changes length, such as 'İ'),
// random bytes (often invalid UTF-8), or arbitrary 24-bit trigram soup
// (many distinct trigrams).
func randomText(r *rand.Rand, kind int) string {
	n := r.IntN(40)
	var b strings.Builder
	switch kind {
	case 0:
		const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_:/=."
		for range n {
			b.WriteByte(alpha[r.IntN(len(alpha))])
		}
	case 1:
		runes := []rune("aZé ÉßẞİıΣσςДдⅫ日本\u0130\u212a\U0001F600x")
		for range n {
			b.WriteRune(runes[r.IntN(len(runes))])
		}
	case 2:
		for range n {
			b.WriteByte(byte(r.IntN(256)))
		}
	default:
		for range n {
			b.WriteByte(byte(1 + r.IntN(127)))
			if r.IntN(4) == 0 {
				b.WriteRune(rune(0x80 + r.IntN(0x2000)))
			}
		}
	}
	return b.String()
}

// TestGramSetMatchesReference builds trigram filters with the new and the
// old set over random columns and requires identical filter words and
// validity, for sets used one after another (the bits are recycled).
func TestGramSetMatchesReference(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(31, 7))
	cases := []struct {
		name  string
		rows  int
		kinds []int
	}{
		{"ascii", 2000, []int{0}},
		{"unicode", 2000, []int{1}},
		{"ascii-and-unicode", 5000, []int{0, 1}},
		{"invalid-utf8", 500, []int{0, 2}},
		{"many-distinct", 60000, []int{3}}, // past the old set's list limit
		{"few", 3, []int{0}},
		{"empty", 0, []int{0}},
	}
	for round := range 3 {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%d", c.name, round), func(t *testing.T) {
				b := array.NewStringBuilder(mem)
				defer b.Release()
				for i := range c.rows {
					if i%11 == 5 {
						b.AppendNull()
						continue
					}
					b.Append(randomText(r, c.kinds[r.IntN(len(c.kinds))]))
				}
				col := b.NewArray()
				defer col.Release()
				// Add the column as two slices, as a row group spread
				// over two batches.
				half := int64(col.Len() / 2)
				parts := []arrow.Array{array.NewSlice(col, 0, half), array.NewSlice(col, half, int64(col.Len()))}
				defer parts[0].Release()
				defer parts[1].Release()
				got, want := newGramSet(), &refGramSet{}
				for _, p := range parts {
					got.addColumn(p)
					want.addColumn(p)
				}
				if got.invalid != want.invalid {
					t.Fatalf("invalid %v, reference %v", got.invalid, want.invalid)
				}
				if c.name == "invalid-utf8" && !got.invalid {
					t.Fatalf("random bytes made no invalid UTF-8: the case tests nothing")
				}
				if got.invalid {
					got.release()
					return
				}
				gb, wb := got.bloom(), want.bloom()
				if !slices.Equal(gb.blocks, wb.blocks) {
					t.Fatalf("filters differ: %d words, reference %d words", len(gb.blocks), len(wb.blocks))
				}
				if c.name == "many-distinct" && len(got.list) < 1<<17 {
					t.Fatalf("%d distinct trigrams: the case does not pass the old list limit", len(got.list))
				}
			})
		}
	}
	// Every set gave its bits back cleared.
	for range 4 {
		for _, pool := range []*sync.Pool{&gramASCIIPool, &gramWidePool} {
			p := pool.Get().(*[]uint64)
			if i := slices.IndexFunc(*p, func(w uint64) bool { return w != 0 }); i >= 0 {
				t.Fatalf("a recycled bit set has word %d set", i)
			}
		}
	}
}

// TestGramSetASCIILower checks the ASCII fast path against
// strings.ToLower on every trigram of printable and control bytes.
func TestGramSetASCIILower(t *testing.T) {
	var b strings.Builder
	for c := range 128 {
		b.WriteByte(byte(c))
		b.WriteString("Ab")
	}
	s := newGramSet()
	s.add(b.String())
	want := Grams(b.String())
	slices.Sort(want)
	want = slices.Compact(want)
	got := slices.Clone(s.list)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("%d trigrams, want %d", len(got), len(want))
	}
	s.release()
}

// benchColumns returns text columns shaped like logs: a few services, a
// 32-hex-digit trace id per row, and templated messages.
func benchColumns(mem memory.Allocator, rows int) []arrow.Array {
	r := rand.New(rand.NewPCG(1, 2))
	svc, trace, msg := array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewStringBuilder(mem)
	defer svc.Release()
	defer trace.Release()
	defer msg.Release()
	services := []string{"frontend", "api-gateway", "checkout", "search", "auth", "payments"}
	for i := range rows {
		svc.Append(services[r.IntN(len(services))])
		trace.Append(fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()))
		msg.Append(fmt.Sprintf("GET /api/v1/orders/%d completed in %dms user=%d Status OK", r.IntN(100000), r.IntN(900), i%5000))
	}
	return []arrow.Array{svc.NewArray(), trace.NewArray(), msg.NewArray()}
}

// BenchmarkGramSet builds the trigram filters of three log columns, with
// the current set and the reference (sorting) one.
func BenchmarkGramSet(b *testing.B) {
	mem := memory.NewGoAllocator()
	cols := benchColumns(mem, 100_000)
	var size int64
	for _, c := range cols {
		size += int64(len(c.(*array.String).ValueBytes()))
		defer c.Release()
	}
	b.Run("impl=set", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			for _, c := range cols {
				s := newGramSet()
				s.addColumn(c)
				s.bloom()
			}
		}
	})
	b.Run("impl=reference", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			for _, c := range cols {
				s := &refGramSet{}
				s.addColumn(c)
				s.bloom()
			}
		}
	})
}
