package exec

import (
	"sync"
	"testing"
	"unsafe"
)

func TestPoolReusesZeroedAlignedBuffers(t *testing.T) {
	p := NewPool()
	for _, size := range []int{1, 100, 4095, 4096, 4097, 65536, 1 << 20, 3<<20 + 5} {
		b := p.Allocate(size)
		if len(b) != size {
			t.Fatalf("Allocate(%d): len %d", size, len(b))
		}
		if a := uintptr(unsafe.Pointer(unsafe.SliceData(b))) % 64; a != 0 {
			t.Fatalf("Allocate(%d): address %% 64 = %d", size, a)
		}
		for i := range b {
			b[i] = 0xFF
		}
		p.Free(b)
		// Get may or may not return the same buffer (sync.Pool); either
		// way it must be zeroed.
		c := p.Allocate(size)
		for i, v := range c {
			if v != 0 {
				t.Fatalf("Allocate(%d) after Free: byte %d is %#x", size, i, v)
			}
		}
		p.Free(c)
	}
}

func TestPoolReallocate(t *testing.T) {
	p := NewPool()
	b := p.Allocate(5000) // class 8 KiB
	for i := range b {
		b[i] = byte(i)
	}
	// Dirty the class's spare capacity as an earlier user would have.
	full := b[:cap(b)]
	for i := len(b); i < len(full); i++ {
		full[i] = 0xEE
	}
	g := p.Reallocate(8000, b) // fits the class: same buffer, tail zeroed
	if &g[0] != &b[0] {
		t.Fatal("Reallocate within the class moved the buffer")
	}
	for i := range g {
		want := byte(i)
		if i >= 5000 {
			want = 0
		}
		if g[i] != want {
			t.Fatalf("byte %d = %#x, want %#x", i, g[i], want)
		}
	}
	h := p.Reallocate(100000, g) // next classes: copied
	if len(h) != 100000 {
		t.Fatalf("len %d", len(h))
	}
	for i := range 8000 {
		want := byte(i)
		if i >= 5000 {
			want = 0
		}
		if h[i] != want {
			t.Fatalf("after grow: byte %d = %#x, want %#x", i, h[i], want)
		}
	}
	for i := 8000; i < len(h); i++ {
		if h[i] != 0 {
			t.Fatalf("after grow: byte %d = %#x, want 0", i, h[i])
		}
	}
	p.Free(h)
}

func TestPoolPoison(t *testing.T) {
	p := &Pool{Poison: true}
	b := p.Allocate(10000)
	p.Free(b)
	if b[0] != 0xA5 || b[len(b)-1] != 0xA5 {
		t.Fatalf("freed buffer not poisoned: %#x %#x", b[0], b[len(b)-1])
	}
}

func TestPoolConcurrent(t *testing.T) {
	p := NewPool()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				size := 4096 << (i % 6)
				b := p.Allocate(size)
				for j := range b {
					if b[j] != 0 {
						t.Errorf("worker %d: dirty byte", w)
						return
					}
					b[j] = byte(w + 1)
				}
				p.Free(b)
			}
		}()
	}
	wg.Wait()
}
