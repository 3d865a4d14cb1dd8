package planner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/exec"
	"openwit/ingest"
	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/search"
	"openwit/storage/catalog"
)

// vecNode runs a fragment of the plan in the vectorized executor and hands
// its result to go-mysql-server as rows.
type vecNode struct {
	eng    *Engine
	tbl    *table
	frag   *exec.Fragment // without Schema and Sources, filled per run
	schema sql.Schema
	out    []int     // output column i is result column out[i]; -1: NULL (unused above)
	kinds  []outKind // per output column (nil: all plain)
	bounds [2]int64  // time column bounds for file pruning

	actualMu sync.Mutex
	actual   *vecActual // what EXPLAIN ANALYZE's runs did; nil otherwise
}

var _ sql.ExecSourceRel = (*vecNode)(nil)

// newVecNode returns the vecNode running frag, or nil when the executor
// cannot run it (an aggregate it lacks for a column type, say max of a
// numeric): that part of the plan stays in the row engine.
func (e *Engine) newVecNode(tbl *table, frag *exec.Fragment, schema sql.Schema, out []int, kinds []outKind, bounds [2]int64) *vecNode {
	ts, err := e.arrowSchema(tbl.def)
	if err != nil {
		return nil
	}
	check := *frag
	check.Schema = ts
	if check.Validate(e.execParams()) != nil {
		return nil
	}
	return &vecNode{eng: e, tbl: tbl, frag: frag, schema: schema, out: out, kinds: kinds, bounds: bounds}
}

func (v *vecNode) Resolved() bool       { return true }
func (v *vecNode) IsReadOnly() bool     { return true }
func (v *vecNode) Schema() sql.Schema   { return v.schema }
func (v *vecNode) Children() []sql.Node { return nil }
func (v *vecNode) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(v, len(children), 0)
	}
	return v, nil
}

// String describes the fragment for EXPLAIN; after an EXPLAIN ANALYZE run,
// with what the run did instead of the pruning a run would do now.
func (v *vecNode) String() string {
	v.actualMu.Lock()
	a := v.actual
	v.actualMu.Unlock()
	if a != nil {
		return a.render(v.describe() + ")")
	}
	var b strings.Builder
	b.WriteString(v.describe())
	v.describeFiles(&b)
	b.WriteString(")")
	return b.String()
}

// describe is the fragment's description without its files and the
// closing parenthesis.
func (v *vecNode) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "VectorizedScan(table=%s", v.tbl.def.Name)
	if len(v.frag.Columns) > 0 {
		fmt.Fprintf(&b, ", columns=[%s]", strings.Join(v.frag.Columns, ", "))
	}
	if v.frag.Filter != nil {
		fmt.Fprintf(&b, ", filter=%s", v.frag.Filter.Format(v.frag.Columns))
	}
	if a := v.frag.Agg; a != nil {
		keys := make([]string, len(a.Keys))
		for i, k := range a.Keys {
			keys[i] = k.Format(v.frag.Columns)
		}
		aggs := make([]string, len(a.Aggs))
		for i, g := range a.Aggs {
			if g.Arg == nil {
				aggs[i] = string(g.Func)
			} else {
				aggs[i] = fmt.Sprintf("%s(%s)", g.Func, g.Arg.Format(v.frag.Columns))
			}
		}
		fmt.Fprintf(&b, ", group=[%s], aggregates=[%s]", strings.Join(keys, ", "), strings.Join(aggs, ", "))
	}
	if t := v.frag.TopK; t != nil {
		keys := make([]string, len(t.Keys))
		for i, k := range t.Keys {
			keys[i] = v.frag.Columns[k.Col]
			if k.Desc {
				keys[i] += " DESC"
			}
			if k.NullsFirst != k.Desc {
				keys[i] += map[bool]string{true: " NULLS FIRST", false: " NULLS LAST"}[k.NullsFirst]
			}
		}
		fmt.Fprintf(&b, ", topk=%d by [%s]", t.K, strings.Join(keys, ", "))
	}
	if n := len(v.eng.workers()); n > 0 {
		fmt.Fprintf(&b, ", search workers=%d", n)
	}
	if v.bounds[0] != math.MinInt64 || v.bounds[1] != math.MaxInt64 {
		fmt.Fprintf(&b, ", time=[%s, %s]", fmtMicros(v.bounds[0]), fmtMicros(v.bounds[1]))
	}
	return b.String()
}

