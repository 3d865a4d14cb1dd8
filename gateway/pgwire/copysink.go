package pgwire

import (
	"context"

	"openwit/internal/copyval"
)

// CopyValueSink is an optional capability of a CopySink: it takes each
// row as unboxed values (see copyval), so decoding a row allocates
// nothing. The server uses it in place of Append when the sink has it.
// The slice and its strings are only valid during the call.
type CopyValueSink interface {
	AppendValues(ctx context.Context, row []copyval.Value) error
}

// copySinkEmit returns the function the copyReader hands each decoded
// row to: the sink's AppendValues, or Append with the values boxed.
// A panic in the sink becomes an error (see protect).
func copySinkEmit(c *conn, ctx context.Context, sink CopySink, ncols int) copyEmit {
	if vs, ok := sink.(CopyValueSink); ok {
		return func(row []copyval.Value) error {
			return protect(c.log, "CopySink.AppendValues", func() error { return vs.AppendValues(ctx, row) })
		}
	}
	boxed := make([]any, ncols)
	return func(row []copyval.Value) error {
		for k := range row {
			boxed[k] = row[k].Any()
		}
		return protect(c.log, "CopySink.Append", func() error { return sink.Append(ctx, boxed) })
	}
}
