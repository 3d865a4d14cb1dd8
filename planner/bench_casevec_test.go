package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/ingest"
)

// BenchmarkCaseZoneKeys runs design 082's dashboard shapes (CASE labels as
// keys and in aggregates, calendar keys and date_bin in a session outside
// UTC, inet keys) over $OPENWIT_BENCH_ROWS rows (default 200,000) flushed to Parquet,
// with openwit.vectorize on and off, alternated query by query. Both
// engines' answers are compared before timing.
func BenchmarkCaseZoneKeys(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("OPENWIT_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	h := newHarness(b)
	h.mustQuery(`CREATE TABLE dash (ts timestamptz NOT NULL, level text, status int, latency float8, ip inet) WITH (time_column = 'ts')`)
	ctx := context.Background()
	def, err := h.eng.TableDef(ctx, "dash")
	if err != nil {
		b.Fatal(err)
	}
	schema, err := h.eng.ArrowSchema(def)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 2))
	// 48 hours across New York's autumn change of 2024.
	start := time.Date(2024, 11, 2, 0, 0, 0, 0, time.UTC).UnixMicro()
	const hours = 48
	for hr := range hours {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for range n / hours {
			bld.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(start + int64(hr)*3600e6 + rng.Int64N(3600e6)))
			bld.Field(1).(*array.StringBuilder).Append([]string{"info", "info", "info", "warn", "error", "debug"}[rng.IntN(6)])
			bld.Field(2).(*array.Int32Builder).Append(int32([]int{200, 200, 200, 204, 301, 404, 429, 500, 503}[rng.IntN(9)]))
			bld.Field(3).(*array.Float64Builder).Append(rng.ExpFloat64() * 40)
			// inet's canonical text, as every writer stores it.
			bld.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("10.0.%d.%d", rng.IntN(2), rng.IntN(256)))
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
	const ny = "SET TIME ZONE 'America/New_York'"
	queries := []struct{ name, setup, sql string }{
		{"case_label_key", "", `SELECT CASE WHEN status >= 500 THEN '5xx' WHEN status >= 400 THEN '4xx' ELSE 'ok' END AS class, count(*), max(latency) FROM dash GROUP BY 1 ORDER BY 1`},
		{"case_simple_column_key", "", `SELECT CASE level WHEN 'error' THEN 'E' WHEN 'warn' THEN 'W' ELSE level END AS l, count(*) FROM dash GROUP BY 1 ORDER BY 1`},
		{"case_in_sum", "", `SELECT level, sum(CASE WHEN status >= 500 THEN 2 WHEN status >= 400 THEN 1 ELSE 0 END), max(CASE WHEN latency > 100 THEN 'slow' WHEN latency > 10 THEN 'ok' END) FROM dash GROUP BY 1 ORDER BY 1`},
		{"inet_key", "", `SELECT ip, count(*), max(latency) FROM dash GROUP BY ip ORDER BY 1`},
		{"week_ny", ny, `SELECT date_trunc('week', ts) AS t, count(*) FROM dash GROUP BY 1 ORDER BY 1`},
		{"month_ny", ny, `SELECT date_trunc('month', ts) AS t, level, count(*) FROM dash GROUP BY 1, 2 ORDER BY 1, 2`},
		{"hour_of_day_ny", ny, `SELECT extract(hour from ts) AS h, count(*) FROM dash GROUP BY 1 ORDER BY 1`},
		{"date_bin_ny", ny, `SELECT date_bin('15 minutes', ts, '2024-01-01') AS b, count(*) FROM dash GROUP BY 1 ORDER BY 1`},
	}
	for _, q := range queries {
		if q.setup != "" {
			h.mustQuery(q.setup)
		}
		vec := h.mustQuery(q.sql)
		h.mustQuery("SET openwit.vectorize = off")
		row := h.mustQuery(q.sql)
		h.mustQuery("SET openwit.vectorize = on")
		h.mustQuery("SET TIME ZONE 'UTC'")
		if vec != row {
			b.Fatalf("%s: vectorized %s, row engine %s", q.sql, vec, row)
		}
	}
	for _, q := range queries {
		for _, mode := range []string{"on", "off"} {
			b.Run(fmt.Sprintf("%s/vectorize=%s", q.name, mode), func(b *testing.B) {
				if q.setup != "" {
					h.mustQuery(q.setup)
					defer h.mustQuery("SET TIME ZONE 'UTC'")
				}
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
