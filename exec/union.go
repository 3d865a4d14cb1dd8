package exec

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
)

// Input starts one input of a Union; the Union opens, drains and closes
// the operator it returns.
type Input func(ctx context.Context) (Operator, error)

// Union streams the batches of several inputs in arrival order, running
// at most a given number of inputs at once, and stops after a row limit.
// The first input error ends the stream (a cancellation it caused does not
// hide it).
type Union struct {
	schema      *arrow.Schema
	inputs      []Input
	parallelism int
	limit       int64

	opened, closed bool
	cancel         context.CancelFunc
	out            chan arrow.RecordBatch
	errc           chan error
	wg             sync.WaitGroup
	cur            arrow.RecordBatch
	rows           int64
	sent           atomic.Int64 // rows the inputs have sent to out
}

var _ Operator = (*Union)(nil)

// NewUnion returns a union of inputs whose batches have schema; parallelism
// <= 0 runs every input at once; limit 0 means no limit.
func NewUnion(schema *arrow.Schema, inputs []Input, parallelism int, limit int64) *Union {
	if parallelism <= 0 || parallelism > len(inputs) {
		parallelism = max(len(inputs), 1)
	}
	return &Union{schema: schema, inputs: inputs, parallelism: parallelism, limit: limit}
}

// Schema implements Operator.
func (u *Union) Schema() *arrow.Schema { return u.schema }

// Open implements Operator: it starts the inputs.
func (u *Union) Open(ctx context.Context) error {
	if u.opened {
		return nil
	}
	u.opened = true
	ctx, u.cancel = context.WithCancel(ctx)
	u.out = make(chan arrow.RecordBatch, u.parallelism)
	u.errc = make(chan error, len(u.inputs))
	next := make(chan Input, len(u.inputs))
	for _, in := range u.inputs {
		next <- in
	}
	close(next)
	for w := 0; w < u.parallelism; w++ {
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			for in := range next {
				if ctx.Err() != nil || u.limitSent() {
					return // closed, failed or enough rows: start no more inputs
				}
				if err := u.stream(ctx, in); err != nil {
					u.errc <- err
					u.cancel()
					return
				}
			}
		}()
	}
	go func() {
		u.wg.Wait()
		close(u.out)
	}()
	return nil
}

// stream sends one input's batches to u.out. A panic in the input is
// its error (the process goes on).
func (u *Union) stream(ctx context.Context, in Input) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("exec: panic: %v", v)
		}
	}()
	op, err := in(ctx)
	if err != nil {
		return err
	}
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := op.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		n := rec.NumRows()
		rec.Retain()
		select {
		case u.out <- rec:
		case <-ctx.Done():
			rec.Release()
			return ctx.Err()
		}
		if u.sent.Add(n); u.limitSent() {
			// The batches sent hold the rows the limit lets through:
			// read nothing ahead (the consumer cancels when it gets
			// them, but a read started before that is wasted work).
			return nil
		}
	}
}

// limitSent reports whether the inputs have sent at least limit rows.
func (u *Union) limitSent() bool {
	return u.limit > 0 && u.sent.Load() >= u.limit
}

// Next implements Operator.
func (u *Union) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if u.cur != nil {
		u.cur.Release()
		u.cur = nil
	}
	if err := u.Open(ctx); err != nil {
		return nil, err
	}
	if u.limit > 0 && u.rows >= u.limit {
		return nil, io.EOF
	}
	select {
	case rec, ok := <-u.out:
		if !ok {
			var errs []error
			for len(u.errc) > 0 {
				errs = append(errs, <-u.errc)
			}
			if err := FirstError(errs); err != nil {
				return nil, err
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		u.cur = rec
		if u.limit > 0 && u.rows+rec.NumRows() > u.limit {
			u.cur = rec.NewSlice(0, u.limit-u.rows)
			rec.Release()
		}
		u.rows += u.cur.NumRows()
		if u.limit > 0 && u.rows >= u.limit {
			u.cancel() // the limit is reached: read nothing more ahead
		}
		return u.cur, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close implements Operator: it stops the inputs and waits for them.
func (u *Union) Close() error {
	if u.closed {
		return nil
	}
	u.closed = true
	if u.cancel != nil {
		u.cancel()
	}
	if u.out != nil {
		for rec := range u.out { // drain so the inputs finish
			rec.Release()
		}
	}
	u.wg.Wait()
	if u.cur != nil {
		u.cur.Release()
		u.cur = nil
	}
	return nil
}
