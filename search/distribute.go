package search

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/grpc/codes"

	"openwit/exec"
)

// Distribute is the coordinator's side of the search service: it runs f
// with its file sources spread over workers and returns an operator that
// produces what exec.Run(ctx, p, f) would.
//
// The files are grouped by owner (Pick over workers) into one fragment per
// worker; in-memory sources (the ingest buffers, which never leave this
// node) form one more fragment run here with p. An aggregation runs as
// partial aggregations on the workers and one final aggregation here; a
// top-k runs on every worker and once more here over their union; a plain
// scan concatenates the streams in arrival order and stops at f.Limit.
//
// A fragment whose worker stays unavailable after the client's retries (or
// does not know the ticket's version) moves to the next worker in its first
// file's rendezvous order, and at last runs here (this node reads the same
// object store). For an aggregation or a top-k the move can happen at any
// point, since nothing is emitted before every input is complete; for a
// plain scan only before the worker's first batch.
func Distribute(ctx context.Context, p exec.Params, c *Client, workers []string, f *exec.Fragment) (exec.Operator, error) {
	d := &distributor{p: p, c: c}
	files := 0
	for _, s := range f.Sources {
		if s.File != nil {
			files++
		}
	}
	if len(workers) == 0 || files == 0 {
		return exec.Run(ctx, p, f)
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
		return exec.Run(ctx, p, f)
	}
	parts := split(&sub, workers)
	switch {
	case f.Agg != nil:
		partial, err := sub.OutputSchema(p)
		if err != nil {
			return nil, err
		}
		spec := *f.Agg
		spec.Mode = exec.AggFinal
		final := &exec.Fragment{Table: f.Table, Schema: partial, Columns: names(partial), Agg: &spec}
		return &gatherOp{d: d, parts: parts, final: final, schema: schema}, nil
	case f.TopK != nil:
		final := &exec.Fragment{Table: f.Table, Schema: schema, Columns: names(schema), TopK: f.TopK}
		return &gatherOp{d: d, parts: parts, final: final, schema: schema}, nil
	}
	inputs := make([]exec.Input, len(parts))
	for i, pt := range parts {
		inputs[i] = func(ctx context.Context) (exec.Operator, error) { return d.start(ctx, pt) }
	}
	return exec.NewUnion(schema, inputs, 0, f.Limit), nil
}

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

// split groups f's file sources by owner and its in-memory sources into a
// local part.
func split(f *exec.Fragment, workers []string) []part {
	byWorker := map[string][]exec.Source{}
	var local []exec.Source
	for _, s := range f.Sources {
		if s.File == nil {
			local = append(local, s)
			continue
		}
		w := Pick(s.File.ID, workers)
		byWorker[w] = append(byWorker[w], s)
	}
	var parts []part
	seen := map[string]bool{}
	for _, w := range workers {
		srcs := byWorker[w]
		if len(srcs) == 0 || seen[w] {
			continue
		}
		seen[w] = true
		g := *f
		g.Sources = srcs
		cands := []string{w}
		for _, o := range Rank(srcs[0].File.ID, workers) {
			if o != w {
				cands = append(cands, o)
			}
		}
		parts = append(parts, part{frag: &g, candidates: append(cands, "")})
	}
	if len(local) > 0 {
		g := *f
		g.Sources = local
		parts = append(parts, part{frag: &g, candidates: []string{""}})
	}
	return parts
}

type distributor struct {
	p exec.Params
	c *Client
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

// start opens pt on its first candidate that accepts it.
func (d *distributor) start(ctx context.Context, pt part) (exec.Operator, error) {
	var err error
	for i, cand := range pt.candidates {
		var op exec.Operator
		op, err = d.run(ctx, cand, pt.frag)
		if err != nil {
			return nil, err
		}
		if err = op.Open(ctx); err == nil {
			return op, nil
		}
		op.Close()
		if !movable(err) || i+1 == len(pt.candidates) {
			break
		}
	}
	return nil, err
}

func (d *distributor) run(ctx context.Context, cand string, f *exec.Fragment) (exec.Operator, error) {
	if cand == "" {
		return exec.Run(ctx, d.p, f)
	}
	return d.c.Run(cand, f)
}

// gather runs pt to the end and returns its batches (retained), moving it
// to the next candidate when its worker fails.
func (d *distributor) gather(ctx context.Context, pt part) ([]arrow.RecordBatch, error) {
	var err error
	for i, cand := range pt.candidates {
		var out []arrow.RecordBatch
		out, err = d.drain(ctx, cand, pt.frag)
		if err == nil {
			return out, nil
		}
		if !movable(err) || i+1 == len(pt.candidates) {
			break
		}
	}
	return nil, err
}

func (d *distributor) drain(ctx context.Context, cand string, f *exec.Fragment) (out []arrow.RecordBatch, err error) {
	op, err := d.run(ctx, cand, f)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	defer func() {
		if err != nil {
			release(out)
			out = nil
		}
	}()
	if err := op.Open(ctx); err != nil {
		return nil, err
	}
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		rec.Retain()
		out = append(out, rec)
	}
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
