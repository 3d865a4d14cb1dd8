package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/ingest"
	"openwit/planner/pgtypes"
)

// BenchmarkArrayInetQueries runs array and inet filters end to end over
// $OPENWIT_BENCH_ROWS rows (default 200,000) flushed to Parquet, with
// openwit.vectorize on and off, beside LIKE over text columns holding the
// same text (design 072's comparison). Compare with benchstat; the rows
// counted are the same in both engines (checked before timing).
func BenchmarkArrayInetQueries(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("OPENWIT_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	h := newHarness(b)
	h.mustQuery(`CREATE TABLE ai (ts timestamptz NOT NULL, tags text[], tagtext text, ip inet, iptext text) WITH (time_column = 'ts')`)
	ctx := context.Background()
	def, err := h.eng.TableDef(ctx, "ai")
	if err != nil {
		b.Fatal(err)
	}
	schema, err := h.eng.ArrowSchema(def)
	if err != nil {
		b.Fatal(err)
	}
	// $OPENWIT_BENCH_CSV names a file to write the rows to (ts, tags,
	// ip), for loading the same rows into PostgreSQL.
	var csv *os.File
	if path := os.Getenv("OPENWIT_BENCH_CSV"); path != "" {
		if csv, err = os.Create(path); err != nil {
			b.Fatal(err)
		}
		defer csv.Close()
	}
	rng := rand.New(rand.NewPCG(8, 8))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	const hours = 24
	for hr := 0; hr < hours; hr++ {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		lb := bld.Field(1).(*array.ListBuilder)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for i := 0; i < n/hours; i++ {
			bld.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(start + int64(hr)*3600e6 + rng.Int64N(3600e6)))
			tags := make([]*string, 1+rng.IntN(4))
			lb.Append(true)
			for j := range tags {
				t := []string{"prod", "dev", "staging"}[rng.IntN(3)]
				if rng.IntN(2) == 0 {
					t = fmt.Sprintf("team-%02d", rng.IntN(17))
				}
				tags[j] = &t
				vb.Append(t)
			}
			bld.Field(2).(*array.StringBuilder).Append(pgtypes.FormatArrayText(tags))
			var ip string
			if rng.IntN(8) == 0 {
				ip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 7: byte(rng.IntN(256)), 15: byte(rng.IntN(256))}).String()
			} else {
				ip = fmt.Sprintf("%d.%d.%d.%d", []int{10, 172, 192}[rng.IntN(3)], rng.IntN(256), rng.IntN(256), rng.IntN(256))
			}
			if csv != nil {
				ts := time.UnixMicro(start + int64(hr)*3600e6).UTC().Format("2006-01-02 15:04:05Z")
				fmt.Fprintf(csv, "%s,\"%s\",%s\n", ts, pgtypes.FormatArrayText(tags), ip)
			}
			bld.Field(3).(*array.StringBuilder).Append(ip)
			bld.Field(4).(*array.StringBuilder).Append(ip)
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
	queries := []struct {
		name, sql string
		row       bool // also with openwit.vectorize = off
	}{
		{"any", `SELECT count(*) FROM ai WHERE 'prod' = ANY(tags)`, true},
		{"any_like_text", `SELECT count(*) FROM ai WHERE tagtext LIKE '%prod%'`, false},
		{"contains", `SELECT count(*) FROM ai WHERE tags @> ARRAY['prod', 'team-03']`, true},
		{"cardinality", `SELECT count(*) FROM ai WHERE cardinality(tags) >= 3`, true},
		{"inet_contained", `SELECT count(*) FROM ai WHERE ip << '10.0.0.0/8'`, true},
		{"inet_contained_like_text", `SELECT count(*) FROM ai WHERE iptext LIKE '10.%'`, false},
		{"inet_eq", `SELECT count(*) FROM ai WHERE ip = '10.1.2.3'`, true},
		{"inet_eq_text", `SELECT count(*) FROM ai WHERE iptext = '10.1.2.3'`, false},
	}
	for _, q := range queries {
		b.Logf("%s: %s", q.sql, h.mustQuery(q.sql))
		if q.row {
			vec := h.mustQuery(q.sql)
			h.mustQuery("SET openwit.vectorize = off")
			row := h.mustQuery(q.sql)
			h.mustQuery("SET openwit.vectorize = on")
			if vec != row {
				b.Fatalf("%s: vectorized %s, row engine %s", q.sql, vec, row)
			}
		}
	}
	// Alternate the engines query by query, so that load on the shared
	// machine hits both sides alike.
	for _, q := range queries {
		modes := []string{"on"}
		if q.row {
			modes = append(modes, "off")
		}
		for _, mode := range modes {
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
