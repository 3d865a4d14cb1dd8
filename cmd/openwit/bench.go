package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"

	"openwit/bench"
)

// benchCmd runs `openwit bench`: see package bench and docs/benchmarks.md.
func benchCmd(args []string) int {
	if len(args) > 0 && args[0] == "memory" {
		return benchMemoryCmd(args[1:])
	}
	if len(args) > 0 && args[0] == "ingest" {
		return benchIngestCmd(args[1:])
	}
	cfg := bench.DefaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Int64Var(&cfg.Gen.Rows, "rows", cfg.Gen.Rows, "rows of synthetic logs to generate")
	fs.Uint64Var(&cfg.Gen.Seed, "seed", cfg.Gen.Seed, "generator seed (same seed, same rows)")
	fs.IntVar(&cfg.Gen.Days, "days", cfg.Gen.Days, "days the rows are spread over, from 2024-01-01 UTC")
	fs.IntVar(&cfg.Gen.BatchSize, "batch-size", cfg.Gen.BatchSize, "rows per Arrow record batch (one bulk-ingest message)")
	fs.IntVar(&cfg.Runs, "runs", cfg.Runs, "timed runs per query after one warm-up (the median is reported)")
	engines := fs.String("engines", strings.Join(cfg.Engines, ","), "engines to run the queries on: openwit,duckdb,postgres, openwit-s3 (OpenWit on an S3-compatible store with its disk read cache) and openwit-noindex (the OpenWit node restarted without pruning by index artifacts)")
	fs.StringVar(&cfg.PostgresURL, "postgres", "", "PostgreSQL URL to load and query (schema openwit_bench is recreated); default: a scratch server from /usr/lib/postgresql/15/bin")
	fs.StringVar(&cfg.DuckDBBin, "duckdb-bin", cfg.DuckDBBin, "the openwit-duckdb program (cd bench/duckdb && go build -o ../../bin/openwit-duckdb .)")
	fs.StringVar(&cfg.S3URL, "s3", "", "object store of the openwit-s3 engine, s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials from the AWS environment); default: a scratch versitygw from --versitygw-bin")
	fs.StringVar(&cfg.VersitygwBin, "versitygw-bin", cfg.VersitygwBin, "the versitygw program for the openwit-s3 engine (GOBIN=$PWD/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "directory for OpenWit's data dir, WORK_DIR/openwit (default: a temporary directory)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work directory")
	fs.BoolVar(&cfg.NoIndex, "no-index", false, "query OpenWit without pruning by index artifacts (they are still built)")
	fs.Int64Var(&cfg.LoadChunkRows, "load-chunk-rows", 0, "generate and load the rows in chunks of about this many rows (OpenWit flushes each) so that memory holds one chunk; 0 loads all at once")
	fs.DurationVar(&cfg.QueryTimeout, "query-timeout", cfg.QueryTimeout, "limit for one run of one query")
	only := fs.String("queries", "", "comma-separated names of the queries to run (default: all)")
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	allowMismatch := fs.Bool("allow-mismatch", false, "exit 0 even when engines disagree on a result")
	allowErrors := fs.Bool("allow-errors", false, "exit 0 even when a query fails on an engine")
	verbose := fs.Bool("v", false, "show the in-process OpenWit node's info logs")
	copyOnly := fs.Bool("copy", false, "run the COPY FROM STDIN load benchmark (OpenWit vs PostgreSQL, text and binary) instead of the queries")
	copyStmtRows := fs.Int64("copy-statement-rows", 250_000, "rows per COPY statement with --copy")
	hugePages := fs.Bool("heap-huge-pages", true, "back the Go heap with transparent huge pages, as openwit serve does by default (false: 4 KiB pages)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	cfg.Engines = nil
	for _, e := range strings.Split(*engines, ",") {
		if e = strings.TrimSpace(e); e != "" {
			cfg.Engines = append(cfg.Engines, e)
		}
	}
	for _, q := range strings.Split(*only, ",") {
		if q = strings.TrimSpace(q); q != "" {
			cfg.Only = append(cfg.Only, q)
		}
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	cfg.NodeLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.Progress = os.Stderr
	if *hugePages {
		defer adviseHugePages(cfg.NodeLogger)()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *copyOnly {
		return benchCopy(ctx, cfg, *copyStmtRows, *jsonPath)
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openwit bench:", err)
		return 1
	}
	rep.WriteTable(os.Stdout)
	if *jsonPath != "" {
		if err := rep.WriteJSON(*jsonPath); err != nil {
			fmt.Fprintln(os.Stderr, "openwit bench: write json:", err)
			return 1
		}
	}
	code := 0
	if rep.Mismatches > 0 && !*allowMismatch {
		fmt.Fprintf(os.Stderr, "openwit bench: %d result mismatches (--allow-mismatch to exit 0)\n", rep.Mismatches)
		code = 1
	}
	if rep.Failures > 0 && !*allowErrors {
		fmt.Fprintf(os.Stderr, "openwit bench: %d query failures (--allow-errors to exit 0)\n", rep.Failures)
		code = 1
	}
	return code
}

// benchMemoryCmd runs `openwit bench memory`: a GROUP BY with many groups
// in an `openwit serve` child process, reporting its peak RSS.
func benchMemoryCmd(args []string) int {
	cfg := bench.MemoryConfig{Rows: 10_000_000, Groups: 1_000_000, Progress: os.Stderr}
	fs := flag.NewFlagSet("bench memory", flag.ContinueOnError)
	fs.Int64Var(&cfg.Rows, "rows", cfg.Rows, "rows to load")
	fs.Int64Var(&cfg.Groups, "groups", cfg.Groups, "distinct GROUP BY keys")
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "directory for the server's data and log (default: a temporary directory, removed)")
	limit := fs.String("query-memory-limit", "", "passed to the server's --query-memory-limit")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *limit != "" {
		cfg.Args = append(cfg.Args, "--query-memory-limit", *limit)
	}
	bin, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openwit bench memory:", err)
		return 1
	}
	cfg.Bin = bin
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := bench.RunMemory(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openwit bench memory:", err)
		return 1
	}
	fmt.Printf("query:          %s\n", bench.MemoryQuery)
	fmt.Printf("rows, groups:   %d, %d\n", rep.Rows, rep.Groups)
	fmt.Printf("returned:       %d groups covering %d rows\n", rep.GroupsReturned, rep.RowsCounted)
	fmt.Printf("query time:     %.2f s\n", rep.QuerySeconds)
	fmt.Printf("server RSS:     %.0f MiB before the query, %.0f MiB peak (VmHWM)\n", float64(rep.BaselineRSSBytes)/(1<<20), float64(rep.PeakRSSBytes)/(1<<20))
	if rep.Err != "" {
		fmt.Printf("query error:    %s\n", rep.Err)
	}
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "openwit bench memory:", err)
			return 1
		}
	}
	if rep.Err != "" || rep.GroupsReturned != rep.Groups || rep.RowsCounted != rep.Rows {
		return 1
	}
	return 0
}

