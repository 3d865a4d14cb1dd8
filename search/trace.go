package search

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"

	"openwit/exec"
)

// StatsTrailer is the gRPC trailer key under which a worker reports what a
// fragment did (FragmentStats as JSON) at the end of its DoGet stream.
const StatsTrailer = "openwit-fragment-stats-bin"

// statsVersion is the FragmentStats layout a worker writes; a reader
// ignores a trailer of another version (the fragment then shows as not
// reported).
const statsVersion = 1

// FragmentStats is what a worker reports about one fragment it ran: the
// executor's counters (exec.Stats, whose JSON field names it shares) and
// the time the worker spent on it.
type FragmentStats struct {
	Version int `json:"v"`
	exec.Stats
	// ElapsedMicros is the time from the call to the end of the stream,
	// as the worker measured it.
	ElapsedMicros int64 `json:"elapsed_us"`
}

func encodeStatsTrailer(st exec.Stats, elapsed time.Duration) metadata.MD {
	b, err := json.Marshal(FragmentStats{Version: statsVersion, Stats: st, ElapsedMicros: elapsed.Microseconds()})
	if err != nil {
		return nil
	}
	return metadata.Pairs(StatsTrailer, string(b))
}

// decodeStatsTrailer returns the stats in md, if it holds a trailer of the
// version this binary writes.
func decodeStatsTrailer(md metadata.MD) (FragmentStats, bool) {
	vals := md.Get(StatsTrailer)
	if len(vals) != 1 {
		return FragmentStats{}, false
	}
	var fs FragmentStats
	if err := json.Unmarshal([]byte(vals[0]), &fs); err != nil || fs.Version != statsVersion {
		return FragmentStats{}, false
	}
	return fs, true
}

// Trace collects what each fragment of a query's run did, for EXPLAIN
// ANALYZE. Attach one to the context given to Distribute (WithTrace); a
// run without one records nothing. Safe for concurrent use.
type Trace struct {
	mu   sync.Mutex
	runs []FragmentRun
}

// FragmentRun is one fragment of a run, as it ended.
type FragmentRun struct {
	// Worker is the address of the search worker that ran it, "" for this
	// node.
	Worker string
	// Files is the number of data files the fragment scanned; 0 for the
	// ingest buffers.
	Files int
	// Reported is false when a worker sent no stats (a worker of an older
	// release): Stats and WorkerTime are then zero.
	Reported bool
	Stats    exec.Stats
	// WorkerTime is the time the worker (or this node) spent on it.
	WorkerTime time.Duration
	// Elapsed is the time from sending the fragment to the end of its
	// stream, as this node measured it.
	Elapsed time.Duration
	// Failed counts the workers that were tried first and failed (the
	// fragment was run again whole on the next one).
	Failed int
}

// String renders the run for EXPLAIN ANALYZE.
func (r FragmentRun) String() string {
	where := "coordinator"
	if r.Worker != "" {
		where = "worker " + r.Worker
	}
	s := fmt.Sprintf("%s: files=%d", where, r.Files)
	if !r.Reported {
		s += ", stats not reported by the worker"
	} else {
		st := r.Stats
		s += fmt.Sprintf(", row groups=%d read, %d pruned by the scan, rows scanned=%d, rows returned=%d, bytes read=%d (object store %d, cache %d), worker time=%s",
			st.RowGroups, st.RowGroupsPruned, st.Rows, st.RowsOut, st.BytesRead, st.BytesRead-st.CacheBytes, st.CacheBytes, FormatMillis(r.WorkerTime))
	}
	s += ", time=" + FormatMillis(r.Elapsed)
	if r.Failed > 0 {
		s += fmt.Sprintf(", reruns=%d", r.Failed)
	}
	return s
}

// FormatMillis renders d as PostgreSQL's EXPLAIN ANALYZE does: milliseconds
// with three decimals.
func FormatMillis(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000)
}

func (t *Trace) add(r FragmentRun) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.runs = append(t.runs, r)
	t.mu.Unlock()
}

// Runs returns the fragments recorded so far, in the order they ended.
func (t *Trace) Runs() []FragmentRun {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]FragmentRun(nil), t.runs...)
}

type traceKey struct{}

// WithTrace returns a context under which Distribute and Traced record
// into t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func traceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// Traced returns op, a fragment running on this node (exec.Run's operator)
// over files data files, such that closing it records its run in the
// Trace of ctx. Without a Trace it returns op.
func Traced(ctx context.Context, op exec.Operator, files int) exec.Operator {
	t := traceFrom(ctx)
	if t == nil {
		return op
	}
	return &tracedOp{Operator: op, t: t, files: files, start: time.Now()}
}

type tracedOp struct {
	exec.Operator
	t      *Trace
	files  int
	start  time.Time
	closed bool
}

func (o *tracedOp) Close() error {
	err := o.Operator.Close()
	if o.closed {
		return err
	}
	o.closed = true
	run := FragmentRun{Files: o.files, Elapsed: time.Since(o.start)}
	if sr, ok := o.Operator.(exec.StatsReporter); ok {
		run.Reported, run.Stats, run.WorkerTime = true, sr.Stats(), run.Elapsed
	}
	o.t.add(run)
	return err
}
