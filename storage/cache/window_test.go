package cache

import (
	"testing"
	"time"
)

// TestHitWindow: the ratio covers the last five minutes only.
func TestHitWindow(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	w := &hitWindow{now: func() time.Time { return now }}
	if r := w.ratio(); r != 0 {
		t.Fatalf("ratio without reads = %v", r)
	}
	w.add(0, 10) // a cold start: all misses
	now = now.Add(time.Minute)
	w.add(30, 0)
	if r := w.ratio(); r != 0.75 {
		t.Fatalf("ratio over two minutes = %v, want 30/40", r)
	}
	now = now.Add(4 * time.Minute) // the cold minute is out of the window
	w.add(10, 0)
	if r := w.ratio(); r != 1 {
		t.Fatalf("ratio after the cold minute left the window = %v, want 1", r)
	}
	now = now.Add(10 * time.Minute) // nothing read in the window
	if r := w.ratio(); r != 0 {
		t.Fatalf("ratio of an idle window = %v, want 0", r)
	}
}
