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