// describeFiles writes what pruning the table's files would do now.
func (v *vecNode) describeFiles(b *strings.Builder) {
	if snap, err := v.eng.snapshotWith(v.tbl.txw, v.tbl.def.ID); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		kept, st := v.files(ctx, snap)
		cancel()
		fmt.Fprintf(b, ", files=%d kept, %d pruned by time", len(kept), st.byTime)
		if st.indexed > 0 {
			fmt.Fprintf(b, ", index: %d files with artifacts, %d files pruned (zone map %d, bloom %d, full-text %d)",
				st.indexed, st.filesByZone+st.filesByBloom+st.filesByGrams, st.filesByZone, st.filesByBloom, st.filesByGrams)
			fmt.Fprintf(b, ", row groups=%d considered, %d pruned (zone map %d, bloom %d, full-text %d)",
				st.rowGroups, st.rgByZone+st.rgByBloom+st.rgByGrams, st.rgByZone, st.rgByBloom, st.rgByGrams)
		}
		if st.rgCounted > 0 {
			fmt.Fprintf(b, ", count from token postings: %d files, %d row groups, %d rows", st.filesCounted, st.rgCounted, st.rowsCounted)
		}
		if st.filesCatalog > 0 {
			fmt.Fprintf(b, ", count from the catalog: %d files, %d rows", st.filesCatalog, st.rowsCounted)
		}
		if st.rgCandidates > 0 {
			fmt.Fprintf(b, ", candidate rows from token postings: %d row groups, %d rows", st.rgCandidates, st.candidateRows)
		}
		fmt.Fprintf(b, ", bytes=%d to read of %d", st.bytesKept, st.bytes)
		if len(snap.Batches) > 0 {
			b.WriteString(", buffered rows")
		}
		snap.Release()
	}
}

func fmtMicros(us int64) string {
	switch us {
	case math.MinInt64:
		return "-infinity"
	case math.MaxInt64:
		return "infinity"
	}
	return timeFromMicros(us).Format("2006-01-02 15:04:05.999999Z07")
}

// pruneStats count what file pruning did.
type pruneStats struct {
	byTime                                  int // files pruned by their time range
	indexed                                 int // files within the time range with a usable artifact
	filesByZone, filesByBloom, filesByGrams int // files all of whose row groups were pruned
	rowGroups                               int // row groups of indexed files
	rgByZone, rgByBloom, rgByGrams          int // row groups pruned
	// Row groups (and files all of whose row groups were) whose matching
	// rows a count(*) took from the token postings, and those rows.
	filesCounted, rgCounted int
	// Files a count(*) without a filter took from the catalog's row
	// counts (added to rowsCounted).
	filesCatalog int
	rowsCounted  int64
	// Row groups read for their candidate rows only, and those rows.
	rgCandidates     int
	candidateRows    int64
	bytes, bytesKept int64
	// seed is the top-k seed from the kept files' zone maps (seedTopK).
	seed *exec.Lit
}

