package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/storage/objstore"
)

// FragmentVersion is the version of the Fragment encoding this binary
// writes; it reads it and FragmentVersionOrder. Version 2 added
// FileSource.RowGroups (a version 1 reader would scan every row group of a
// pruned file) and the match operator and LIKE's fold flag.
const FragmentVersion = 2

// FragmentVersionOrder is the version of a fragment whose top-k has a sort
// key with an Order (SortKey.Order): a version 2 reader would ignore the
// field and sort by the column's own order, so it must refuse the
// fragment instead. Fragments without such a key stay version 2, which
// older workers still run.
const FragmentVersionOrder = 3

// Fragment is a pipeline over some sources of one table:
// scan → [filter] → [aggregate | top-k | limit].
type Fragment struct {
	Version int `json:"version"`
	// Table names the table, for messages.
	Table string `json:"table"`
	// Schema is the table's schema; Columns are scanned from it.
	Schema  *arrow.Schema `json:"-"`
	Columns []string      `json:"columns"`
	Sources []Source      `json:"sources"`
	// Filter is a predicate over Columns (by position).
	Filter *Expr     `json:"filter,omitempty"`
	Agg    *AggSpec  `json:"agg,omitempty"`
	TopK   *TopKSpec `json:"topk,omitempty"`
	// Limit stops a plain scan after this many rows; 0 means none.
	Limit int64 `json:"limit,omitempty"`
}

// Encode returns the fragment's JSON encoding (the table schema travels
// separately, as Arrow IPC).
func (f *Fragment) Encode() ([]byte, error) {
	for _, s := range f.Sources {
		if s.File == nil {
			return nil, errors.New("exec: a fragment with in-memory sources cannot be encoded")
		}
	}
	g := *f
	g.Version = FragmentVersion
	if f.TopK != nil {
		for _, k := range f.TopK.Keys {
			if k.Order != "" {
				g.Version = FragmentVersionOrder
			}
		}
	}
	return json.Marshal(&g)
}

// DecodeFragment parses a fragment written by Encode.
func DecodeFragment(b []byte) (*Fragment, error) {
	var f Fragment
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("exec: decode fragment: %w", err)
	}
	if f.Version != FragmentVersion && f.Version != FragmentVersionOrder {
		return nil, fmt.Errorf("exec: fragment version %d, this binary reads %d", f.Version, FragmentVersion)
	}
	return &f, nil
}

// Validate checks that the fragment can run, compiling its expressions.
func (f *Fragment) Validate(p Params) error {
	if f.Schema == nil {
		return errors.New("exec: fragment without a table schema")
	}
	if f.Agg != nil && f.TopK != nil {
		return errors.New("exec: a fragment has an aggregation or a top-k, not both")
	}
	if _, err := f.pipeline(p, Source{}, nil); err != nil {
		return err
	}
	in, err := f.OutputSchema(p)
	if err != nil || f.TopK == nil {
		return err
	}
	_, err = newTopK(f.TopK, in) // a sort key of a type top-k cannot order
	return err
}

// scanSchema is the schema of the scanned columns.
func (f *Fragment) scanSchema() (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(f.Columns))
	for i, c := range f.Columns {
		j := f.Schema.FieldIndices(c)
		if len(j) != 1 {
			return nil, fmt.Errorf("exec: table %s has no column %q", f.Table, c)
		}
		fields[i] = f.Schema.Field(j[0])
	}
	return arrow.NewSchema(fields, nil), nil
}

// pipeline builds scan → filter for one source.
func (f *Fragment) pipeline(p Params, src Source, bound *topBound) (Operator, error) {
	scan, err := f.scan(p, src, bound)
	if err != nil {
		return nil, err
	}
	if src.Matched > 0 || f.Filter == nil {
		return scan, nil
	}
	return NewFilter(p, scan, f.Filter)
}

// scan builds the scan of one source.
func (f *Fragment) scan(p Params, src Source, bound *topBound) (*Scan, error) {
	scan, err := NewScan(p, src, f.Schema, f.Columns, f.Filter)
	if err != nil {
		return nil, err
	}
	// An aggregation builds its output from its own state, so dictionary
	// arrays never leave the pipeline.
	scan.dict = f.Agg != nil
	scan.bound = bound
	if src.File != nil {
		scan.text = newTextFilter(scan.schema, f.Filter)
	}
	if src.Matched > 0 && !f.countsOnly() {
		return nil, errors.New("exec: a source of counted rows in a fragment that reads columns")
	}
	return scan, nil
}

// countsOnly reports whether the fragment only counts the rows that pass
// its filter: an aggregation without keys whose aggregates are all
// count(*). Such a fragment can take rows counted from index artifacts
// (Source.Matched).
func (f *Fragment) countsOnly() bool {
	if f.Agg == nil || len(f.Agg.Keys) != 0 || len(f.Agg.Aggs) == 0 || f.TopK != nil {
		return false
	}
	for _, a := range f.Agg.Aggs {
		if a.Func != AggCountStar {
			return false
		}
	}
	return true
}

