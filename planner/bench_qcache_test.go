package planner_test

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSmallQuery runs small queries over a 1,000-row table through
// a session as the PostgreSQL wire's simple protocol does (Prepare, then
// Execute, every row read): their cost is mostly the per-query fixed
// cost — parsing, binding and analysis, starting the scan (design 063).
func BenchmarkSmallQuery(b *testing.B) {
	h := newHarness(b)
	h.mustQuery(`CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int, latency_ms float8, message text)`)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var sb []byte
	sb = append(sb, "INSERT INTO logs VALUES "...)
	for i := range 1000 {
		if i > 0 {
			sb = append(sb, ',')
		}
		sb = append(sb, "('"+start.Add(time.Duration(i)*time.Second).Format(time.RFC3339)+"', 'api', 'info', 200, 1.5, 'request served')"...)
	}
	h.mustQuery(string(sb))
	if err := h.ing.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, sql string }{
		{"limit", `SELECT * FROM logs LIMIT 10`},
		{"filter", `SELECT ts, message FROM logs WHERE status = 500 AND message LIKE '%lock%' LIMIT 100`},
		{"count", `SELECT count(*) FROM logs WHERE level = 'error'`},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := selfCPU(b)
			for b.Loop() {
				h.mustQuery(q.sql)
			}
			b.ReportMetric(float64(selfCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// selfCPU returns the user and system CPU time this process has used.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
