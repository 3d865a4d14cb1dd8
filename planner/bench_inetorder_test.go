package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/ingest"
)

// BenchmarkInetOrderQueries runs ORDER BY inet LIMIT and min/max of inet
// end to end over $OPENWIT_BENCH_ROWS rows (default 200,000) flushed to
// Parquet, with openwit.vectorize on and off, alternated query by query
// (design 092). The answers are the same in both engines (checked before
// timing).
func BenchmarkInetOrderQueries(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("OPENWIT_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	h := newHarness(b)
	h.mustQuery(`CREATE TABLE bo (ts timestamptz NOT NULL, ip inet, net cidr, v int8) WITH (time_column = 'ts')`)
	ctx := context.Background()
	def, err := h.eng.TableDef(ctx, "bo")
	if err != nil {
		b.Fatal(err)
	}
	schema, err := h.eng.ArrowSchema(def)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 2))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	const hours = 24
	for hr := 0; hr < hours; hr++ {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := 0; i < n/hours; i++ {
			bld.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(start + int64(hr)*3600e6 + rng.Int64N(3600e6)))
			var ip string
			if rng.IntN(8) == 0 {
				ip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 7: byte(rng.IntN(256)), 15: byte(rng.IntN(256))}).String()
			} else {
				ip = fmt.Sprintf("%d.%d.%d.%d", []int{10, 172, 192}[rng.IntN(3)], rng.IntN(256), rng.IntN(256), rng.IntN(256))
			}
			bld.Field(1).(*array.StringBuilder).Append(ip)
			bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("10.%d.0.0/16", rng.IntN(256)))
			bld.Field(3).(*array.Int64Builder).Append(rng.Int64N(1000))
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
	queries := []struct{ name, sql string }{
		{"topk_ip", `SELECT ip, v FROM bo ORDER BY ip, v LIMIT 20`},
		{"topk_ip_desc", `SELECT ip, v FROM bo ORDER BY ip DESC, v LIMIT 20`},
		{"topk_net_ip", `SELECT net, ip FROM bo ORDER BY net DESC, ip LIMIT 100`},
		{"min_max_ip", `SELECT min(ip), max(ip) FROM bo`},
		{"max_ip_by_net", `SELECT net, max(ip) FROM bo GROUP BY net ORDER BY net LIMIT 5`},
	}
	for _, q := range queries {
		if plan := h.mustQuery("EXPLAIN " + q.sql); !strings.Contains(plan, "VectorizedScan") {
			b.Fatalf("%s: not vectorized:\n%s", q.sql, plan)
		}
		vec := h.mustQuery(q.sql)
		h.mustQuery("SET openwit.vectorize = off")
		row := h.mustQuery(q.sql)
		h.mustQuery("SET openwit.vectorize = on")
		if vec != row {
			b.Fatalf("%s: vectorized\n%s\nrow engine\n%s", q.sql, vec, row)
		}
	}
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
