package flightsql_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// benchRows reads a row count from the environment variable name (default
// def), so the benchmarks below can run small.
func benchRows(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive row count", name, v)
	}
	return n
}

// BenchmarkResultRows measures rows/s of one result (every row and column
// of the "logs" table: timestamptz, three texts, int4, float8) from one
// `openwit serve`, read by a Go client over Flight SQL (arrow-go's client;
// the executor's batches, and the row path for comparison) and over the
// PostgreSQL wire (pgx, binary format, scanned into Go values), next to
// the same rows and query read by pgx from a real PostgreSQL 15.
// OPENWIT_BENCH_ROWS sets the row count (default 10M).
//
//	go test ./gateway/flightsql -run '^$' -bench ResultRows -benchtime 3x
func BenchmarkResultRows(b *testing.B) {
	total := benchRows(b, "OPENWIT_BENCH_ROWS", 10_000_000)
	ctx := context.Background()
	srv := testserver.Start(b, testserver.Options{})
	cl := newClient(b, addr(srv))
	exec(b, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text) WITH (time_column = 'ts')`)
	const step = 500_000
	for from := 0; from < total; from += step {
		recs := logBatches(min(step, total-from), step)
		if n, err := putPath(b, cl.Client, []string{"logs"}, logSchema, recs...); err != nil || n != int64(min(step, total-from)) {
			b.Fatalf("load: %d rows, %v", n, err)
		}
		for _, r := range recs {
			r.Release()
		}
	}
	const q = `SELECT ts, service, level, status, latency_ms, msg FROM logs`
	report := func(b *testing.B, rows int64, start time.Time) {
		if rows != int64(total)*int64(b.N) {
			b.Fatalf("read %d rows, want %d", rows, int64(total)*int64(b.N))
		}
		b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
	}
	flightRun := func(sql string) func(b *testing.B) {
		return func(b *testing.B) {
			var rows int64
			start := time.Now()
			for b.Loop() {
				info, err := cl.Execute(ctx, sql)
				if err != nil {
					b.Fatal(err)
				}
				rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
				if err != nil {
					b.Fatal(err)
				}
				for rdr.Next() {
					rows += rdr.RecordBatch().NumRows()
				}
				if err := rdr.Err(); err != nil {
					b.Fatal(err)
				}
				rdr.Release()
			}
			report(b, rows, start)
		}
	}
	b.Run("flightsql", flightRun(q))
	b.Run("flightsql-rowpath", flightRun("SET openwit.vectorize = off; "+q))
	pgxRun := func(dsn string) func(b *testing.B) {
		return func(b *testing.B) {
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			var rows int64
			start := time.Now()
			for b.Loop() {
				res, err := conn.Query(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				var (
					ts            time.Time
					svc, lvl, msg *string
					status        *int32
					latency       *float64
				)
				for res.Next() {
					if err := res.Scan(&ts, &svc, &lvl, &status, &latency, &msg); err != nil {
						b.Fatal(err)
					}
					rows++
				}
				if err := res.Err(); err != nil {
					b.Fatal(err)
				}
			}
			report(b, rows, start)
		}
	}
	b.Run("pgwire", pgxRun(srv.DSN()))
	// The same rows and query on a real PostgreSQL 15 on this machine.
	pg := testpg.Start(b)
	dsn := pg.CreateDB(b, "stream")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`); err != nil {
		b.Fatal(err)
	}
	for from := 0; from < total; from += step {
		recs := logBatches(min(step, total-from), step)
		if n, err := conn.CopyFrom(ctx, pgx.Identifier{"logs"}, []string{"ts", "service", "level", "status", "latency_ms", "msg"}, &arrowCopySource{recs: recs}); err != nil || n != int64(min(step, total-from)) {
			b.Fatalf("load postgres: %d rows, %v", n, err)
		}
		for _, r := range recs {
			r.Release()
		}
	}
	conn.Close(ctx)
	b.Run("pgwire-postgres15", pgxRun(dsn))
}