// CountsOnly reports whether the fragment only counts the rows that pass
// its filter (see Source.Matched).
func (f *Fragment) CountsOnly() bool { return f.countsOnly() }

// OutputSchema is the schema of the batches Run returns.
func (f *Fragment) OutputSchema(p Params) (*arrow.Schema, error) {
	in, err := f.scanSchema()
	if err != nil {
		return nil, err
	}
	if f.Agg != nil {
		t, err := newAggTable(p, f.Agg, in)
		if err != nil {
			return nil, err
		}
		return t.schema(), nil
	}
	return in, nil
}

// Stats count what a run read and returned. A search worker sends them
// back with a fragment's result (search/doc.go), so the field names are
// part of that format: add fields, never rename them.
type Stats struct {
	// Sources counts the sources scanned.
	Sources int `json:"sources"`
	// RowGroups counts the row groups read; RowGroupsPruned those the
	// scan skipped by their footer statistics, a top-k bound or a probe of
	// the filter columns (row groups the coordinator ruled out by index
	// artifacts never reach the scan).
	RowGroups       int `json:"row_groups"`
	RowGroupsPruned int `json:"row_groups_pruned"`
	// RowGroupsSelected counts the row groups of RowGroups read for a
	// selection of their rows only, through the page index.
	RowGroupsSelected int `json:"row_groups_selected,omitempty"`
	// Rows counts the rows scanned (before the filter); RowsOut the rows
	// the fragment returned.
	Rows    int64 `json:"rows"`
	RowsOut int64 `json:"rows_out"`
	// BytesRead counts the bytes read from data files; CacheBytes the part
	// of them a cache served (objstore.ReadStats), the rest came from the
	// object store.
	BytesRead  int64 `json:"bytes_read"`
	CacheBytes int64 `json:"cache_bytes"`
}

// Add adds o's counters to s.
func (s *Stats) Add(o Stats) {
	s.Sources += o.Sources
	s.RowGroups += o.RowGroups
	s.RowGroupsPruned += o.RowGroupsPruned
	s.RowGroupsSelected += o.RowGroupsSelected
	s.Rows += o.Rows
	s.RowsOut += o.RowsOut
	s.BytesRead += o.BytesRead
	s.CacheBytes += o.CacheBytes
}

// StatsReporter is implemented by operators that count what their run
// did (the operator Run returns; search's remote fragments once their
// stream ended). Stats is meaningful after the operator is closed.
type StatsReporter interface {
	Stats() Stats
}

// Run executes the fragment with up to p.Parallelism sources at a time and
// returns an operator streaming the result. The operator must be closed.
func Run(ctx context.Context, p Params, f *Fragment) (Operator, error) {
	if err := f.Validate(p); err != nil {
		return nil, err
	}
	sch, err := f.OutputSchema(p)
	if err != nil {
		return nil, err
	}
	r := &runner{p: p.withBudget(), f: f, schema: sch}
	return r, nil
}

// runner is the operator Run returns.
type runner struct {
	p      Params
	f      *Fragment
	schema *arrow.Schema

	opened  bool
	closed  bool
	err     error // the failure of a blocking run
	cancel  context.CancelFunc
	union   *Union            // a plain scan: the sources' filtered batches
	result  arrow.RecordBatch // aggregation or top-k result
	emitted bool

	mu    sync.Mutex
	stats Stats
	reads objstore.ReadStats
}

var _ StatsReporter = (*runner)(nil)

func (r *runner) Schema() *arrow.Schema { return r.schema }

// Stats returns the counters of the run so far.
func (r *runner) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	st.CacheBytes = r.reads.CacheBytes()
	return st
}

func (r *runner) Open(ctx context.Context) error {
	if r.opened {
		return r.err
	}
	r.opened = true
	ctx, r.cancel = context.WithCancel(objstore.WithReadStats(ctx, &r.reads))
	if r.f.Agg != nil || r.f.TopK != nil {
		res, err := r.blocking(ctx)
		if err != nil {
			r.err = err // sticky: a failed run never looks empty
			return err
		}
		r.result = res
		return nil
	}
	p, par := r.p, r.workers()
	if r.f.Limit > 0 && r.f.Filter == nil {
		// Every row counts toward the limit: the first source most
		// likely holds them all. Read one source at a time, in batches
		// no larger than the limit, so that only the first pages of its
		// columns are decoded and no other file is opened.
		par = 1
		p.BatchRows = min(p.batchRows(), r.f.Limit)
		p.heads = true
	}
	inputs := make([]Input, len(r.f.Sources))
	for i, src := range r.f.Sources {
		inputs[i] = func(context.Context) (Operator, error) {
			op, err := r.f.pipeline(p, src, nil)
			if err != nil {
				return nil, err
			}
			return &noted{Operator: op, r: r}, nil
		}
	}
	r.union = NewUnion(r.schema, inputs, par, r.f.Limit)
	return r.union.Open(ctx)
}

// noted records a source's scan counters in the run's Stats when it is
// closed.
type noted struct {
	Operator
	r *runner
}

func (n *noted) Close() error {
	err := n.Operator.Close()
	n.r.note(n.Operator)
	return err
}