// files returns the sources to scan: the snapshot's files whose time
// range meets the bounds and whose index artifact (when it has one) does
// not rule out the filter, with the row groups to read.
func (v *vecNode) files(ctx context.Context, snap *ingest.Snapshot) (kept []exec.Source, st pruneStats) {
	files := snap.Files
	if t := v.frag.TopK; t != nil && len(t.Keys) > 0 && v.frag.Columns[t.Keys[0].Col] == v.tbl.def.TimeField() {
		// ORDER BY time LIMIT k: hand out the files nearest the wanted
		// end first, so the top-k fills from them and the scans of the
		// others stop at their footers (exec's top-k bound).
		files = slices.Clone(files)
		if t.Keys[0].Desc {
			slices.SortStableFunc(files, func(a, b *catalog.File) int { return cmp.Compare(b.MaxTime, a.MaxTime) })
		} else {
			slices.SortStableFunc(files, func(a, b *catalog.File) int { return cmp.Compare(a.MinTime, b.MinTime) })
		}
	}
	// The artifact columns the filter refers to, and whether it needs
	// their postings (a text search).
	var ixCols []string
	usesPostings := exec.UsesPostings(v.frag.Filter)
	if v.frag.Filter != nil {
		refs := map[int]bool{}
		v.frag.Filter.Columns(refs)
		for i := range refs {
			ixCols = append(ixCols, v.frag.Columns[i])
		}
		slices.Sort(ixCols)
	}
	memoKey, memo := pruneKey(v.frag.Filter, v.frag.Columns, v.frag.CountsOnly())
	for _, f := range files {
		st.bytes += f.Bytes
		if f.MaxTime < v.bounds[0] || f.MinTime > v.bounds[1] {
			st.byTime++
			continue
		}
		if v.frag.Filter == nil && v.frag.CountsOnly() {
			// count(*) of every row: the catalog has the file's row
			// count, so the file is not even opened.
			st.filesCatalog++
			st.rowsCounted += f.Rows
			continue
		}
		src := &exec.FileSource{ID: f.ID, Path: f.Path, Rows: f.Rows}
		bytes := f.Bytes
		if v.frag.Filter != nil {
			if ans, ok := v.pruneFile(ctx, f, ixCols, usesPostings, memoKey, memo); ok {
				st.indexed++
				st.rowGroups += len(ans.rows)
				var keptRows int64
				counts := map[exec.PruneReason]int{}
				counted := 0
				for g, r := range ans.rgs {
					counts[r.Reason]++
					switch {
					case r.Reason != exec.KeptRowGroup:
					case r.Count >= 0:
						counted++
						st.rowsCounted += r.Count
					default:
						// Few candidates: the scan reads those alone.
						few := r.Candidates != nil && int64(r.Candidates.GetCardinality())*4 <= ans.rows[g]
						if few && r.Candidates.IsEmpty() {
							counts[exec.PrunedByPostings]++
							continue
						}
						src.RowGroups = append(src.RowGroups, g)
						keptRows += ans.rows[g]
						if few {
							if c, err := exec.NewRowCandidates(g, r.Candidates); err == nil {
								src.Candidates = append(src.Candidates, c)
								st.rgCandidates++
								st.candidateRows += int64(r.Candidates.GetCardinality())
							}
						}
					}
				}
				st.rgByZone += counts[exec.PrunedByZone]
				st.rgByBloom += counts[exec.PrunedByBloom]
				st.rgByGrams += counts[exec.PrunedByGrams] + counts[exec.PrunedByPostings]
				st.rgCounted += counted
				if len(src.RowGroups) == 0 {
					switch {
					case counted > 0:
						st.filesCounted++
					case counts[exec.PrunedByGrams]+counts[exec.PrunedByPostings] > 0:
						st.filesByGrams++
					case counts[exec.PrunedByBloom] > 0:
						st.filesByBloom++
					default:
						st.filesByZone++
					}
					continue
				}
				if len(src.RowGroups) == len(ans.rows) && len(src.Candidates) == 0 {
					src.RowGroups = nil
				} else if f.Rows > 0 {
					bytes = f.Bytes * keptRows / f.Rows
				}
			}
		}
		st.bytesKept += bytes
		kept = append(kept, exec.Source{File: src})
	}
	if v.frag.TopK != nil && v.frag.Filter == nil {
		byID := make(map[string]*catalog.File, len(files))
		for _, f := range files {
			byID[f.ID] = f
		}
		kept, st.seed = v.seedTopK(ctx, byID, snap.Schema, kept, &st)
	}
	return kept, st
}

// pruneFile returns what f's index artifact says of the fragment's
// filter, from the engine's pruneMemo when memo (memoKey names the
// filter) and it was asked before; ok is false when f has no usable
// artifact.
func (v *vecNode) pruneFile(ctx context.Context, f *catalog.File, ixCols []string, postings bool, memoKey string, memo bool) (ans pruneAnswer, ok bool) {
	var key pruneMemoKey
	if memo {
		key = fileKey(memoKey, f)
		if ans, ok := v.eng.prunes.get(key); ok {
			return ans, true
		}
	}
	ix := v.eng.ixCache.get(ctx, f, ixCols, postings)
	if ix == nil {
		return pruneAnswer{}, false
	}
	ans = pruneAnswer{rows: ix.RowGroups, rgs: exec.IndexRowGroups(v.frag.Filter, v.frag.Columns, ix, v.frag.CountsOnly())}
	if memo {
		v.eng.prunes.put(key, ans)
	}
	return ans, true
}

// RowIter implements sql.ExecSourceRel.
func (v *vecNode) RowIter(ctx *sql.Context, _ sql.Row) (sql.RowIter, error) {
	start := time.Now()
	op, release, err := v.run(ctx)
	if err != nil {
		return nil, err
	}
	return &vecIter{v: v, op: op, release: release, actual: v.actualFor(ctx), start: start}, nil
}

