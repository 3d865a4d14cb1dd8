package hugepages

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// anchor is an object on the Go heap: its address locates the heap's
// mappings.
var anchor = new([64]byte)

// Supported reports whether this platform can advise (Linux).
const Supported = true

// mapping is one line of /proc/self/maps that may hold the heap: an
// anonymous private read-write mapping.
type mapping struct{ start, end uintptr }

// heapMappings returns the anonymous read-write mappings that hold or
// adjoin addr, in address order, from the text of /proc/self/maps.
func heapMappings(maps []byte, addr uintptr) []mapping {
	var anon []mapping
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// start-end perms offset dev inode [path]
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || !bytes.Equal(f[1], []byte("rw-p")) || !bytes.Equal(f[4], []byte("0")) {
			continue
		}
		if len(f) > 5 && !bytes.HasPrefix(f[5], []byte("[anon:")) {
			continue // a named mapping: [stack], [heap] (C's), a file
		}
		se := bytes.SplitN(f[0], []byte("-"), 2)
		if len(se) != 2 {
			continue
		}
		s, err1 := strconv.ParseUint(string(se[0]), 16, 64)
		e, err2 := strconv.ParseUint(string(se[1]), 16, 64)
		if err1 != nil || err2 != nil || e <= s {
			continue
		}
		anon = append(anon, mapping{uintptr(s), uintptr(e)})
	}
	at := -1
	for i, m := range anon {
		if m.start <= addr && addr < m.end {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	lo, hi := at, at
	for lo > 0 && anon[lo-1].end == anon[lo].start {
		lo--
	}
	for hi+1 < len(anon) && anon[hi].end == anon[hi+1].start {
		hi++
	}
	return anon[lo : hi+1]
}

// Advise marks the Go heap's current mappings MADV_HUGEPAGE and returns
// how many bytes they span.
func Advise() (int64, error) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	ms := heapMappings(maps, uintptr(unsafe.Pointer(anchor)))
	if len(ms) == 0 {
		return 0, fmt.Errorf("hugepages: no mapping holds the heap address %#x", uintptr(unsafe.Pointer(anchor)))
	}
	var n int64
	for _, m := range ms {
		// Addresses from /proc/self/maps, not Go pointers: the raw
		// system call keeps them integers.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_HUGEPAGE); errno != 0 {
			return n, fmt.Errorf("hugepages: madvise %#x-%#x: %w", m.start, m.end, errno)
		}
		n += int64(m.end - m.start)
	}
	return n, nil
}

// Run advises the heap now and then every interval in which the runtime
// mapped more memory, until ctx ends. It first grows the heap by reserve
// bytes of address space (an object it drops at once: the runtime maps it
// without touching it, and reuses it before it maps more), so the heap's
// first growth lands on advised mappings instead of racing the interval.
// An error (the kernel refuses the advice) ends it at once. A race-built
// binary takes no reserve: the race detector would touch it.
func Run(ctx context.Context, interval time.Duration, reserve int64) error {
	if reserve > 0 && !raceEnabled {
		r := make([]byte, reserve)
		_, err := Advise()
		runtime.KeepAlive(r)
		r = nil
		runtime.GC() // give the reserve back to the heap's free pages
		if err != nil {
			return err
		}
	}
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	var last uint64
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > last {
			if _, err := Advise(); err != nil {
				return err
			}
			last = v
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// DefaultReserve is the address space Run reserves by default: 1 GiB, or
// a quarter of the memory available now if that is less, and none when
// the kernel counts reserved address space against a hard commit limit
// (vm.overcommit_memory = 2), where it could fail.
func DefaultReserve() int64 {
	if b, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || strings.TrimSpace(string(b)) == "2" {
		return 0
	}
	const max = 1 << 30
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == "MemAvailable:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0
			}
			return min(max, kb<<10/4)
		}
	}
	return 0
}
