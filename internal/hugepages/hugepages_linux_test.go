package hugepages

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestHeapMappings(t *testing.T) {
	maps := `00400000-034ad000 r-xp 00002000 fe:00 9981907                            /usr/bin/openwit
0837b000-0a3dd000 rw-p 00000000 00:00 0 
316ed000-3170e000 rw-p 00000000 00:00 0                                  [heap]
c000000000-c000400000 rw-p 00000000 00:00 0 
c000400000-c001000000 rw-p 00000000 00:00 0                          [anon: Go: heap]
c001000000-c002000000 rw-p 00000000 00:00 0 
c002000000-c004000000 ---p 00000000 00:00 0 
c004000000-c004400000 rw-p 00000000 00:00 0 
7f7981c80000-7f7982480000 rw-p 00000000 00:00 0 
7f79d840c000-7f79d8414000 rw-s 00000000 fe:00 12                         /tmp/catalog.db-shm
7ffccf098000-7ffccf0b9000 rw-p 00000000 00:00 0                          [stack]
`
	got := heapMappings([]byte(maps), 0xc000800000)
	want := []mapping{{0xc000000000, 0xc000400000}, {0xc000400000, 0xc001000000}, {0xc001000000, 0xc002000000}}
	if len(got) != len(want) {
		t.Fatalf("got %x, want %x", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %x, want %x", got, want)
		}
	}
	// A reserved (---p) gap ends the run; C's [heap], stacks and file
	// mappings are never the Go heap.
	if got := heapMappings([]byte(maps), 0xc004100000); len(got) != 1 || got[0] != (mapping{0xc004000000, 0xc004400000}) {
		t.Fatalf("after the gap: %x", got)
	}
	for _, addr := range []uintptr{0x31700000, 0x7ffccf0a0000, 0x7f79d8410000, 0xc002100000, 0x1000} {
		if got := heapMappings([]byte(maps), addr); got != nil {
			t.Errorf("%#x: %x, want none", addr, got)
		}
	}
}

// thpMode is the host's transparent huge page mode (always, madvise,
// never), or "" when the kernel has none.
func thpMode(t *testing.T) string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	s := string(b)
	i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
	if i < 0 || j < i {
		t.Fatalf("unreadable THP mode %q", s)
	}
	return s[i+1 : j]
}

// smapsOf returns the VmFlags and AnonHugePages (kB) of the mapping
// holding addr.
func smapsOf(t *testing.T, addr uintptr) (flags []string, hugeKB int64) {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			se := strings.SplitN(f[0], "-", 2)
			s, err1 := strconv.ParseUint(se[0], 16, 64)
			e, err2 := strconv.ParseUint(se[1], 16, 64)
			in = err1 == nil && err2 == nil && uintptr(s) <= addr && addr < uintptr(e)
			continue
		}
		if !in {
			continue
		}
		switch {
		case strings.HasPrefix(l, "AnonHugePages:"):
			hugeKB, _ = strconv.ParseInt(f[1], 10, 64)
		case strings.HasPrefix(l, "VmFlags:"):
			return f[1:], hugeKB
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil, 0
}

func TestAdviseMarksTheHeap(t *testing.T) {
	n, err := Advise()
	if thpMode(t) == "" {
		// A kernel without THP refuses the advice: Run reports it.
		if err == nil {
			t.Fatalf("no THP in this kernel, yet Advise succeeded (%d bytes)", n)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 {
		t.Fatalf("advised %d bytes", n)
	}
	flags, _ := smapsOf(t, uintptr(unsafe.Pointer(anchor)))
	if !contains(flags, "hg") {
		t.Fatalf("the heap mapping is not advised: VmFlags %v", flags)
	}
}

var sink []byte

// TestRunBacksNewHeapWithHugePages: memory the heap takes after Run
// started (from its reserve or a later growth) is advised and, where
// the host allows huge pages, backed by them.
func TestRunBacksNewHeapWithHugePages(t *testing.T) {
	mode := thpMode(t)
	if mode == "" {
		if err := Run(t.Context(), time.Millisecond, 0); err == nil {
			t.Fatal("no THP in this kernel, yet Run reported no error")
		}
		return
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, time.Millisecond, 256<<20) }()
	time.Sleep(50 * time.Millisecond) // the reserve and the first advice
	sink = make([]byte, 64<<20)
	for i := range sink {
		sink[i] = 1
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	addr := uintptr(unsafe.Pointer(&sink[32<<20]))
	flags, hugeKB := smapsOf(t, addr)
	if !contains(flags, "hg") {
		t.Fatalf("the mapping of a new 64 MiB object is not advised: VmFlags %v", flags)
	}
	if mode != "never" && hugeKB == 0 {
		t.Fatalf("THP mode %s: the mapping of a new 64 MiB object has no huge pages", mode)
	}
	t.Logf("THP %s: %d kB of huge pages in the object's mapping", mode, hugeKB)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
