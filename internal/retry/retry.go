// Package retry is the retry policy of OpenWit's RPC clients: a bounded
// number of attempts separated by exponential backoff with jitter, never
// waiting past the caller's context deadline. Every client of another node
// (search fragments, and later catalog, etcd and object store calls that
// want it) uses this one policy so that the cluster's behaviour under
// faults is the same everywhere.
//
// The delay before attempt n+1 (n ≥ 1 failed attempts) is drawn uniformly
// from [d/2, d) where d = min(Base·2^(n-1), Max): the jitter spreads the
// retries of many callers that failed together (a worker restart) while
// keeping the expected wait close to the exponential schedule.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is a retry schedule. The zero value is DefaultPolicy.
type Policy struct {
	// Attempts is the total number of calls, the first included; 0 means 3.
	Attempts int
	// Base is the backoff before the second attempt; 0 means 50ms.
	Base time.Duration
	// Max caps one backoff; 0 means 2s.
	Max time.Duration
}

// DefaultPolicy is the schedule of a zero Policy: 3 attempts, 50ms, 2s.
var DefaultPolicy = Policy{Attempts: 3, Base: 50 * time.Millisecond, Max: 2 * time.Second}

// WithDefaults returns p with its zero fields set from DefaultPolicy.
func (p Policy) WithDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultPolicy.Attempts
	}
	if p.Base <= 0 {
		p.Base = DefaultPolicy.Base
	}
	if p.Max <= 0 {
		p.Max = DefaultPolicy.Max
	}
	return p
}

// Delay returns the backoff after n failed attempts (n ≥ 1), with jitter.
func (p Policy) Delay(n int) time.Duration {
	p = p.WithDefaults()
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + rand.N(d/2+1)
}

// Do calls op until it returns nil or an error retryable rejects, the
// attempts are used up, ctx ends, or the next backoff would end after ctx's
// deadline. It returns op's last error, or ctx.Err() when ctx ended during
// a backoff. A nil retryable retries every error.
func Do(ctx context.Context, p Policy, retryable func(error) bool, op func(ctx context.Context) error) error {
	p = p.WithDefaults()
	for n := 1; ; n++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if n >= p.Attempts || ctx.Err() != nil || (retryable != nil && !retryable(err)) {
			return err
		}
		d := p.Delay(n)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
