package search

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/grpc/codes"

	"openwit/exec"
)

// Distribute is the coordinator's side of the search service: it runs f
// with its file sources spread over workers and returns an operator that
// produces what exec.Run(ctx, p, f) would.
//
// Each file goes to its owner under weighted rendezvous hashing
// (RankWeighted). An aggregation or a top-k sends one fragment per worker
// (its files); it runs as partial aggregations on the workers and one final
// aggregation here, or a top-k on every worker and once more here over
// their union. A plain scan sends one fragment per file and concatenates
// the outputs in arrival order, stopping at f.Limit. In-memory sources (the
// ingest buffers, which never leave this node) form one more fragment run
// here with p.
//
// A fragment's output is used only once its stream ended cleanly: the
// batches of an aggregation or top-k part are held until the final step,
// and a plain scan's per-file fragment is held until its stream ends (so
// what is held is bounded by one file's output per running stream). When
// a worker stays unavailable after the client's retries, dies mid-stream,
// or does not know the ticket's version, what it sent is discarded and the
// fragment runs again, whole, on the next worker in its first file's
// rendezvous order, and at last here (this node reads the same object
// store). No partial output is ever merged twice.
func Distribute(ctx context.Context, p exec.Params, c *Client, workers []Worker, f *exec.Fragment) (exec.Operator, error) {
	d := &distributor{p: p, c: c, trace: traceFrom(ctx)}
	files := fileCount(f)
	if len(workers) == 0 || files == 0 {
		return d.runLocal(ctx, f)
	}
	if err := f.Validate(p); err != nil {
		return nil, err
	}
	schema, err := f.OutputSchema(p)
	if err != nil {
		return nil, err
	}
	sub := *f
	if f.Agg != nil {
		if f.Agg.Mode != exec.AggComplete {
			return nil, fmt.Errorf("search: distribute a %s aggregation", f.Agg.Mode)
		}
		spec := *f.Agg
		spec.Mode = exec.AggPartial
		sub.Agg = &spec
	}
	probe := sub
	probe.Sources = nil
	if _, err := probe.Encode(); err != nil {
		// A fragment without a ticket encoding (e.g. in-memory sources
		// only) runs here.
		return d.runLocal(ctx, f)
	}
	switch {
	case f.Agg != nil:
		partial, err := sub.OutputSchema(p)
		if err != nil {
			return nil, err
		}
		spec := *f.Agg
		spec.Mode = exec.AggFinal
		final := &exec.Fragment{Table: f.Table, Schema: partial, Columns: names(partial), Agg: &spec}
		return &gatherOp{d: d, parts: split(&sub, workers, false), final: final, schema: schema}, nil
	case f.TopK != nil:
		final := &exec.Fragment{Table: f.Table, Schema: schema, Columns: names(schema), TopK: f.TopK}
		return &gatherOp{d: d, parts: split(&sub, workers, false), final: final, schema: schema}, nil
	}
	parts := split(&sub, workers, true)
	inputs := make([]exec.Input, len(parts))
	for i, pt := range parts {
		inputs[i] = func(ctx context.Context) (exec.Operator, error) { return d.start(ctx, pt, schema) }
	}
	// One stream per file: enough at once to keep every worker busy;
	// under a LIMIT without a filter, one at a time (the first file most
	// likely holds every row wanted, and its fragment stops at the limit).
	streams := scanStreamsPerWorker * len(workers)
	if f.Limit > 0 && f.Filter == nil {
		streams = 1
	}
	return exec.NewUnion(schema, inputs, streams, f.Limit), nil
}

// scanStreamsPerWorker is how many per-file streams of a plain scan run at
// once per worker.
const scanStreamsPerWorker = 4

