package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/node"
	"openwit/internal/pgserver"
	"openwit/storage/pqfile"
)

// IngestConfig configures the sustained-ingest benchmark (`openwit bench
// ingest`).
type IngestConfig struct {
	Gen GenConfig
	// StatementRows is the number of rows per COPY statement.
	StatementRows int64
	// PostgresURL as in Config; empty starts a scratch server.
	PostgresURL string
	// Methods selects what runs, by Method name or engine ("postgres");
	// empty runs everything.
	Methods    []string
	NodeLogger *slog.Logger
	Progress   io.Writer
}

// IngestResult is one way of loading the rows.
type IngestResult struct {
	// Method: "encode only", "flight bulk ingest", "copy text",
	// "copy binary" (OpenWit) or "copy text", "copy binary" (PostgreSQL).
	Engine string `json:"engine"`
	Method string `json:"method"`
	Rows   int64  `json:"rows"`
	// Seconds covers sending every row until it is in published Parquet
	// files (OpenWit: acknowledged, then Flush), or committed (PostgreSQL).
	Seconds float64 `json:"seconds"`
	// AckSeconds is the part until the last acknowledgement (OpenWit).
	AckSeconds float64 `json:"ack_seconds,omitempty"`
	RowsPerSec float64 `json:"rows_per_sec"`
	// MBPerSecPerCore is the Arrow size of the rows (ArrowBytes) per second
	// and per core (GOMAXPROCS), in MB (10^6 bytes).
	MBPerSecPerCore float64 `json:"mb_per_sec_per_core"`
	// CPUSeconds is the CPU time (user + system) of this process during
	// the run: for OpenWit the client and the in-process node, for
	// PostgreSQL the client only. On a shared machine it is steadier than
	// wall time.
	CPUSeconds float64 `json:"cpu_seconds"`
	// FlushCPUSeconds is the part of CPUSeconds spent in the final flush
	// (OpenWit), which takes Seconds - AckSeconds of wall time: over that
	// times the cores, it says how busy the flush kept them.
	FlushCPUSeconds float64 `json:"flush_cpu_seconds,omitempty"`
	// FlushFaults and FlushGCs are the page faults (minor, the process's)
	// and garbage collections during the final flush: on fresh heap
	// memory every first touch of a page faults, which shows as slow
	// memmove and memclr in profiles.
	FlushFaults int64  `json:"flush_faults,omitempty"`
	FlushGCs    uint32 `json:"flush_gcs,omitempty"`
	// Files is how many live Parquet files hold the rows at the end
	// (OpenWit): one per hourly shard when each shard is flushed once,
	// more when late rows for a shard already flushed early make a second
	// file (design 061).
	Files int `json:"files,omitempty"`
	// Publishes is the Kafka consumer's partition publishes (catalog
	// transactions, each with its files) during the run (kafka).
	Publishes int64 `json:"publishes,omitempty"`
}

// processCPU returns this process's CPU time in seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// freshHeap collects garbage and returns the free heap to the OS, so
// every method starts as a fresh process would: it pays for growing the
// heap itself (a page fault at the first touch of each page). Without it
// a method inherited the heap the previous one grew, and the first
// method's flush cost up to 1.7x the next ones' CPU for the same work.
func freshHeap() { debug.FreeOSMemory() }

// processFaults returns this process's minor page faults so far.
func processFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt
}

// numGC returns the garbage collections completed so far.
func numGC() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}

// IngestReport is the outcome of RunIngest.
type IngestReport struct {
	Rows       int64          `json:"rows"`
	ArrowBytes int64          `json:"arrow_bytes"`
	Cores      int            `json:"cores"`
	Results    []IngestResult `json:"results"`
}

// Rate returns the rows/s of one engine and method (0 if absent).
func (r *IngestReport) Rate(engine, method string) float64 {
	for _, x := range r.Results {
		if x.Engine == engine && x.Method == method {
			return x.RowsPerSec
		}
	}
	return 0
}

// Ingest methods.
const (
	MethodEncode = "encode only"
	MethodFlight = "flight bulk ingest"
	// MethodFlightDeferred is Flight bulk ingest into a node that
	// publishes its files without index artifacts and runs no indexer
	// (--defer-index): the artifacts are left to the indexer role, which
	// a cluster runs on other nodes. It measures the ingest and storage
	// roles alone.
	MethodFlightDeferred = "flight index deferred"
	MethodCopyText       = "copy text"
	MethodCopyBinary     = "copy binary"
)