// benchCopy runs `openwit bench --copy` and prints rows/s per engine and
// format, and OpenWit's rate relative to PostgreSQL's.
func benchCopy(ctx context.Context, cfg bench.Config, stmtRows int64, jsonPath string) int {
	res, err := bench.RunCopy(ctx, bench.CopyConfig{Gen: cfg.Gen, StatementRows: stmtRows, PostgresURL: cfg.PostgresURL,
		NodeLogger: cfg.NodeLogger, Progress: cfg.Progress})
	if err != nil {
		fmt.Fprintln(os.Stderr, "openwit bench:", err)
		return 1
	}
	fmt.Printf("COPY FROM STDIN, %d rows, %d rows per statement\n", cfg.Gen.Rows, stmtRows)
	fmt.Printf("%-8s %-9s %12s %9s\n", "format", "engine", "rows/s", "seconds")
	rate := map[string]float64{}
	for _, r := range res {
		fmt.Printf("%-8s %-9s %12.0f %9.2f\n", r.Format, r.Engine, r.RowsPerSec, r.Seconds)
		rate[r.Format+"/"+r.Engine] = r.RowsPerSec
	}
	for _, f := range []string{"text", "binary"} {
		if pg := rate[f+"/"+bench.EnginePostgres]; pg > 0 {
			fmt.Printf("%s: openwit/postgres = %.2f\n", f, rate[f+"/"+bench.EngineOpenWit]/pg)
		}
	}
	if jsonPath != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = os.WriteFile(jsonPath, b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "openwit bench: write json:", err)
			return 1
		}
	}
	return 0
}

