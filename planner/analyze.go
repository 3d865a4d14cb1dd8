package planner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/transform"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/exec"
	"openwit/search"
)

// analyzeKey marks the context of an EXPLAIN ANALYZE run: vecNodes then
// record what they did (vecNode.actual).
type analyzeKey struct{}

func analyzing(ctx context.Context) bool {
	on, _ := ctx.Value(analyzeKey{}).(bool)
	return on
}

// explainAnalyze plans and runs the statement, discarding its rows, then
// renders the plan annotated with what the run did, and the planning and
// execution times, as EXPLAIN ANALYZE's rows. An error of the run is
// returned as the statement's error.
func (p *Prepared) explainAnalyze(ctx context.Context, bindings map[string]ast.Expr, timeout time.Duration) (*Rows, error) {
	start := time.Now()
	sctx, node, cancel, err := p.planWithin(context.WithValue(ctx, analyzeKey{}, true), bindings, timeout)
	if err != nil {
		return nil, err
	}
	defer cancel()
	planned := time.Now()
	_, iter, _, err := p.s.e.gms.PrepQueryPlanForExecution(sctx, p.st.SQL, node, nil)
	if err != nil {
		return nil, mapError(err)
	}
	for {
		_, err = iter.Next(sctx)
		if err != nil {
			break
		}
	}
	if cerr := iter.Close(sctx); err == io.EOF {
		err = cerr
	}
	if err != nil && err != io.EOF {
		return nil, mapError(err)
	}
	done := time.Now()
	rows := explainRows(node)
	if p.st.Explain.JSON {
		return explainJSON(node, rows, planned.Sub(start), done.Sub(planned))
	}
	rows.rows = append(rows.rows,
		[]any{"Planning Time: " + search.FormatMillis(planned.Sub(start))},
		[]any{"Execution Time: " + search.FormatMillis(done.Sub(planned))})
	return rows, nil
}

