package ingest

import "slices"

// Cold shards (design 061). Rows usually arrive roughly in time order, so
// once rows of a later shard of a table arrive, an earlier shard that gets
// no more rows is complete: it is flushed at once instead of waiting for
// FlushRows, FlushBytes or FlushAge (or, in a bulk load, for the final
// Flush), so encoding it overlaps the ingest of the following shards.
//
// A shard is cold when its start is below the table's top shard (the
// latest shard start that received rows) and its last rows came in a
// record at or before the one that first put rows in the top shard.
// Late rows for it after that keep it warm until a newer top shard
// starts. Each shard is flushed cold at most once (per the last
// maxColdDone shards of a table): rows that arrive for it afterwards
// wait for the usual rules, so a steady stream of late rows adds no more
// files than it did before.

// maxColdDone bounds the shards a table remembers as flushed cold; past
// it the older half (by shard start) is forgotten.
const maxColdDone = 4096

// coldState is a table's view of its newest shard. Guarded by in.mu.
type coldState struct {
	seen     bool
	top      int64  // largest shard start that received rows
	topSince uint64 // LSN of the record that first put rows in top
	done     map[int64]struct{}
}

// noteShard records that the record lsn put rows in shard and reports
// whether that started a new top shard while other shards are buffered
// (which may have become cold). The caller holds in.mu.
func (in *Ingester) noteShard(ts *tableState, shard int64, lsn uint64) bool {
	c := &ts.cold
	if c.seen && shard <= c.top {
		return false
	}
	c.seen, c.top, c.topSince = true, shard, lsn
	return !in.cfg.KeepColdShards && len(ts.shards) > 1
}

// takeCold reports whether sb (shard of ts, with active rows) is cold and
// not yet flushed cold, and marks it flushed cold. The caller holds in.mu.
func (in *Ingester) takeCold(ts *tableState, shard int64, sb *shardBuf) bool {
	c := &ts.cold
	if in.cfg.KeepColdShards || !c.seen || shard >= c.top || sb.lastLSN > c.topSince {
		return false
	}
	if _, ok := c.done[shard]; ok {
		return false
	}
	if c.done == nil {
		c.done = map[int64]struct{}{}
	}
	if len(c.done) >= maxColdDone {
		keys := make([]int64, 0, len(c.done))
		for k := range c.done {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys[:len(keys)/2] {
			delete(c.done, k)
		}
	}
	c.done[shard] = struct{}{}
	return true
}