// benchIngestCmd runs `openwit bench ingest`: sustained ingest into
// published Parquet files by Flight SQL bulk ingest and COPY, against
// PostgreSQL's COPY and the encode-only rate.
func benchIngestCmd(args []string) int {
	def := bench.DefaultConfig()
	cfg := bench.IngestConfig{Gen: def.Gen, StatementRows: 250_000, Progress: os.Stderr}
	cfg.Gen.Rows = 2_000_000
	fs := flag.NewFlagSet("bench ingest", flag.ContinueOnError)
	fs.Int64Var(&cfg.Gen.Rows, "rows", cfg.Gen.Rows, "rows of synthetic logs to generate")
	fs.Uint64Var(&cfg.Gen.Seed, "seed", cfg.Gen.Seed, "generator seed")
	fs.IntVar(&cfg.Gen.Days, "days", cfg.Gen.Days, "days the rows are spread over")
	fs.IntVar(&cfg.Gen.BatchSize, "batch-size", cfg.Gen.BatchSize, "rows per Arrow record batch (one bulk-ingest message)")
	fs.Int64Var(&cfg.StatementRows, "copy-statement-rows", cfg.StatementRows, "rows per COPY statement")
	fs.StringVar(&cfg.PostgresURL, "postgres", "", "PostgreSQL URL (schema openwit_bench is recreated); default: a scratch server")
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	verbose := fs.Bool("v", false, "show the in-process OpenWit node's info logs")
	hugePages := fs.Bool("heap-huge-pages", true, "back the Go heap with transparent huge pages, as openwit serve does by default (false: 4 KiB pages)")
	methods := fs.String("methods", "", "comma-separated subset to run: \"encode only\", \"flight bulk ingest\", \"copy text\", \"copy binary\", kafka, postgres (default: all)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	traceOut := fs.String("trace", "", "write an execution trace of the whole run to this file (go tool trace)")
	memProfile := fs.String("memprofile", "", "write a heap profile (allocations of the whole run: go tool pprof -sample_index=alloc_space) to this file at the end")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	cfg.NodeLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if *hugePages {
		defer adviseHugePages(cfg.NodeLogger)()
	}
	for _, m := range strings.Split(*methods, ",") {
		if m = strings.TrimSpace(m); m != "" {
			cfg.Methods = append(cfg.Methods, m)
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "openwit bench ingest: cpu profile:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "openwit bench ingest: trace:", err)
			return 1
		}
		defer trace.Stop()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := bench.RunIngest(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openwit bench ingest:", err)
		return 1
	}
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "openwit bench ingest: memory profile:", err)
			return 1
		}
	}
	fmt.Printf("ingest until published, %d rows (%.0f MB Arrow), %d cores, fsync before ack\n", rep.Rows, float64(rep.ArrowBytes)/1e6, rep.Cores)
	fmt.Printf("%-9s %-21s %10s %9s %9s %12s %8s %9s %11s %11s\n", "engine", "method", "rows/s", "seconds", "ack s", "MB/s/core", "vs pg", "cpu s", "flush cpu s", "flush busy")
	pg := rep.Rate(bench.EnginePostgres, bench.MethodCopyBinary)
	ratio := func(a, b float64) string { // "-" when either was not measured
		if a == 0 || b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	for _, r := range rep.Results {
		busy, flushCPU := "", ""
		if flush := r.Seconds - r.AckSeconds; r.FlushCPUSeconds > 0 && flush > 0 {
			busy = fmt.Sprintf("%.0f%%", 100*r.FlushCPUSeconds/flush/float64(rep.Cores))
			flushCPU = fmt.Sprintf("%.2f", r.FlushCPUSeconds)
		}
		fmt.Printf("%-9s %-21s %10.0f %9.2f %9.2f %12.1f %8s %9.2f %11s %11s\n", r.Engine, r.Method, r.RowsPerSec, r.Seconds, r.AckSeconds, r.MBPerSecPerCore, ratio(r.RowsPerSec, pg), r.CPUSeconds, flushCPU, busy)
	}
	for _, r := range rep.Results {
		if r.Publishes > 0 {
			fmt.Printf("%s: %d partition publishes, %.0f rows each\n", r.Method, r.Publishes, float64(r.Rows)/float64(r.Publishes))
		}
		if r.Files > 0 {
			fmt.Printf("%s: %d parquet files, %.0f rows each\n", r.Method, r.Files, float64(r.Rows)/float64(r.Files))
		}
	}
	enc := rep.Rate(bench.EngineOpenWit, bench.MethodEncode)
	for _, m := range bench.IngestMethods {
		if rep.Rate(bench.EngineOpenWit, m) == 0 {
			continue
		}
		fmt.Printf("openwit %s: %sx postgres copy binary, %sx postgres copy text, %sx encode-only, %sx flight\n", m,
			ratio(rep.Rate(bench.EngineOpenWit, m), pg), ratio(rep.Rate(bench.EngineOpenWit, m), rep.Rate(bench.EnginePostgres, bench.MethodCopyText)),
			ratio(rep.Rate(bench.EngineOpenWit, m), enc), ratio(rep.Rate(bench.EngineOpenWit, m), rep.Rate(bench.EngineOpenWit, bench.MethodFlight)))
	}
	if *jsonPath != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonPath, b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "openwit bench ingest: write json:", err)
			return 1
		}
	}
	return 0
}