func names(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// part is one fragment of a distributed run and where to run it: the
// workers to try in order, "" meaning this node.
type part struct {
	frag       *exec.Fragment
	candidates []string
}

// split groups f's file sources by owner (one part per worker, or one per
// file when perFile is set) and its in-memory sources into a local part.
func split(f *exec.Fragment, workers []Worker, perFile bool) []part {
	byWorker := map[string][]exec.Source{}
	var local []exec.Source
	for _, s := range f.Sources {
		if s.File == nil {
			local = append(local, s)
			continue
		}
		w := PickWeighted(s.File.ID, workers)
		byWorker[w] = append(byWorker[w], s)
	}
	var parts []part
	add := func(srcs []exec.Source) {
		g := *f
		g.Sources = srcs
		var cands []string
		for _, o := range RankWeighted(srcs[0].File.ID, workers) {
			cands = append(cands, o.Addr)
		}
		parts = append(parts, part{frag: &g, candidates: append(cands, "")})
	}
	seen := map[string]bool{}
	for _, w := range workers {
		srcs := byWorker[w.Addr]
		if len(srcs) == 0 || seen[w.Addr] {
			continue
		}
		seen[w.Addr] = true
		if !perFile {
			add(srcs)
			continue
		}
		for i := range srcs {
			add(srcs[i : i+1])
		}
	}
	if len(local) > 0 {
		g := *f
		g.Sources = local
		parts = append(parts, part{frag: &g, candidates: []string{""}})
	}
	return parts
}

type distributor struct {
	p     exec.Params
	c     *Client
	trace *Trace // nil: record nothing
}

func fileCount(f *exec.Fragment) int {
	n := 0
	for _, s := range f.Sources {
		if s.File != nil {
			n++
		}
	}
	return n
}

// runLocal runs f on this node, recorded in the trace when it is closed.
func (d *distributor) runLocal(ctx context.Context, f *exec.Fragment) (exec.Operator, error) {
	op, err := exec.Run(ctx, d.p, f)
	if err != nil || d.trace == nil {
		return op, err
	}
	return &tracedOp{Operator: op, t: d.trace, files: fileCount(f), start: time.Now()}, nil
}

// movable reports whether a part that failed with err may move to its
// next candidate.
func movable(err error) bool {
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var we *WorkerError
	return errors.As(err, &we) && we.Code == codes.Unimplemented
}

// start runs pt to the end (gather) and returns an operator over its
// output. A part that runs here (in-memory sources) streams directly: it
// has no other candidate.
func (d *distributor) start(ctx context.Context, pt part, schema *arrow.Schema) (exec.Operator, error) {
	if len(pt.candidates) == 1 && pt.candidates[0] == "" {
		return d.runLocal(ctx, pt.frag)
	}
	out, err := d.gather(ctx, pt)
	if err != nil {
		return nil, err
	}
	return &heldOp{schema: schema, batches: out}, nil
}

func (d *distributor) run(ctx context.Context, cand string, f *exec.Fragment) (exec.Operator, error) {
	if cand == "" {
		return exec.Run(ctx, d.p, f)
	}
	return d.c.Run(cand, f)
}

// gather runs pt to the end and returns its batches (retained), running
// it again whole on the next candidate when its worker fails; what the
// failed run sent is released, never returned.
func (d *distributor) gather(ctx context.Context, pt part) ([]arrow.RecordBatch, error) {
	var err error
	for i, cand := range pt.candidates {
		var out []arrow.RecordBatch
		var run FragmentRun
		start := time.Now()
		out, run, err = d.drain(ctx, cand, pt.frag)
		if err == nil {
			run.Worker, run.Files, run.Elapsed, run.Failed = cand, fileCount(pt.frag), time.Since(start), i
			d.trace.add(run)
			return out, nil
		}
		if !movable(err) || i+1 == len(pt.candidates) || ctx.Err() != nil {
			break
		}
		d.c.reruns.Add(1)
	}
	return nil, err
}

// drain runs f on cand to the end and returns its batches (retained) and
// what the run reported about itself (Worker, Files, Elapsed and Failed
// are left to the caller).
func (d *distributor) drain(ctx context.Context, cand string, f *exec.Fragment) (out []arrow.RecordBatch, run FragmentRun, err error) {
	start := time.Now()
	op, err := d.run(ctx, cand, f)
	if err != nil {
		return nil, run, err
	}
	defer op.Close()
	defer func() {
		if err != nil {
			release(out)
			out = nil
		}
	}()
	if err := op.Open(ctx); err != nil {
		return nil, run, err
	}
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, run, err
		}
		rec.Retain()
		out = append(out, rec)
	}
	if err := op.Close(); err != nil {
		return out, run, err
	}
	switch o := op.(type) {
	case *remote:
		if fs, ok := o.FragmentStats(); ok {
			run.Reported, run.Stats, run.WorkerTime = true, fs.Stats, time.Duration(fs.ElapsedMicros)*time.Microsecond
		}
	case exec.StatsReporter:
		run.Reported, run.Stats, run.WorkerTime = true, o.Stats(), time.Since(start)
	}
	return out, run, nil
}

func release(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// gatherOp runs every part to the end, then a final fragment (the final
// aggregation or top-k) over their outputs.
type gatherOp struct {
	d      *distributor
	parts  []part
	final  *exec.Fragment // without sources
	schema *arrow.Schema

	opened, closed bool
	openErr        error
	inputs         [][]arrow.RecordBatch
	op             exec.Operator
}

var _ exec.Operator = (*gatherOp)(nil)

func (g *gatherOp) Schema() *arrow.Schema { return g.schema }

func (g *gatherOp) Open(ctx context.Context) error {
	if g.opened {
		return g.openErr
	}
	g.opened = true
	g.openErr = g.open(ctx)
	return g.openErr
}

func (g *gatherOp) open(ctx context.Context) error {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g.inputs = make([][]arrow.RecordBatch, len(g.parts))
	errs := make([]error, len(g.parts))
	var wg sync.WaitGroup
	for i, pt := range g.parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.inputs[i], errs[i] = g.d.gather(gctx, pt)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := exec.FirstError(errs); err != nil {
		return err
	}
	final := *g.final
	for _, in := range g.inputs {
		final.Sources = append(final.Sources, exec.Source{Batches: in})
	}
	op, err := exec.Run(ctx, g.d.p, &final)
	if err != nil {
		return err
	}
	g.op = op
	return op.Open(ctx)
}

func (g *gatherOp) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := g.Open(ctx); err != nil {
		return nil, err
	}
	return g.op.Next(ctx)
}

func (g *gatherOp) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	var err error
	if g.op != nil {
		err = g.op.Close()
	}
	for _, in := range g.inputs {
		release(in)
	}
	g.inputs = nil
	return err
}

// heldOp returns batches a finished fragment produced.
type heldOp struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	next    int
}

var _ exec.Operator = (*heldOp)(nil)

func (h *heldOp) Schema() *arrow.Schema      { return h.schema }
func (h *heldOp) Open(context.Context) error { return nil }

func (h *heldOp) Next(context.Context) (arrow.RecordBatch, error) {
	if h.next >= len(h.batches) {
		return nil, io.EOF
	}
	h.next++
	return h.batches[h.next-1], nil
}

func (h *heldOp) Close() error {
	release(h.batches)
	h.batches = nil
	return nil
}
