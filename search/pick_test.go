package search_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"openwit/search"
)

func fileIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("01J%09d-%d", i*7919, i)
	}
	return ids
}

func TestPickRemovingAWorkerMovesOnlyItsFiles(t *testing.T) {
	workers := []string{"10.0.0.1:8816", "10.0.0.2:8816", "10.0.0.3:8816", "10.0.0.4:8816", "10.0.0.5:8816"}
	ids := fileIDs(5000)
	before := map[string]string{}
	for _, id := range ids {
		before[id] = search.Pick(id, workers)
	}
	for gone := range workers {
		rest := slices.Delete(slices.Clone(workers), gone, gone+1)
		moved := 0
		for _, id := range ids {
			after := search.Pick(id, rest)
			if before[id] != workers[gone] {
				if after != before[id] {
					t.Fatalf("file %s moved from %s to %s when %s left", id, before[id], after, workers[gone])
				}
				continue
			}
			moved++
			if want := search.Rank(id, workers)[1]; after != want {
				t.Fatalf("file %s went to %s, its second choice is %s", id, after, want)
			}
		}
		if moved == 0 {
			t.Fatalf("worker %s owned no files", workers[gone])
		}
	}
	// Adding a worker only takes files to the new one.
	more := append(slices.Clone(workers), "10.0.0.6:8816")
	for _, id := range ids {
		if after := search.Pick(id, more); after != before[id] && after != "10.0.0.6:8816" {
			t.Fatalf("file %s moved from %s to %s when a worker joined", id, before[id], after)
		}
	}
}

func TestPickIsStableAndOrderFree(t *testing.T) {
	workers := []string{"a:1", "b:1", "c:1"}
	reversed := []string{"c:1", "b:1", "a:1"}
	for _, id := range fileIDs(500) {
		p := search.Pick(id, workers)
		if p != search.Pick(id, reversed) || p != search.Pick(id, workers) {
			t.Fatalf("Pick(%s) depends on the worker order or changes between calls", id)
		}
		if r := search.Rank(id, reversed); r[0] != p || len(r) != 3 {
			t.Fatalf("Rank(%s) = %v, Pick = %s", id, r, p)
		}
	}
	if got := search.Pick("x", nil); got != "" {
		t.Fatalf("Pick over no workers = %q", got)
	}
}

func TestPickBalance(t *testing.T) {
	for _, n := range []int{2, 3, 5, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			workers := make([]string, n)
			for i := range workers {
				workers[i] = fmt.Sprintf("search-%d.openwit.svc:8816", i)
			}
			ids := fileIDs(20000)
			count := map[string]int{}
			for _, id := range ids {
				count[search.Pick(id, workers)]++
			}
			mean := float64(len(ids)) / float64(n)
			for _, w := range workers {
				if dev := math.Abs(float64(count[w])-mean) / mean; dev > 0.05 {
					t.Errorf("worker %s owns %d files, %.1f%% off the mean %.0f", w, count[w], dev*100, mean)
				}
			}
		})
	}
}

// TestPickWeightedFollowsWeights: the share of files a worker owns is its
// share of the total weight, for several weight mixes.
func TestPickWeightedFollowsWeights(t *testing.T) {
	ids := fileIDs(40000)
	for _, weights := range [][]float64{{1, 2}, {1, 1, 4}, {0.5, 1, 1.5, 2, 5}, {3, 3, 3}} {
		t.Run(fmt.Sprint(weights), func(t *testing.T) {
			workers := make([]search.Worker, len(weights))
			total := 0.0
			for i, w := range weights {
				workers[i] = search.Worker{Addr: fmt.Sprintf("10.1.0.%d:8816", i+1), Weight: w}
				total += w
			}
			count := map[string]int{}
			for _, id := range ids {
				count[search.PickWeighted(id, workers)]++
			}
			for _, w := range workers {
				want := float64(len(ids)) * w.Weight / total
				// Binomial standard deviation is below 100 files here: 5%
				// of the expected count is over 4 deviations for shares
				// above 1/10.
				if dev := math.Abs(float64(count[w.Addr])-want) / want; dev > 0.05 {
					t.Errorf("worker %s (weight %v) owns %d files, want %.0f (%.1f%% off)", w.Addr, w.Weight, count[w.Addr], want, dev*100)
				}
			}
		})
	}
}

// TestPickWeightedEqualWeightsIsPick: with equal weights the weighted
// choice and order are Pick's and Rank's, so gossip-fed routing keeps the
// static list's file placement (and its caches).
func TestPickWeightedEqualWeightsIsPick(t *testing.T) {
	addrs := []string{"10.0.0.1:8816", "10.0.0.2:8816", "10.0.0.3:8816", "10.0.0.4:8816"}
	for _, wt := range []float64{1, 2.5, 0} {
		ws := search.Equal(addrs)
		for i := range ws {
			ws[i].Weight = wt
		}
		for _, id := range fileIDs(20000) {
			if got, want := search.PickWeighted(id, ws), search.Pick(id, addrs); got != want {
				t.Fatalf("weight %v: PickWeighted(%s) = %s, Pick = %s", wt, id, got, want)
			}
			r, want := search.RankWeighted(id, ws), search.Rank(id, addrs)
			for i := range r {
				if r[i].Addr != want[i] {
					t.Fatalf("weight %v: RankWeighted(%s) = %v, Rank = %v", wt, id, r, want)
				}
			}
		}
	}
	if got := search.PickWeighted("x", nil); got != "" {
		t.Fatalf("PickWeighted over no workers = %q", got)
	}
}

// TestPickWeightedMovesOnlyTheChangedWorkersFiles: raising one worker's
// weight only takes files to it; removing it only moves its own files.
func TestPickWeightedMovesOnlyTheChangedWorkersFiles(t *testing.T) {
	ws := []search.Worker{{Addr: "a:1", Weight: 1}, {Addr: "b:1", Weight: 2}, {Addr: "c:1", Weight: 1}}
	ids := fileIDs(5000)
	before := map[string]string{}
	for _, id := range ids {
		before[id] = search.PickWeighted(id, ws)
	}
	heavier := slices.Clone(ws)
	heavier[2].Weight = 3
	gained := 0
	for _, id := range ids {
		after := search.PickWeighted(id, heavier)
		if after != before[id] {
			if after != "c:1" {
				t.Fatalf("file %s moved from %s to %s when c:1 grew", id, before[id], after)
			}
			gained++
		}
	}
	if gained == 0 {
		t.Fatal("c:1 gained no file when its weight tripled")
	}
	for _, id := range ids {
		after := search.PickWeighted(id, ws[:2])
		if before[id] != "c:1" && after != before[id] {
			t.Fatalf("file %s moved from %s to %s when c:1 left", id, before[id], after)
		}
	}
}
