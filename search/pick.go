package search

import (
	"math"
	"sort"
)

// Pick returns the worker that owns a file under rendezvous (highest
// random weight) hashing: the worker w with the largest weight(fileID, w).
// Every coordinator with the same worker list picks the same worker, so a
// file's bytes stay warm in one worker's cache; removing a worker moves only
// its own files, each to the worker with its next-highest weight. Pick
// returns "" when workers is empty.
func Pick(fileID string, workers []string) string {
	best, bestW := "", uint64(0)
	for _, w := range workers {
		h := weight(fileID, w)
		if best == "" || h > bestW || (h == bestW && w < best) {
			best, bestW = w, h
		}
	}
	return best
}

// Rank returns workers ordered by decreasing weight for fileID: Rank[0] is
// Pick's choice, Rank[1] the worker the file moves to when Rank[0] is gone.
func Rank(fileID string, workers []string) []string {
	out := append([]string(nil), workers...)
	ws := make(map[string]uint64, len(out))
	for _, w := range out {
		ws[w] = weight(fileID, w)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := ws[out[i]], ws[out[j]]
		if a != b {
			return a > b
		}
		return out[i] < out[j]
	})
	return out
}

// weight hashes (worker, file) with 64-bit FNV-1a and a SplitMix64
// finalizer (FNV alone mixes the last bytes poorly).
func weight(fileID, worker string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(worker); i++ {
		h ^= uint64(worker[i])
		h *= prime
	}
	h ^= 0xff // separator: ("ab","c") and ("a","bc") differ
	h *= prime
	for i := 0; i < len(fileID); i++ {
		h ^= uint64(fileID[i])
		h *= prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// Worker is a search worker and its share of the files.
type Worker struct {
	// Addr is the worker's search service address (host:port).
	Addr string
	// Weight is the worker's relative capacity (the --weight it gossips);
	// a worker of weight 2 owns twice the files of one of weight 1 on
	// average. Zero or less counts as 1.
	Weight float64
}

// Equal returns workers of weight 1 at addrs.
func Equal(addrs []string) []Worker {
	out := make([]Worker, len(addrs))
	for i, a := range addrs {
		out[i] = Worker{Addr: a, Weight: 1}
	}
	return out
}

// RankWeighted orders workers by decreasing weighted rendezvous score for
// fileID: score = -Weight / ln(u), u the file-worker hash mapped into
// (0, 1). Worker i comes first with probability Weight_i / ΣWeight, and
// removing a worker moves only the files it ranked first. When every
// weight is equal the score is increasing in the hash, so the order is
// Rank's: a cluster of equal workers assigns files as Pick does.
func RankWeighted(fileID string, workers []Worker) []Worker {
	out := append([]Worker(nil), workers...)
	sc := make([]float64, len(out))
	idx := make([]int, len(out))
	for i, w := range out {
		sc[i] = score(fileID, w)
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := idx[a], idx[b]
		if sc[x] != sc[y] {
			return sc[x] > sc[y]
		}
		return out[x].Addr < out[y].Addr
	})
	ranked := make([]Worker, len(out))
	for i, j := range idx {
		ranked[i] = out[j]
	}
	return ranked
}

// PickWeighted returns RankWeighted's first worker's address, "" when
// workers is empty.
func PickWeighted(fileID string, workers []Worker) string {
	best, bestS := "", 0.0
	for _, w := range workers {
		s := score(fileID, w)
		if best == "" || s > bestS || (s == bestS && w.Addr < best) {
			best, bestS = w.Addr, s
		}
	}
	return best
}

func score(fileID string, w Worker) float64 {
	wt := w.Weight
	if !(wt > 0) || math.IsInf(wt, 0) {
		wt = 1
	}
	// The top 53 bits of the hash, offset by half a step, lie in (0, 1).
	u := (float64(weight(fileID, w.Addr)>>11) + 0.5) / (1 << 53)
	return -wt / math.Log(u)
}
