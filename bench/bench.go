package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"openwit/internal/pgserver"
	"openwit/version"
)

// Engine names, as --engines spells them.
const (
	EngineOpenWit  = "openwit"
	EngineDuckDB   = "duckdb"
	EnginePostgres = "postgres"
	// EngineOpenWitS3 is a second OpenWit node on an S3-compatible object
	// store with its local-disk read cache (bench/s3.go).
	EngineOpenWitS3 = "openwit-s3"
	// EngineOpenWitNoIndex is the openwit node restarted on the same files
	// with pruning by index artifacts off (the artifacts stay built), to
	// measure in one run what they save.
	EngineOpenWitNoIndex = "openwit-noindex"
)

// AllEngines lists the engines in report order.
var AllEngines = []string{EngineOpenWit, EngineDuckDB, EnginePostgres, EngineOpenWitS3, EngineOpenWitNoIndex}

// DefaultEngines are the engines `openwit bench` runs unless told.
var DefaultEngines = []string{EngineOpenWit, EngineDuckDB, EnginePostgres}

// Config configures one benchmark run.
type Config struct {
	Gen GenConfig
	// Runs is the number of timed runs per query, after one warm-up.
	Runs int
	// Engines selects the engines that run queries. DuckDB reads the
	// Parquet files OpenWit writes, and openwit-noindex is OpenWit's node
	// restarted without index pruning, so selecting either loads OpenWit
	// too.
	Engines []string
	// PostgresURL is a PostgreSQL database to use (its schema
	// openwit_bench is dropped and recreated); empty starts a scratch
	// server from the installed PostgreSQL 15 binaries.
	PostgresURL string
	// DuckDBBin is the openwit-duckdb program.
	DuckDBBin string
	// S3URL is the object store of the openwit-s3 engine, an s3:// URL
	// as --object-store takes it (credentials from the AWS environment);
	// empty starts a scratch versitygw from VersitygwBin.
	S3URL        string
	VersitygwBin string
	// WorkDir holds OpenWit's data dir (WORKDIR/openwit, which must not
	// exist yet); empty uses a new temporary directory. What Run creates
	// is removed at the end unless Keep.
	WorkDir string
	Keep    bool
	// NoIndex runs OpenWit without pruning by index artifacts
	// (--index-cache-size 0), to measure what they save.
	NoIndex bool
	// LoadChunkRows, when positive, generates and loads the rows in chunks
	// of about this many rows (whole batches) instead of all at once, so
	// that memory holds one chunk: OpenWit flushes each chunk to Parquet
	// (files follow the time shards; a chunk boundary inside an hour gives
	// that hour two files) and PostgreSQL copies it.
	LoadChunkRows int64
	// Only, when not empty, names the queries to run (all by default).
	Only []string
	// QueryTimeout bounds one run of one query.
	QueryTimeout time.Duration
	// NodeLogger receives the in-process OpenWit node's logs (nil: errors
	// only, to stderr).
	NodeLogger *slog.Logger
	// Progress receives progress lines (nil: discarded).
	Progress io.Writer
}

