package index

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// Bloom is a split-block Bloom filter: an array of 256-bit blocks, each of
// eight 32-bit words. A key's 64-bit hash picks one block with its upper
// 32 bits and sets one bit in each word of that block, chosen by the lower
// 32 bits multiplied by eight fixed odd salts (the layout of Parquet's
// split-block Bloom filter). A lookup touches one cache line.
type Bloom struct {
	blocks []uint32 // len is a multiple of 8
}

// salts are the eight odd multipliers of the split-block Bloom filter.
var salts = [8]uint32{
	0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d,
	0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31,
}

// bloomBitsPerKey sizes a filter: about 1% false positives.
const bloomBitsPerKey = 12

// maxBloomBlocks bounds one filter (8 MiB).
const maxBloomBlocks = 1 << 18

// newBloom returns a filter sized for n distinct keys.
func newBloom(n int) *Bloom {
	blocks := (n*bloomBitsPerKey + 255) / 256
	blocks = min(max(blocks, 1), maxBloomBlocks)
	return &Bloom{blocks: make([]uint32, blocks*8)}
}

func (b *Bloom) numBlocks() uint64 { return uint64(len(b.blocks) / 8) }

// AddHash inserts a key by its hash.
func (b *Bloom) AddHash(h uint64) {
	i := int((((h >> 32) * b.numBlocks()) >> 32) * 8)
	key := uint32(h)
	for w := range 8 {
		b.blocks[i+w] |= 1 << ((key * salts[w]) >> 27)
	}
}

// HasHash reports whether a key with hash h may have been added; false
// means it certainly was not.
func (b *Bloom) HasHash(h uint64) bool {
	i := int((((h >> 32) * b.numBlocks()) >> 32) * 8)
	key := uint32(h)
	for w := range 8 {
		if b.blocks[i+w]&(1<<((key*salts[w])>>27)) == 0 {
			return false
		}
	}
	return true
}

// Key hashes are xxHash64 (seed 0) of the key's bytes: stable across
// processes and part of the format. A filter holds keys of one column, so
// kinds never mix.

// HashInt is the hash of an integer key (int2/int4/int8/date/timestamp
// columns, as int64): the 8 little-endian bytes.
func HashInt(v int64) uint64 {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(v))
	return xxhash.Sum64(buf[:])
}

// HashString is the hash of a text key: its bytes.
func HashString(s string) uint64 { return xxhash.Sum64String(s) }

// hashGram is the hash of a trigram: its 3 bytes.
func hashGram(g uint32) uint64 {
	buf := [3]byte{byte(g >> 16), byte(g >> 8), byte(g)}
	return xxhash.Sum64(buf[:])
}
