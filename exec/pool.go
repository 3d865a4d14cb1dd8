package exec

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Pool is a memory.Allocator that reuses the buffers Arrow frees. A scan
// decodes every batch into new buffers (values, offsets, string bytes,
// dictionary indices, decompressed pages) and releases them a batch
// later; with Go's allocator each one is a fresh zeroed allocation of up
// to megabytes (page faults, zeroing and garbage collection were a large
// part of a scan's time). Pool keeps freed buffers of 4 KiB to 64 MiB in
// power-of-two size classes and hands them out again.
//
// A buffer from Allocate or Reallocate is zeroed and 64-byte aligned, as
// memory.GoAllocator's are, so code written for that allocator keeps
// working. Buffers that are never freed are collected by the garbage
// collector as usual; pooled buffers are dropped by the collector too
// (sync.Pool), so an idle Pool holds no memory for long.
//
// The contract that comes with reuse: a buffer must not be read after the
// Arrow object owning it is released (memory.GoAllocator forgives that;
// Pool does not). Strings taken from a batch that outlive it are cloned
// (the executor and the planner do); tests run with Poison set (and
// every race-detector build poisons), which overwrites freed buffers so
// that a read after release shows.
//
// A Pool is safe for concurrent use.
type Pool struct {
	// Poison fills freed buffers with 0xA5 (for tests; race-detector
	// builds always do).
	Poison bool

	classes [poolClasses]sync.Pool // of *[]byte, full class capacity
}

const (
	poolMinShift = 12 // 4 KiB
	poolMaxShift = 26 // 64 MiB
	poolClasses  = poolMaxShift - poolMinShift + 1
	poolAlign    = 64
)

var _ memory.Allocator = (*Pool)(nil)

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{} }

// class returns the size class of a buffer of size bytes, or -1 when
// such buffers are not pooled.
func poolClass(size int) int {
	if size <= 0 || size > 1<<poolMaxShift {
		return -1
	}
	if size < 1<<poolMinShift {
		return -1
	}
	return bits.Len(uint(size-1)) - poolMinShift
}

// Allocate implements memory.Allocator.
func (p *Pool) Allocate(size int) []byte {
	c := poolClass(size)
	if c < 0 {
		return alignedBytes(size, size)
	}
	if v := p.classes[c].Get(); v != nil {
		b := (*v.(*[]byte))[:size]
		clear(b)
		return b
	}
	return alignedBytes(size, 1<<(c+poolMinShift))
}

// alignedBytes returns a zeroed, 64-byte aligned buffer of length size
// and capacity capacity.
func alignedBytes(size, capacity int) []byte {
	buf := make([]byte, capacity+poolAlign)
	shift := 0
	if r := int(uintptr(unsafe.Pointer(unsafe.SliceData(buf))) % poolAlign); r != 0 {
		shift = poolAlign - r
	}
	return buf[shift : shift+size : shift+capacity]
}

// Reallocate implements memory.Allocator.
func (p *Pool) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		if size > len(b) {
			// The tail may hold an earlier user's bytes.
			clear(b[len(b):size])
		}
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free implements memory.Allocator: b goes back to its size class when
// it is a whole buffer of one.
func (p *Pool) Free(b []byte) {
	c := cap(b)
	if c < 1<<poolMinShift || c > 1<<poolMaxShift || c&(c-1) != 0 ||
		uintptr(unsafe.Pointer(unsafe.SliceData(b)))%poolAlign != 0 {
		return
	}
	full := b[:c]
	if p.Poison || poisonFreed {
		full[0] = 0xA5
		for n := 1; n < len(full); n *= 2 {
			copy(full[n:], full[:n])
		}
	}
	p.classes[bits.Len(uint(c-1))-poolMinShift].Put(&full)
}
