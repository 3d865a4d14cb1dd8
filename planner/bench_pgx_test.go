package planner_test

import (
	"context"
	"net"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/bench"
	"openwit/gateway"
	"openwit/gateway/pgwire"
)

// BenchmarkBenchQueriesPGX runs the queries of `openwit bench` as the bench
// does — pgx, simple protocol, every row read — against this package's
// engine behind a real PostgreSQL-wire server on a loopback port, over
// the same $OPENWIT_BENCH_ROWS rows as BenchmarkBenchQueries. It measures
// what a query costs the node end to end (parsing, planning, execution,
// encoding) plus the client; the per-query fixed cost shows in the
// small-result queries (select_star_limit, needle_trace, like_lock_rows):
//
//	go test ./planner -run '^$' -bench 'BenchQueriesPGX/(select_star_limit|like_lock_rows)$'
func BenchmarkBenchQueriesPGX(b *testing.B) {
	h := newHarness(b)
	gen := loadBenchGenerator(b, h)
	srv, err := pgwire.NewServer(pgwire.Config{Backend: &gateway.PGBackend{Engine: h.eng}, Trust: true})
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	b.Cleanup(func() {
		stop()
		_ = srv.Shutdown(context.Background())
		<-done
	})
	cfg, err := pgx.ParseConfig("postgres://openwit@" + l.Addr().String() + "/openwit?sslmode=disable")
	if err != nil {
		b.Fatal(err)
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(context.Background()) })
	for _, q := range bench.Queries(gen) {
		b.Run(q.Name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU(b)
			pprof.Do(ctx, pprof.Labels("query", q.Name), func(context.Context) {
				for b.Loop() {
					rows, err := conn.Query(ctx, q.SQL)
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for rows.Next() {
						if _, err := rows.Values(); err != nil {
							b.Fatal(err)
						}
						n++
					}
					if err := rows.Err(); err != nil {
						b.Fatalf("%s: %v", q.Name, err)
					}
					if n == 0 && q.Name != "needle_trace" {
						b.Fatalf("%s: no rows", q.Name)
					}
				}
			})
			// Wall time moves with the machine's load; the CPU the
			// process (server and client) spent per query is steadier.
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU returns the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
