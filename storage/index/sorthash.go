package index

import "slices"

// radixMin is the length from which sortHashes sorts by radix; shorter
// slices go to slices.Sort.
const radixMin = 512

// sortHashes sorts h, the 64-bit hashes of a row group's values for its
// Bloom filter, in increasing order; scratch is reused space (returned,
// possibly grown). Hashes are uniformly spread, so a least-significant-
// digit radix sort (eight passes of one byte, a pass skipped when every
// hash has the same byte there) does in a few linear passes what a
// comparison sort does in log2(n) branchy ones: the sort was a sixth of
// the index build's time at publish (design 056).
func sortHashes(h, scratch []uint64) []uint64 {
	if len(h) < radixMin {
		slices.Sort(h)
		return scratch
	}
	if cap(scratch) < len(h) {
		scratch = make([]uint64, len(h))
	}
	src, dst := h, scratch[:len(h)]
	var counts [8][256]int
	for _, x := range src {
		for d := range 8 {
			counts[d][byte(x>>(8*d))]++
		}
	}
	for d := range 8 {
		c := &counts[d]
		if c[byte(src[0]>>(8*d))] == len(src) {
			continue // every hash has this byte: the order stays
		}
		pos := 0
		for i, n := range c {
			c[i] = pos
			pos += n
		}
		shift := uint(8 * d)
		for _, x := range src {
			b := byte(x >> shift)
			dst[c[b]] = x
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &h[0] {
		copy(h, src)
	}
	return scratch
}
