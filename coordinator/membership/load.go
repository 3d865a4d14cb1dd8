package membership

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcessSampler measures this process's CPU use between calls and the
// host's available memory (Linux /proc/meminfo; 0 elsewhere).
type ProcessSampler struct {
	mu       sync.Mutex
	lastCPU  time.Duration
	lastWall time.Time
}

// Sample returns the cores used since the previous call (0 on the first)
// and the bytes of memory available.
func (s *ProcessSampler) Sample() (cpu float64, freeMem uint64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		now := time.Now()
		s.mu.Lock()
		if !s.lastWall.IsZero() {
			if wall := now.Sub(s.lastWall); wall > 0 {
				cpu = float64(used-s.lastCPU) / float64(wall)
			}
		}
		s.lastCPU, s.lastWall = used, now
		s.mu.Unlock()
	}
	// One decimal: a load that did not really change is not re-gossiped.
	cpu = float64(int(cpu*10+0.5)) / 10
	return cpu, memAvailable()
}

func memAvailable() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		// MiB granularity, for the same reason.
		return kb >> 10 << 20
	}
	return 0
}
