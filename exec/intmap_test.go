package exec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIntMapAgainstGoMap checks intMap against a Go map on keys that
// collide in the low bits, sequential keys, extremes and random keys.
func TestIntMapAgainstGoMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func(i int) int64{
		"sequential": func(i int) int64 { return int64(i) },
		"stride4096": func(i int) int64 { return int64(i) << 12 },
		"micros":     func(i int) int64 { return 1_700_000_000_000_000 + int64(i)*1_000_000 },
		"random":     func(int) int64 { return int64(rng.Uint64()) },
		"small":      func(int) int64 { return int64(rng.IntN(300)) - 150 },
		"extremes": func(i int) int64 {
			return []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}[i%5]
		},
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			m, ref := newIntMap(), map[int64]uint32{}
			for i := range 50_000 {
				k := gen(i)
				got, ok := m.get(k)
				want, wok := ref[k]
				if ok != wok || got != want {
					t.Fatalf("get(%d) = %d,%v; want %d,%v", k, got, ok, want, wok)
				}
				if !ok {
					id := uint32(len(ref))
					m.put(k, id)
					ref[k] = id
				}
			}
			if m.len() != len(ref) {
				t.Fatalf("len %d, want %d", m.len(), len(ref))
			}
			for k, want := range ref {
				if got, ok := m.get(k); !ok || got != want {
					t.Fatalf("after growth get(%d) = %d,%v; want %d", k, got, ok, want)
				}
			}
		})
	}
}