func (r *runner) workers() int {
	n := max(r.p.Parallelism, 1)
	return max(min(n, len(r.f.Sources)), 1)
}

func sourceChan(srcs []Source) chan Source {
	c := make(chan Source, len(srcs))
	for _, s := range srcs {
		c <- s
	}
	close(c)
	return c
}

func (r *runner) note(op Operator) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Sources++
	if f, ok := op.(*Filter); ok {
		op = f.child
	}
	if s, ok := op.(*Scan); ok {
		r.stats.RowGroups += s.RowGroups
		r.stats.RowGroupsPruned += s.RowGroupsPruned
		r.stats.RowGroupsSelected += s.RowGroupsSelected
		r.stats.Rows += s.Rows
		r.stats.BytesRead += s.BytesRead()
	}
}

// blocking runs an aggregation or a top-k over all sources, one partial
// state per worker, and merges them.
func (r *runner) blocking(ctx context.Context) (arrow.RecordBatch, error) {
	in, err := r.f.scanSchema()
	if err != nil {
		return nil, err
	}
	n := r.workers()
	var bound *topBound
	if r.f.TopK != nil {
		if bound = newTopBound(r.f.TopK, in); bound != nil {
			bound.seedLit(r.f.TopK.Seed)
		}
	}
	aggs := make([]*aggTable, n)
	tops := make([]*topK, n)
	errs := make([]error, n)
	order := r.f.Sources
	if bound != nil {
		order = r.orderTopK(ctx, bound)
	}
	srcs := sourceChan(order)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		if r.f.Agg != nil {
			if aggs[w], err = newAggTable(r.p, r.f.Agg, in); err != nil {
				return nil, err
			}
		} else {
			if tops[w], err = newTopK(r.f.TopK, in); err != nil {
				return nil, err
			}
			tops[w].bound = bound
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					errs[w] = fmt.Errorf("exec: panic: %v", v)
				}
			}()
			for src := range srcs {
				if err := r.consume(ctx, src, aggs[w], tops[w]); err != nil {
					errs[w] = err
					r.cancel()
					return
				}
			}
		}(w)
	}
	wg.Wait()
	defer func() {
		for _, t := range tops {
			if t != nil {
				t.release()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return nil, FirstError(errs)
	}
	if r.f.Agg != nil {
		defer func() {
			for _, a := range aggs {
				a.release()
			}
		}()
		for _, a := range aggs[1:] {
			if err := aggs[0].merge(a); err != nil {
				return nil, err
			}
			a.release()
		}
		return aggs[0].result(r.schema)
	}
	for _, t := range tops[1:] {
		tops[0].merge(t)
	}
	return tops[0].result(r.p.mem(), r.schema)
}

// FirstError returns the first error of errs that is not a cancellation
// (which that error may have caused), else the first cancellation, else nil.
func FirstError(errs []error) error {
	var fallback error
	for _, e := range errs {
		if e == nil {
			continue
		}
		if !errors.Is(e, context.Canceled) {
			return e
		}
		if fallback == nil {
			fallback = e
		}
	}
	return fallback
}

func (r *runner) consume(ctx context.Context, src Source, agg *aggTable, top *topK) error {
	var (
		bound *topBound
		op    Operator
		pred  predicate // an aggregation's filter, tested here (agg_dict.go)
		mask  []bool
		err   error
	)
	if top != nil {
		bound = top.bound
	}
	if agg != nil && r.f.Filter != nil && src.Matched == 0 {
		scan, err := r.f.scan(r.p, src, nil)
		if err != nil {
			return err
		}
		op = scan
		if pred, err = compilePredicate(r.f.Filter, scan.Schema()); err != nil {
			scan.Close()
			return err
		}
	} else if op, err = r.f.pipeline(r.p, src, bound); err != nil {
		return err
	}
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		return err
	}
	defer r.note(op)
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if agg != nil {
			var m []bool
			if pred != nil {
				if n := int(rec.NumRows()); cap(mask) < n {
					mask = make([]bool, n)
				}
				m = mask[:rec.NumRows()]
				if err := pred.test(r.p.mem(), rec, m, nil); err != nil {
					return err
				}
			}
			if err := agg.consumeMasked(rec, m); err != nil {
				return err
			}
		} else {
			if err := top.consume(rec); err != nil {
				return err
			}
			top.publish()
		}
	}
}

func (r *runner) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := r.Open(ctx); err != nil {
		return nil, err
	}
	if r.union != nil {
		rec, err := r.union.Next(ctx)
		if err == nil {
			r.mu.Lock()
			r.stats.RowsOut += rec.NumRows()
			r.mu.Unlock()
		}
		return rec, err
	}
	if r.emitted || r.result == nil {
		return nil, io.EOF
	}
	r.emitted = true
	r.mu.Lock()
	r.stats.RowsOut += r.result.NumRows()
	r.mu.Unlock()
	return r.result, nil
}

func (r *runner) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.cancel != nil {
		r.cancel()
	}
	var err error
	if r.union != nil {
		err = r.union.Close()
	}
	if r.result != nil {
		r.result.Release()
		r.result = nil
	}
	return err
}
