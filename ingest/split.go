package ingest

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/catalog"
)

// SplitByShard partitions a batch of table t by time shard, reading the
// shard key from column timeIdx (a microsecond timestamp without NULLs;
// -1: the table is not sharded, one part of shard 0). It returns one part
// holding rec itself when every row falls in one shard (the usual case),
// zero-copy slices when each shard's rows are contiguous, and otherwise a
// gather per shard into new arrays from mem. Parts are in shard order and
// owned by the caller; rec stays the caller's.
func SplitByShard(ctx context.Context, mem memory.Allocator, t *catalog.Table, rec arrow.RecordBatch, timeIdx int) ([]Part, error) {
	n := int(rec.NumRows())
	if timeIdx < 0 || n == 0 {
		rec.Retain()
		return []Part{{Shard: 0, Rec: rec}}, nil
	}
	ts := rec.Column(timeIdx).(*array.Timestamp)
	first := ShardOf(t, int64(ts.Value(0)))
	runs := 1
	var shards []int64 // per row, made at the first change of shard
	for i := 1; i < n; i++ {
		sh := ShardOf(t, int64(ts.Value(i)))
		if shards == nil {
			if sh == first {
				continue
			}
			shards = make([]int64, n)
			for k := range i {
				shards[k] = first
			}
		}
		shards[i] = sh
		if sh != shards[i-1] {
			runs++
		}
	}
	if runs == 1 {
		rec.Retain()
		return []Part{{Shard: first, Rec: rec}}, nil
	}
	distinct := slices.Clone(shards)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	var parts []Part
	release := func() {
		for _, pt := range parts {
			pt.Rec.Release()
		}
	}
	if runs == len(distinct) {
		start := 0
		for i := 1; i <= n; i++ {
			if i == n || shards[i] != shards[start] {
				parts = append(parts, Part{Shard: shards[start], Rec: rec.NewSlice(int64(start), int64(i))})
				start = i
			}
		}
		slices.SortFunc(parts, func(a, b Part) int { return cmp.Compare(a.Shard, b.Shard) })
		return parts, nil
	}
	ctx = compute.WithAllocator(ctx, mem)
	idx := map[int64][]int32{}
	for i, sh := range shards {
		idx[sh] = append(idx[sh], int32(i))
	}
	for _, sh := range distinct {
		ib := array.NewInt32Builder(mem)
		ib.AppendValues(idx[sh], nil)
		indices := ib.NewArray()
		ib.Release()
		cols := make([]arrow.Array, rec.NumCols())
		var err error
		for c := range cols {
			if cols[c], err = compute.TakeArray(ctx, rec.Column(c), indices); err != nil {
				break
			}
		}
		indices.Release()
		if err != nil {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
			release()
			return nil, fmt.Errorf("split batch by shard: %w", err)
		}
		part := array.NewRecordBatch(rec.Schema(), cols, int64(len(idx[sh])))
		for _, c := range cols {
			c.Release()
		}
		parts = append(parts, Part{Shard: sh, Rec: part})
	}
	return parts, nil
}
