package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/ingest"
)

// A COPY builds its rows in one Arrow batch of up to copyBatchRows rows,
// whatever their shards, and splits it by shard when it is full
// (ingest.SplitByShard: zero-copy slices when each shard's rows are
// contiguous, as time-ordered input is). After a full batch the next one
// is sized at its first row for copyBatchRows rows and the string bytes
// of the last one, so its builders do not grow by doubling (each doubling
// zeroed and copied the column again: a third of a COPY's CPU).

// dataBuilder is a builder of a variable-length column (string, bytea).
type dataBuilder interface {
	DataLen() int
	ReserveData(n int)
}

// builder returns the builder of the current batch, sized for a full
// batch at its first row when the last batch was full.
func (in *CopyIn) builder() *array.RecordBuilder {
	if in.b == nil {
		in.b = array.NewRecordBuilder(in.mem, in.schema)
	}
	if in.pending == 0 && in.dataLens != nil && !in.reserved {
		in.b.Reserve(copyBatchRows)
		for i, n := range in.dataLens {
			if n > 0 {
				in.b.Field(i).(dataBuilder).ReserveData(n + n/8)
			}
		}
		in.reserved = true
	}
	return in.b
}

// finishBatches writes the rows built so far, split by shard, to the WAL
// as one provisional record of the COPY's stream, without waiting for its
// fsync (in a transaction block they wait in parts for Commit).
func (in *CopyIn) finishBatches(ctx context.Context) error {
	rows := in.pending
	in.pending = 0
	if in.b == nil || rows == 0 {
		return nil
	}
	if rows >= copyBatchRows {
		if in.dataLens == nil {
			in.dataLens = make([]int, in.b.Schema().NumFields())
		}
		for i, f := range in.b.Fields() {
			if db, ok := f.(dataBuilder); ok {
				in.dataLens[i] = db.DataLen()
			}
		}
	}
	reserved := in.reserved
	in.reserved = false
	rec := in.b.NewRecordBatch()
	if reserved && rows*4 < copyBatchRows {
		// The last rows of a COPY in buffers sized for a full batch: keep
		// what they need only, as they stay in memory until flushed.
		small, err := compactRecord(in.mem, rec)
		rec.Release()
		if err != nil {
			return err
		}
		rec = small
	}
	parts, err := ingest.SplitByShard(ctx, in.mem, in.t, rec, in.timeIdx)
	rec.Release()
	if err != nil {
		return err
	}
	if in.txw != nil {
		// Staged at Commit; the block's COMMIT writes them.
		in.parts = append(in.parts, parts...)
		return nil
	}
	defer func() {
		for _, p := range parts {
			p.Rec.Release()
		}
	}()
	return in.ingestError(in.stream.Add(ctx, parts))
}

// compactRecord copies rec into buffers of the size its rows need.
func compactRecord(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		var err error
		if cols[i], err = array.Concatenate([]arrow.Array{c}, mem); err != nil {
			return nil, fmt.Errorf("compact batch: %w", err)
		}
	}
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows()), nil
}
