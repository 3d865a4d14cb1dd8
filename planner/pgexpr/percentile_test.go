package pgexpr

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFloatListAt checks selection against a full sort: every rank of
// lists with duplicates, NaNs, ±0, infinities, sorted and reversed input.
func TestFloatListAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1, 1, 1}
	gens := map[string]func(n int) []float64{
		"random": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			return v
		},
		"few distinct": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(rng.IntN(3))
			}
			return v
		},
		"special": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = special[rng.IntN(len(special))]
			}
			return v
		},
		"sorted": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(i)
			}
			return v
		},
		"reversed": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(n - i)
			}
			return v
		},
	}
	same := func(a, b float64) bool {
		return (math.IsNaN(a) && math.IsNaN(b)) || a == b
	}
	for name, gen := range gens {
		for _, n := range []int{1, 2, 3, 10, 101, 1000} {
			vals := gen(n)
			want := slices.Clone(vals)
			slices.Sort(want)
			for k := range n {
				l := &FloatList{Vals: slices.Clone(vals)}
				if got := l.at(k); !same(got, want[k]) {
					t.Fatalf("%s n=%d: at(%d) = %v, want %v", name, n, k, got, want[k])
				}
			}
			// Several ranks on one list, as several percentiles read it.
			l := &FloatList{Vals: slices.Clone(vals)}
			for _, k := range []int{n - 1, 0, n / 2, n * 95 / 100} {
				if got := l.at(k); !same(got, want[k]) {
					t.Fatalf("%s n=%d (reused list): at(%d) = %v, want %v", name, n, k, got, want[k])
				}
			}
		}
	}
}