// explainJSON renders EXPLAIN (ANALYZE, FORMAT JSON): one row holding a
// JSON array with one object: the text plan's lines, each vectorized
// scan's counters, and the times in milliseconds.
func explainJSON(node sql.Node, text *Rows, planning, execution time.Duration) (*Rows, error) {
	lines := make([]string, len(text.rows))
	for i, r := range text.rows {
		lines[i] = r[0].(string)
	}
	scans := []map[string]any{}
	transform.Inspect(node, func(n sql.Node) bool {
		if v, ok := n.(*vecNode); ok {
			v.actualMu.Lock()
			a := v.actual
			v.actualMu.Unlock()
			if a != nil {
				scans = append(scans, a.jsonValue(v.tbl.def.Name))
			}
		}
		return true
	})
	doc := []map[string]any{{
		"Plan Text":      lines,
		"Scans":          scans,
		"Planning Time":  millis(planning),
		"Execution Time": millis(execution),
	}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return &Rows{rows: [][]any{{string(b)}}, tag: "EXPLAIN"}, nil
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// jsonValue is the record as EXPLAIN (ANALYZE, FORMAT JSON) shows it.
func (a *vecActual) jsonValue(table string) map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.prune
	var total searchTotals
	frags := []map[string]any{}
	for _, r := range a.trace.Runs() {
		total.add(r)
		f := map[string]any{"Worker": r.Worker, "Files": r.Files, "Reported": r.Reported, "Time": millis(r.Elapsed), "Failed Workers": r.Failed}
		if r.Reported {
			f["Worker Time"] = millis(r.WorkerTime)
			f["Row Groups Read"], f["Row Groups Pruned By Scan"] = r.Stats.RowGroups, r.Stats.RowGroupsPruned
			f["Rows Scanned"], f["Rows Returned"] = r.Stats.Rows, r.Stats.RowsOut
			f["Bytes Read"], f["Bytes From Cache"] = r.Stats.BytesRead, r.Stats.CacheBytes
		}
		frags = append(frags, f)
	}
	return map[string]any{
		"Table": table, "Actual Rows": a.rows, "Actual Loops": a.loops, "Actual Total Time": millis(a.elapsed),
		"Files": map[string]any{"Considered": a.files, "Pruned By Time": p.byTime, "Pruned By Zone Map": p.filesByZone,
			"Pruned By Bloom": p.filesByBloom, "Pruned By Full-Text": p.filesByGrams, "With Index Artifacts": p.indexed},
		"Row Groups": map[string]any{"Considered By Index": p.rowGroups, "Pruned By Zone Map": p.rgByZone,
			"Pruned By Bloom": p.rgByBloom, "Pruned By Full-Text": p.rgByGrams,
			"Read": total.st.RowGroups, "Pruned By Scan": total.st.RowGroupsPruned},
		"Rows Scanned": total.st.Rows, "Rows Returned By Fragments": total.st.RowsOut,
		"Bytes Read": total.st.BytesRead, "Bytes From Object Store": total.st.BytesRead - total.st.CacheBytes,
		"Bytes From Cache": total.st.CacheBytes, "Bytes Of Kept Files": p.bytesKept,
		"Unreported Fragments": total.unreported, "Fragments": frags,
	}
}

// vecActual is what the runs of one vecNode did, for EXPLAIN ANALYZE.
type vecActual struct {
	mu       sync.Mutex
	loops    int           // runs of the node
	files    int           // files of the table's snapshots, summed over runs
	prune    pruneStats    // what file pruning did, summed over runs
	rows     int64         // rows the node returned
	elapsed  time.Duration // from starting the runs to closing them
	buffered bool          // a run also read the ingest buffers
	trace    search.Trace  // the fragments of every run
}

// actualFor returns the node's record when ctx is an EXPLAIN ANALYZE run,
// else nil.
func (v *vecNode) actualFor(ctx context.Context) *vecActual {
	if !analyzing(ctx) {
		return nil
	}
	v.actualMu.Lock()
	defer v.actualMu.Unlock()
	if v.actual == nil {
		v.actual = &vecActual{}
	}
	return v.actual
}

func (a *vecActual) addRun(files int, st pruneStats, buffered bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.loops++
	a.files += files
	a.buffered = a.buffered || buffered
	p := &a.prune
	p.byTime += st.byTime
	p.indexed += st.indexed
	p.filesByZone += st.filesByZone
	p.filesByBloom += st.filesByBloom
	p.filesByGrams += st.filesByGrams
	p.rowGroups += st.rowGroups
	p.rgByZone += st.rgByZone
	p.rgByBloom += st.rgByBloom
	p.rgByGrams += st.rgByGrams
	p.filesCounted += st.filesCounted
	p.filesCatalog += st.filesCatalog
	p.rgCounted += st.rgCounted
	p.rowsCounted += st.rowsCounted
	p.bytes += st.bytes
	p.bytesKept += st.bytesKept
}

func (a *vecActual) addRows(n int64, elapsed time.Duration) {
	a.mu.Lock()
	a.rows += n
	a.elapsed += elapsed
	a.mu.Unlock()
}

// render writes the node's EXPLAIN ANALYZE lines: the description, then
// what the runs did as its children.
func (a *vecActual) render(desc string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.prune
	runs := a.trace.Runs()
	var total searchTotals
	for _, r := range runs {
		total.add(r)
	}
	pruned := p.byTime + p.filesByZone + p.filesByBloom + p.filesByGrams
	lines := []string{
		fmt.Sprintf("files: %d considered, %d pruned (time %d, zone map %d, bloom %d, full-text %d), %d scanned; %d with index artifacts",
			a.files, pruned, p.byTime, p.filesByZone, p.filesByBloom, p.filesByGrams, a.files-pruned-p.filesCounted-p.filesCatalog, p.indexed),
		fmt.Sprintf("row groups: %d considered by the index, %d pruned (zone map %d, bloom %d, full-text %d); %d read, %d pruned by the scan",
			p.rowGroups, p.rgByZone+p.rgByBloom+p.rgByGrams, p.rgByZone, p.rgByBloom, p.rgByGrams, total.st.RowGroups, total.st.RowGroupsPruned),
		fmt.Sprintf("rows: %d scanned, %d returned by the fragments", total.st.Rows, total.st.RowsOut),
		fmt.Sprintf("bytes: %d read (object store %d, cache %d) of %d in the files kept",
			total.st.BytesRead, total.st.BytesRead-total.st.CacheBytes, total.st.CacheBytes, p.bytesKept),
	}
	if p.rgCounted > 0 {
		lines = append(lines, fmt.Sprintf("count(*) from token postings: %d files, %d row groups, %d rows counted without reading data",
			p.filesCounted, p.rgCounted, p.rowsCounted))
	}
	if p.filesCatalog > 0 {
		lines = append(lines, fmt.Sprintf("count(*) from the catalog: %d files' row counts, no file opened", p.filesCatalog))
	}
	if a.buffered {
		lines = append(lines, "ingest buffers: read on the coordinator")
	}
	if total.unreported > 0 {
		lines = append(lines, fmt.Sprintf("fragments without stats (older workers): %d; the counters above leave them out", total.unreported))
	}
	for i, r := range runs {
		lines = append(lines, fmt.Sprintf("fragment %d: %s", i+1, r))
	}
	tp := sql.NewTreePrinter()
	_ = tp.WriteNode("%s (actual rows=%d loops=%d time=%s)", desc, a.rows, a.loops, search.FormatMillis(a.elapsed))
	_ = tp.WriteChildren(lines...)
	return strings.TrimRight(tp.String(), "\n")
}

// searchTotals sums the reported counters of fragment runs.
type searchTotals struct {
	st         exec.Stats
	unreported int
}

func (t *searchTotals) add(r search.FragmentRun) {
	if !r.Reported {
		t.unreported++
		return
	}
	t.st.Add(r.Stats)
}