// DefaultConfig returns the defaults of `openwit bench`.
func DefaultConfig() Config {
	return Config{
		Gen:          GenConfig{Rows: 10_000_000, Seed: 1, Days: 3, BatchSize: 65536},
		Runs:         5,
		Engines:      slices.Clone(DefaultEngines),
		DuckDBBin:    "bin/openwit-duckdb",
		VersitygwBin: "bin/versitygw",
		QueryTimeout: 10 * time.Minute,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if err := c.Gen.Validate(); err != nil {
		return err
	}
	if c.Runs < 1 {
		return errors.New("runs must be at least 1")
	}
	if c.LoadChunkRows < 0 {
		return errors.New("load chunk rows must not be negative")
	}
	if len(c.Engines) == 0 {
		return errors.New("no engines selected")
	}
	for _, e := range c.Engines {
		if !slices.Contains(AllEngines, e) {
			return fmt.Errorf("unknown engine %q (known: %s)", e, strings.Join(AllEngines, ", "))
		}
	}
	if c.has(EngineDuckDB) {
		if _, err := os.Stat(c.DuckDBBin); err != nil {
			return fmt.Errorf("duckdb program: %w (build it: cd bench/duckdb && go build -o ../../bin/openwit-duckdb .)", err)
		}
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = 10 * time.Minute
	}
	return nil
}

func (c *Config) has(engine string) bool { return slices.Contains(c.Engines, engine) }

// Report is the outcome of a run (also written by --json).
type Report struct {
	Rows      int64             `json:"rows"`
	Seed      uint64            `json:"seed"`
	Days      int               `json:"days"`
	Runs      int               `json:"runs"`
	Engines   []string          `json:"engines"`
	StartedAt time.Time         `json:"started_at"`
	Versions  map[string]string `json:"versions"`
	// GenerateSeconds is the time to generate every row in memory (in
	// all chunks).
	GenerateSeconds float64       `json:"generate_seconds"`
	Load            []LoadResult  `json:"load"`
	ParquetFiles    int           `json:"parquet_files"`
	Queries         []QueryReport `json:"queries"`
	// Geometric means over the queries both engines answered.
	GeomeanOpenWitVsDuckDB   float64 `json:"geomean_openwit_vs_duckdb,omitempty"`
	GeomeanPostgresVsOpenWit float64 `json:"geomean_postgres_vs_openwit,omitempty"`
	// GeomeanS3VsLocal: openwit-s3's warm median over openwit's.
	GeomeanS3VsLocal float64 `json:"geomean_s3_vs_local,omitempty"`
	// GeomeanNoIndexVsIndex: openwit-noindex's median over openwit's.
	GeomeanNoIndexVsIndex float64 `json:"geomean_noindex_vs_index,omitempty"`
	Mismatches            int     `json:"mismatches"`
	Failures              int     `json:"failures"`
}

// LoadResult is one load step.
type LoadResult struct {
	Engine     string  `json:"engine"`
	Step       string  `json:"step"` // "flight sql bulk ingest", "flush to parquet", "copy", "analyze"
	Rows       int64   `json:"rows,omitempty"`
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_sec,omitempty"`
}

// QueryReport is one query on every engine.
type QueryReport struct {
	Name    string                   `json:"name"`
	SQL     string                   `json:"sql"`
	Results map[string]*EngineResult `json:"results"`
	// Mismatches describes each engine whose result differs from the
	// reference (PostgreSQL, else DuckDB, else OpenWit).
	Mismatches map[string]string `json:"mismatches,omitempty"`

	query Query
}

// EngineResult is one query on one engine.
type EngineResult struct {
	MedianMs float64 `json:"median_ms,omitempty"`
	// ColdMs is the warm-up run, the first time the engine saw the query
	// (for openwit-s3: with the read cache as the load left it).
	ColdMs   float64     `json:"cold_ms,omitempty"`
	TimesMs  []float64   `json:"times_ms,omitempty"`
	RowCount int         `json:"row_count"`
	Error    string      `json:"error,omitempty"`
	Rows     [][]*string `json:"-"`
	// ColdRequests and WarmRequests count what openwit-s3 asked of the
	// object store in the warm-up run and in all the measured runs after
	// it (only with the scratch server, whose requests are counted).
	ColdRequests *S3Requests `json:"cold_requests,omitempty"`
	WarmRequests *S3Requests `json:"warm_requests,omitempty"`
}

// Run runs the benchmark. Query errors and mismatches are recorded in the
// report (Failures, Mismatches); the error is for setup failures.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	say, nodeLog := outputs(cfg.Progress, cfg.NodeLogger)
	gen, err := NewGenerator(cfg.Gen)
	if err != nil {
		return nil, err
	}
	queries := Queries(gen)
	if len(cfg.Only) > 0 {
		var kept []Query
		for _, q := range queries {
			if slices.Contains(cfg.Only, q.Name) {
				kept = append(kept, q)
			}
		}
		if len(kept) == 0 {
			return nil, fmt.Errorf("bench: no query named %s", strings.Join(cfg.Only, ", "))
		}
		queries = kept
	}
	rep = &Report{Rows: cfg.Gen.Rows, Seed: cfg.Gen.Seed, Days: cfg.Gen.Days, Runs: cfg.Runs, Engines: cfg.Engines,
		StartedAt: time.Now().UTC(), Versions: map[string]string{EngineOpenWit: version.Version}}
	for _, q := range queries {
		rep.Queries = append(rep.Queries, QueryReport{Name: q.Name, SQL: q.SQL, Results: map[string]*EngineResult{}, query: q})
	}

	// OpenWit's data dir is WorkDir/openwit; only what Run creates is
	// removed.
	workDir, cleanup := cfg.WorkDir, ""
	if workDir == "" {
		if workDir, err = os.MkdirTemp("", "openwit-bench-"); err != nil {
			return nil, err
		}
		cleanup = workDir
	}
	dataDir := filepath.Join(workDir, "openwit")
	if _, err := os.Stat(dataDir); err == nil {
		return nil, fmt.Errorf("%s exists (from a --keep run?): remove it or choose another work dir", dataDir)
	}
	if cleanup == "" {
		cleanup = dataDir
	}
	if !cfg.Keep {
		defer os.RemoveAll(cleanup)
	} else {
		defer say("kept %s", dataDir)
	}

	// The rows are generated and loaded in chunks of whole batches
	// (cfg.LoadChunkRows; one chunk by default), so that a data set larger
	// than memory can be loaded: each chunk is generated, loaded into every
	// engine (OpenWit flushes it to Parquet) and released before the next.
	chunks := chunkBatches(gen.NumBatches(), cfg.Gen.BatchSize, cfg.LoadChunkRows)
	var recs []arrow.RecordBatch
	defer func() { Release(recs) }()
	genChunk := func(c [2]int) error {
		start := time.Now()
		var err error
		if recs, err = gen.GenerateRange(ctx, memory.DefaultAllocator, 0, c[0], c[1]); err != nil {
			return err
		}
		rep.GenerateSeconds += time.Since(start).Seconds()
		return nil
	}
	if err := genChunk(chunks[0]); err != nil {
		return nil, err
	}
	// Engines are sized for the largest chunk, the first.
	chunkBytes := dataBytes(recs)
	if len(chunks) == 1 {
		say("generated %d rows in %.1fs (seed %d, %d days)", cfg.Gen.Rows, rep.GenerateSeconds, cfg.Gen.Seed, cfg.Gen.Days)
	} else {
		say("loading %d rows (seed %d, %d days) in %d chunks of up to %d rows", cfg.Gen.Rows, cfg.Gen.Seed, cfg.Gen.Days, len(chunks), recRows(recs))
	}
	addLoad := func(l LoadResult) {
		if l.Rows > 0 && l.Seconds > 0 {
			l.RowsPerSec = float64(l.Rows) / l.Seconds
		}
		rep.Load = append(rep.Load, l)
		if l.RowsPerSec > 0 {
			say("%s: %s: %d rows in %.2fs (%.0f rows/s)", l.Engine, l.Step, l.Rows, l.Seconds, l.RowsPerSec)
		} else {
			say("%s: %s in %.2fs", l.Engine, l.Step, l.Seconds)
		}
	}

	// OpenWit: bulk ingest over Flight SQL, then flush to Parquet.
	var ow *openWit
	var files []string
	if cfg.has(EngineOpenWit) || cfg.has(EngineDuckDB) || cfg.has(EngineOpenWitNoIndex) {
		if ow, err = startOpenWit(ctx, dataDir, nodeLog, cfg.NoIndex, chunkBytes, "", ""); err != nil {
			return nil, err
		}
		defer func() {
			if ow == nil {
				return
			}
			if serr := ow.shutdown(); serr != nil && err == nil {
				err = fmt.Errorf("stop openwit: %w", serr)
			}
		}()
		if err := ow.createTable(ctx); err != nil {
			return nil, err
		}
	}

	// OpenWit on an S3-compatible store: the same load into a second node.
	var (
		ows3 *openWit
		s3c  *s3Counter // nil with --s3
	)
	if cfg.has(EngineOpenWitS3) {
		store := cfg.S3URL
		if store == "" {
			const bucket = "openwit-bench"
			gwDir := filepath.Join(workDir, "versitygw")
			if !cfg.Keep && cleanup != workDir {
				defer os.RemoveAll(gwDir)
			}
			srv, err := startVersitygw(ctx, cfg.VersitygwBin, gwDir, bucket)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			setScratchCredentials()
			// The node reaches the server through a proxy that counts its
			// requests (the warm runs' object reads, in the report).
			if s3c, err = startS3Counter(srv.endpoint); err != nil {
				return nil, err
			}
			defer s3c.close()
			store = s3StoreURL(s3c.endpoint, bucket, "openwit")
			say("openwit-s3: scratch versitygw at %s (requests counted through %s)", srv.endpoint, s3c.endpoint)
		}
		s3Dir := filepath.Join(workDir, "openwit-s3")
		if _, err := os.Stat(s3Dir); err == nil {
			return nil, fmt.Errorf("%s exists (from a --keep run?): remove it or choose another work dir", s3Dir)
		}
		if !cfg.Keep && cleanup != workDir {
			defer os.RemoveAll(s3Dir)
		}
		if ows3, err = startOpenWit(ctx, s3Dir, nodeLog, cfg.NoIndex, chunkBytes, store, filepath.Join(s3Dir, "cache")); err != nil {
			return nil, err
		}
		defer func() {
			if serr := ows3.shutdown(); serr != nil && err == nil {
				err = fmt.Errorf("stop openwit-s3: %w", serr)
			}
		}()
		if err := ows3.createTable(ctx); err != nil {
			return nil, err
		}
	}

	// PostgreSQL: COPY, then ANALYZE.
	var pgConn *pgx.Conn
	pgDSN := cfg.PostgresURL
	if cfg.has(EnginePostgres) {
		if pgDSN == "" {
			srv, err := pgserver.Start()
			if err != nil {
				return nil, fmt.Errorf("start postgresql: %w", err)
			}
			defer srv.Stop()
			pgDSN = srv.DSN("")
			say("postgres: scratch server on port %d", srv.Port)
		}
		if pgConn, err = connectPG(ctx, pgDSN, true); err != nil {
			return nil, fmt.Errorf("connect to postgresql: %w", err)
		}
		defer func() { pgConn.Close(context.Background()) }()
		if err := createPostgres(ctx, pgConn); err != nil {
			return nil, err
		}
	}

	var owTotals, s3Totals owLoad
	var pgCopy time.Duration
	for ci := range chunks {
		if ci > 0 {
			if err := genChunk(chunks[ci]); err != nil {
				return nil, err
			}
		}
		if ow != nil {
			if err := ow.loadChunk(ctx, EngineOpenWit, recs, &owTotals); err != nil {
				return nil, err
			}
		}
		if ows3 != nil {
			if err := ows3.loadChunk(ctx, EngineOpenWitS3, recs, &s3Totals); err != nil {
				return nil, err
			}
		}
		if pgConn != nil {
			d, err := copyPostgres(ctx, pgConn, recs)
			if err != nil {
				return nil, err
			}
			pgCopy += d
		}
		Release(recs)
		recs = nil
		if len(chunks) > 1 {
			say("chunk %d/%d loaded", ci+1, len(chunks))
		}
	}
	if len(chunks) > 1 {
		say("generated %d rows in %.1fs in all", cfg.Gen.Rows, rep.GenerateSeconds)
	}
	for _, t := range []struct {
		engine string
		tot    *owLoad
		on     bool
	}{{EngineOpenWit, &owTotals, ow != nil}, {EngineOpenWitS3, &s3Totals, ows3 != nil}} {
		if !t.on {
			continue
		}
		if t.tot.rows != cfg.Gen.Rows {
			return nil, fmt.Errorf("%s bulk ingest acknowledged %d rows, sent %d", t.engine, t.tot.rows, cfg.Gen.Rows)
		}
		addLoad(LoadResult{Engine: t.engine, Step: "flight sql bulk ingest", Rows: t.tot.rows, Seconds: t.tot.ingest.Seconds()})
		addLoad(LoadResult{Engine: t.engine, Step: "flush to parquet", Seconds: t.tot.flush.Seconds()})
	}
	if ow != nil {
		if files, err = ow.parquetFiles(ctx); err != nil {
			return nil, err
		}
		rep.ParquetFiles = len(files)
		say("openwit: %d parquet files under %s", len(files), filepath.Join(ow.dataDir, "objects"))
	}
	if pgConn != nil {
		addLoad(LoadResult{Engine: EnginePostgres, Step: "copy", Rows: cfg.Gen.Rows, Seconds: pgCopy.Seconds()})
		start := time.Now()
		if _, err := pgConn.Exec(ctx, "ANALYZE logs"); err != nil {
			return nil, fmt.Errorf("postgres analyze: %w", err)
		}
		addLoad(LoadResult{Engine: EnginePostgres, Step: "analyze", Seconds: time.Since(start).Seconds()})
		var v string
		if err := pgConn.QueryRow(ctx, "SHOW server_version").Scan(&v); err == nil {
			rep.Versions[EnginePostgres] = v
		}
	}

	// Queries, one engine at a time.
	// OpenWit on local disk and on S3 run each query in turn, so that a
	// change of load on a shared machine hits both sides of their ratio.
	if cfg.has(EngineOpenWit) || cfg.has(EngineOpenWitS3) {
		var local, remote *pgRunner
		if cfg.has(EngineOpenWit) {
			say("openwit: running %d queries (%d runs each after a warm-up)", len(queries), cfg.Runs)
			local = &pgRunner{dsn: ow.DSN(), postgres: false, runs: cfg.Runs, timeout: cfg.QueryTimeout}
			defer local.close()
		}
		if cfg.has(EngineOpenWitS3) {
			say("openwit-s3: running %d queries (%d runs each after a warm-up)", len(queries), cfg.Runs)
			remote = &pgRunner{dsn: ows3.DSN(), postgres: false, runs: cfg.Runs, timeout: cfg.QueryTimeout, counter: s3c}
			defer remote.close()
		}
		for i := range rep.Queries {
			if local != nil {
				rep.Queries[i].Results[EngineOpenWit] = local.run(ctx, queries[i])
			}
			if remote != nil {
				rep.Queries[i].Results[EngineOpenWitS3] = remote.run(ctx, queries[i])
			}
		}
	}
	if cfg.has(EngineDuckDB) {
		say("duckdb: running %d queries over %d parquet files", len(queries), len(files))
		req := duckRequest{Files: files, Warmup: 1, Runs: cfg.Runs, TimeoutMs: cfg.QueryTimeout.Milliseconds()}
		for _, q := range queries {
			req.Queries = append(req.Queries, duckQuery{Name: q.Name, SQL: q.SQL})
		}
		resp, err := runDuckDB(ctx, cfg.DuckDBBin, req)
		if err != nil {
			return nil, err
		}
		rep.Versions[EngineDuckDB] = resp.Version
		for i, r := range resp.Results {
			rep.Queries[i].Results[EngineDuckDB] = &EngineResult{TimesMs: r.TimesMs, MedianMs: median(r.TimesMs),
				Rows: r.Rows, RowCount: len(r.Rows), Error: r.Error}
		}
	}
	if cfg.has(EnginePostgres) {
		say("postgres: running %d queries", len(queries))
		r := &pgRunner{dsn: pgDSN, postgres: true, runs: cfg.Runs, timeout: cfg.QueryTimeout}
		for i := range rep.Queries {
			rep.Queries[i].Results[EnginePostgres] = r.run(ctx, queries[i])
		}
		r.close()
	}
	// Last, so that the other engines ran on the node and files as loaded:
	// the same node restarted on its data dir without index pruning.
	if cfg.has(EngineOpenWitNoIndex) {
		serr := ow.shutdown()
		ow = nil
		if serr != nil {
			return nil, fmt.Errorf("stop openwit: %w", serr)
		}
		if ow, err = startOpenWit(ctx, dataDir, nodeLog, true, chunkBytes, "", ""); err != nil {
			return nil, err
		}
		say("openwit-noindex: running %d queries (%d runs each after a warm-up)", len(queries), cfg.Runs)
		r := &pgRunner{dsn: ow.DSN(), postgres: false, runs: cfg.Runs, timeout: cfg.QueryTimeout}
		for i := range rep.Queries {
			rep.Queries[i].Results[EngineOpenWitNoIndex] = r.run(ctx, queries[i])
		}
		r.close()
	}
	rep.compare()
	return rep, nil
}