// BenchmarkBulkIngest measures rows/s of loading the same log rows with
// ADBC's Flight SQL bulk ingest into `openwit serve` (WAL fsync before the
// acknowledgement) and with COPY (pgx CopyFrom, binary) into a real
// PostgreSQL 15 (logged table, no index, synchronous_commit on), both on
// this machine. OPENWIT_BENCH_INGEST_ROWS sets the rows per run (default
// 1M).
//
//	go test ./gateway/flightsql -run '^$' -bench BulkIngest -benchtime 3x
func BenchmarkBulkIngest(b *testing.B) {
	total := benchRows(b, "OPENWIT_BENCH_INGEST_ROWS", 1_000_000)
	ctx := context.Background()
	recs := logBatches(total, 100_000)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	report := func(b *testing.B, rows int64, start time.Time) {
		b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
	}
	const ddl = `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`

	b.Run("adbc-openwit", func(b *testing.B) {
		srv := testserver.Start(b, testserver.Options{})
		a := addr(srv)
		exec(b, newClient(b, a), ddl+` WITH (time_column = 'ts')`)
		cn := adbcConn(b, adbcDB(b, a, nil))
		var rows int64
		start := time.Now()
		for b.Loop() {
			st, err := cn.NewStatement()
			if err != nil {
				b.Fatal(err)
			}
			if err := st.SetOption(adbc.OptionKeyIngestTargetTable, "logs"); err != nil {
				b.Fatal(err)
			}
			if err := st.SetOption(adbc.OptionKeyIngestMode, adbc.OptionValueIngestModeAppend); err != nil {
				b.Fatal(err)
			}
			if err := st.BindStream(ctx, reader(b, logSchema, recs...)); err != nil {
				b.Fatal(err)
			}
			n, err := st.ExecuteUpdate(ctx)
			if err != nil || n != int64(total) {
				b.Fatalf("ingest: %d rows, %v", n, err)
			}
			rows += n
			st.Close()
		}
		report(b, rows, start)
	})

	b.Run("copy-postgres15", func(b *testing.B) {
		pg := testpg.Start(b)
		conn, err := pgx.Connect(ctx, pg.CreateDB(b, "bench"))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, ddl); err != nil {
			b.Fatal(err)
		}
		cols := []string{"ts", "service", "level", "status", "latency_ms", "msg"}
		var rows int64
		start := time.Now()
		for b.Loop() {
			n, err := conn.CopyFrom(ctx, pgx.Identifier{"logs"}, cols, &arrowCopySource{recs: recs})
			if err != nil || n != int64(total) {
				b.Fatalf("copy: %d rows, %v", n, err)
			}
			rows += n
		}
		report(b, rows, start)
	})
}

// arrowCopySource feeds log record batches to pgx's CopyFrom, reading the
// Arrow arrays directly.
type arrowCopySource struct {
	recs []arrow.RecordBatch
	rec  int
	row  int
	vals [6]any
}

func (s *arrowCopySource) Next() bool {
	for s.rec < len(s.recs) && s.row >= int(s.recs[s.rec].NumRows()) {
		s.rec, s.row = s.rec+1, 0
	}
	if s.rec >= len(s.recs) {
		return false
	}
	r, i := s.recs[s.rec], s.row
	s.vals[0] = r.Column(0).(*array.Timestamp).Value(i).ToTime(arrow.Microsecond)
	s.vals[1] = r.Column(1).(*array.String).Value(i)
	s.vals[2] = r.Column(2).(*array.String).Value(i)
	s.vals[3] = r.Column(3).(*array.Int32).Value(i)
	s.vals[4] = r.Column(4).(*array.Float64).Value(i)
	s.vals[5] = r.Column(5).(*array.String).Value(i)
	s.row++
	return true
}

func (s *arrowCopySource) Values() ([]any, error) { return s.vals[:], nil }
func (s *arrowCopySource) Err() error             { return nil }
