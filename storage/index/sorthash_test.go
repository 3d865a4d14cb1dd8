package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortHashes: the radix sort orders like slices.Sort, for lengths
// around its threshold, random hashes, duplicates, bytes shared by every
// hash (skipped passes) and an odd number of passes (the result in the
// scratch space).
func TestSortHashes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	gens := map[string]func() uint64{
		"random":       r.Uint64,
		"duplicates":   func() uint64 { return uint64(r.IntN(50)) * 0x9E3779B97F4A7C15 },
		"small":        func() uint64 { return uint64(r.IntN(1 << 16)) },
		"one byte":     func() uint64 { return uint64(r.IntN(256)) << 24 },
		"three bytes":  func() uint64 { return uint64(r.IntN(1<<24)) << 8 },
		"high and low": func() uint64 { return uint64(r.IntN(256))<<56 | uint64(r.IntN(256)) },
	}
	var scratch []uint64
	for name, gen := range gens {
		for _, n := range []int{0, 1, radixMin - 1, radixMin, 1000, 28_000} {
			h := make([]uint64, n)
			for i := range h {
				h[i] = gen()
			}
			want := slices.Clone(h)
			slices.Sort(want)
			scratch = sortHashes(h, scratch)
			if !slices.Equal(h, want) {
				t.Errorf("%s, %d hashes: not sorted like slices.Sort", name, n)
			}
		}
	}
}

// BenchmarkSortHashes sorts the hashes of one hourly file's trace ids
// (28k distinct) with the radix sort and with slices.Sort.
func BenchmarkSortHashes(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	in := make([]uint64, 28_000)
	for i := range in {
		in[i] = r.Uint64()
	}
	h := make([]uint64, len(in))
	var scratch []uint64
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			copy(h, in)
			scratch = sortHashes(h, scratch)
		}
	})
	b.Run("slices.Sort", func(b *testing.B) {
		for b.Loop() {
			copy(h, in)
			slices.Sort(h)
		}
	})
}
