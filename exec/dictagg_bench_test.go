package exec

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// logSchema is the shape of `openwit bench`'s logs for the low-cardinality
// aggregations: nullable dictionary-encoded strings and a number.
var logSchema = schemaOf(
	field("service", arrow.BinaryTypes.String), // 0: 20 skewed values
	field("host", arrow.BinaryTypes.String),    // 1: 200 values
	field("level", arrow.BinaryTypes.String),   // 2: 4 values
	field("latency_ms", arrow.PrimitiveTypes.Float64),
)

// logFiles writes nfiles Parquet files of rows rows each (one row group)
// into a new bucket.
func logFiles(tb testing.TB, nfiles, rows int) (*Params, []Source) {
	tb.Helper()
	bucket := newBucket(tb)
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewPCG(3, 3))
	levels := []string{"debug", "info", "info", "info", "info", "info", "warn", "error"}
	var srcs []Source
	for f := range nfiles {
		b := array.NewRecordBuilder(mem, logSchema)
		for range rows {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("service-%02d", int(math.Min(19, r.ExpFloat64()*4))))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("host-%03d", r.IntN(200)))
			b.Field(2).(*array.StringBuilder).Append(levels[r.IntN(len(levels))])
			b.Field(3).(*array.Float64Builder).Append(r.ExpFloat64())
		}
		rec := b.NewRecordBatch()
		b.Release()
		srcs = append(srcs, Source{File: writeParquet(tb, bucket, fmt.Sprintf("logs/f%02d.parquet", f), logSchema, []arrow.RecordBatch{rec}, int64(rows))})
		rec.Release()
	}
	return &Params{Mem: NewPool(), Bucket: bucket, Footers: NewFooterCache(64)}, srcs
}

// logQueries are the fragments the planner makes of bench's
// low-cardinality queries over logSchema (a GROUP BY reads its key back
// through first()), with their number of output rows.
func logQueries() []struct {
	name string
	f    Fragment
	rows int64
} {
	return []struct {
		name string
		f    Fragment
		rows int64
	}{
		{"count_errors", Fragment{Columns: []string{"level"}, Filter: cmpE(OpEq, Col(0), Str("error")),
			Agg: &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}}, 1},
		{"by_level", Fragment{Columns: []string{"level"},
			Agg: &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggFirst, Arg: Col(0)}}}}, 4},
		{"top_error_services", Fragment{Columns: []string{"service", "level"}, Filter: cmpE(OpEq, Col(1), Str("error")),
			Agg: &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}, {Func: AggFirst, Arg: Col(0)}}}}, 20},
		{"distinct_hosts", Fragment{Columns: []string{"host"},
			Agg: &AggSpec{Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(0)}}}}, 1},
	}
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkDictAgg runs bench's low-cardinality aggregations over 8
// Parquet files of 139k rows (the row group size of the 10M-row
// benchmark), one worker; cpu-ns/op is the CPU time per 1.1M rows.
func BenchmarkDictAgg(b *testing.B) {
	p, srcs := logFiles(b, 8, 139_000)
	for _, q := range logQueries() {
		b.Run(q.name, func(b *testing.B) {
			f := q.f
			f.Schema, f.Sources = logSchema, srcs
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				op, err := Run(context.Background(), *p, &f)
				if err != nil {
					b.Fatal(err)
				}
				if n := countRows(b, b.Context(), op); n != q.rows {
					b.Fatalf("%d rows, want %d", n, q.rows)
				}
			}
			// CPU time rather than wall time: the machine is shared.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
