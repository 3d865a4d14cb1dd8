package search

import "sort"

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
