package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/ingest"
)

// BenchmarkNumericQueries runs filters and aggregates over numeric columns
// end to end over $OPENWIT_BENCH_ROWS rows (default 200,000) flushed to
// Parquet, with openwit.vectorize on and off (design 087). The answers of
// both engines are checked equal before timing; compare with benchstat.
func BenchmarkNumericQueries(b *testing.B) {
	h := numericBenchTable(b)
	queries := []struct{ name, sql string }{
		{"filter_sum", `SELECT count(*), sum(amount) FROM nb WHERE amount > 5000.50`},
		{"filter_avg_group", `SELECT svc, avg(amount), max(rate) FROM nb WHERE rate BETWEEN 1.25 AND 7.5 GROUP BY svc ORDER BY svc`},
		{"group_numeric", `SELECT rate, count(*) FROM nb WHERE amount < 0 GROUP BY rate ORDER BY count(*) DESC, rate LIMIT 5`},
		{"topk", `SELECT amount FROM nb ORDER BY amount DESC LIMIT 10`},
	}
	benchBothEngines(b, h, queries)
}

// numericBenchTable fills table nb (OPENWIT_BENCH_ROWS rows, default
// 200,000, in 24 Parquet files): svc text, amount numeric(12,2) with 2%
// NULLs, rate numeric(10,4).
func numericBenchTable(b *testing.B) *harness {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("OPENWIT_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	h := newHarness(b)
	h.mustQuery(`CREATE TABLE nb (ts timestamptz NOT NULL, svc text, amount numeric(12,2), rate numeric(10,4)) WITH (time_column = 'ts')`)
	ctx := context.Background()
	def, err := h.eng.TableDef(ctx, "nb")
	if err != nil {
		b.Fatal(err)
	}
	schema, err := h.eng.ArrowSchema(def)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(87, 87))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	const hours = 24
	for hr := 0; hr < hours; hr++ {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := 0; i < n/hours; i++ {
			bld.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(start + int64(hr)*3600e6 + rng.Int64N(3600e6)))
			bld.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("svc-%02d", rng.IntN(20)))
			if rng.IntN(50) == 0 {
				bld.Field(2).AppendNull()
			} else {
				bld.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int64N(2_000_000) - 100_000))
			}
			bld.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int64N(100_000)))
		}
		rec := bld.NewRecordBatch()
		bld.Release()
		if err := h.ing.Insert(ctx, def.ID, []ingest.Part{{Shard: ingest.ShardOf(def, start+int64(hr)*3600e6), Rec: rec}}); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	if err := h.ing.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	return h
}

// benchBothEngines checks that both engines answer each query alike, then
// times each with the vectorized executor on and off, alternated.
func benchBothEngines(b *testing.B, h *harness, queries []struct{ name, sql string }) {
	for _, q := range queries {
		if plan := h.mustQuery("EXPLAIN " + q.sql); !strings.Contains(plan, "VectorizedScan") {
			b.Fatalf("%s: not vectorized:\n%s", q.sql, plan)
		}
		vec := h.mustQuery(q.sql)
		h.mustQuery("SET openwit.vectorize = off")
		row := h.mustQuery(q.sql)
		h.mustQuery("SET openwit.vectorize = on")
		if vec != row {
			b.Fatalf("%s: vectorized %s, row engine %s", q.sql, vec, row)
		}
		b.Logf("%s: %.200s", q.sql, vec)
	}
	// Alternate the engines query by query, so that load on the shared
	// machine hits both sides alike.
	for _, q := range queries {
		for _, mode := range []string{"on", "off"} {
			b.Run(fmt.Sprintf("%s/vectorize=%s", q.name, mode), func(b *testing.B) {
				h.mustQuery("SET openwit.vectorize = " + mode)
				defer h.mustQuery("SET openwit.vectorize = on")
				b.ReportAllocs()
				for b.Loop() {
					h.mustQuery(q.sql)
				}
			})
		}
	}
}
