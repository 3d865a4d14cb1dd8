package ingest

import "context"

// FlushPass runs one pass of the background flusher (what a tick or a
// kick runs): only buffers due by the flush rules are published.
func (in *Ingester) FlushPass(ctx context.Context) error { return in.flush(ctx, false) }