// pgRunner runs queries over the PostgreSQL wire (OpenWit or PostgreSQL),
// reconnecting after a query that broke the connection.
type pgRunner struct {
	dsn      string
	postgres bool
	runs     int
	timeout  time.Duration
	conn     *pgx.Conn
	// counter, if any, counts the object store requests of the engine.
	counter *s3Counter
}

func (r *pgRunner) run(ctx context.Context, q Query) *EngineResult {
	res := &EngineResult{}
	var rows [][]any
	before := r.counter.requests()
	for i := range 1 + r.runs {
		if r.conn == nil || r.conn.IsClosed() {
			conn, err := connectPG(ctx, r.dsn, r.postgres)
			if err != nil {
				res.Error = "connect: " + err.Error()
				return res
			}
			r.conn = conn
		}
		qctx, cancel := context.WithTimeout(ctx, r.timeout)
		start := time.Now()
		got, err := fetchPG(qctx, r.conn, q.SQL)
		elapsed := time.Since(start)
		cancel()
		if err != nil {
			res.Error = err.Error()
			return res
		}
		if i > 0 {
			res.TimesMs = append(res.TimesMs, float64(elapsed.Microseconds())/1000)
		} else {
			res.ColdMs = float64(elapsed.Microseconds()) / 1000
			if r.counter != nil {
				now := r.counter.requests()
				cold := now.sub(before)
				res.ColdRequests, before = &cold, now
			}
		}
		rows = got
	}
	if r.counter != nil && r.runs > 0 {
		warm := r.counter.requests().sub(before)
		res.WarmRequests = &warm
	}
	res.MedianMs = median(res.TimesMs)
	res.RowCount = len(rows)
	res.Rows = make([][]*string, len(rows))
	for i, r := range rows {
		res.Rows[i] = make([]*string, len(r))
		for j, v := range r {
			res.Rows[i][j] = FormatValue(v)
		}
	}
	return res
}

