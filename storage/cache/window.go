package cache

import (
	"sync"
	"time"
)

// hitWindow counts hits and misses over the last windowSlots minutes, so
// that the hit ratio (a gauge, gossiped for the cache hint) follows a
// change of workload within minutes instead of averaging since start.
type hitWindow struct {
	now func() time.Time

	mu    sync.Mutex
	slots [windowSlots]hitSlot
}

// windowSlots is the window's length in minutes.
const windowSlots = 5

type hitSlot struct {
	minute       int64
	hits, misses int64
}

func (w *hitWindow) add(hits, misses int64) {
	if hits == 0 && misses == 0 {
		return
	}
	m := w.clock().Unix() / 60
	w.mu.Lock()
	defer w.mu.Unlock()
	s := &w.slots[m%windowSlots]
	if s.minute != m {
		*s = hitSlot{minute: m}
	}
	s.hits += hits
	s.misses += misses
}

// ratio is hits/(hits+misses) over the window; 0 without reads.
func (w *hitWindow) ratio() float64 {
	m := w.clock().Unix() / 60
	w.mu.Lock()
	defer w.mu.Unlock()
	var h, n int64
	for _, s := range w.slots {
		if m-s.minute < windowSlots {
			h += s.hits
			n += s.hits + s.misses
		}
	}
	if n == 0 {
		return 0
	}
	return float64(h) / float64(n)
}

func (w *hitWindow) clock() time.Time {
	if w.now != nil {
		return w.now()
	}
	return time.Now()
}
