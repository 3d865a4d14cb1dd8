package exec

import "math/bits"

// intMap maps int64 group keys to group ids: open addressing with linear
// probing over one slice of key/id slots. It is what a single integer,
// timestamp or float GROUP BY key probes once per row, so it avoids what a
// Go map costs there: no per-entry control bytes to match, one multiply to
// hash, and a lookup that usually touches one cache line (key and id sit
// side by side).
type intMap struct {
	slots []intSlot
	mask  uint64
	shift uint // 64 - log2(len(slots))
	n     int
}

type intSlot struct {
	key int64
	id  uint32 // group id + 1; 0 marks an empty slot
}

const intMapMinSize = 1 << 10

func newIntMap() *intMap {
	m := &intMap{}
	m.alloc(intMapMinSize)
	return m
}

func (m *intMap) alloc(size int) {
	m.slots = make([]intSlot, size)
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
		s := &m.slots[i]
		if s.id == 0 {
			return 0, false
		}
		if s.key == k {
			return s.id - 1, true
		}
	}
}

// put stores id for k, which must not be in the map.
func (m *intMap) put(k int64, id uint32) {
	if 4*(m.n+1) > 3*len(m.slots) { // keep the load factor under 3/4
		m.rehash(2 * len(m.slots))
	}
	m.insert(intSlot{key: k, id: id + 1})
}

func (m *intMap) insert(s intSlot) {
	i := m.slot(s.key)
	for m.slots[i].id != 0 {
		i = (i + 1) & m.mask
	}
	m.slots[i] = s
	m.n++
}

func (m *intMap) rehash(size int) {
	old := m.slots
	m.alloc(size)
	for _, s := range old {
		if s.id != 0 {
			m.insert(s)
		}
	}
}

// len returns the number of keys.
func (m *intMap) len() int { return m.n }

// bytes is the memory the map holds.
func (m *intMap) bytes() int64 { return int64(len(m.slots)) * 16 }