func fetchPG(ctx context.Context, conn *pgx.Conn, sql string) ([][]any, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

func (r *pgRunner) close() {
	if r.conn != nil {
		r.conn.Close(context.Background())
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// compare checks every query's results against the reference engine and
// counts failures and mismatches.
func (rep *Report) compare() {
	rep.Mismatches, rep.Failures = 0, 0
	for i := range rep.Queries {
		q := &rep.Queries[i]
		q.Mismatches = nil
		ref := ""
		for _, e := range []string{EnginePostgres, EngineDuckDB, EngineOpenWit} {
			if r := q.Results[e]; r != nil && r.Error == "" && ref == "" {
				ref = e
			}
		}
		for _, e := range AllEngines {
			r := q.Results[e]
			if r == nil {
				continue
			}
			if r.Error != "" {
				rep.Failures++
				continue
			}
			if e == ref {
				continue
			}
			if d := compareRows(q.query, q.Results[ref].Rows, r.Rows, ref, e); d != "" {
				if q.Mismatches == nil {
					q.Mismatches = map[string]string{}
				}
				q.Mismatches[e] = d
				rep.Mismatches++
			}
		}
	}
	rep.GeomeanOpenWitVsDuckDB = rep.geomean(EngineOpenWit, EngineDuckDB)
	rep.GeomeanPostgresVsOpenWit = rep.geomean(EnginePostgres, EngineOpenWit)
	rep.GeomeanS3VsLocal = rep.geomean(EngineOpenWitS3, EngineOpenWit)
	rep.GeomeanNoIndexVsIndex = rep.geomean(EngineOpenWitNoIndex, EngineOpenWit)
}

// ratio is a's median over b's for query q; ok is false unless both ran.
func (q *QueryReport) ratio(a, b string) (float64, bool) {
	ra, rb := q.Results[a], q.Results[b]
	if ra == nil || rb == nil || ra.Error != "" || rb.Error != "" || ra.MedianMs <= 0 || rb.MedianMs <= 0 {
		return 0, false
	}
	return ra.MedianMs / rb.MedianMs, true
}

func (rep *Report) geomean(a, b string) float64 {
	var logs []float64
	for i := range rep.Queries {
		if r, ok := rep.Queries[i].ratio(a, b); ok {
			logs = append(logs, math.Log(r))
		}
	}
	if len(logs) == 0 {
		return 0
	}
	var s float64
	for _, l := range logs {
		s += l
	}
	return math.Exp(s / float64(len(logs)))
}

// outputs returns a printf-style line writer on a run's progress writer
// (nil: discard) and the in-process node's logger (nil: errors to
// stderr).
func outputs(progress io.Writer, nodeLog *slog.Logger) (func(format string, args ...any), *slog.Logger) {
	if progress == nil {
		progress = io.Discard
	}
	if nodeLog == nil {
		nodeLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	return func(format string, args ...any) { fmt.Fprintf(progress, format+"\n", args...) }, nodeLog
}

// chunkBatches splits batches 0..n-1 of batchSize rows into ranges of about
// chunkRows rows (at least one batch each); chunkRows <= 0 is one range.
func chunkBatches(n, batchSize int, chunkRows int64) [][2]int {
	per := n
	if chunkRows > 0 {
		per = max(1, int(chunkRows/int64(batchSize)))
	}
	var out [][2]int
	for lo := 0; lo < n; lo += per {
		out = append(out, [2]int{lo, min(lo+per, n)})
	}
	if len(out) == 0 {
		out = append(out, [2]int{0, 0})
	}
	return out
}

func recRows(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}