// IngestMethods are the ways of loading rows into an OpenWit node, in the
// order RunIngest runs them.
var IngestMethods = []string{MethodFlight, MethodFlightDeferred, MethodCopyText, MethodCopyBinary, MethodKafka}

// RunIngest measures sustained ingest of the synthetic logs with fsync
// before acknowledgement, until the rows are in published Parquet files:
// Arrow Flight SQL bulk ingest (one DoPut stream), COPY FROM STDIN in text
// and binary format (StatementRows rows per statement), JSON records from
// Kafka (MethodKafka), PostgreSQL 15 COPY
// into an unindexed table (text and binary), and the rate at which this
// process merely encodes the rows to Parquet on every core (the practical
// limit). Every OpenWit method runs on a fresh node.
func RunIngest(ctx context.Context, cfg IngestConfig) (*IngestReport, error) {
	if err := cfg.Gen.Validate(); err != nil {
		return nil, err
	}
	if cfg.StatementRows <= 0 {
		cfg.StatementRows = 250_000
	}
	say, nodeLog := outputs(cfg.Progress, cfg.NodeLogger)
	gen, err := NewGenerator(cfg.Gen)
	if err != nil {
		return nil, err
	}
	recs, err := gen.Generate(ctx, memory.DefaultAllocator, 0)
	if err != nil {
		return nil, err
	}
	defer Release(recs)
	rep := &IngestReport{Rows: cfg.Gen.Rows, Cores: runtime.GOMAXPROCS(0)}
	for _, r := range recs {
		rep.ArrowBytes += arrowSize(r)
	}
	add := func(r IngestResult) {
		r.RowsPerSec = float64(r.Rows) / r.Seconds
		r.MBPerSecPerCore = float64(rep.ArrowBytes) / 1e6 / r.Seconds / float64(rep.Cores)
		rep.Results = append(rep.Results, r)
		say("%s %s: %d rows in %.2fs (%.0f rows/s)", r.Engine, r.Method, r.Rows, r.Seconds, r.RowsPerSec)
	}
	say("generated %d rows (%.0f MB of Arrow buffers)", rep.Rows, float64(rep.ArrowBytes)/1e6)

	want := func(engine, method string) bool {
		return len(cfg.Methods) == 0 || slices.Contains(cfg.Methods, method) || slices.Contains(cfg.Methods, engine)
	}
	if want(EngineOpenWit, MethodEncode) {
		freshHeap()
		cpu := processCPU()
		secs, err := encodeOnly(ctx, recs, rep.Cores)
		if err != nil {
			return nil, err
		}
		add(IngestResult{Engine: EngineOpenWit, Method: MethodEncode, Rows: rep.Rows, Seconds: secs, CPUSeconds: processCPU() - cpu})
	}
	dir, err := os.MkdirTemp("", "openwit-bench-ingest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var statements [][]byte
	if want(EngineOpenWit, MethodCopyText) || want(EnginePostgres, "") {
		statements = renderCopyText(recs, cfg.StatementRows)
	}

	for i, method := range IngestMethods {
		if !want(EngineOpenWit, method) {
			continue
		}
		if method == MethodKafka {
			values := kafkaRecords(recs)
			freshHeap()
			res, err := ingestKafka(ctx, filepath.Join(dir, fmt.Sprintf("openwit-%d", i)), values, rep.Rows, say, nodeLog)
			if err != nil {
				return nil, err
			}
			add(res)
			continue
		}
		var tune []func(*node.Config)
		if method == MethodFlightDeferred {
			tune = append(tune, func(c *node.Config) {
				c.DeferIndex = true
				c.Roles = strings.Join([]string{node.RoleGateway, node.RoleCoordinator, node.RoleIngest, node.RoleStorage, node.RoleSearch}, ",")
			})
		}
		freshHeap()
		ow, err := startOpenWit(ctx, filepath.Join(dir, fmt.Sprintf("openwit-%d", i)), nodeLog, false, 0, "", "", tune...)
		if err != nil {
			return nil, err
		}
		cpu := processCPU()
		region := trace.StartRegion(ctx, method) // for --trace
		res, err := ingestOpenWit(ctx, ow, method, recs, statements, cfg.StatementRows)
		region.End()
		res.CPUSeconds = processCPU() - cpu
		if serr := ow.shutdown(); err == nil && serr != nil {
			err = serr
		}
		if err != nil {
			return nil, err
		}
		if res.Rows != rep.Rows {
			return nil, fmt.Errorf("openwit %s: %d rows acknowledged, want %d", method, res.Rows, rep.Rows)
		}
		add(res)
	}

	if !want(EnginePostgres, "") {
		return rep, nil
	}
	pgURL := cfg.PostgresURL
	if pgURL == "" {
		srv, err := pgserver.Start()
		if err != nil {
			return nil, fmt.Errorf("start postgresql: %w", err)
		}
		defer srv.Stop()
		pgURL = srv.DSN("")
	}
	for _, format := range []string{"text", "binary"} {
		cpu := processCPU()
		res, err := copyInto(ctx, EnginePostgres, pgURL, format, statements, recs, cfg.StatementRows)
		if err != nil {
			return nil, err
		}
		add(IngestResult{Engine: EnginePostgres, Method: "copy " + format, Rows: res.Rows, Seconds: res.Seconds, CPUSeconds: processCPU() - cpu})
	}
	return rep, nil
}

// ingestOpenWit loads the rows into a fresh node by one method and flushes
// them to Parquet.
func ingestOpenWit(ctx context.Context, ow *openWit, method string, recs []arrow.RecordBatch, statements [][]byte, perStmt int64) (IngestResult, error) {
	res := IngestResult{Engine: EngineOpenWit, Method: method}
	var start time.Time
	switch method {
	case MethodFlight, MethodFlightDeferred:
		if err := ow.createTable(ctx); err != nil {
			return res, err
		}
		start = time.Now()
		n, err := ow.ingest(ctx, recs)
		if err != nil {
			return res, err
		}
		res.Rows = n
	default:
		format := "text"
		if method == MethodCopyBinary {
			format = "binary"
		}
		// copyInto creates the table and checks the count afterwards; its
		// timing covers the COPY statements only.
		c, err := copyInto(ctx, EngineOpenWit, ow.DSN(), format, statements, recs, perStmt)
		if err != nil {
			return res, err
		}
		res.Rows = c.Rows
		start = time.Now().Add(-time.Duration(c.Seconds * float64(time.Second)))
	}
	res.AckSeconds = time.Since(start).Seconds()
	flushStart, flushCPU, faults, gcs := time.Now(), processCPU(), processFaults(), numGC()
	// The flush's goroutines inherit the labels: a CPU profile of the run
	// (--cpuprofile) tells each method's flush apart (pprof -tagfocus).
	var ferr error
	pprof.Do(ctx, pprof.Labels("method", method, "phase", "flush"), func(ctx context.Context) { ferr = ow.node.Flush(ctx) })
	if ferr != nil {
		return res, fmt.Errorf("flush openwit: %w", ferr)
	}
	res.Seconds = res.AckSeconds + time.Since(flushStart).Seconds()
	res.FlushCPUSeconds = processCPU() - flushCPU
	res.FlushFaults, res.FlushGCs = processFaults()-faults, numGC()-gcs
	files, err := ow.parquetFiles(ctx)
	if err != nil {
		return res, err
	}
	res.Files = len(files)
	// Every file has its artifact, except with the index deferred, where
	// none has one yet.
	for _, f := range files {
		_, err := os.Stat(f + ".idx")
		if has := err == nil; has == (method == MethodFlightDeferred) {
			return res, fmt.Errorf("openwit %s: %s has an index artifact: %v", method, filepath.Base(f), has)
		}
	}
	return res, nil
}

// encodeOnly encodes recs as OpenWit's Parquet files (pqfile.Write, zstd)
// on workers goroutines, each taking a contiguous run of batches, and
// returns the seconds taken.
func encodeOnly(ctx context.Context, recs []arrow.RecordBatch, workers int) (float64, error) {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, workers)
	per := (len(recs) + workers - 1) / workers
	for w := range workers {
		lo, hi := min(w*per, len(recs)), min((w+1)*per, len(recs))
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Files of at most 16 batches (1M rows), as a flush of a busy
			// shard writes them.
			for i := lo; i < hi && ctx.Err() == nil; i += 16 {
				if _, _, err := pqfile.Write(io.Discard, Schema, recs[i:min(i+16, hi)], pqfile.WriterOptions{}); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("encode parquet: %w", err)
		}
	}
	return time.Since(start).Seconds(), ctx.Err()
}

// arrowSize is the size of a batch's Arrow buffers.
func arrowSize(r arrow.RecordBatch) int64 {
	var n int64
	for _, c := range r.Columns() {
		for _, b := range c.Data().Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
	}
	return n
}
