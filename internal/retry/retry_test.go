package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"openwit/internal/retry"
)

var errTransient = errors.New("transient")

func TestDo(t *testing.T) {
	p := retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 4 * time.Millisecond}
	isTransient := func(err error) bool { return errors.Is(err, errTransient) }
	for _, tc := range []struct {
		name      string
		fails     int   // op fails this many times, then succeeds
		failWith  error // the error of the failures
		wantCalls int
		wantErr   error
	}{
		{"first try", 0, errTransient, 1, nil},
		{"recovers", 3, errTransient, 4, nil},
		{"attempts used up", 9, errTransient, 4, errTransient},
		{"permanent error", 9, errors.ErrUnsupported, 1, errors.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retry.Do(t.Context(), p, isTransient, func(context.Context) error {
				calls++
				if calls <= tc.fails {
					return tc.failWith
				}
				return nil
			})
			if calls != tc.wantCalls || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("%d calls, err %v; want %d calls, err %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

// TestDoStopsAtTheDeadline: a backoff that would end after the context's
// deadline is not waited; the last error is returned at once.
func TestDoStopsAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	p := retry.Policy{Attempts: 10, Base: 2 * time.Hour, Max: 2 * time.Hour}
	calls := 0
	err := retry.Do(ctx, p, nil, func(context.Context) error { calls++; return errTransient })
	if calls != 1 || !errors.Is(err, errTransient) {
		t.Fatalf("%d calls, err %v; want 1 call and the op's error", calls, err)
	}
}

func TestDoCancelledDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := retry.Policy{Attempts: 10, Base: time.Hour, Max: time.Hour}
	calls := 0
	err := retry.Do(ctx, p, nil, func(context.Context) error {
		calls++
		cancel()
		return errTransient
	})
	if calls != 1 || !errors.Is(err, errTransient) {
		t.Fatalf("%d calls, err %v", calls, err)
	}
}

func TestDelayBounds(t *testing.T) {
	p := retry.Policy{Base: 10 * time.Millisecond, Max: 80 * time.Millisecond}
	for n, d := range []time.Duration{10, 20, 40, 80, 80, 80} {
		d *= time.Millisecond
		for range 200 {
			if got := p.Delay(n + 1); got < d/2 || got > d {
				t.Fatalf("Delay(%d) = %s, want within [%s, %s]", n+1, got, d/2, d)
			}
		}
	}
}
