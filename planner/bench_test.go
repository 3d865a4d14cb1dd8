package planner_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/bench"
	"openwit/ingest"
)

// benchRows is the table size of BenchmarkQueries ($OPENWIT_BENCH_ROWS,
// default 1M).
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("OPENWIT_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1 << 20
}

// loadBenchLogs writes n synthetic log rows over 3 days straight through
// the ingester (one batch per hourly shard) and flushes them to Parquet.
func loadBenchLogs(b *testing.B, h *harness, n int) {
	h.mustQuery(`CREATE TABLE logs (ts timestamptz NOT NULL, service text, host text, level text, status int4, latency_ms float8, trace_id text, message text) WITH (time_column = 'ts')`)
	ctx := context.Background()
	def, err := h.eng.TableDef(ctx, "logs")
	if err != nil {
		b.Fatal(err)
	}
	schema, err := h.eng.ArrowSchema(def)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	const hours = 72
	per := n / hours
	levels := []string{"debug", "info", "info", "info", "info", "info", "warn", "error"}
	msgs := []string{"request served", "cache miss for key", "upstream timeout after 30s", "user logged in", "connection reset by peer", "slow query"}
	for hr := 0; hr < hours; hr++ {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := 0; i < per; i++ {
			ts := start + int64(hr)*3600e6 + rng.Int64N(3600e6)
			bld.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
			svc := int(math.Min(19, rng.ExpFloat64()*4))
			bld.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("service-%02d", svc))
			bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("host-%03d", rng.IntN(200)))
			lvl := levels[rng.IntN(len(levels))]
			bld.Field(3).(*array.StringBuilder).Append(lvl)
			st := int32(200)
			if lvl == "error" {
				st = 500
			}
			bld.Field(4).(*array.Int32Builder).Append(st)
			bld.Field(5).(*array.Float64Builder).Append(math.Exp(rng.NormFloat64() + 3))
			bld.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))
			// Templated messages with variables: too many distinct
			// values for a dictionary, like real logs.
			bld.Field(7).(*array.StringBuilder).Append(fmt.Sprintf("%s (request %d, %d bytes)", msgs[rng.IntN(len(msgs))], rng.IntN(1<<30), rng.IntN(1<<16)))
		}
		rec := bld.NewRecordBatch()
		bld.Release()
		shard := ingest.ShardOf(def, start+int64(hr)*3600e6)
		if err := h.ing.Insert(ctx, def.ID, []ingest.Part{{Shard: shard, Rec: rec}}); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	if err := h.ing.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkQueries runs log-analytics queries over flushed data in the
// vectorized executor and in the row engine; compare with benchstat.
func BenchmarkQueries(b *testing.B) {
	h := newHarness(b)
	loadBenchLogs(b, h, benchRows())
	queries := []struct{ name, sql string }{
		{"count", `SELECT count(*) FROM logs`},
		{"filtered_count", `SELECT count(*) FROM logs WHERE level = 'error'`},
		{"group_by_level", `SELECT level, count(*) FROM logs GROUP BY level ORDER BY level`},
		{"top_services_by_errors", `SELECT service, count(*) AS errors FROM logs WHERE level = 'error' GROUP BY service ORDER BY errors DESC, service LIMIT 10`},
		{"p95_per_service", `SELECT service, percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FROM logs GROUP BY service ORDER BY service`},
		{"per_minute", `SELECT date_trunc('minute', ts) AS m, count(*) FROM logs WHERE ts < '2024-01-02 00:00:00+00' GROUP BY 1 ORDER BY 1`},
		{"distinct_hosts", `SELECT count(DISTINCT host) FROM logs`},
		{"needle", `SELECT * FROM logs WHERE trace_id = '0123456789abcdef0123456789abcdef'`},
		{"like_timeout", `SELECT count(*) FROM logs WHERE message LIKE '%timeout%'`},
		{"top10_slowest", `SELECT ts, service, latency_ms FROM logs ORDER BY latency_ms DESC LIMIT 10`},
		{"hour_range_group", `SELECT service, count(*), avg(latency_ms) FROM logs WHERE ts >= '2024-01-02 10:00:00+00' AND ts < '2024-01-02 11:00:00+00' GROUP BY service ORDER BY service`},
	}
	for _, mode := range []string{"on", "off"} {
		if mode == "off" && os.Getenv("OPENWIT_BENCH_ROW_ENGINE") == "" {
			continue
		}
		h.mustQuery("SET openwit.vectorize = " + mode)
		for _, q := range queries {
			b.Run(fmt.Sprintf("vectorize=%s/%s", mode, q.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					h.mustQuery(q.sql)
				}
			})
		}
	}
}

// BenchmarkBenchQueries runs the queries of `openwit bench` (package bench:
// same generator, same SQL) over $OPENWIT_BENCH_ROWS rows (default 1Mi)
// loaded through the ingester and flushed to Parquet with their index
// artifacts, as a node publishes them. Profile one query with
// -bench 'BenchQueries/distinct_hosts' -cpuprofile cpu.out, or all of them
// and pick one with go tool pprof -tagfocus query=distinct_hosts.
func BenchmarkBenchQueries(b *testing.B) {
	h := newHarness(b)
	gen := loadBenchGenerator(b, h)
	ctx := context.Background()
	for _, q := range bench.Queries(gen) {
		b.Run(q.Name, func(b *testing.B) {
			b.ReportAllocs()
			// The label separates the queries in one profile:
			// go tool pprof -tagfocus query=NAME.
			pprof.Do(ctx, pprof.Labels("query", q.Name), func(context.Context) {
				for b.Loop() {
					h.mustQuery(q.SQL)
				}
			})
		})
	}
}

// loadBenchGenerator loads the rows of `openwit bench`'s generator
// ($OPENWIT_BENCH_ROWS, default 1Mi) through the ingester and flushes them
// to Parquet with their index artifacts, as a node publishes them.
func loadBenchGenerator(b *testing.B, h *harness) *bench.Generator {
	// $OPENWIT_BENCH_DAYS (default 3) sets the rows per hourly file:
	// 3.3M rows over 1 day make files of the size 10M rows over 3 days do.
	days := 3
	if n, err := strconv.Atoi(os.Getenv("OPENWIT_BENCH_DAYS")); err == nil && n > 0 {
		days = n
	}
	gen, err := bench.NewGenerator(bench.GenConfig{Rows: int64(benchRows()), Seed: 1, Days: days, BatchSize: 65536})
	if err != nil {
		b.Fatal(err)
	}
	h.mustQuery(bench.CreateTableSQL)
	ctx := context.Background()
	def, err := h.eng.TableDef(ctx, "logs")
	if err != nil {
		b.Fatal(err)
	}
	for i := range gen.NumBatches() {
		rec := gen.Batch(memory.DefaultAllocator, i)
		// Timestamps ascend, so each shard's rows are contiguous.
		ts := rec.Column(0).(*array.Timestamp)
		var parts []ingest.Part
		start := 0
		for j := 1; j <= ts.Len(); j++ {
			if j == ts.Len() || ingest.ShardOf(def, int64(ts.Value(j))) != ingest.ShardOf(def, int64(ts.Value(start))) {
				parts = append(parts, ingest.Part{Shard: ingest.ShardOf(def, int64(ts.Value(start))), Rec: rec.NewSlice(int64(start), int64(j))})
				start = j
			}
		}
		if err := h.ing.Insert(ctx, def.ID, parts); err != nil {
			b.Fatal(err)
		}
		for _, p := range parts {
			p.Rec.Release()
		}
		rec.Release()
	}
	if err := h.ing.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	return gen
}
