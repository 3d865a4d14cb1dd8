package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the load rates, the per-query table (median ms per
// engine, OpenWit/DuckDB and PostgreSQL/OpenWit ratios, agreement), the
// geometric means, and every error and mismatch in full.
func (rep *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\nopenwit bench: %d rows, seed %d, %d days, median of %d runs after a warm-up\n", rep.Rows, rep.Seed, rep.Days, rep.Runs)
	for _, e := range AllEngines {
		if v, ok := rep.Versions[e]; ok && slices.Contains(rep.Engines, e) {
			fmt.Fprintf(w, "  %s %s\n", e, v)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "load\tstep\trows\tseconds\trows/s\t")
	for _, l := range rep.Load {
		rate := ""
		if l.RowsPerSec > 0 {
			rate = fmt.Sprintf("%.0f", l.RowsPerSec)
		}
		rows := ""
		if l.Rows > 0 {
			rows = fmt.Sprint(l.Rows)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t\n", l.Engine, l.Step, rows, l.Seconds, rate)
	}
	tw.Flush()
	fmt.Fprintln(w)

	// Right-aligned numbers, left-aligned names (padded to one width).
	width := len("geometric mean")
	for i := range rep.Queries {
		width = max(width, len(rep.Queries[i].Name))
	}
	pad := func(s string) string { return fmt.Sprintf("%-*s", width, s) }
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, pad("query")+"\topenwit ms\tduckdb ms\tpostgres ms\topenwit/duckdb\tpostgres/openwit\tcheck\t")
	for i := range rep.Queries {
		q := &rep.Queries[i]
		cells := []string{pad(q.Name)}
		for _, e := range DefaultEngines {
			cells = append(cells, q.cell(e))
		}
		cells = append(cells, q.ratioCell(EngineOpenWit, EngineDuckDB), q.ratioCell(EnginePostgres, EngineOpenWit))
		cells = append(cells, q.check())
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	fmt.Fprintf(tw, "%s\t\t\t\t%s\t%s\t\t\n", pad("geometric mean"), ratioText(rep.GeomeanOpenWitVsDuckDB), ratioText(rep.GeomeanPostgresVsOpenWit))
	tw.Flush()
	fmt.Fprintln(w, "\nopenwit/duckdb above 1: OpenWit is slower than DuckDB; postgres/openwit above 1: OpenWit is faster than PostgreSQL.")
	if slices.Contains(rep.Engines, EngineOpenWitS3) {
		rep.writeS3Table(w, pad)
	}
	if slices.Contains(rep.Engines, EngineOpenWitNoIndex) {
		rep.writeNoIndexTable(w, pad)
	}

	if rep.Failures > 0 {
		fmt.Fprintf(w, "\n%d QUERY FAILURES:\n", rep.Failures)
		for i := range rep.Queries {
			q := &rep.Queries[i]
			for _, e := range AllEngines {
				if r := q.Results[e]; r != nil && r.Error != "" {
					fmt.Fprintf(w, "  %s on %s: %s\n", q.Name, e, r.Error)
				}
			}
		}
	}
	if rep.Mismatches > 0 {
		fmt.Fprintf(w, "\n!!! %d RESULT MISMATCHES:\n", rep.Mismatches)
		for i := range rep.Queries {
			q := &rep.Queries[i]
			for _, e := range AllEngines {
				if d, ok := q.Mismatches[e]; ok {
					fmt.Fprintf(w, "  %s: %s\n", q.Name, d)
				}
			}
		}
	}
}

// writeS3Table prints the openwit-s3 engine next to the local-disk one:
// its first (cold) run, its median after the warm-up (warm: the read cache
// holds what the query reads) and the warm/local ratio.
func (rep *Report) writeS3Table(w io.Writer, pad func(string) string) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, pad("query")+"\topenwit ms\ts3 cold ms\ts3 warm ms\ts3 warm/local\twarm GET/HEAD/LIST per run\t")
	for i := range rep.Queries {
		q := &rep.Queries[i]
		cold := "-"
		if r := q.Results[EngineOpenWitS3]; r != nil && r.Error == "" {
			cold = fmt.Sprintf("%.1f", r.ColdMs)
		}
		ratio := q.ratioCell(EngineOpenWitS3, EngineOpenWit)
		reqs := "-"
		if r := q.Results[EngineOpenWitS3]; r != nil && r.WarmRequests != nil && rep.Runs > 0 {
			w, n := r.WarmRequests, float64(rep.Runs)
			reqs = fmt.Sprintf("%.3g/%.3g/%.3g", float64(w.Gets)/n, float64(w.Heads)/n, float64(w.Lists)/n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", pad(q.Name), q.cell(EngineOpenWit), cold, q.cell(EngineOpenWitS3), ratio, reqs)
	}
	fmt.Fprintf(tw, "%s\t\t\t\t%s\t\t\n", pad("geometric mean"), ratioText(rep.GeomeanS3VsLocal))
	tw.Flush()
	fmt.Fprintln(w, "\nopenwit-s3: the same rows on an S3-compatible store with the local-disk read cache; warm is the median after the warm-up run;\nthe last column is the requests each warm run sent to the object store (counted with the scratch server only).")
}

// writeNoIndexTable prints openwit-noindex (the node restarted without
// pruning by index artifacts) next to openwit, with what the artifacts
// save: no-index/openwit above 1 is the speed-up they bring.
func (rep *Report) writeNoIndexTable(w io.Writer, pad func(string) string) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, pad("query")+"\topenwit ms\tno-index ms\tno-index/openwit\t")
	for i := range rep.Queries {
		q := &rep.Queries[i]
		ratio := q.ratioCell(EngineOpenWitNoIndex, EngineOpenWit)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", pad(q.Name), q.cell(EngineOpenWit), q.cell(EngineOpenWitNoIndex), ratio)
	}
	fmt.Fprintf(tw, "%s\t\t\t%s\t\n", pad("geometric mean"), ratioText(rep.GeomeanNoIndexVsIndex))
	tw.Flush()
	fmt.Fprintln(w, "\nopenwit-noindex: the same node and files, restarted without pruning by index artifacts (they stay built).")
}

// ratioCell prints q's a/b ratio, or "-" unless both engines answered.
func (q *QueryReport) ratioCell(a, b string) string {
	r, _ := q.ratio(a, b)
	return ratioText(r)
}

// ratioText prints a ratio, "-" for none (0).
func ratioText(r float64) string {
	if r <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

func (q *QueryReport) cell(engine string) string {
	r := q.Results[engine]
	switch {
	case r == nil:
		return "-"
	case r.Error != "":
		return "ERROR"
	}
	return fmt.Sprintf("%.1f", r.MedianMs)
}

func (q *QueryReport) check() string {
	var bad []string
	for _, e := range AllEngines {
		if r := q.Results[e]; r != nil && r.Error != "" {
			bad = append(bad, e+" error")
		}
		if _, ok := q.Mismatches[e]; ok {
			bad = append(bad, e+" MISMATCH")
		}
	}
	if len(bad) == 0 {
		return "ok"
	}
	return strings.Join(bad, ", ")
}

// WriteJSON writes the report as indented JSON to path.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