// run starts the fragment over the table's current snapshot, locally or
// on the search workers. release (after op is closed) drops the snapshot
// and the search client.
func (v *vecNode) run(ctx context.Context) (op exec.Operator, release func(), err error) {
	snap, err := v.eng.snapshot(ctx, v.tbl.def.ID)
	if err != nil {
		return nil, nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", v.tbl.def.Name)
	}
	frag := *v.frag
	frag.Schema = snap.Schema
	var st pruneStats
	frag.Sources, st = v.files(ctx, snap)
	if st.seed != nil {
		t := *frag.TopK
		t.Seed = st.seed
		frag.TopK = &t
	}
	nfiles := len(frag.Sources)
	if st.rowsCounted > 0 {
		frag.Sources = append(frag.Sources, exec.Source{Matched: st.rowsCounted})
	}
	if len(snap.Batches) > 0 {
		frag.Sources = append(frag.Sources, exec.Source{Batches: snap.Batches})
	}
	// An EXPLAIN ANALYZE run records the pruning and the fragments.
	dctx := ctx
	act := v.actualFor(ctx)
	if act != nil {
		act.addRun(len(snap.Files), st, len(snap.Batches) > 0)
		dctx = search.WithTrace(ctx, &act.trace)
	}
	p := v.eng.execParams()
	if sc, ok := ctx.(*sql.Context); ok {
		if ps, ok := sc.Session.(*pgSession); ok {
			p.MemoryLimit = ps.memLimit
		}
	}
	done := func() {}
	if workers := v.eng.workers(); len(workers) > 0 {
		c := v.eng.cfg.Search
		if c == nil {
			c = search.NewClient(search.ClientConfig{})
			done = func() { c.Close() }
		}
		op, err = search.Distribute(dctx, p, c, workers, &frag)
	} else if op, err = exec.Run(ctx, p, &frag); err == nil {
		op = search.Traced(dctx, op, nfiles)
	}
	if err != nil {
		done()
		snap.Release()
		return nil, nil, err
	}
	v.eng.running.Add(1)
	var once sync.Once
	return op, func() {
		once.Do(func() { v.eng.running.Add(-1) })
		done()
		snap.Release()
	}, nil
}

func (e *Engine) execParams() exec.Params {
	par := e.cfg.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	return exec.Params{Mem: e.pool, Footers: e.footers, Reads: e.reads, Bucket: e.cfg.Bucket, Parallelism: par, MemoryLimit: e.cfg.QueryMemoryLimit}
}

type vecIter struct {
	v       *vecNode
	op      exec.Operator
	release func() // after op is closed
	cur     arrow.RecordBatch
	row     int

	actual *vecActual // EXPLAIN ANALYZE's record, or nil
	start  time.Time
	rows   int64 // rows returned
}

func (it *vecIter) Next(ctx *sql.Context) (sql.Row, error) {
	for it.cur == nil || it.row >= int(it.cur.NumRows()) {
		rec, err := it.op.Next(ctx)
		if err != nil {
			if err != io.EOF {
				err = execError(err)
			}
			return nil, err
		}
		it.cur, it.row = rec, 0
	}
	row := make(sql.Row, len(it.v.out))
	for i, c := range it.v.out {
		if c < 0 { // not read by the plan above
			continue
		}
		col := it.cur.Column(c)
		if it.v.kinds != nil && it.v.kinds[i] == outJSONList {
			row[i] = jsonList(col.(*array.List), it.row)
			continue
		}
		val, err := arrowValue(ctx, col, it.row, it.v.schema[i].Type)
		if err != nil {
			return nil, err
		}
		row[i] = val
	}
	it.row++
	it.rows++
	return row, nil
}

func (it *vecIter) Close(*sql.Context) error {
	err := it.op.Close()
	it.release()
	if it.actual != nil {
		it.actual.addRows(it.rows, time.Since(it.start))
		it.actual = nil
	}
	return err
}

// jsonList turns a list value into json_arrayagg's result, as a
// pgexpr.FloatList so percentiles read the floats without boxing them.
func jsonList(l *array.List, i int) any {
	if l.IsNull(i) {
		return nil
	}
	start, end := l.ValueOffsets(i)
	vals := l.ListValues().(*array.Float64)
	out := &pgexpr.FloatList{}
	if vals.NullN() == 0 {
		out.Vals = slices.Clone(vals.Float64Values()[start:end])
		return out
	}
	out.Vals = make([]float64, 0, end-start)
	for j := int(start); j < int(end); j++ {
		if vals.IsNull(j) {
			out.Nulls++
		} else {
			out.Vals = append(out.Vals, vals.Value(j))
		}
	}
	return out
}

// execError maps executor errors to PostgreSQL errors.
func execError(err error) error {
	switch {
	case errorsIs(err, exec.ErrMemoryLimit):
		return &pgerror.Error{Code: pgerror.OutOfMemory, Message: "out of memory: " + err.Error(), Err: err}
	case strings.Contains(err.Error(), "does not fit in 38 digits"):
		return &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: "numeric field overflow", Err: err}
	}
	return err
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func timeFromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
