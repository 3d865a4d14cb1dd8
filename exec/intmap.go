package exec

import "math/bits"

// intMap maps int64 group keys to group ids: open addressing with linear
// probing over parallel key and id slices. It is what a single integer,
// timestamp or float GROUP BY key probes once per row, so it avoids what a
// Go map costs there: no per-entry control bytes to match, one multiply to
// hash, and lookups that touch two adjacent cache lines at most.
type intMap struct {
	keys  []int64
	ids   []uint32 // group id + 1; 0 marks an empty slot
	mask  uint64
	shift uint // 64 - log2(len(keys))
	n     int
}

const intMapMinSize = 1 << 10

func newIntMap() *intMap {
	m := &intMap{}
	m.alloc(intMapMinSize)
	return m
}

func (m *intMap) alloc(size int) {
	m.keys = make([]int64, size)
	m.ids = make([]uint32, size)
	m.mask = uint64(size - 1)
	m.shift = uint(64 - bits.TrailingZeros(uint(size)))
	m.n = 0
}

// slot is the home slot of k: Fibonacci hashing keeps the high bits of
// k·2^64/φ, which spreads sequential keys (timestamps, ids) evenly.
func (m *intMap) slot(k int64) uint64 {
	return (uint64(k) * 0x9E3779B97F4A7C15) >> m.shift
}

// get returns the id stored for k.
func (m *intMap) get(k int64) (uint32, bool) {
	for i := m.slot(k); ; i = (i + 1) & m.mask {
		id := m.ids[i]
		if id == 0 {
			return 0, false
		}
		if m.keys[i] == k {
			return id - 1, true
		}
	}
}

// put stores id for k, which must not be in the map.
func (m *intMap) put(k int64, id uint32) {
	if 4*(m.n+1) > 3*len(m.keys) { // keep the load factor under 3/4
		m.rehash(2 * len(m.keys))
	}
	i := m.slot(k)
	for m.ids[i] != 0 {
		i = (i + 1) & m.mask
	}
	m.keys[i], m.ids[i] = k, id+1
	m.n++
}

func (m *intMap) rehash(size int) {
	keys, ids := m.keys, m.ids
	m.alloc(size)
	for i, id := range ids {
		if id != 0 {
			j := m.slot(keys[i])
			for m.ids[j] != 0 {
				j = (j + 1) & m.mask
			}
			m.keys[j], m.ids[j] = keys[i], id
			m.n++
		}
	}
}

// len returns the number of keys.
func (m *intMap) len() int { return m.n }

// bytes is the memory the map holds.
func (m *intMap) bytes() int64 { return int64(len(m.keys)) * 12 }
