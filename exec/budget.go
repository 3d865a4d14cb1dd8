package exec

import (
	"fmt"
	"sync/atomic"
)

// memBudget is the memory one query's operators share: every hash
// aggregation of a run (one per worker, plus the merge) charges what it
// holds to the same budget, so Params.MemoryLimit bounds the query, not
// each worker.
type memBudget struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64 // the most used at once
}

// reserve charges n bytes (n may be negative, to give bytes back) and
// fails with ErrMemoryLimit when the total would pass the limit; a failed
// reservation charges nothing.
func (b *memBudget) reserve(n int64) error {
	if b == nil {
		return nil
	}
	used := b.used.Add(n)
	if n <= 0 {
		return nil
	}
	if used > b.limit {
		b.used.Add(-n)
		return fmt.Errorf("%w: the query's aggregation state needs more than the %d MiB limit (SET openwit.query_memory_limit or --query-memory-limit)",
			ErrMemoryLimit, b.limit>>20)
	}
	for p := b.peak.Load(); used > p && !b.peak.CompareAndSwap(p, used); p = b.peak.Load() {
	}
	return nil
}

// accountEvery is how far an aggregation's held bytes may run ahead of
// what it has charged to the budget before it charges again (at most a
// 16th of the limit).
const accountEvery = 256 << 10

// sizedState is an aggregate state whose memory grows with its input,
// not only with the number of groups (distinct sets, value lists).
type sizedState interface {
	heldBytes() int64
}

// account charges the table's growth since the last charge to the
// query's budget.
func (t *aggTable) account() error {
	if t.budget == nil {
		return nil
	}
	held := t.bytes + t.intKeysBytes()
	for _, s := range t.states {
		if ss, ok := s.(sizedState); ok {
			held += ss.heldBytes()
		}
	}
	delta := held - t.charged
	if delta < min(accountEvery, t.budget.limit/16) {
		return nil
	}
	if err := t.budget.reserve(delta); err != nil {
		return fmt.Errorf("%w (hash aggregation with %d groups)", err, t.groups)
	}
	t.charged = held
	return nil
}

// release gives the table's charge back to the budget.
func (t *aggTable) release() {
	if t != nil && t.budget != nil && t.charged != 0 {
		t.budget.reserve(-t.charged)
		t.charged = 0
	}
}

func (t *aggTable) intKeysBytes() int64 {
	if t.intKeys == nil {
		return 0
	}
	return t.intKeys.bytes()
}
